"""File-system paths: `/`-separated segments where `\\/` and `\\\\` escape a slash or a backslash.

Pure string helpers (no ORM) shared by the services, the search parser and other apps that file
their objects (insights, dashboards). A stored path is always `path_join(path_split(raw))`, so it
has no empty segments and no leading or trailing slash.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_PATH_LENGTH = 4096


def path_split(path: str) -> list[str]:
    """Unescaped segments of `path`; empty segments are dropped.

    A backslash followed by `/` or `\\` adds that character to the segment; any other backslash
    is kept literally (PostHog tolerates such paths).
    """
    segments: list[str] = []
    current: list[str] = []
    index, length = 0, len(path)
    while index < length:
        char = path[index]
        if char == "\\" and index + 1 < length and path[index + 1] in "/\\":
            current.append(path[index + 1])
            index += 2
            continue
        if char == "/":
            if current:
                segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if current:
        segments.append("".join(current))
    return segments


def segment_escape(segment: str) -> str:
    return segment.replace("\\", "\\\\").replace("/", "\\/")


def path_join(segments: Iterable[str]) -> str:
    """Escape each segment and join them with `/` (the inverse of path_split for non-empty segments)."""
    return "/".join(segment_escape(segment) for segment in segments if segment)


def path_normalize(path: str) -> str:
    """The canonical form of `path`: empty segments and outer slashes removed."""
    return path_join(path_split(path))


def path_depth(path: str) -> int:
    return len(path_split(path))


def path_parent(path: str) -> str | None:
    """The escaped parent path, or None for a top-level item."""
    segments = path_split(path)
    return path_join(segments[:-1]) if len(segments) > 1 else None


def path_name(path: str) -> str:
    """The unescaped last segment ("" for an empty path)."""
    segments = path_split(path)
    return segments[-1] if segments else ""


def path_ancestors(path: str) -> list[str]:
    """The escaped paths of every ancestor folder, shallowest first: `a/b/c` → [`a`, `a/b`]."""
    segments = path_split(path)
    return [path_join(segments[:k]) for k in range(1, len(segments))]


def path_with_name(path: str, name: str) -> str:
    """`path` with its last segment replaced by `name` (escaped)."""
    segments = path_split(path)
    return path_join([*segments[:-1], name])


def path_is_within(path: str, folder: str) -> bool:
    """True when `path` is `folder` itself or one of its descendants."""
    return path == folder or path.startswith(folder + "/")

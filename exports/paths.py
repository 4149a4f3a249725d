"""`export_context.path`: which paths an export may read, checked before anything runs.

Only GET paths of this project's API qualify: `/api/projects/{id}/...` (or the `/api/environments/`
alias, or `@current` when it is this project). No scheme, host, `..` segments or other project, so an
export can never reach another host, another tenant or a non-API view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from django.urls import Resolver404, resolve
from rest_framework.exceptions import ValidationError

from posthog_core.models import Project, User

INTERNAL_HOST = "export.internal"
MAX_PATH_LENGTH = 4000
_PROJECT_PATH = re.compile(r"^/api/(?:projects|environments)/(?P<project>[^/]+)/(?P<rest>.+)$")
# Exports can't export exports (a content answer is a file, and a list of exports is not data).
_FORBIDDEN_APPS = ("exports",)


@dataclass
class ExportPath:
    path: str
    query: list[tuple[str, str]]


def invalid(detail: str) -> ValidationError:
    return ValidationError({"export_context": [detail]}, code="invalid_input")


def export_path_parse(*, raw: object, team: Project, user: User | None) -> ExportPath:
    """Check `raw` names a GET endpoint of `team`'s API; raises 400 with attr `export_context`."""
    if not isinstance(raw, str) or not raw or len(raw) > MAX_PATH_LENGTH:
        raise invalid("export_context.path must be a non-empty string.")
    if any(ch in raw for ch in "\\\r\n\t\x00") or raw.startswith("//"):
        raise invalid("export_context.path must be a path under this project's API, not a URL.")
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        raise invalid("export_context.path must be a path under this project's API, not a URL.")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise invalid("export_context.path must not contain '.' or '..' segments.")
    match = _PROJECT_PATH.match(parts.path)
    if match is None or not _is_this_project(match.group("project"), team, user):
        raise invalid("export_context.path must be under /api/projects/{id}/ of this project.")
    try:
        resolved = resolve(parts.path)
    except Resolver404:
        raise invalid("export_context.path does not match any API endpoint.") from None
    view_class = getattr(resolved.func, "cls", None)
    if view_class is None or view_class.__module__.split(".")[0] in _FORBIDDEN_APPS:
        raise invalid("export_context.path can't be exported.")
    actions = getattr(resolved.func, "actions", None) or {}
    if actions and "get" not in actions:
        raise invalid("export_context.path must be an endpoint that answers GET.")
    return ExportPath(path=parts.path, query=parse_qsl(parts.query, keep_blank_values=True))


def _is_this_project(raw: str, team: Project, user: User | None) -> bool:
    if raw == "@current":
        return user is not None and user.current_project_id == team.id
    return raw.isascii() and raw.isdigit() and len(raw) < 18 and int(raw) == team.id


def export_next_parse(*, url: object, team: Project, user: User | None) -> ExportPath | None:
    """A `next` link from a page: only our own internal host and this project's paths are followed."""
    if not isinstance(url, str) or not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != INTERNAL_HOST:
        raise invalid("export_context.path answered a `next` link to another host.")
    relative = parts.path + (f"?{parts.query}" if parts.query else "")
    return export_path_parse(raw=relative, team=team, user=user)

"""File-system writes: create (with parent folders), update, delete, set-based move, link, counts,
the view log, and the hooks other apps call when the objects they file change.

Every multi-row write runs in one transaction. Folder rows are unique per (team, path) through a
partial unique index, so parent creation is an `INSERT ... ON CONFLICT DO NOTHING` that two
concurrent requests can both run safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Subquery
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from file_system.models import (
    ENTRY_COLUMNS,
    FOLDER,
    FileSystem,
    FileSystemViewLog,
    path_below,
    path_c,
    path_in,
)
from file_system.paths import (
    MAX_PATH_LENGTH,
    path_ancestors,
    path_depth,
    path_is_within,
    path_normalize,
    path_with_name,
)
from file_system.search import like_escape
from posthog_core.exceptions import PlainDetailError
from posthog_core.models import Project, User

COUNT_ENTRIES_LIMIT = 200

# Segment count computed in SQL: drop the escapes `\\` and `\/` (left to right, as path_split
# reads them), then count the slashes left. Plain replace(), not a regex: ~10x cheaper per row.
_SQL_UNESCAPED = "replace(replace({path}, '\\\\', ''), '\\/', '')"
_SQL_DEPTH = "length(" + _SQL_UNESCAPED + ") - length(replace(" + _SQL_UNESCAPED + ", '/', '')) + 1"


def _clean_path(path: str, *, attr: str = "path") -> str:
    if "\x00" in (path or ""):
        raise ValidationError({attr: ["Null characters are not allowed."]}, code="null_characters_not_allowed")
    normalized = path_normalize(path or "")
    if not normalized.strip():
        raise ValidationError({attr: ["A path needs at least one segment."]}, code="blank")
    if len(normalized) > MAX_PATH_LENGTH:
        raise ValidationError({attr: [f"Ensure the path has no more than {MAX_PATH_LENGTH} characters."]}, code="max_length")
    return normalized


def _like_prefix(path: str) -> str:
    return like_escape(path) + "/%"


def descendants_of(*, team: Project, path: str):
    """Every entry below `path` (any depth), the set that count, delete, move and link act on."""
    return FileSystem.objects.filter(path_below(path), team=team)


def entries_at(*, team: Project, paths: list[str]):
    """Entries at exactly these paths (an index lookup, see path_in)."""
    return FileSystem.objects.filter(path_in(paths), team=team)


def file_system_ensure_parents(*, team: Project, user: User | None, path: str) -> None:
    """Create a `folder` for every ancestor of `path` that has no entry at exactly that path."""
    ancestors = path_ancestors(path)
    if not ancestors:
        return
    existing = set(entries_at(team=team, paths=ancestors).values_list("path", flat=True))
    missing = [
        FileSystem(team=team, path=ancestor, depth=depth, type=FOLDER, shortcut=False, created_by=user)
        for depth, ancestor in enumerate(ancestors, start=1)
        if ancestor not in existing
    ]
    # NOTE: a concurrent request may create the same folder between the SELECT and here; the
    # partial unique index makes the second insert a no-op instead of a duplicate.
    FileSystem.objects.bulk_create(missing, ignore_conflicts=True)


def _save_entry(entry: FileSystem) -> FileSystem:
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as error:
        raise ValidationError({"path": ["A folder already exists at this path."]}, code="unique") from error
    return entry


def file_system_create(
    *,
    team: Project,
    user: User | None,
    path: str,
    type: str,
    ref: str | None = None,
    href: str | None = None,
    meta: dict | None = None,
    shortcut: bool | None = False,
) -> FileSystem:
    """Create an entry and its missing parent folders in one transaction.

    Raises ValidationError (400) for a blank path or a second folder at the same path.
    """
    path = _clean_path(path)
    with transaction.atomic():
        file_system_ensure_parents(team=team, user=user, path=path)
        entry = FileSystem(
            team=team, path=path, depth=path_depth(path), type=type or "", ref=ref, href=href,
            meta={} if meta is None else meta, shortcut=bool(shortcut), created_by=user,
        )
        return _save_entry(entry)


def file_system_update(*, entry: FileSystem, data: dict) -> FileSystem:
    """Write the given fields; a new path recalculates depth but moves no children (use move)."""
    for field, value in data.items():
        setattr(entry, field, value)
    if "path" in data:
        entry.path = _clean_path(data["path"])
        entry.depth = path_depth(entry.path)
    if "shortcut" in data and data["shortcut"] is None:
        entry.shortcut = False
    return _save_entry(entry)


def file_system_delete(*, entry: FileSystem) -> None:
    """Delete an entry; a folder takes every entry below it, in one transaction."""
    with transaction.atomic():
        if entry.type == FOLDER:
            descendants_of(team=entry.team, path=entry.path).delete()
        entry.delete()


def _folder_at(*, team: Project, path: str, exclude_id=None) -> FileSystem | None:
    queryset = FileSystem.objects.filter(team=team, path=path, type=FOLDER, shortcut=False)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.first()


def _move_root(*, entry: FileSystem, new_path: str) -> FileSystem:
    """Put the moved folder itself at `new_path`, or merge it into the folder already there."""
    target = _folder_at(team=entry.team, path=new_path, exclude_id=entry.pk)
    if target is not None:
        entry.delete()
        return target
    entry.path, entry.depth = new_path, path_depth(new_path)
    entry.save(update_fields=["path", "depth"])
    return entry


def _merge_moving_folders(*, team: Project, old_path: str, new_path: str) -> None:
    """Delete moving sub-folders whose destination is already a folder: their contents merge."""
    # Only a folder already below the destination can collide. A move to a new place (the usual
    # case) has none, and asking costs one probe of the path index instead of a join.
    waiting = FileSystem.objects.filter(path_below(new_path), team=team, type=FOLDER, shortcut=False)
    if not waiting.exclude(path_below(old_path)).exists():
        return
    table = FileSystem._meta.db_table
    with connection.cursor() as cursor:
        # The destination range on `existing` keeps the join to the destination's folders instead
        # of every folder of the project.
        cursor.execute(
            f"""DELETE FROM {table} AS moving
                WHERE moving.team_id = %(team)s AND moving.path COLLATE "C" LIKE %(pattern)s
                  AND moving.type = %(folder)s AND moving.shortcut = false
                  AND EXISTS (SELECT 1 FROM {table} AS existing
                              WHERE existing.team_id = %(team)s AND existing.type = %(folder)s
                                AND existing.shortcut = false
                                AND existing.path COLLATE "C" LIKE %(new_pattern)s
                                AND existing.path COLLATE "C" NOT LIKE %(pattern)s
                                AND existing.path = %(new)s || substr(moving.path, %(cut)s))""",
            {
                "team": team.pk, "pattern": _like_prefix(old_path), "new_pattern": _like_prefix(new_path),
                "folder": FOLDER, "new": new_path, "cut": len(old_path) + 1,
            },
        )


def _rewrite_prefix(*, team: Project, old_path: str, new_path: str) -> int:
    """One UPDATE: every entry below `old_path` gets the `new_path` prefix and its depth recomputed."""
    table = FileSystem._meta.db_table
    new_expression = "%(new)s || substr(path, %(cut)s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {table} SET path = {new_expression}, depth = {_SQL_DEPTH.format(path=new_expression)}
                WHERE team_id = %(team)s AND path COLLATE "C" LIKE %(pattern)s""",
            {"team": team.pk, "pattern": _like_prefix(old_path), "new": new_path, "cut": len(old_path) + 1},
        )
        return cursor.rowcount


def _move_descendants(*, team: Project, old_path: str, new_path: str) -> int:
    if path_is_within(old_path, new_path):
        # Moving up into an ancestor: a folder's destination can be another moving folder's current
        # path, and the unique index is checked row by row. Park the subtree under a prefix no path
        # can have (a control character) first.
        parking = f"\x01moving\x01{old_path}"
        _rewrite_prefix(team=team, old_path=old_path, new_path=parking)
        old_path = parking
    return _rewrite_prefix(team=team, old_path=old_path, new_path=new_path)


def file_system_move(*, entry: FileSystem, new_path: str, user: User | None) -> FileSystem:
    """Move an entry; a folder brings its whole subtree with one set-based UPDATE.

    Parents of `new_path` are ensured. Moving a folder onto an existing folder merges the two.
    Raises PlainDetailError 400 for a missing `new_path` or a folder moved into itself or below
    itself. Everything happens in one transaction.
    """
    if not path_normalize(new_path or "").strip():
        raise PlainDetailError("new_path is required")
    new_path = _clean_path(new_path, attr="new_path")
    old_path = entry.path
    if entry.type == FOLDER and path_is_within(new_path, old_path):
        raise PlainDetailError("Cannot move folder into itself")
    with transaction.atomic():
        file_system_ensure_parents(team=entry.team, user=user, path=new_path)
        if entry.type != FOLDER:
            entry.path, entry.depth = new_path, path_depth(new_path)
            return _save_entry(entry)
        result = _move_root(entry=entry, new_path=new_path)
        _merge_moving_folders(team=entry.team, old_path=old_path, new_path=new_path)
        _move_descendants(team=entry.team, old_path=old_path, new_path=new_path)
        return result


def _shortcut_copy(source: FileSystem, *, path: str, user: User | None) -> FileSystem:
    return FileSystem(
        team_id=source.team_id, path=path, depth=path_depth(path), type=source.type, ref=source.ref,
        href=source.href, meta=source.meta, shortcut=True, created_by=user,
    )


def file_system_link(*, entry: FileSystem, new_path: str, user: User | None) -> FileSystem:
    """Copy an entry (a folder: with its subtree) to `new_path` as shortcuts; returns the new item."""
    if not path_normalize(new_path or "").strip():
        raise PlainDetailError("new_path is required")
    new_path = _clean_path(new_path, attr="new_path")
    if entry.type == FOLDER and new_path == entry.path:
        raise PlainDetailError("Cannot link folder into itself")
    with transaction.atomic():
        file_system_ensure_parents(team=entry.team, user=user, path=new_path)
        if entry.type != FOLDER:
            return _save_entry(_shortcut_copy(entry, path=new_path, user=user))
        cut = len(entry.path)
        copies = [
            _shortcut_copy(source, path=new_path + source.path[cut:], user=user)
            for source in descendants_of(team=entry.team, path=entry.path).iterator(chunk_size=2000)
        ]
        FileSystem.objects.bulk_create(copies, batch_size=1000)
        existing = _folder_at(team=entry.team, path=new_path)
        return existing or _save_entry(_shortcut_copy(entry, path=new_path, user=user))


@dataclass(frozen=True)
class FolderCount:
    count: int
    entries: list  # named rows of ENTRY_COLUMNS
    has_more: bool


def file_system_count(*, team: Project, path: str) -> FolderCount:
    """How many entries lie below `path`, plus the first 200 of them by depth then path."""
    descendants = descendants_of(team=team, path=path)
    # The total rides along as a scalar subquery: one round trip; (depth, path C) is index order.
    total = descendants.order_by().values("team").annotate(fs_total=Count("*")).values("fs_total")
    ordered = descendants.annotate(fs_total=Subquery(total)).order_by("depth", path_c())
    entries = list(ordered.values_list(*ENTRY_COLUMNS, "fs_total", named=True)[:COUNT_ENTRIES_LIMIT])
    count = entries[0].fs_total if entries else 0
    return FolderCount(count=count, entries=entries, has_more=count > COUNT_ENTRIES_LIMIT)


def file_system_rename_ref(*, team: Project, type: str, ref: str, new_name: str) -> int:
    """Rename (last segment) every entry filed for object `(type, ref)`; returns how many changed."""
    changed = 0
    with transaction.atomic():
        for entry in FileSystem.objects.select_for_update().filter(team=team, type=type, ref=str(ref)):
            new_path = path_with_name(entry.path, new_name)
            if new_path and new_path != entry.path:
                entry.path, entry.depth = new_path, path_depth(new_path)
                entry.save(update_fields=["path", "depth"])
                changed += 1
    return changed


def file_system_delete_ref(*, team: Project, type: str, ref: str) -> int:
    """Delete every entry (originals and shortcuts) filed for object `(type, ref)`."""
    deleted, _ = FileSystem.objects.filter(team=team, type=type, ref=str(ref)).delete()
    return deleted


def file_system_log_view(*, team: Project, user: User, type: str, ref: str, viewed_at: datetime | None = None) -> None:
    """Record that `user` viewed object `(type, ref)` (one row per object, upserted)."""
    FileSystemViewLog.objects.bulk_create(
        [FileSystemViewLog(team=team, user=user, type=type, ref=ref, viewed_at=viewed_at or timezone.now())],
        update_conflicts=True, unique_fields=["team", "user", "type", "ref"], update_fields=["viewed_at"],
    )


def file_system_recent_views(*, team: Project, user: User, type: str | None, limit: int) -> list[FileSystemViewLog]:
    views = FileSystemViewLog.objects.filter(team=team, user=user)
    if type:
        views = views.filter(type=type)
    return list(views.order_by("-viewed_at")[:limit])

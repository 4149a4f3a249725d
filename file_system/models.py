"""The project tree (§3.7): typed entries addressed by escaped paths, per-user shortcuts, view log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Case, F, Func, Q, Value, When
from django.db.models.functions import Collate, StrIndex, Upper
from django.db.models.lookups import GreaterThan, In, StartsWith
from django.utils import timezone

from posthog_core.utils import uuid7

FOLDER = "folder"
# The columns an entry's API shape shows (FileSystemSerializer's fields): lists and counts fetch
# just these, as named rows, instead of whole model instances.
ENTRY_COLUMNS = ("id", "path", "depth", "type", "ref", "href", "meta", "shortcut", "created_at")

# Everything up to the last unescaped `/` (segments are runs of `\x` pairs or plain characters).
_PARENT_PREFIX_RE = r"^(?:(?:\\.|[^\\/])*/)*"
_UNESCAPE_RE = r"\\(.)"


def _last_segment_expression():
    """SQL for the unescaped last segment of `path`; kept in the `name` column by PostgreSQL itself,
    so raw COPY seeding and set-based moves keep it right without application code."""
    last = Func(F("path"), Value(_PARENT_PREFIX_RE), Value(""), function="regexp_replace")
    escaped = Func(last, Value(_UNESCAPE_RE), Value(r"\1"), Value("g"), function="regexp_replace")
    # A move recomputes this for every entry it rewrites. Most paths hold no backslash at all, and
    # then the name is simply what follows the last `/`: split_part costs a fraction of the regexes.
    plain = Func(F("path"), Value("/"), Value(-1), function="split_part", output_field=models.TextField())
    has_escape = GreaterThan(StrIndex(F("path"), Value("\\")), 0)
    return Case(When(has_escape, then=escaped), default=plain, output_field=models.TextField())


def path_c() -> Collate:
    return Collate(F("path"), "C")


def path_below(folder: str) -> StartsWith:
    """The condition "`path` lies below `folder`" in the form the path indexes serve."""
    return StartsWith(path_c(), folder + "/")


def path_in(paths: list[str]) -> In:
    """`path IN (...)` in the form the path indexes serve (a plain `path IN (...)` compares in the
    database collation, which no path index has, and scans the table)."""
    return In(path_c(), paths)


class FileSystem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # No single-column index: (team, path) leads with team and serves the same lookups.
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+", db_index=False)
    path = models.TextField()
    depth = models.IntegerField(null=True, blank=True)
    type = models.CharField(max_length=100, blank=True, default="")
    ref = models.CharField(max_length=100, null=True, blank=True)
    href = models.TextField(null=True, blank=True)
    shortcut = models.BooleanField(null=True, blank=True, default=False)
    meta = models.JSONField(default=dict, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Derived, never written by the application: the unescaped last segment, mirrored into
    # FileSystemName (for `name:` search) by the database's triggers.
    name = models.GeneratedField(expression=_last_segment_expression(), output_field=models.TextField(), db_persist=True)

    class Meta:
        indexes = [
            # Byte-ordered ("C") path keys whatever the database collation is: `path COLLATE "C" LIKE
            # 'prefix/%'` (see path_below) becomes a range scan, and the index returns rows in
            # (depth, path) order for count/'s first entries without a sort. Without `depth`, the
            # planner skips through the few distinct depths (PostgreSQL 18 skip scan), so the same
            # index serves subtree ranges and exact paths (path_in, the list's `path` filter) too
            # (migration 0007 keeps a (team, path C) index on older servers, which cannot skip-scan).
            # NOTE: no separate (team, path) index: a move rewrites `path` in every descendant, so
            # each index on it is one more insert per moved entry.
            models.Index(F("team"), F("depth"), Collate(F("path"), "C"), name="file_system_team_depth_path_c"),
            models.Index(fields=["team", "type", "ref"], name="file_system_team_type_ref"),
            # NOTE: no trigram index here: `name:` search reads FileSystemName, which a move leaves alone.
            # NOTE: no trigram index on `path`: it doubled the cost of moving a 100k-entry folder.
            # Plain search tokens scan the project's rows, as PostHog's do.
        ]
        constraints = [
            # One real folder per path: concurrent creates insert parents with ON CONFLICT DO NOTHING.
            models.UniqueConstraint(
                fields=["team", "path"], condition=Q(type=FOLDER, shortcut=False), name="file_system_unique_folder"
            ),
        ]

    def __str__(self) -> str:
        return self.path


class FileSystemName(models.Model):
    """Every entry's name (the unescaped last path segment) with the trigram index `name:` search uses.

    Kept in step with FileSystem by statement-level triggers (migration 0009): whatever writes the
    tree, ORM, raw SQL or COPY, writes here in the same statement. It is a table of its own because
    a move rewrites every descendant's path but none of their names: with the trigram index on the
    entries themselves, PostgreSQL inserted each moved entry into it again (an UPDATE that changes
    an indexed column writes a new entry in every index), about 40% of a 100,000-entry move.
    """

    entry = models.OneToOneField(
        FileSystem, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    team_id = models.BigIntegerField()
    name = models.TextField()

    class Meta:
        indexes = [
            # Django's icontains compiles to UPPER(col) LIKE UPPER(%s): index that expression.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="file_system_name_trgm"),
        ]


class FileSystemShortcut(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.TextField()
    type = models.CharField(max_length=100, blank=True, default="")
    ref = models.CharField(max_length=100, null=True, blank=True)
    href = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["team", "user"], name="fs_shortcut_team_user")]


class FileSystemViewLog(models.Model):
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=100)
    ref = models.CharField(max_length=100)
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # One row per viewer and object: logging a view moves `viewed_at` forward (an upsert).
        constraints = [
            models.UniqueConstraint(fields=["team", "user", "type", "ref"], name="fs_view_log_unique_item"),
        ]
        indexes = [models.Index(fields=["team", "user", "-viewed_at"], name="fs_view_log_recent")]

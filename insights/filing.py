"""Keep the project tree in step with insights and dashboards: one `file_system` entry per live
object (`type` insight/dashboard, `ref` short_id/id), renamed with it and removed when it is deleted."""

from __future__ import annotations

from django.db.models import CharField, Exists, F, OuterRef
from django.db.models.functions import Cast

from file_system.models import FileSystem
from file_system.paths import path_join, path_split
from file_system.services import file_system_create, file_system_delete_ref, file_system_rename_ref
from insights.models import Dashboard, Insight
from posthog_core.models import Project, User

UNFILED = {"insight": ("Unfiled", "Insights"), "dashboard": ("Unfiled", "Dashboards")}
BACKFILL_LIMIT = 10_000


def _describe(obj: Insight | Dashboard) -> tuple[str, str, str, str]:
    """(type, ref, href, display name) of an insight or dashboard."""
    if isinstance(obj, Insight):
        return "insight", obj.short_id, f"/insights/{obj.short_id}", obj.name or obj.derived_name or "Untitled"
    return "dashboard", str(obj.pk), f"/dashboard/{obj.pk}", obj.name or "Untitled"


def file_entry_create(*, obj: Insight | Dashboard, user: User | None, folder: str | None = None) -> FileSystem:
    """File `obj` under `folder` (its `_create_in_folder`) or `Unfiled/Insights|Dashboards`."""
    kind, ref, href, name = _describe(obj)
    segments = path_split(folder) if folder else list(UNFILED[kind])
    if not segments:
        segments = list(UNFILED[kind])
    meta = {"created_at": obj.created_at.isoformat(), "created_by": obj.created_by_id}
    return file_system_create(team=obj.team, user=user, path=path_join([*segments, name]), type=kind, ref=ref,
                              href=href, meta=meta)


def file_entry_rename(*, obj: Insight | Dashboard) -> None:
    kind, ref, _, name = _describe(obj)
    file_system_rename_ref(team=obj.team, type=kind, ref=ref, new_name=name)


def file_entry_delete(*, obj: Insight | Dashboard) -> None:
    kind, ref, _, _ = _describe(obj)
    file_system_delete_ref(team=obj.team, type=kind, ref=ref)


def file_entries_backfill(*, team: Project, type: str | None) -> int:
    """Create entries for live insights/dashboards that have none; returns how many were created.

    Idempotent: a second call finds nothing unfiled. `type` limits it to `insight` or `dashboard`;
    any other value files nothing (PostHog's other object types do not exist here).
    """
    created = 0
    sources = (("insight", Insight.objects.annotate(ref_text=F("short_id"))),
               ("dashboard", Dashboard.objects.annotate(ref_text=Cast("pk", CharField()))))
    for kind, queryset in sources:
        if type and type != kind:
            continue
        filed = FileSystem.objects.filter(team=team, type=kind, ref=OuterRef("ref_text"))
        unfiled = queryset.filter(team=team, deleted=False).filter(~Exists(filed)).select_related("team")
        for obj in unfiled.order_by("pk")[:BACKFILL_LIMIT]:
            file_entry_create(obj=obj, user=obj.created_by)
            created += 1
    return created

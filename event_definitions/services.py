"""Event definition writes (create, update, delete, tags, bulk actions) and the query log."""

from __future__ import annotations

from event_definitions.models import QueryLog
from posthog_core.models import Project


def query_log_record(*, team: Project, event_names: list[str], source: str) -> None:
    """Record one query run that read `event_names` (deduplicated; nothing when empty)."""
    names = sorted({name for name in event_names if isinstance(name, str) and name})
    if not names:
        return
    QueryLog.objects.create(team=team, event_names=names, source=source[:32])

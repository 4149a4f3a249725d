"""Writing activity rows: one function every app calls."""

from __future__ import annotations

from typing import Any

from activity_logs.models import ActivityLog
from posthog_core.models import Project, User


def change(*, scope: str, action: str, field: str | None, before: Any = None, after: Any = None) -> dict:
    return {"type": scope, "action": action, "field": field, "before": before, "after": after}


def activity_log_create(
    *,
    team: Project,
    user: User | None,
    scope: str,
    activity: str,
    item_id: str | int,
    name: str | None = None,
    short_id: str | None = None,
    detail_type: str | None = None,
    changes: list[dict] | None = None,
    is_system: bool = False,
) -> ActivityLog:
    """Record one activity; `changes` are built with change()."""
    return ActivityLog.objects.create(
        team=team,
        organization_id=team.organization_id,
        user=user if user is not None and user.is_authenticated else None,
        is_system=is_system,
        scope=scope,
        activity=activity,
        item_id=str(item_id),
        detail={"name": name, "short_id": short_id, "type": detail_type, "trigger": None, "changes": changes or []},
    )

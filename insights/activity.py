"""Activity rows for insights and dashboards, in PostHog's shape: scope `Insight` or `Dashboard`,
activity `created` or `updated`, `item_id` the object's id, `detail.changes` one entry per field
whose value changed (soft delete and restore are an `updated` with a change on `deleted`)."""

from __future__ import annotations

import copy

from activity_logs.services import activity_log_create, change
from insights.models import Dashboard, DashboardTile, Insight

INSIGHT_SCOPE, DASHBOARD_SCOPE = "Insight", "Dashboard"
TRACKED = {
    INSIGHT_SCOPE: ("name", "derived_name", "description", "query", "tags", "deleted", "saved", "favorited",
                    "dashboards"),
    DASHBOARD_SCOPE: ("name", "description", "pinned", "filters", "tags", "deleted"),
}


def _scope(obj: Insight | Dashboard) -> str:
    return INSIGHT_SCOPE if isinstance(obj, Insight) else DASHBOARD_SCOPE


def _value(obj: Insight | Dashboard, field: str):
    if field == "dashboards":
        return sorted(DashboardTile.objects.filter(insight=obj, deleted=False, dashboard__deleted=False)
                      .values_list("dashboard_id", flat=True))
    # A copy: the caller mutates the object (and its JSON) between the two snapshots.
    return copy.deepcopy(getattr(obj, field))


def activity_snapshot(*, obj: Insight | Dashboard, data: dict) -> dict:
    """The tracked fields that `data` (an update's validated fields) touches, as they are now."""
    return {field: _value(obj, field) for field in TRACKED[_scope(obj)] if field in data}


def _detail(obj: Insight | Dashboard) -> dict:
    if isinstance(obj, Insight):
        return {"name": obj.name or obj.derived_name, "short_id": obj.short_id}
    return {"name": obj.name}


def activity_created(*, obj: Insight | Dashboard, user) -> None:
    activity_log_create(team=obj.team, user=user, scope=_scope(obj), activity="created", item_id=obj.pk,
                        **_detail(obj))


def activity_updated(*, obj: Insight | Dashboard, user, before: dict) -> None:
    """One `updated` row listing the snapshotted fields whose value differs now; none if nothing did."""
    scope = _scope(obj)
    after = {field: _value(obj, field) for field in before}
    changes = [change(scope=scope, action="changed", field=field, before=before[field], after=after[field])
               for field in before if before[field] != after[field]]
    if changes:
        activity_log_create(team=obj.team, user=user, scope=scope, activity="updated", item_id=obj.pk,
                            changes=changes, **_detail(obj))

"""Event definition reads beyond one queryset expression: list rows, usage metrics, primary properties."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.utils import timezone

from event_definitions.models import EventDefinition, QueryLog, TaggedItem
from posthog_core.models import Project

METRICS_WINDOW_DAYS = 30


def event_definition_rows() -> QuerySet:
    """Each row with its users joined and its tag names aggregated, so a page is one query whatever its size."""
    tag_names = TaggedItem.objects.filter(event_definition=OuterRef("pk")).values("tag__name")
    return EventDefinition.objects.select_related("owner", "updated_by", "verified_by").annotate(
        tag_names=ArraySubquery(tag_names)
    )


def event_definition_query_usage(*, definition: EventDefinition) -> int:
    """Query runs (insights, `/query/`, exports) in the last 30 days whose events include this one."""
    since = timezone.now() - timedelta(days=METRICS_WINDOW_DAYS)
    return QueryLog.objects.filter(
        team_id=definition.team_id, created_at__gte=since, event_names__contains=[definition.name]
    ).count()


def event_definition_primary_properties(*, team: Project, names: list[str]) -> dict[str, str]:
    """`{event name: primary property}` for rows that have a non-empty one; all such rows without `names`."""
    queryset = EventDefinition.objects.filter(team=team, primary_property__isnull=False).exclude(primary_property="")
    if names:
        queryset = queryset.filter(name__in=names)
    return dict(queryset.order_by("name").values_list("name", "primary_property"))


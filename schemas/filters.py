"""Filters for event-schema links and rejected events."""

from __future__ import annotations

import django_filters

from schemas.models import EventSchema, RejectedEvent


class EventSchemaFilterSet(django_filters.FilterSet):
    event_definition = django_filters.UUIDFilter(field_name="event_definition_id", help_text="Only this definition's links.")

    class Meta:
        model = EventSchema
        fields = ["event_definition"]


class RejectedEventFilterSet(django_filters.FilterSet):
    event = django_filters.CharFilter(field_name="event", help_text="Exact event name.")
    reason = django_filters.CharFilter(
        method="filter_reason",
        help_text="Rejections with this reason: missing_required, wrong_type or not_allowed.",
    )

    class Meta:
        model = RejectedEvent
        fields = ["event", "reason"]

    def filter_reason(self, queryset, name: str, value: str):
        return queryset.filter(reasons__contains=[{"reason": value}])

"""Typed event schemas (PostHog §3.3): property groups, their properties, the links from event
definitions to groups, and the events that `enforcement_mode: reject` kept out of the event table."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from posthog_core.utils import uuid7


class PropertyType(models.TextChoices):
    STRING = "String"
    NUMERIC = "Numeric"
    BOOLEAN = "Boolean"
    DATETIME = "DateTime"
    OBJECT = "Object"
    ARRAY = "Array"


class SchemaPropertyGroup(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=400)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_schema_property_group_name")]

    def __str__(self) -> str:
        return self.name


class SchemaPropertyGroupProperty(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    property_group = models.ForeignKey(SchemaPropertyGroup, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(max_length=400)
    property_type = models.CharField(max_length=10, choices=PropertyType.choices)
    is_required = models.BooleanField(default=False)
    is_optional_in_types = models.BooleanField(default=False)
    description = models.TextField(blank=True, default="")
    # Our extension: a closed set of strings (String) or numbers (Numeric); null means any value.
    allowed_values = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["property_group", "name"], name="unique_schema_group_property_name"),
            models.CheckConstraint(
                condition=models.Q(property_type__in=PropertyType.values), name="schema_property_type_is_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EventSchema(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    event_definition = models.ForeignKey(
        "event_definitions.EventDefinition", on_delete=models.CASCADE, related_name="schemas"
    )
    property_group = models.ForeignKey(SchemaPropertyGroup, on_delete=models.CASCADE, related_name="event_schemas")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_definition", "property_group"], name="unique_event_schema_link"),
        ]


class RejectedEvent(models.Model):
    """An event that failed its definition's schema under `enforcement_mode: reject`: kept with its
    reasons instead of being stored as an event, so nothing is silently dropped."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    uuid = models.UUIDField()
    event = models.CharField(max_length=400)
    distinct_id = models.CharField(max_length=400)
    timestamp = models.DateTimeField()
    properties = models.JSONField(default=dict)
    # [{"property": str, "reason": str, "detail": str}], in property order.
    reasons = models.JSONField(default=list)
    schema_version = models.PositiveIntegerField(default=0)
    rejected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "uuid"], name="unique_rejected_event_team_uuid")]
        indexes = [models.Index(fields=["team", "event", "-rejected_at"], name="rejected_event_team_event")]

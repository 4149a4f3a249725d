"""Shapes of property groups, event-schema links, generated code and rejected events."""

from __future__ import annotations

import math

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserBasicSerializer
from event_definitions.models import EventDefinition
from schemas.models import (
    EventSchema,
    PropertyType,
    RejectedEvent,
    SchemaPropertyGroup,
    SchemaPropertyGroupProperty,
)

MAX_ALLOWED_VALUES = 1000
PROPERTY_REQUIRED_FIELDS = ("name", "property_type")


def is_finite_number(value) -> bool:
    """A JSON number every generated client can hold: not a bool, and within float range (an
    integer past it makes `math.isfinite` raise OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


class TeamScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that must belong to the request's project: another project's id reads as
    `does_not_exist`, exactly like a missing one."""

    def get_queryset(self):
        return super().get_queryset().filter(team=self.context["team"])


class SchemaPropertyGroupPropertySerializer(serializers.ModelSerializer):
    property_type = serializers.ChoiceField(choices=PropertyType.choices)
    allowed_values = serializers.JSONField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Optional closed set: strings for a String property, numbers for a Numeric one.",
    )

    class Meta:
        model = SchemaPropertyGroupProperty
        fields = [
            "id",
            "name",
            "property_type",
            "is_required",
            "is_optional_in_types",
            "description",
            "allowed_values",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness within a group is checked on the whole list (and by the database).
        validators: list = []

    def validate(self, attrs: dict) -> dict:
        allowed = attrs.get("allowed_values")
        if allowed is None:
            return attrs
        property_type = attrs.get("property_type")
        if property_type not in (PropertyType.STRING, PropertyType.NUMERIC):
            raise serializers.ValidationError(
                {"allowed_values": "Allowed values are only supported for String and Numeric properties."}
            )
        if not isinstance(allowed, list) or not allowed or len(allowed) > MAX_ALLOWED_VALUES:
            raise serializers.ValidationError(
                {"allowed_values": f"Must be a non-empty list of at most {MAX_ALLOWED_VALUES} values, or null."}
            )
        if property_type == PropertyType.STRING:
            ok = all(isinstance(value, str) for value in allowed)
        else:
            ok = all(is_finite_number(value) for value in allowed)
        if not ok:
            kind = "strings" if property_type == PropertyType.STRING else "finite numbers"
            raise serializers.ValidationError({"allowed_values": f"A {property_type} property takes {kind} only."})
        if len(set(allowed)) != len(allowed):
            raise serializers.ValidationError({"allowed_values": "Allowed values must be unique."})
        return attrs


class EventDefinitionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventDefinition
        fields = ["id", "name"]
        read_only_fields = fields


class SchemaPropertyGroupSerializer(serializers.ModelSerializer):
    properties = SchemaPropertyGroupPropertySerializer(many=True, required=False)
    events = serializers.SerializerMethodField()
    created_by = UserBasicSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SchemaPropertyGroup
        fields = ["id", "name", "description", "properties", "events", "created_by", "created_at", "updated_at"]
        read_only_fields = ["id", "events", "created_by", "created_at", "updated_at"]
        validators: list = []

    def validate_properties(self, value: list[dict]) -> list[dict]:
        # A PATCH is partial for the group, and DRF passes that on to the nested items; but the
        # list replaces every property, so each item needs its required fields all the same.
        missing = [
            {field: [serializers.ErrorDetail("This field is required.", code="required")]
             for field in PROPERTY_REQUIRED_FIELDS if field not in item}
            for item in value
        ]
        if any(missing):
            raise serializers.ValidationError(missing)
        seen: set[str] = set()
        for item in value:
            if item["name"] in seen:
                raise serializers.ValidationError(f"Duplicate property name '{item['name']}' in this group.")
            seen.add(item["name"])
        return value

    @staticmethod
    def events_of(group: SchemaPropertyGroup) -> list[EventDefinition]:
        return sorted((link.event_definition for link in group.event_schemas.all()), key=lambda d: d.name)

    @extend_schema_field(EventDefinitionBriefSerializer(many=True))
    def get_events(self, group: SchemaPropertyGroup) -> list[dict]:
        return EventDefinitionBriefSerializer(self.events_of(group), many=True).data


class EventSchemaSerializer(serializers.ModelSerializer):
    event_definition = TeamScopedPrimaryKeyRelatedField(queryset=EventDefinition.objects.all())
    property_group = SchemaPropertyGroupSerializer(read_only=True)
    property_group_id = TeamScopedPrimaryKeyRelatedField(
        queryset=SchemaPropertyGroup.objects.all(), write_only=True, source="property_group"
    )

    class Meta:
        model = EventSchema
        fields = ["id", "event_definition", "property_group", "property_group_id", "created_at", "updated_at"]
        read_only_fields = ["id", "property_group", "created_at", "updated_at"]
        validators: list = []


class GeneratedCodeSerializer(serializers.Serializer):
    content = serializers.CharField(help_text="The generated source.")
    event_count = serializers.IntegerField(help_text="Covered events, typed or not.")
    schema_hash = serializers.CharField(help_text="32 hex characters; also the ETag.")
    generator_version = serializers.CharField()


class RejectionReasonSerializer(serializers.Serializer):
    property = serializers.CharField()
    reason = serializers.CharField()
    detail = serializers.CharField()


class RejectedEventSerializer(serializers.ModelSerializer):
    reasons = RejectionReasonSerializer(many=True, read_only=True)

    class Meta:
        model = RejectedEvent
        fields = ["id", "uuid", "event", "distinct_id", "timestamp", "properties", "reasons", "schema_version", "rejected_at"]
        read_only_fields = fields


class PreviewReasonSerializer(serializers.Serializer):
    property = serializers.CharField()
    reason = serializers.CharField()
    count = serializers.IntegerField()


class EnforcementPreviewSerializer(serializers.Serializer):
    checked = serializers.IntegerField()
    would_reject = serializers.IntegerField()
    reasons = PreviewReasonSerializer(many=True)
    sample_event_uuids = serializers.ListField(child=serializers.UUIDField())

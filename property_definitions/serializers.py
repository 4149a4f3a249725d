"""Property definition shape (PostHog's enterprise representation) and its update payload."""

from __future__ import annotations

from rest_framework import serializers

from accounts.serializers import UserBasicSerializer
from event_definitions.models import PropertyDefinition
from event_definitions.serializers import TagListField, user_basic
from posthog_core.serializers import iso_8601


class PropertyDefinitionSerializer(serializers.ModelSerializer):
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tags = TagListField(required=False)
    updated_by = UserBasicSerializer(read_only=True, allow_null=True)
    verified_by = UserBasicSerializer(read_only=True, allow_null=True)
    is_seen_on_filtered_events = serializers.BooleanField(
        read_only=True, allow_null=True,
        help_text="Whether the property was seen on one of the list's `event_names`; null without them.",
    )
    property_type = serializers.ChoiceField(
        choices=PropertyDefinition.PropertyType.choices, required=False, allow_null=True,
        help_text="Setting it also sets `is_numerical` (true for `Numeric` only).",
    )
    verified = serializers.BooleanField(required=False)
    hidden = serializers.BooleanField(required=False, allow_null=True)

    class Meta:
        model = PropertyDefinition
        fields = [
            "id", "name", "description", "tags", "is_numerical", "updated_at", "updated_by",
            "is_seen_on_filtered_events", "property_type", "verified", "verified_at", "verified_by", "hidden",
        ]
        read_only_fields = ["id", "name", "is_numerical", "updated_at", "verified_at"]

    def validate(self, attrs: dict) -> dict:
        if attrs.get("verified") and attrs.get("hidden"):
            raise serializers.ValidationError("A property cannot be both hidden and verified", code="invalid")
        return attrs

    def to_representation(self, instance) -> dict:
        # Hand-built: a page has up to 100 rows by default, and DRF's field-by-field walk costs more
        # than the query. `instance` is a page row or a model instance with `tag_names` annotated.
        return {
            "id": str(instance.id),
            "name": instance.name,
            "description": instance.description or "",
            "tags": sorted(instance.tag_names or []),
            "is_numerical": instance.is_numerical,
            "updated_at": iso_8601(instance.updated_at) if instance.updated_at else None,
            "updated_by": user_basic(instance.updated_by),
            "is_seen_on_filtered_events": getattr(instance, "is_seen_on_filtered_events", None),
            "property_type": instance.property_type,
            "verified": instance.verified,
            "verified_at": iso_8601(instance.verified_at) if instance.verified_at else None,
            "verified_by": user_basic(instance.verified_by),
            "hidden": instance.hidden,
        }

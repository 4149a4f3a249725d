"""Event definition shapes (PostHog's enterprise representation, §5.1) and action payloads."""

from __future__ import annotations

from uuid import UUID

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserBasicSerializer
from event_definitions.models import EventDefinition
from posthog_core.models import OrganizationMembership, User
from posthog_core.serializers import iso_8601

MAX_BULK_IDS = 500


def user_basic(user: User | None) -> dict | None:
    """UserBasicSerializer's output without its per-field overhead (a list page embeds up to 300 users)."""
    if user is None:
        return None
    data = {name: getattr(user, name) for name in UserBasicSerializer.Meta.fields}
    return {name: str(value) if isinstance(value, UUID) else value for name, value in data.items()}


class OwnerField(serializers.Field):
    """Written as the id of a member of the project's organization; read as a UserBasic object."""

    default_error_messages = {
        "invalid": "A valid integer user id is required.",
        "not_member": "User {user_id} is not a member of this project's organization.",
    }

    def to_internal_value(self, data) -> User:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        text = str(data).strip()
        if not (text.isascii() and text.isdigit() and len(text) < 18):
            self.fail("invalid")
        team = self.context["team"]
        membership = (
            OrganizationMembership.objects.select_related("user")
            .filter(organization_id=team.organization_id, user_id=int(text))
            .first()
        )
        if membership is None:
            self.fail("not_member", user_id=int(text))
        return membership.user

    def to_representation(self, value: User) -> dict | None:
        return user_basic(value)


class OwnerFieldExtension(OpenApiSerializerFieldExtension):
    """The schema says what clients really send and get: an integer in, a UserBasic object out."""

    target_class = OwnerField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "request":
            return {**build_basic_type(OpenApiTypes.INT), "nullable": True}
        component = auto_schema.resolve_serializer(UserBasicSerializer, "response")
        assert isinstance(component, ResolvedComponent)
        return {"allOf": [component.ref], "nullable": True}


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagListField(serializers.ListField):
    """Tag names; on write they are stripped, lowercased and de-duplicated (empty ones dropped)."""

    child = serializers.CharField(max_length=255, allow_blank=True, trim_whitespace=True)

    def to_internal_value(self, data) -> list[str]:
        names = super().to_internal_value(data)
        # Order of first appearance is kept so the activity log shows what was sent.
        return list(dict.fromkeys(name.strip().lower() for name in names if name.strip()))


class EnterpriseEventDefinitionSerializer(serializers.ModelSerializer):
    owner = OwnerField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    tags = TagListField(required=False)
    updated_by = UserBasicSerializer(read_only=True, allow_null=True)
    verified_by = UserBasicSerializer(read_only=True, allow_null=True)
    hidden = serializers.BooleanField(required=False, allow_null=True)
    is_action = serializers.SerializerMethodField()
    post_to_slack = serializers.BooleanField(default=False, help_text="Accepted and discarded; always false.")
    default_columns = serializers.ListField(
        child=serializers.CharField(max_length=400), required=False, allow_null=True
    )
    primary_property = serializers.CharField(max_length=400, required=False, allow_null=True, allow_blank=False)
    media_preview_urls = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="URLs of media previews of the event. Always empty: this server has no media previews feature.",
    )

    class Meta:
        model = EventDefinition
        fields = [
            "id", "name", "owner", "description", "tags", "created_at", "updated_at", "updated_by",
            "last_seen_at", "verified", "verified_at", "verified_by", "hidden", "enforcement_mode",
            "is_action", "post_to_slack", "default_columns", "primary_property", "media_preview_urls",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "last_seen_at", "verified_at"]

    def validate(self, attrs: dict) -> dict:
        if attrs.get("verified") and attrs.get("hidden"):
            raise serializers.ValidationError("An event cannot be both hidden and verified", code="invalid")
        return attrs

    def get_is_action(self, definition: EventDefinition) -> bool:
        return False

    def to_representation(self, instance: EventDefinition) -> dict:
        # Hand-built for speed at 100 rows a page: DRF's field-by-field walk costs more than the query.
        as_text = iso_8601
        return {
            "id": str(instance.id),
            "name": instance.name,
            "owner": user_basic(instance.owner),
            "description": instance.description or "",
            "tags": tags_of(instance),
            "created_at": as_text(instance.created_at) if instance.created_at else None,
            "updated_at": as_text(instance.updated_at) if instance.updated_at else None,
            "updated_by": user_basic(instance.updated_by),
            "last_seen_at": as_text(instance.last_seen_at) if instance.last_seen_at else None,
            "verified": instance.verified,
            "verified_at": as_text(instance.verified_at) if instance.verified_at else None,
            "verified_by": user_basic(instance.verified_by),
            "hidden": instance.hidden,
            "enforcement_mode": instance.enforcement_mode,
            "is_action": False,
            "post_to_slack": False,
            "default_columns": list(instance.default_columns or []),
            "primary_property": instance.primary_property,
            # PostHog lists the URLs of images uploaded as previews of the event. This server has no
            # media previews feature, so no event has one; the field is still sent because clients
            # generated from PostHog's schema refuse a definition without it.
            "media_preview_urls": [],
        }


class EventDefinitionUpdateSerializer(EnterpriseEventDefinitionSerializer):
    """PUT/PATCH: `name` is read-only here and silently ignored (PostHog's enterprise behaviour)."""

    class Meta(EnterpriseEventDefinitionSerializer.Meta):
        read_only_fields = [*EnterpriseEventDefinitionSerializer.Meta.read_only_fields, "name"]


def tags_of(definition: EventDefinition) -> list[str]:
    """The list queryset annotates `tag_names`; a single fetched row reads its tagged items."""
    names = getattr(definition, "tag_names", None)
    if names is None:
        names = [item.tag.name for item in definition.tagged_items.select_related("tag")]
    return sorted(names)


class EventDefinitionMetricsSerializer(serializers.Serializer):
    query_usage_30_day = serializers.IntegerField(help_text="Query runs in the last 30 days that read this event.")


class PrimaryPropertiesSerializer(serializers.Serializer):
    primary_properties = serializers.DictField(child=serializers.CharField())


@extend_schema_field({"type": "string", "enum": ["add", "remove", "set"]})
class BulkTagActionField(serializers.ChoiceField):
    """Inline enum: a shared `ActionEnum` component would collide with other apps' `action` fields."""


class EventDefinitionBulkTagsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_BULK_IDS)
    action = BulkTagActionField(choices=["add", "remove", "set"])
    tags = TagListField()


class EventDefinitionBulkVerifiedSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_BULK_IDS)
    verified = serializers.BooleanField()


class EventDefinitionBulkSkippedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reason = serializers.CharField()


class EventDefinitionTagsUpdatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    tags = serializers.ListField(child=serializers.CharField())


class EventDefinitionVerifiedUpdatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    verified = serializers.BooleanField()


class EventDefinitionBulkTagsResultSerializer(serializers.Serializer):
    updated = EventDefinitionTagsUpdatedSerializer(many=True)
    skipped = EventDefinitionBulkSkippedSerializer(many=True)


class EventDefinitionBulkVerifiedResultSerializer(serializers.Serializer):
    updated = EventDefinitionVerifiedUpdatedSerializer(many=True)
    skipped = EventDefinitionBulkSkippedSerializer(many=True)


"""Serializers for users, projects and personal API keys (PostHog's shapes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posthog_core.models import Organization, PersonalAPIKey, Project, User
from posthog_core.scopes import VALID_SCOPES, invalid_scopes
from posthog_core.serializers import CachedFieldsMixin


class UserBasicSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    """PostHog's UserBasic: how every other resource embeds a user."""

    # Declared so the schema says what PATCH /api/users/@me/ lets a user store: a role, "" or null
    # (a read-only model field would be documented as the choices and null only).
    role_at_organization = serializers.ChoiceField(
        choices=User.RoleAtOrganization.choices, allow_blank=True, allow_null=True, read_only=True
    )

    class Meta:
        model = User
        fields = [
            "id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified",
            "hedgehog_config", "role_at_organization",
        ]
        read_only_fields = fields


class OrganizationBasicSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
        read_only_fields = fields


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "organization", "name", "api_token", "timezone", "created_at"]
        read_only_fields = fields


class ProjectBasicSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "organization", "name", "api_token"]
        read_only_fields = fields


class UserSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    team = ProjectBasicSerializer(source="current_project", read_only=True, allow_null=True)
    organization = OrganizationBasicSerializer(source="current_project.organization", read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified",
            "role_at_organization", "hedgehog_config", "date_joined", "is_staff", "team", "organization",
        ]
        read_only_fields = ["id", "uuid", "distinct_id", "email", "is_email_verified", "date_joined", "is_staff"]


@extend_schema_field({"type": "string", "enum": sorted(VALID_SCOPES)})
class ScopeField(serializers.CharField):
    """A scope as the schema lists them; `validate_scopes` answers PostHog's "Invalid scope: x"."""


class PersonalAPIKeySerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField(help_text="The key itself: shown only in the create and roll answers.")
    scopes = serializers.ListField(child=ScopeField(max_length=100), allow_empty=True, required=False)
    scoped_teams = serializers.ListField(child=serializers.IntegerField(), allow_null=True, required=False)
    scoped_organizations = serializers.ListField(child=serializers.CharField(), allow_null=True, required=False)

    class Meta:
        model = PersonalAPIKey
        fields = [
            "id", "label", "value", "mask_value", "created_at", "last_used_at", "last_rolled_at",
            "user_id", "scopes", "scoped_teams", "scoped_organizations",
        ]
        read_only_fields = ["id", "value", "mask_value", "created_at", "last_used_at", "last_rolled_at", "user_id"]

    def get_value(self, key: PersonalAPIKey) -> str | None:
        return getattr(key, "_plain_value", None)

    def validate_scopes(self, scopes: list[str]) -> list[str]:
        unknown = invalid_scopes(scopes)
        if unknown:
            raise serializers.ValidationError(f"Invalid scope: {unknown[0]}")
        return scopes

    def validate_scoped_teams(self, teams: list[int] | None) -> list[int] | None:
        if teams:
            reachable = set(self.context["reachable_project_ids"])
            for team_id in teams:
                if team_id not in reachable:
                    raise serializers.ValidationError(f"You must be a member of all teams that you are scoping the key to. ({team_id})")
        return teams or None

    def validate_scoped_organizations(self, organizations: list[str] | None) -> list[str] | None:
        if organizations:
            reachable = {str(org_id) for org_id in self.context["reachable_organization_ids"]}
            for org_id in organizations:
                if org_id not in reachable:
                    raise serializers.ValidationError(f"You must be a member of all organizations that you are scoping the key to. ({org_id})")
        return organizations or None

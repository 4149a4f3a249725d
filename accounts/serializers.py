"""Serializers for users, projects and personal API keys (PostHog's shapes)."""

from __future__ import annotations

from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from posthog_core.models import Organization, OrganizationMembership, PersonalAPIKey, Project, User
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


def organization_slug(organization: Organization) -> str:
    """PostHog stores a slug made from the name; ours is derived the same way (not stored, so two
    organizations of the same name share it: it names, it does not identify)."""
    return slugify(organization.name)[:48] or "organization"


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "organization", "name", "api_token", "timezone", "created_at"]
        read_only_fields = fields


class TeamBasicSerializer(CachedFieldsMixin, serializers.Serializer):
    """PostHog's TeamBasic (a project is its one team): `/api/users/@me/`'s `team` and each
    organization's `teams`."""

    id = serializers.IntegerField(read_only=True)
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    project_id = serializers.IntegerField(source="id", read_only=True, help_text="Equal to `id`: one team per project.")
    api_token = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)
    is_demo = serializers.SerializerMethodField()

    def get_is_demo(self, project) -> bool:
        return False


class ProjectBasicSerializer(CachedFieldsMixin, serializers.Serializer):
    """PostHog's ProjectBasic, as an organization lists its projects."""

    id = serializers.IntegerField(read_only=True)
    organization_id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class OrganizationBasicSerializer(CachedFieldsMixin, serializers.Serializer):
    """PostHog's OrganizationBasic: each of `/api/users/@me/`'s `organizations`."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.SerializerMethodField()
    logo_media_id = serializers.SerializerMethodField()
    membership_level = serializers.ChoiceField(
        choices=OrganizationMembership.Level.choices, read_only=True,
        help_text="The user's level: 1 member, 8 administrator, 15 owner.")
    members_can_use_personal_api_keys = serializers.SerializerMethodField()

    def get_slug(self, organization) -> str:
        return organization_slug(organization)

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_logo_media_id(self, organization):
        return None

    def get_members_can_use_personal_api_keys(self, organization) -> bool:
        return True


class OrganizationSerializer(OrganizationBasicSerializer):
    """PostHog's Organization, as `/api/users/@me/` embeds the current one."""

    created_at = serializers.DateTimeField(read_only=True)
    teams = TeamBasicSerializer(source="project_list", many=True, read_only=True)
    projects = ProjectBasicSerializer(source="project_list", many=True, read_only=True)


class UserSerializer(CachedFieldsMixin, serializers.ModelSerializer):
    """The user with the current team and organization and every organization the user belongs to,
    read from the `user_context` (accounts.selectors.UserContext) the view puts in the context."""

    team = serializers.SerializerMethodField()
    organization = serializers.SerializerMethodField()
    organizations = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id", "uuid", "distinct_id", "first_name", "last_name", "email", "is_email_verified",
            "role_at_organization", "hedgehog_config", "date_joined", "is_staff", "team", "organization",
            "organizations",
        ]
        read_only_fields = ["id", "uuid", "distinct_id", "email", "is_email_verified", "date_joined", "is_staff"]

    @extend_schema_field(TeamBasicSerializer(allow_null=True))
    def get_team(self, user):
        project = self.context["user_context"].project
        return TeamBasicSerializer(project).data if project is not None else None

    @extend_schema_field(OrganizationSerializer(allow_null=True))
    def get_organization(self, user):
        organization = self.context["user_context"].organization
        return OrganizationSerializer(organization).data if organization is not None else None

    @extend_schema_field(OrganizationBasicSerializer(many=True))
    def get_organizations(self, user) -> list:
        return OrganizationBasicSerializer(self.context["user_context"].organizations, many=True).data


@extend_schema_field({"type": "string", "enum": sorted(VALID_SCOPES)})
class ScopeField(serializers.CharField):
    """A scope as the schema lists them; `validate_scopes` answers PostHog's "Invalid scope: x"."""


class PersonalAPIKeySerializer(serializers.ModelSerializer):
    value = serializers.SerializerMethodField(help_text="The key itself: shown only in the create and roll answers.")
    scopes = serializers.ListField(child=ScopeField(max_length=100), allow_empty=True, required=False,
                                   help_text="Answered as `[\"*\"]` for a legacy key stored without scopes.")
    scoped_teams = serializers.ListField(child=serializers.IntegerField(), allow_null=True, required=False,
                                         help_text="Project ids the key is limited to; `[]` (or null on input): all.")
    scoped_organizations = serializers.ListField(
        child=serializers.CharField(), allow_null=True, required=False,
        help_text="Organization ids the key is limited to; `[]` (or null on input): all.")

    class Meta:
        model = PersonalAPIKey
        fields = [
            "id", "label", "value", "mask_value", "created_at", "last_used_at", "last_rolled_at",
            "user_id", "scopes", "scoped_teams", "scoped_organizations",
        ]
        read_only_fields = ["id", "value", "mask_value", "created_at", "last_used_at", "last_rolled_at", "user_id"]

    def get_value(self, key: PersonalAPIKey) -> str | None:
        return getattr(key, "_plain_value", None)

    def to_representation(self, key: PersonalAPIKey) -> dict:
        # As PostHog answers: a legacy key (no scopes) is shown as `*`, which is what it may do, and
        # no scoping is an empty list, never null (clients such as PostHog's MCP toolkit read
        # `scoped_teams.length`).
        data = super().to_representation(key)
        data["scopes"] = data["scopes"] or ["*"]
        data["scoped_teams"] = data["scoped_teams"] or []
        data["scoped_organizations"] = data["scoped_organizations"] or []
        return data

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

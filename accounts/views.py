"""Account endpoints: the current user, reachable projects, personal API keys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts import services
from accounts.selectors import user_context_get
from accounts.serializers import (
    OrganizationSerializer,
    PersonalAPIKeySerializer,
    ProjectSerializer,
    UserSerializer,
)
from posthog_core.models import Organization, OrganizationMembership, PersonalAPIKey, Project, User
from posthog_core.utils import parse_uuid
from posthog_core.viewsets import ScopedViewSetMixin


def _key(request) -> PersonalAPIKey | None:
    return request.auth if isinstance(request.auth, PersonalAPIKey) else None


class UserViewSet(ScopedViewSetMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The authenticated user, at `/api/users/@me/`."""

    scope_object = "user"
    serializer_class = UserSerializer
    queryset = User.objects.all()
    lookup_value_regex = "@me"
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self) -> User:
        return self.request.user  # loaded by authentication; its organizations come with the context

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["user_context"] = user_context_get(user=self.request.user)
        return context


class ProjectViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Projects the caller can reach (narrowed by the key's scoped teams and organizations)."""

    scope_object = "project"
    serializer_class = ProjectSerializer
    queryset = Project.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return services.projects_for_user(user=self.request.user, key=_key(self.request))


class PersonalAPIKeyViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    scope_object = "personal_api_key"
    scope_object_write_actions = ("roll",)
    serializer_class = PersonalAPIKeySerializer
    queryset = PersonalAPIKey.objects.none()
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PersonalAPIKey.objects.none()
        return PersonalAPIKey.objects.filter(user=self.request.user).order_by("-created_at")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["reachable_project_ids"] = services.projects_for_user(user=self.request.user).values_list("id", flat=True)
            context["reachable_organization_ids"] = OrganizationMembership.objects.filter(
                user=self.request.user
            ).values_list("organization_id", flat=True)
        return context

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.personal_api_key_create(
            user=self.request.user,
            label=data["label"],
            scopes=data.get("scopes") or [],
            scoped_teams=data.get("scoped_teams"),
            scoped_organizations=data.get("scoped_organizations"),
        )

    @extend_schema(responses=PersonalAPIKeySerializer, operation_id="personal_api_keys_current_retrieve")
    @action(methods=["get"], detail=False, url_path="@current", required_scopes=[])
    def current(self, request, *args, **kwargs):
        """The personal API key this request is made with (never its value). Any key may read
        itself, whatever its scopes, as in PostHog: clients learn their scopes from it."""
        key = _key(request)
        if key is None:
            raise NotFound("No personal API key made this request: `@current` is the calling key.")
        return Response(self.get_serializer(key).data)

    @extend_schema(request=None, responses=PersonalAPIKeySerializer)
    @action(methods=["post"], detail=True)
    def roll(self, request, *args, **kwargs):
        key = services.personal_api_key_roll(key=self.get_object())
        return Response(self.get_serializer(key).data)


def _organizations_for(request):
    return services.organizations_for_user(user=request.user, key=_key(request))


class OrganizationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Organizations the caller belongs to (narrowed by a key's scoped organizations), with the
    caller's membership level and the organization's projects; `@current` is the current project's."""

    scope_object = "organization"
    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        return _organizations_for(self.request)

    def get_object(self) -> Organization:
        lookup = self.kwargs["pk"]
        if lookup == "@current":
            lookup = self.request.user.current_project.organization_id if self.request.user.current_project else None
        organization = self.get_queryset().filter(pk=parse_uuid(lookup)).first() if lookup else None
        if organization is None:
            raise NotFound("Organization not found.")
        return organization


class OrganizationProjectViewSet(ProjectViewSet):
    """The projects of one of the caller's organizations (PostHog's `/api/organizations/{id}/projects/`)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        organization_id = parse_uuid(self.kwargs["organization_id"])
        if organization_id is None or not _organizations_for(self.request).filter(pk=organization_id).exists():
            raise NotFound("Organization not found.")
        return super().get_queryset().filter(organization_id=organization_id)

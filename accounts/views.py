"""Account endpoints: the current user, reachable projects, personal API keys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import services
from accounts.serializers import PersonalAPIKeySerializer, ProjectSerializer, UserSerializer
from posthog_core.models import OrganizationMembership, PersonalAPIKey, Project, User
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
        return User.objects.select_related("current_project__organization").get(pk=self.request.user.pk)


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

    @extend_schema(request=None, responses=PersonalAPIKeySerializer)
    @action(methods=["post"], detail=True)
    def roll(self, request, *args, **kwargs):
        key = services.personal_api_key_roll(key=self.get_object())
        return Response(self.get_serializer(key).data)

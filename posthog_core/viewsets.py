"""Base viewset mixins: the permission chain, project routing and tenancy in one place."""

from __future__ import annotations

from functools import cached_property

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.permissions import IsAuthenticated

from posthog_core.lookups import CURRENT_PROJECT, project_ref, project_with_membership
from posthog_core.models import OrganizationMembership, Project
from posthog_core.permissions import ScopePermission, TeamMemberPermission
from posthog_core.throttling import AnalyticsRateThrottle

# A UUID, dashes optional (UUIDField reads both). An id of any other form matches no route (404)
# instead of failing the lookup with a 400, and the schema's path pattern says exactly this.
UUID_LOOKUP_REGEX = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class ScopedViewSetMixin:
    """Every API view declares `scope_object`; custom actions add `required_scopes` or are listed
    in `scope_object_read_actions` / `scope_object_write_actions`.

    Subclasses may not override get_permissions(); extra checks go in `extra_permission_classes`.
    """

    scope_object: str | None = None
    scope_object_read_actions: tuple[str, ...] = ()
    scope_object_write_actions: tuple[str, ...] = ()
    # Set per action through `@action(required_scopes=[...])` (DRF passes action kwargs to the view).
    required_scopes: list[str] | None = None
    extra_permission_classes: tuple = ()
    # Actions that compute results (queries, renders) count against the analytics rate limits.
    analytics_actions: tuple[str, ...] = ()

    _guarded_methods = ("get_permissions",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_is_base_mixin"):
            return
        for name in cls._guarded_methods:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} overrides {name}(); use extra_permission_classes or "
                    "safely_get_queryset() so tenancy and scopes stay in one place."
                )

    def get_permissions(self):
        classes = [IsAuthenticated, ScopePermission, *self.base_permission_classes(), *self.extra_permission_classes]
        return [permission() for permission in classes]

    def get_throttles(self):
        if self.action in self.analytics_actions:
            return [AnalyticsRateThrottle()]
        return super().get_throttles()

    def base_permission_classes(self) -> list:
        return []

    def team_for_scope_check(self):
        return None


class TeamScopedViewSetMixin(ScopedViewSetMixin):
    """Views under `/api/projects/{project_id}/`.

    `self.team` resolves the URL's project (`@current` or an integer; 404 `Project not found.`
    otherwise). The user must be a member of its organization (403). get_queryset() filters the
    view's queryset by `team_field` = the project, and subclasses narrow it in
    safely_get_queryset(). Another project's object therefore is a 404, never an object check.
    """

    team_field = "team"
    _is_base_mixin = True
    _guarded_methods = ("get_permissions", "get_queryset")

    def base_permission_classes(self) -> list:
        return [TeamMemberPermission]

    @cached_property
    def team(self) -> Project:
        raw = str(self.kwargs.get("project_id", ""))
        user = self.request.user  # authenticates first; a key's lookup brings the project along
        prefetched = getattr(self.request._request, "prefetched_project", None)
        if prefetched is not None and prefetched[0] == raw:
            found = prefetched[1]
        else:
            ref = project_ref(raw)
            if ref == CURRENT_PROJECT:
                if not user.is_authenticated:
                    raise NotAuthenticated()
                ref = user.current_project_id
            # The membership check rides along in the same round trip (every request pays it).
            found = project_with_membership(ref, user.id) if ref is not None else None
        if found is None:
            raise NotFound("Project not found.")
        project, is_member = found
        self.__dict__.setdefault("_membership_cache", {})[project.organization_id] = is_member
        return project

    def team_for_scope_check(self) -> Project:
        return self.team

    def user_is_member(self, project: Project) -> bool:
        cache = self.__dict__.setdefault("_membership_cache", {})
        if project.organization_id not in cache:
            cache[project.organization_id] = OrganizationMembership.objects.filter(
                organization_id=project.organization_id, user_id=self.request.user.id
            ).exists()
        return cache[project.organization_id]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return super().get_queryset().none()  # schema generation: no request, no project
        queryset = super().get_queryset().filter(**{f"{self.team_field}_id": self.team.id})
        return self.safely_get_queryset(queryset)

    def safely_get_queryset(self, queryset):
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if "project_id" in self.kwargs and not getattr(self, "swagger_fake_view", False):
            context["team"] = self.team
        return context

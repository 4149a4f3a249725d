"""Reads behind `/api/users/@me/`: the user's organizations (with the user's membership level and
each organization's projects) and the current project, in one statement."""

from __future__ import annotations

from dataclasses import dataclass, field

from posthog_core.models import Organization, OrganizationMembership, Project, User

_ORGANIZATION = ("organization__id", "organization__name", "organization__created_at")
_PROJECT = ("organization__projects__id", "organization__projects__name",
            "organization__projects__api_token", "organization__projects__timezone")


@dataclass
class UserContext:
    user: User
    # Oldest membership first; each with `membership_level` and `project_list` (by id) set.
    organizations: list[Organization] = field(default_factory=list)
    project: Project | None = None  # the current project, while the user belongs to its organization

    @property
    def organization(self) -> Organization | None:
        return self.project.organization if self.project is not None else None


def user_context_get(*, user: User) -> UserContext:
    """memberships ⋈ organizations ⟕ projects: one row per (organization, project), one statement."""
    rows = (OrganizationMembership.objects.filter(user_id=user.pk)
            .order_by("joined_at", "id", "organization__projects__id")
            .values_list("level", *_ORGANIZATION, *_PROJECT))
    context = UserContext(user=user)
    by_id: dict = {}
    for level, org_id, name, created_at, project_id, project_name, api_token, timezone in rows:
        organization = by_id.get(org_id)
        if organization is None:
            organization = Organization(id=org_id, name=name, created_at=created_at)
            organization.membership_level, organization.project_list = level, []
            by_id[org_id] = organization
            context.organizations.append(organization)
        if project_id is None:
            continue
        project = Project(id=project_id, organization=organization, name=project_name, api_token=api_token,
                          timezone=timezone)
        organization.project_list.append(project)
        if project_id == user.current_project_id:
            context.project = project
    return context

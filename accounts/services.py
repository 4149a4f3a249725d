"""Account services: personal API keys (created and rolled here, stored only as hashes)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from posthog_core.models import (
    Organization,
    OrganizationMembership,
    PersonalAPIKey,
    Project,
    User,
    hash_key_value,
    mask_key_value,
)


def personal_api_key_create(
    *,
    user: User,
    label: str,
    scopes: list[str] | None,
    scoped_teams: list[int] | None = None,
    scoped_organizations: list[str] | None = None,
) -> PersonalAPIKey:
    """Create a key; the plain value is only on the returned object (`_plain_value`), never stored."""
    value = PersonalAPIKey.generate_value()
    key = PersonalAPIKey.objects.create(
        user=user,
        label=label,
        secure_value=hash_key_value(value),
        mask_value=mask_key_value(value),
        scopes=scopes,
        scoped_teams=scoped_teams or None,
        scoped_organizations=scoped_organizations or None,
    )
    key._plain_value = value
    return key


def personal_api_key_roll(*, key: PersonalAPIKey) -> PersonalAPIKey:
    value = PersonalAPIKey.generate_value()
    key.secure_value = hash_key_value(value)
    key.mask_value = mask_key_value(value)
    key.last_rolled_at = timezone.now()
    key.save(update_fields=["secure_value", "mask_value", "last_rolled_at"])
    key._plain_value = value
    return key


def projects_for_user(*, user: User, key: PersonalAPIKey | None = None) -> QuerySet[Project]:
    """Projects the user can reach: their organizations' projects, narrowed by a key's scoping."""
    projects = Project.objects.filter(organization__memberships__user=user)
    if key is not None and key.scoped_teams:
        projects = projects.filter(id__in=key.scoped_teams)
    if key is not None and key.scoped_organizations:
        projects = projects.filter(organization_id__in=key.scoped_organizations)
    return projects.order_by("id")


def organizations_for_user(*, user: User, key: PersonalAPIKey | None = None) -> QuerySet[Organization]:
    """The user's organizations (narrowed by a key's scoped organizations), each with the user's
    `membership_level` and its projects as `project_list` (by id)."""
    level = OrganizationMembership.objects.filter(organization_id=OuterRef("pk"), user=user).values("level")[:1]
    organizations = Organization.objects.filter(memberships__user=user).annotate(membership_level=Subquery(level))
    if key is not None and key.scoped_organizations:
        organizations = organizations.filter(id__in=key.scoped_organizations)
    return organizations.prefetch_related(
        Prefetch("projects", queryset=Project.objects.order_by("id"), to_attr="project_list")).order_by("created_at", "id")


@transaction.atomic
def account_bootstrap(*, email: str, password: str, organization: str, project: str) -> tuple[User, Project]:
    """Idempotently ensure a user, an organization of which they are owner, and a project in it."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, first_name=email.split("@")[0])
    org = Organization.objects.filter(name=organization, memberships__user=user).first()
    if org is None:
        org = Organization.objects.create(name=organization)
    OrganizationMembership.objects.get_or_create(
        organization=org, user=user, defaults={"level": OrganizationMembership.Level.OWNER}
    )
    proj, _ = Project.objects.get_or_create(organization=org, name=project)
    if user.current_project_id is None:
        user.current_project = proj
        user.save(update_fields=["current_project"])
    return user, proj

"""`/api/organizations/` and `/api/organizations/{id}/projects/` (what PostHog's MCP toolkit lists
projects through)."""

import pytest
from rest_framework.test import APIClient

from accounts.services import personal_api_key_create
from tests.accounts.test_api import expected_organization_basic, expected_project, expected_team, iso
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def expected_organization(organization, teams) -> dict:
    return {
        **expected_organization_basic(organization, level=1),
        "created_at": iso(organization.created_at),
        "teams": [expected_team(team) for team in teams],
        "projects": [{"id": team.id, "organization_id": str(organization.id), "name": team.name} for team in teams],
    }


def test_organizations_list_holds_only_the_users_organizations(session_client, organization, team, other_team,
                                                                django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = session_client.get("/api/organizations/")

    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None,
                               "results": [expected_organization(organization, [team])]}


@pytest.mark.parametrize("lookup", ["id", "@current"])
def test_organization_retrieve_returns_it_with_its_projects(scoped_client, organization, team, lookup):
    sibling = ProjectFactory(organization=organization, name="Sibling")
    path = str(organization.id) if lookup == "id" else "@current"

    response = scoped_client(scopes=["organization:read"]).get(f"/api/organizations/{path}/")

    assert response.status_code == 200
    assert response.json() == expected_organization(organization, [team, sibling])


@pytest.mark.parametrize("lookup", ["other", "not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_organization_retrieve_of_another_organization_returns_404(session_client, other_team, lookup):
    path = str(other_team.organization_id) if lookup == "other" else lookup

    assert session_client.get(f"/api/organizations/{path}/").status_code == 404


def test_organizations_with_the_wrong_scope_return_403(scoped_client, organization):
    response = scoped_client(scopes=["project:read"]).get(f"/api/organizations/{organization.id}/")

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'organization:read'"


def test_organizations_without_credentials_return_401(api_client, organization):
    assert api_client.get("/api/organizations/").status_code == 401
    assert api_client.get(f"/api/organizations/{organization.id}/projects/").status_code == 401


def test_organization_projects_lists_that_organizations_projects(scoped_client, user, organization, team,
                                                                 django_assert_max_num_queries):
    second = ProjectFactory(organization=OrganizationFactory())
    MembershipFactory(organization=second.organization, user=user)
    client = scoped_client(scopes=["project:read"])

    with django_assert_max_num_queries(6):
        response = client.get(f"/api/organizations/{organization.id}/projects")

    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [expected_project(team)]}


def test_organization_projects_retrieve(session_client, organization, team):
    response = session_client.get(f"/api/organizations/{organization.id}/projects/{team.id}/")

    assert (response.status_code, response.json()) == (200, expected_project(team))


def test_organization_projects_of_another_organization_return_404(session_client, other_team):
    response = session_client.get(f"/api/organizations/{other_team.organization_id}/projects/")

    assert response.status_code == 404
    assert response.json()["detail"] == "Organization not found."


def test_organization_projects_with_the_wrong_scope_return_403(scoped_client, organization):
    response = scoped_client(scopes=["organization:read"]).get(f"/api/organizations/{organization.id}/projects/")

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'project:read'"


def test_a_key_scoped_to_another_organization_sees_neither(scoped_client, user, organization):
    second = ProjectFactory(organization=OrganizationFactory())
    MembershipFactory(organization=second.organization, user=user)
    key = personal_api_key_create(user=user, label="org", scopes=["*"], scoped_organizations=[str(second.organization_id)])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key._plain_value}")

    assert [org["id"] for org in client.get("/api/organizations/").json()["results"]] == [str(second.organization_id)]
    assert client.get(f"/api/organizations/{organization.id}/projects/").status_code == 404

"""Account endpoints: /api/users/@me/, /api/projects/, /api/personal_api_keys/ (PostHog's shapes)."""

import pytest

from accounts.services import personal_api_key_create
from posthog_core.models import OrganizationMembership, PersonalAPIKey, hash_key_value
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def expected_me(user, team, organization) -> dict:
    return {
        "id": user.id,
        "uuid": str(user.uuid),
        "distinct_id": user.distinct_id,
        "first_name": "Ursula",
        "last_name": "User",
        "email": user.email,
        "is_email_verified": None,
        "role_at_organization": None,
        "hedgehog_config": None,
        "date_joined": iso(user.date_joined),
        "is_staff": False,
        "team": expected_team(team),
        "organization": {
            **expected_organization_basic(organization, level=1),
            "created_at": iso(organization.created_at),
            "teams": [expected_team(team)],
            "projects": [{"id": team.id, "organization_id": str(organization.id), "name": "Main project"}],
        },
        "organizations": [expected_organization_basic(organization, level=1)],
    }


def expected_team(team) -> dict:
    """PostHog's TeamBasic: integer ids, the organization as its UUID."""
    return {"id": team.id, "organization": str(team.organization_id), "project_id": team.id, "api_token": team.api_token,
            "name": team.name, "timezone": "UTC", "is_demo": False}


def expected_organization_basic(organization, level) -> dict:
    return {"id": str(organization.id), "name": organization.name, "slug": "hedgehogs-inc", "logo_media_id": None,
            "membership_level": level, "members_can_use_personal_api_keys": True}


def expected_project(project) -> dict:
    return {
        "id": project.id,
        "organization": str(project.organization_id),
        "name": project.name,
        "api_token": project.api_token,
        "timezone": "UTC",
        "created_at": iso(project.created_at),
    }


def expected_key(key, value=None) -> dict:
    return {
        "id": key.id,
        "label": key.label,
        "value": value,
        "mask_value": key.mask_value,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at) if key.last_used_at else None,
        "last_rolled_at": iso(key.last_rolled_at) if key.last_rolled_at else None,
        "user_id": key.user_id,
        "scopes": key.scopes or ["*"],
        "scoped_teams": key.scoped_teams or [],
        "scoped_organizations": key.scoped_organizations or [],
    }


# --- /api/users/@me/ -------------------------------------------------------------------------


def test_me_returns_the_whole_user(session_client, user, team, organization):
    response = session_client.get("/api/users/@me/")

    assert response.status_code == 200
    assert response.json() == expected_me(user, team, organization)


def test_me_with_a_key_returns_the_keys_user(scoped_client, user, team, organization):
    response = scoped_client(scopes=["user:read"]).get("/api/users/@me")

    assert response.status_code == 200
    assert response.json() == expected_me(user, team, organization)


def test_me_costs_three_queries_with_a_key(scoped_client, django_assert_num_queries):
    client = scoped_client(scopes=["user:read"])
    client.get("/api/users/@me/")  # the key's last_used_at write happens on first use only

    # the key with its user; the rate-limit counter's upsert; organizations with their projects
    with django_assert_num_queries(3):
        assert client.get("/api/users/@me/").status_code == 200


def test_me_lists_every_organization_with_the_users_level(session_client, user, team, organization):
    second = ProjectFactory(organization=OrganizationFactory(name="Second Org"), name="Second project")
    MembershipFactory(organization=second.organization, user=user, level=OrganizationMembership.Level.OWNER)
    ProjectFactory(organization=OrganizationFactory(name="Not mine"))

    body = session_client.get("/api/users/@me/").json()

    assert body["organizations"] == [
        expected_organization_basic(organization, level=1),
        {**expected_organization_basic(second.organization, level=15), "slug": "second-org"},
    ]
    assert (body["team"]["id"], body["organization"]["id"]) == (team.id, str(organization.id))


def test_me_follows_the_current_project_into_another_organization(session_client, user):
    second = ProjectFactory(organization=OrganizationFactory(name="Second Org"), name="Second project")
    MembershipFactory(organization=second.organization, user=user, level=OrganizationMembership.Level.ADMIN)
    user.current_project = second
    user.save(update_fields=["current_project"])

    body = session_client.get("/api/users/@me/").json()

    assert body["team"] == expected_team(second)
    assert (body["organization"]["id"], body["organization"]["membership_level"]) == (str(second.organization_id), 8)
    assert [team["id"] for team in body["organization"]["teams"]] == [second.id]


def test_me_of_a_user_whose_current_project_left_their_organizations_has_null_team(session_client, user, other_team):
    user.current_project = other_team
    user.save(update_fields=["current_project"])

    body = session_client.get("/api/users/@me/").json()

    assert (body["team"], body["organization"], len(body["organizations"])) == (None, None, 1)


def test_me_without_credentials_returns_401(api_client):
    assert api_client.get("/api/users/@me/").status_code == 401


def test_me_with_the_wrong_scope_returns_403(scoped_client):
    response = scoped_client(scopes=["project:read"]).get("/api/users/@me/")

    assert response.status_code == 403
    assert response.json()["detail"] == "API key missing required scope 'user:read'"


def test_me_of_a_user_without_a_current_project_has_null_team(session_client, user):
    user.current_project = None
    user.save(update_fields=["current_project"])

    body = session_client.get("/api/users/@me/").json()

    assert (body["team"], body["organization"]) == (None, None)


def test_patch_me_updates_writable_fields(session_client, user, team, organization):
    response = session_client.patch(
        "/api/users/@me/",
        {"first_name": "Ulla", "role_at_organization": "engineering", "hedgehog_config": {"color": "blue"}},
        format="json",
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert response.json() == {
        **expected_me(user, team, organization),
        "first_name": "Ulla",
        "role_at_organization": "engineering",
        "hedgehog_config": {"color": "blue"},
    }


def test_patch_me_ignores_read_only_fields(session_client, user):
    email = user.email

    session_client.patch("/api/users/@me/", {"email": "new@example.com", "is_staff": True}, format="json")

    user.refresh_from_db()
    assert (user.email, user.is_staff) == (email, False)


def test_patch_me_with_an_invalid_role_returns_400(session_client):
    response = session_client.patch("/api/users/@me/", {"role_at_organization": "wizard"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": "invalid_choice",
        "detail": '"wizard" is not a valid choice.',
        "attr": "role_at_organization",
    }


def test_put_and_delete_on_me_return_405(session_client):
    assert session_client.put("/api/users/@me/", {}, format="json").status_code == 405
    assert session_client.delete("/api/users/@me/").status_code == 405


def test_other_user_ids_are_not_routed(session_client, user):
    assert session_client.get(f"/api/users/{user.id}/").status_code == 404


# --- /api/projects/ --------------------------------------------------------------------------


def test_projects_list_holds_only_reachable_projects(session_client, team, other_team, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = session_client.get("/api/projects/")

    assert response.status_code == 200
    assert response.json() == {"count": 1, "next": None, "previous": None, "results": [expected_project(team)]}


def test_projects_list_is_narrowed_by_the_keys_scoped_teams(scoped_client, team, organization):
    sibling = ProjectFactory(organization=organization)

    body = scoped_client(scopes=["project:read"], scoped_teams=[sibling.id]).get("/api/projects/").json()

    assert [project["id"] for project in body["results"]] == [sibling.id]


def test_project_retrieve_returns_the_project(session_client, team):
    response = session_client.get(f"/api/projects/{team.id}/")

    assert response.status_code == 200
    assert response.json() == expected_project(team)


def test_project_retrieve_of_an_unreachable_project_returns_404(session_client, other_team):
    assert session_client.get(f"/api/projects/{other_team.id}/").status_code == 404


@pytest.mark.parametrize("project_id", ["abc", "9" * 40, "@current"])
def test_project_retrieve_with_odd_ids_never_500s(session_client, project_id):
    assert session_client.get(f"/api/projects/{project_id}/").status_code in (200, 404)


def test_projects_without_credentials_return_401(api_client):
    assert api_client.get("/api/projects/").status_code == 401


# --- /api/personal_api_keys/ -----------------------------------------------------------------


def test_create_key_returns_its_value_once(session_client, user):
    response = session_client.post(
        "/api/personal_api_keys/", {"label": "ci", "scopes": ["event_definition:read"]}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    key = PersonalAPIKey.objects.get(pk=body["id"])
    assert body == expected_key(key, value=body["value"])
    assert body["value"].startswith("phx_")
    assert key.secure_value == hash_key_value(body["value"])
    assert key.mask_value == f"{body['value'][:4]}...{body['value'][-4:]}"


def test_created_key_authenticates(session_client, api_client):
    value = session_client.post("/api/personal_api_keys/", {"label": "ci", "scopes": ["user:read"]}, format="json").json()["value"]

    assert api_client.get("/api/users/@me/", HTTP_AUTHORIZATION=f"Bearer {value}").status_code == 200


def test_create_key_with_an_unknown_scope_returns_400(session_client):
    response = session_client.post("/api/personal_api_keys/", {"label": "x", "scopes": ["*", "x"]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Invalid scope: x",
        "attr": "scopes",
    }


def test_create_key_scoped_to_an_unreachable_team_returns_400(session_client, other_team):
    response = session_client.post(
        "/api/personal_api_keys/", {"label": "x", "scopes": ["*"], "scoped_teams": [other_team.id]}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["attr"] == "scoped_teams"


def test_create_key_scoped_to_an_unreachable_organization_returns_400(session_client, other_team):
    response = session_client.post(
        "/api/personal_api_keys/",
        {"label": "x", "scopes": ["*"], "scoped_organizations": [str(other_team.organization_id)]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["attr"] == "scoped_organizations"


def test_create_key_with_a_too_long_label_returns_400(session_client):
    response = session_client.post("/api/personal_api_keys/", {"label": "x" * 41, "scopes": ["*"]}, format="json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["attr"]) == ("max_length", "label")


def test_key_list_hides_values_and_other_users_keys(session_client, user, django_assert_max_num_queries):
    mine = personal_api_key_create(user=user, label="mine", scopes=["*"])
    personal_api_key_create(user=UserFactory(), label="theirs", scopes=["*"])

    with django_assert_max_num_queries(4):
        response = session_client.get("/api/personal_api_keys/")

    assert response.status_code == 200
    assert response.json() == [expected_key(mine)]


def test_key_retrieve_hides_the_value(session_client, user):
    key = personal_api_key_create(user=user, label="mine", scopes=["*"])

    response = session_client.get(f"/api/personal_api_keys/{key.id}/")

    assert response.status_code == 200
    assert response.json() == expected_key(key)


def test_another_users_key_returns_404(session_client):
    theirs = personal_api_key_create(user=UserFactory(), label="theirs", scopes=["*"])

    assert session_client.get(f"/api/personal_api_keys/{theirs.id}/").status_code == 404
    assert session_client.delete(f"/api/personal_api_keys/{theirs.id}/").status_code == 404
    assert PersonalAPIKey.objects.filter(pk=theirs.pk).exists()


def test_key_update_changes_label_and_scopes(session_client, user):
    key = personal_api_key_create(user=user, label="old", scopes=["*"])

    response = session_client.patch(
        f"/api/personal_api_keys/{key.id}/", {"label": "new", "scopes": ["insight:read"]}, format="json"
    )

    key.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == expected_key(key)
    assert (key.label, key.scopes) == ("new", ["insight:read"])


def test_key_update_with_an_unknown_scope_returns_400(session_client, user):
    key = personal_api_key_create(user=user, label="old", scopes=["*"])

    response = session_client.patch(f"/api/personal_api_keys/{key.id}/", {"scopes": ["nope:read"]}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid scope: nope:read"


def test_key_delete_returns_204_and_revokes_it(session_client, api_client, user):
    key = personal_api_key_create(user=user, label="gone", scopes=["*"])

    response = session_client.delete(f"/api/personal_api_keys/{key.id}/")

    assert response.status_code == 204
    assert api_client.get("/api/users/@me/", HTTP_AUTHORIZATION=f"Bearer {key._plain_value}").status_code == 401


def test_key_roll_returns_a_new_value_and_revokes_the_old(session_client, api_client, user):
    key = personal_api_key_create(user=user, label="rolled", scopes=["*"])

    response = session_client.post(f"/api/personal_api_keys/{key.id}/roll/")

    assert response.status_code == 200
    body = response.json()
    key.refresh_from_db()
    assert body == expected_key(key, value=body["value"])
    assert body["value"] != key._plain_value and key.last_rolled_at is not None
    assert api_client.get("/api/users/@me/", HTTP_AUTHORIZATION=f"Bearer {key._plain_value}").status_code == 401
    assert api_client.get("/api/users/@me/", HTTP_AUTHORIZATION=f"Bearer {body['value']}").status_code == 200


def test_keys_without_credentials_return_401(api_client):
    assert api_client.get("/api/personal_api_keys/").status_code == 401


def test_member_of_two_organizations_sees_both_projects(session_client, user, team):
    second = ProjectFactory()
    MembershipFactory(organization=second.organization, user=user)

    body = session_client.get("/api/projects/").json()

    assert [project["id"] for project in body["results"]] == sorted([team.id, second.id])

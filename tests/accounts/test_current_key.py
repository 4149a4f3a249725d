"""`/api/personal_api_keys/@current`: the calling key, as PostHog's MCP toolkit reads it to learn its scopes."""

import pytest
from django.utils import timezone

from accounts.services import personal_api_key_create
from tests.accounts.test_api import expected_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/personal_api_keys/@current/", "/api/personal_api_keys/@current"])
def test_current_key_returns_the_calling_key_without_its_value(scoped_client, user, team, path):
    client = scoped_client(scopes=["insight:read", "query:read"], scoped_teams=[team.id])

    response = client.get(path)

    assert response.status_code == 200
    key = user.personal_api_keys.get()
    assert response.json() == {
        "id": key.id,
        "label": "test",
        "value": None,
        "mask_value": key.mask_value,
        "created_at": key.created_at.isoformat().replace("+00:00", "Z"),
        "last_used_at": key.last_used_at.isoformat().replace("+00:00", "Z"),
        "last_rolled_at": None,
        "user_id": user.id,
        "scopes": ["insight:read", "query:read"],
        "scoped_teams": [team.id],
        "scoped_organizations": [],
    }
    assert client.key_value not in response.content.decode()


@pytest.mark.parametrize("scopes", [["dashboard:read"], ["*"], ["personal_api_key:read"]])
def test_any_key_may_read_itself_whatever_its_scopes(scoped_client, scopes):
    assert scoped_client(scopes=scopes).get("/api/personal_api_keys/@current").json()["scopes"] == scopes


def test_a_legacy_key_reads_as_star_with_empty_scoping(scoped_client):
    body = scoped_client(scopes=None).get("/api/personal_api_keys/@current").json()

    assert (body["scopes"], body["scoped_teams"], body["scoped_organizations"]) == (["*"], [], [])


def test_current_key_is_the_calling_one_among_several(scoped_client, user):
    personal_api_key_create(user=user, label="other", scopes=["*"])
    client = scoped_client(scopes=["insight:read"])
    mine = user.personal_api_keys.get(label="test")

    body = client.get("/api/personal_api_keys/@current/").json()

    mine.refresh_from_db()
    assert body == expected_key(mine)


def test_current_key_with_a_session_returns_404_in_the_error_shape(session_client):
    response = session_client.get("/api/personal_api_keys/@current/")

    assert response.status_code == 404
    assert response.json() == {
        "type": "invalid_request",
        "code": "not_found",
        "detail": "No personal API key made this request: `@current` is the calling key.",
        "attr": None,
    }


def test_current_key_without_credentials_returns_401(api_client):
    response = api_client.get("/api/personal_api_keys/@current")

    assert response.status_code == 401
    assert response.json()["type"] == "authentication_error"


def test_current_key_of_another_user_is_never_shown(scoped_client, user):
    theirs = personal_api_key_create(user=UserFactory(), label="theirs", scopes=["*"])
    body = scoped_client(scopes=["*"]).get("/api/personal_api_keys/@current").json()

    assert body["id"] != theirs.id and body["user_id"] == user.id


def test_current_key_refreshes_last_used_at(scoped_client, user):
    before = timezone.now()

    scoped_client(scopes=["*"]).get("/api/personal_api_keys/@current")

    assert user.personal_api_keys.get().last_used_at >= before


def test_current_key_is_read_only(scoped_client):
    client = scoped_client(scopes=["*"])

    assert client.patch("/api/personal_api_keys/@current/", {"label": "x"}, format="json").status_code == 405
    assert client.delete("/api/personal_api_keys/@current/").status_code == 405

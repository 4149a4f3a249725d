"""Personal API key authentication (§2): where keys are found, in which order, and what fails."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import personal_api_key_create
from posthog_core.models import PersonalAPIKey

pytestmark = pytest.mark.django_db


def activity_url(team) -> str:
    return f"/api/projects/{team.id}/activity_log/"


@pytest.fixture
def legacy_key(user):
    """A key with empty scopes: PostHog treats it as allowed everywhere."""
    return personal_api_key_create(user=user, label="legacy", scopes=[])


def test_request_without_credentials_returns_401_not_authenticated(api_client, team):
    response = api_client.get(activity_url(team))

    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }


def test_unknown_bearer_key_returns_401_authentication_failed(api_client, team):
    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION="Bearer phx_unknownkeyvalue")

    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": "Personal API key found in request Authorization header is invalid.",
        "attr": None,
    }


def test_key_in_query_string_authenticates(api_client, team, legacy_key):
    response = api_client.get(activity_url(team), {"personal_api_key": legacy_key._plain_value})

    assert response.status_code == 200


def test_key_in_json_body_authenticates_a_get(api_client, team, legacy_key):
    response = api_client.generic(
        "GET", activity_url(team), f'{{"personal_api_key": "{legacy_key._plain_value}"}}', "application/json"
    )

    assert response.status_code == 200


def test_key_in_form_body_authenticates_a_post(api_client, legacy_key):
    response = api_client.post(
        "/api/personal_api_keys/",
        {"personal_api_key": legacy_key._plain_value, "label": "from form", "scopes": ["*"]},
        format="multipart",
    )

    assert response.status_code == 201


def test_bearer_key_with_surrounding_spaces_authenticates(api_client, team, legacy_key):
    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer   {legacy_key._plain_value}   ")

    assert response.status_code == 200


def test_invalid_header_key_is_not_rescued_by_a_valid_query_key(api_client, team, legacy_key):
    response = api_client.get(
        activity_url(team), {"personal_api_key": legacy_key._plain_value}, HTTP_AUTHORIZATION="Bearer phx_wrong"
    )

    assert response.status_code == 401
    assert response.json()["detail"] == "Personal API key found in request Authorization header is invalid."


def test_invalid_body_key_is_tried_before_the_query_key(api_client, team, legacy_key):
    url = f"{activity_url(team)}?personal_api_key={legacy_key._plain_value}"

    response = api_client.generic("GET", url, '{"personal_api_key": "phx_wrong"}', "application/json")

    assert response.status_code == 401
    assert response.json()["detail"] == "Personal API key found in request body is invalid."


def test_invalid_query_key_names_the_query_string(api_client, team):
    response = api_client.get(activity_url(team), {"personal_api_key": "phx_wrong"})

    assert response.status_code == 401
    assert response.json()["detail"] == "Personal API key found in request query string is invalid."


def test_valid_header_key_wins_over_an_invalid_query_key(api_client, team, legacy_key):
    response = api_client.get(
        activity_url(team), {"personal_api_key": "phx_wrong"}, HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}"
    )

    assert response.status_code == 200


def test_oauth_bearer_token_is_ignored_so_the_query_key_is_used(api_client, team, legacy_key):
    response = api_client.get(
        activity_url(team), {"personal_api_key": legacy_key._plain_value}, HTTP_AUTHORIZATION="Bearer pha_oauthtoken"
    )

    assert response.status_code == 200


def test_oauth_bearer_token_alone_returns_401_not_authenticated(api_client, team):
    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION="Bearer pha_oauthtoken")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_key_of_inactive_user_returns_401(api_client, team, user, legacy_key):
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_session_cookie_authenticates(session_client, team):
    response = session_client.get(activity_url(team))

    assert response.status_code == 200


def test_session_post_without_csrf_token_returns_403():
    """Session auth enforces CSRF (a key-less browser form post must not ride the cookie)."""
    from tests.factories import UserFactory

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory())

    response = client.post("/api/personal_api_keys/", {"label": "x", "scopes": ["*"]}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_first_use_of_a_key_records_last_used_at(api_client, team, legacy_key):
    api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    legacy_key.refresh_from_db()
    assert legacy_key.last_used_at is not None


def test_last_used_at_is_not_rewritten_within_the_hour(api_client, team, legacy_key):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")
        first = PersonalAPIKey.objects.get(pk=legacy_key.pk).last_used_at
        traveller.shift(timedelta(minutes=59))
        api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    assert PersonalAPIKey.objects.get(pk=legacy_key.pk).last_used_at == first


def test_last_used_at_is_refreshed_after_an_hour(api_client, team, legacy_key):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")
        first = PersonalAPIKey.objects.get(pk=legacy_key.pk).last_used_at
        traveller.shift(timedelta(minutes=61))
        api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    assert PersonalAPIKey.objects.get(pk=legacy_key.pk).last_used_at == first + timedelta(minutes=61)


def test_key_use_within_the_hour_issues_no_update(api_client, team, legacy_key):
    api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {legacy_key._plain_value}")

    assert not [query for query in queries if query["sql"].startswith("UPDATE")]


def legacy_hash(value: str, iterations: int) -> str:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    return PBKDF2PasswordHasher().encode(value, "posthog_personal_api_key", iterations)


@pytest.mark.parametrize("iterations", [260_000, 390_000])
def test_legacy_pbkdf2_key_authenticates_and_is_rehashed_to_sha256(api_client, team, user, iterations):
    from posthog_core.models import hash_key_value

    value = PersonalAPIKey.generate_value()
    key = PersonalAPIKey.objects.create(
        user=user, label="imported", secure_value=legacy_hash(value, iterations), mask_value="phx_...", scopes=[]
    )

    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION=f"Bearer {value}")

    assert response.status_code == 200
    key.refresh_from_db()
    assert key.secure_value == hash_key_value(value)


def test_unknown_key_is_not_matched_against_legacy_hashes_of_other_values(api_client, team, user):
    PersonalAPIKey.objects.create(
        user=user, label="imported", secure_value=legacy_hash("phx_other", 260_000), mask_value="phx_...", scopes=[]
    )

    response = api_client.get(activity_url(team), HTTP_AUTHORIZATION="Bearer phx_unknown")

    assert response.status_code == 401

"""The one error shape (§1.2) for every error, and no 500 from user input."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from posthog_core.exception_handler import exception_handler

pytestmark = pytest.mark.django_db

PROBE_URLS = "tests.posthog_core.probe_urls"


def test_nested_validation_error_reports_first_leaf_with_double_underscore_attr():
    exc = exceptions.ValidationError(
        {"filters": {"properties": [{}, {"key": [ErrorDetail("Bad key.", code="invalid")]}]}, "name": ["x"]}
    )

    response = exception_handler(exc, {})

    assert response.status_code == 400
    assert response.data == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "Bad key.",
        "attr": "filters__properties__1__key",
    }


def test_non_field_validation_error_has_null_attr():
    exc = exceptions.ValidationError({"non_field_errors": [ErrorDetail("Nope.", code="unique")]})

    assert exception_handler(exc, {}).data == {
        "type": "validation_error",
        "code": "unique",
        "detail": "Nope.",
        "attr": None,
    }


def test_django_validation_error_is_shaped_like_a_drf_one():
    from django.core.exceptions import ValidationError

    response = exception_handler(ValidationError({"name": ["Too long."]}), {})

    assert response.status_code == 400
    assert response.data["attr"] == "name"
    assert response.data["detail"] == "Too long."


def test_throttled_error_keeps_the_shape_and_retry_after():
    response = exception_handler(exceptions.Throttled(wait=7), {})

    assert response.status_code == 429
    assert response.data["type"] == "throttled_error"
    assert response.data["code"] == "throttled"
    assert response["Retry-After"] == "7"


def test_validation_error_through_the_api_reports_the_first_error(session_client):
    response = session_client.post("/api/personal_api_keys/", {"scopes": ["*"]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": "required",
        "detail": "This field is required.",
        "attr": "label",
    }


def test_wrong_type_in_a_list_reports_the_index_in_attr(session_client):
    response = session_client.post(
        "/api/personal_api_keys/", {"label": "x", "scopes": ["*"], "scoped_teams": ["abc"]}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "A valid integer is required.",
        "attr": "scoped_teams__0",
    }


def test_method_not_allowed_returns_405(session_client, team):
    response = session_client.delete(f"/api/projects/{team.id}/activity_log/")

    assert response.status_code == 405
    assert response.json() == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
        "attr": None,
    }


def test_unsupported_media_type_returns_415(session_client):
    response = session_client.post("/api/personal_api_keys/", "label=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == {
        "type": "invalid_request",
        "code": "unsupported_media_type",
        "detail": 'Unsupported media type "text/plain" in request.',
        "attr": None,
    }


@pytest.mark.parametrize("body", ["{bad json", '{"label": ', "\x00", "[1, 2"])
def test_malformed_json_returns_400_parse_error(session_client, body):
    response = session_client.post("/api/personal_api_keys/", body, content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["code"], body["attr"]) == ("invalid_request", "parse_error", None)
    assert body["detail"].startswith("JSON parse error")


def test_malformed_json_with_a_bearer_key_returns_400_parse_error(scoped_client):
    response = scoped_client(scopes=["*"]).post("/api/personal_api_keys/", "{bad", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_deeply_nested_json_returns_400_parse_error(session_client):
    body = "[" * 100_000 + "]" * 100_000

    response = session_client.post("/api/personal_api_keys/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.parametrize("body", ['["a list"]', '"a string"', "42", "null"])
def test_json_body_that_is_not_an_object_never_500s(session_client, body):
    response = session_client.post("/api/personal_api_keys/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/projects/", "/api/users/123/", "/nowhere"])
def test_unknown_urls_answer_404_in_the_error_shape(session_client, path):
    if path == "/api/projects/":
        path = "/api/projects/1/not-a-resource/"
    response = session_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


@pytest.mark.parametrize("key_id", ["not-a-key", "0" * 500, "../../etc"])
def test_malformed_object_ids_answer_404(session_client, key_id):
    response = session_client.get(f"/api/personal_api_keys/{key_id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_nul_byte_in_an_object_id_answers_400_not_500(session_client):
    response = session_client.get("/api/personal_api_keys/a%00b/")

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "code": "invalid_input",
        "detail": "The database cannot store or search for a value in this request.",
        "attr": None,
    }


@pytest.mark.urls(PROBE_URLS)
def test_throttled_view_returns_429_through_the_handler(session_client, team):
    response = session_client.get(f"/api/projects/{team.id}/probe/rate_limited/")

    assert response.status_code == 429
    assert response["Retry-After"] == "42"
    assert response.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 42 seconds.",
        "attr": None,
    }


@pytest.mark.urls(PROBE_URLS)
def test_unhandled_error_returns_500_server_error_without_traceback(session_client, team, caplog):
    with caplog.at_level(logging.ERROR, logger="posthog_core.errors"):
        response = session_client.get(f"/api/projects/{team.id}/probe/crash/")

    assert response.status_code == 500
    assert response.json() == {
        "type": "server_error",
        "code": "error",
        "detail": "A server error occurred.",
        "attr": None,
    }
    assert b"Traceback" not in response.content
    assert b"boom" not in response.content
    assert "RuntimeError: boom" in caplog.text


def test_django_level_500_uses_the_error_shape(rf):
    from posthog_core.views import server_error

    response = server_error(rf.get("/api/anything/"))

    assert response.status_code == 500
    assert response.content == (
        b'{"type": "server_error", "code": "error", "detail": "A server error occurred.", "attr": null}'
    )


def test_health_answers_200_when_the_database_answers(api_client, settings, tmp_path):
    settings.CAPTURE_SPOOL_DIR = tmp_path
    response = api_client.get("/_health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "node": settings.NODE_NAME,
        "replica": None,
        "spool": {"batches": 0, "bytes": 0},
    }


def test_health_answers_503_when_the_database_fails(api_client):
    with mock.patch("posthog_core.views.connection.cursor", side_effect=OperationalError("down")):
        response = api_client.get("/_health")

    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_health_refuses_post(api_client):
    assert api_client.post("/_health").status_code == 405

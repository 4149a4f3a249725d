"""`export_context` input that must be refused with 400 `attr: export_context`, never a 500."""

import pytest

from tests.exports.factories import ExportInsightFactory

pytestmark = pytest.mark.django_db


def post(client, team, export_context, export_format="text/csv"):
    return client.post(f"/api/projects/{team.id}/exports/", {"export_format": export_format,
                                                             "export_context": export_context}, format="json")


@pytest.mark.parametrize("path", [
    "/api/projects/{other}/events",
    "/api/environments/{other}/events",
    "/api/projects/999999999/events",
    "/api/projects/abc/events",
    "/admin/",
    "/api/users/@me/",
    "/_health",
    "http://127.0.0.1:8000/api/projects/{team}/events",
    "https://evil.example/api/projects/{team}/events",
    "//evil.example/api/projects/{team}/events",
    "file:///etc/passwd",
    "api/projects/{team}/events",
    "/api/projects/{team}/../{other}/events",
    "/api/projects/{team}/events\r\nHost: evil",
    "/api/projects/{team}/no_such_thing/",
    "/api/projects/{team}/exports/",
    "",
    42,
    ["/api/projects/{team}/events"],
])
def test_create_with_bad_export_context_path_returns_400(session_client, team, other_team, path):
    if isinstance(path, str):
        path = path.format(team=team.id, other=other_team.id)
    response = post(session_client, team, {"path": path})
    assert (response.status_code, response.json()["attr"], response.json()["type"]) == (
        400, "export_context", "validation_error")


@pytest.mark.parametrize("extra", [{"method": "POST"}, {"body": {"a": 1}}, {"method": "DELETE", "body": "x"}])
def test_create_with_path_and_non_get_or_body_returns_400(session_client, team, extra):
    response = post(session_client, team, {"path": f"/api/projects/{team.id}/events", **extra})
    assert (response.status_code, response.json()["attr"]) == (400, "export_context")
    assert response.json()["detail"] == "export_context.path only supports GET requests without a body."


def test_create_with_current_alias_of_this_project_is_accepted(session_client, team):
    response = post(session_client, team, {"path": "/api/projects/@current/events?limit=5"})
    assert (response.status_code, response.json()["exception"]) == (201, None)


@pytest.mark.parametrize("export_context", [
    "a string", ["a", "list"], 7, {"columns": "event"}, {"columns": [1, 2]}, {"filename": ["x"]},
    {"source": "SELECT 1"}, {"session_recording_id": "../../x"}, {"heatmap_url": "http://169.254.169.254/"},
])
def test_create_with_malformed_export_context_returns_400(session_client, team, export_context):
    response = post(session_client, team, export_context)
    assert (response.status_code, response.json()["attr"]) == (400, "export_context")


def test_create_with_invalid_source_query_answers_201_with_exception(session_client, team):
    response = post(session_client, team, {"source": {"kind": "HogQLQuery", "query": "select 1"}})
    body = response.json()
    assert (response.status_code, body["has_content"]) == (201, False)
    assert body["exception"]


def test_create_for_insight_with_invalid_query_answers_201_with_exception(session_client, team):
    insight = ExportInsightFactory(team=team, query={"kind": "TrendsQuery", "series": "nope"})
    response = session_client.post(f"/api/projects/{team.id}/exports/", {"export_format": "application/pdf",
                                                                          "insight": insight.id}, format="json")
    assert (response.status_code, response.json()["has_content"]) == (201, False)
    assert response.json()["exception"]


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"export_format": "text/csv", "insight": "abc"}',
                                  '{"export_format": "text/csv", "dashboard": [1]}'])
def test_create_with_garbage_body_returns_400(session_client, team, body):
    response = session_client.post(f"/api/projects/{team.id}/exports/", body, content_type="application/json")
    assert response.status_code == 400

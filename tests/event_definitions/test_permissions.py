"""Who may call what: anonymous, scopes per route, project isolation (reference cases 1–9, DEVELOPERS checks)."""

import pytest

from tests.event_definitions.factories import EventDefinitionFactory

pytestmark = pytest.mark.django_db

READ, WRITE = "event_definition:read", "event_definition:write"

# (method, path suffix with {id}, body)
ROUTES = {
    "list": ("get", "", None),
    "retrieve": ("get", "{id}/", None),
    "metrics": ("get", "{id}/metrics/", None),
    "by_name": ("get", "by_name/?name=tracked", None),
    "primary_properties": ("get", "primary_properties/", None),
    "create": ("post", "", {"name": "new_event"}),
    "update": ("put", "{id}/", {"description": "d"}),
    "partial_update": ("patch", "{id}/", {"description": "d"}),
    "destroy": ("delete", "{id}/", None),
    "bulk_update_tags": ("post", "bulk_update_tags/", {"ids": ["{id}"], "action": "add", "tags": ["t"]}),
    "bulk_update_verified": ("post", "bulk_update_verified/", {"ids": ["{id}"], "verified": True}),
}
READ_ROUTES = ("list", "retrieve", "metrics", "by_name", "primary_properties")
WRITE_ROUTES = tuple(route for route in ROUTES if route not in READ_ROUTES)
SUCCESS = {"create": 201, "destroy": 204}


def call(client, ed_url, route: str, definition_id) -> int:
    method, suffix, body = ROUTES[route]
    url = ed_url(suffix.format(id=definition_id))
    if body is not None:
        body = {key: [item.format(id=definition_id) for item in value] if key == "ids" else value for key, value in body.items()}
    return getattr(client, method)(url, body, format="json").status_code


@pytest.fixture
def definition(team):
    return EventDefinitionFactory(team=team, name="tracked")


@pytest.mark.parametrize(
    ("route", "scopes", "expected"),
    [(route, [READ], SUCCESS.get(route, 200)) for route in READ_ROUTES]
    + [(route, [READ], 403) for route in WRITE_ROUTES]
    + [(route, [WRITE], SUCCESS.get(route, 200)) for route in ROUTES]
    + [(route, ["insight:read"], 403) for route in ROUTES]
    + [(route, ["*"], SUCCESS.get(route, 200)) for route in ROUTES],
)
def test_route_with_scopes_returns_expected_status(scoped_client, ed_url, definition, route, scopes, expected):
    assert call(scoped_client(scopes=scopes), ed_url, route, definition.id) == expected


@pytest.mark.parametrize("route", list(ROUTES))
def test_route_anonymous_returns_401(api_client, ed_url, definition, route):
    assert call(api_client, ed_url, route, definition.id) == 401


@pytest.mark.parametrize("route", ["retrieve", "metrics", "update", "partial_update", "destroy"])
def test_route_on_other_project_object_returns_404(session_client, ed_url, other_team, route):
    foreign = EventDefinitionFactory(team=other_team, name="tracked")

    assert call(session_client, ed_url, route, foreign.id) == 404


def test_list_anonymous_returns_exact_401_body(api_client, ed_url):
    assert api_client.get(ed_url()).json() == {
        "type": "authentication_error", "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.", "attr": None,
    }


def test_create_with_read_scope_names_missing_scope(scoped_client, ed_url):
    response = scoped_client(scopes=[READ]).post(ed_url(), {"name": "x"}, format="json")

    assert response.json()["detail"] == "API key missing required scope 'event_definition:write'"


def test_metrics_with_read_scope_is_allowed_by_decision(scoped_client, ed_url, definition):
    response = scoped_client(scopes=[READ]).get(ed_url(f"{definition.id}/metrics/"))

    assert (response.status_code, response.json()) == (200, {"query_usage_30_day": 0})


def test_list_key_scoped_to_another_project_returns_403(scoped_client, ed_url, team, other_team):
    client = scoped_client(scopes=["*"], scoped_teams=[team.id])

    assert client.get(ed_url(project=other_team)).status_code == 403


def test_list_current_project_alias_matches_project_id(session_client, ed_url, team, definition):
    by_alias = session_client.get("/api/projects/@current/event_definitions/").json()

    assert by_alias == session_client.get(ed_url()).json() | {"next": None, "previous": None}


def test_list_environments_alias_matches_project(session_client, ed_url, team, definition):
    assert session_client.get(f"/api/environments/{team.id}/event_definitions/").json()["count"] == 1


def test_list_project_of_another_organization_returns_403(session_client, ed_url, other_team):
    response = session_client.get(ed_url(project=other_team))

    assert (response.status_code, response.json()["detail"]) == (403, "You don't have access to the project.")


@pytest.mark.parametrize("project", ["999999999", "abc"])
def test_list_unknown_project_returns_404(session_client, project):
    response = session_client.get(f"/api/projects/{project}/event_definitions/")

    assert (response.status_code, response.json()["detail"]) == (404, "Project not found.")

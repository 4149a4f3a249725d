"""/insights/: permissions, isolation, PostHog's shape, cached results, soft delete, file-system sync."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from event_definitions.models import QueryLog
from file_system.models import FileSystem
from insights.models import DashboardTile, Insight
from tests.insights.factories import DashboardFactory, InsightFactory, make_event
from tests.posthog_core.matrix import Route, assert_scope_outcome, matrix_cases

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
QUERY = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}],
         "dateRange": {"date_from": "-1d"}}
ROUTES = [
    Route("get", "/api/projects/{project_id}/insights/", "insight:read"),
    Route("post", "/api/projects/{project_id}/insights/", "insight:write", body={"name": "m", "query": QUERY}),
    Route("get", "/api/projects/{project_id}/insights/{id}/", "insight:read"),
    Route("patch", "/api/projects/{project_id}/insights/{id}/", "insight:write", body={"name": "renamed"}),
]


@pytest.fixture
def traveller():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _now(traveller):
    return traveller


def url(team, insight=None):
    return f"/api/projects/{team.id}/insights/" + (f"{insight.pk}/" if insight else "")


def user_basic(user):
    return {"id": user.id, "uuid": str(user.uuid), "distinct_id": user.distinct_id, "first_name": user.first_name,
            "last_name": user.last_name, "email": user.email, "is_email_verified": user.is_email_verified,
            "hedgehog_config": None, "role_at_organization": None}


@pytest.mark.parametrize(("route", "scopes", "allowed"), matrix_cases(ROUTES))
def test_insight_routes_permission_matrix(scoped_client, team, route, scopes, allowed):
    insight = InsightFactory(team=team)

    assert_scope_outcome(scoped_client(scopes=scopes), route, allowed, project_id=team.id, id=insight.pk)


def test_insight_list_anonymous_returns_401(api_client, team):
    assert api_client.get(url(team)).status_code == 401


def test_insight_list_with_dashboard_scope_returns_403(scoped_client, team):
    assert scoped_client(scopes=["dashboard:read"]).get(url(team)).status_code == 403


def test_insight_of_another_project_is_404_and_absent_from_list(session_client, team, other_team):
    foreign = InsightFactory(team=other_team)
    InsightFactory(team=team)

    assert session_client.get(f"/api/projects/{team.id}/insights/{foreign.pk}/").status_code == 404
    assert session_client.patch(f"/api/projects/{team.id}/insights/{foreign.pk}/", {"name": "x"}).status_code == 404
    assert foreign.pk not in [row["id"] for row in session_client.get(url(team)).json()["results"]]


def test_insight_create_returns_whole_body_with_computed_result(session_client, user, team):
    make_event(team, "$pageview", "2024-03-15T09:00:00")
    dashboard = DashboardFactory(team=team)

    response = session_client.post(url(team), {"name": "Pageviews", "description": "All of them", "query": QUERY,
                                               "dashboards": [dashboard.pk]}, format="json")

    assert response.status_code == 201
    insight = Insight.objects.get()
    tile = DashboardTile.objects.get()
    assert response.json() == {
        "id": insight.pk, "short_id": insight.short_id, "name": "Pageviews", "derived_name": None, "filters": {},
        "query": QUERY, "order": None, "deleted": False, "saved": False, "dashboards": [dashboard.pk],
        "dashboard_tiles": [{"id": tile.pk, "dashboard_id": dashboard.pk, "deleted": False}],
        "last_refresh": "2024-03-15T12:00:00Z",
        "result": [{
            "action": {"id": "$pageview", "type": "events", "order": 0, "name": "$pageview", "custom_name": None,
                       "math": "total", "math_property": None},
            "label": "$pageview", "count": 1, "data": [0, 1], "labels": ["14-Mar-2024", "15-Mar-2024"],
            "days": ["2024-03-14", "2024-03-15"],
        }],
        "hasMore": None, "columns": None, "types": None,
        "created_at": "2024-03-15T12:00:00Z", "created_by": user_basic(user), "description": "All of them",
        "updated_at": "2024-03-15T12:00:00Z", "tags": [], "favorited": False,
        "last_modified_at": "2024-03-15T12:00:00Z", "last_modified_by": user_basic(user), "is_sample": False,
        "timezone": "UTC", "is_cached": False,
    }
    assert len(insight.short_id) == 8


def test_insight_create_with_invalid_query_returns_400_naming_the_path(session_client, team):
    query = {**QUERY, "series": [{"event": "$pageview", "math": "p99"}]}

    response = session_client.post(url(team), {"name": "x", "query": query}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "query__series__0__math")


def test_insight_create_with_another_projects_dashboard_returns_400(session_client, team, other_team):
    foreign = DashboardFactory(team=other_team)

    response = session_client.post(url(team), {"query": QUERY, "dashboards": [foreign.pk]}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "dashboards")


def test_insight_retrieve_reuses_a_result_younger_than_15_minutes(session_client, team, traveller):
    insight = InsightFactory(team=team, query=QUERY)
    session_client.get(url(team, insight))
    make_event(team, "$pageview", "2024-03-15T11:00:00")
    traveller.shift(timedelta(minutes=14))

    body = session_client.get(url(team, insight)).json()

    assert (body["is_cached"], body["result"][0]["count"], body["last_refresh"]) == (True, 0, "2024-03-15T12:00:00Z")


def test_insight_retrieve_recomputes_a_result_older_than_15_minutes(session_client, team, traveller):
    insight = InsightFactory(team=team, query=QUERY)
    session_client.get(url(team, insight))
    make_event(team, "$pageview", "2024-03-15T11:00:00")
    traveller.shift(timedelta(minutes=16))

    body = session_client.get(url(team, insight)).json()

    assert (body["is_cached"], body["result"][0]["count"], body["last_refresh"]) == (False, 1, "2024-03-15T12:16:00Z")


def test_insight_retrieve_with_refresh_true_recomputes(session_client, team):
    insight = InsightFactory(team=team, query=QUERY)
    session_client.get(url(team, insight))
    make_event(team, "$pageview", "2024-03-15T11:00:00")

    body = session_client.get(url(team, insight), {"refresh": "true"}).json()

    assert (body["is_cached"], body["result"][0]["count"]) == (False, 1)


def test_insight_changed_query_is_not_served_from_the_old_cache(session_client, team):
    insight = InsightFactory(team=team, query=QUERY)
    make_event(team, "signup", "2024-03-15T11:00:00")
    session_client.get(url(team, insight))

    body = session_client.patch(url(team, insight), {"query": {**QUERY, "series": [{"event": "signup"}]}},
                                format="json").json()

    assert (body["is_cached"], body["result"][0]["label"], body["result"][0]["count"]) == (False, "signup", 1)


def test_insight_computation_is_recorded_in_the_query_log(session_client, team):
    insight = InsightFactory(team=team, query=QUERY)

    session_client.get(url(team, insight))
    session_client.get(url(team, insight))

    assert list(QueryLog.objects.values_list("event_names", "source")) == [(["$pageview"], "insight")]


def test_insight_list_serves_cached_results_only(session_client, team, django_assert_max_num_queries):
    cached = InsightFactory(team=team, query=QUERY)
    session_client.get(url(team, cached))
    dashboard = DashboardFactory(team=team)
    for _ in range(5):
        DashboardTile.objects.create(dashboard=dashboard, insight=InsightFactory(team=team, query=QUERY))

    with django_assert_max_num_queries(8):
        body = session_client.get(url(team)).json()

    assert body["count"] == 6
    by_id = {row["id"]: row for row in body["results"]}
    assert by_id[cached.pk]["is_cached"] is True
    assert sum(row["result"] is None for row in body["results"]) == 5
    assert sum(row["dashboards"] == [dashboard.pk] for row in body["results"]) == 5


def test_insight_list_filters_by_short_id(session_client, team):
    wanted = InsightFactory(team=team)
    InsightFactory(team=team)

    body = session_client.get(url(team), {"short_id": wanted.short_id}).json()

    assert [row["id"] for row in body["results"]] == [wanted.pk]


def test_insight_list_filters_by_created_by(session_client, user, team):
    mine = InsightFactory(team=team, created_by=user)
    InsightFactory(team=team, created_by=None)

    body = session_client.get(url(team), {"created_by": user.id}).json()

    assert [row["id"] for row in body["results"]] == [mine.pk]


@pytest.mark.parametrize("created_by", [str(2**63), "1" + "0" * 60, "-1"])
def test_insight_list_created_by_past_any_user_id_matches_nothing(session_client, user, team, created_by):
    InsightFactory(team=team, created_by=user)

    response = session_client.get(url(team), {"created_by": created_by})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("created_by", ["1.5", "1e3", "me"])
def test_insight_list_created_by_not_a_whole_number_is_400(session_client, team, created_by):
    response = session_client.get(url(team), {"created_by": created_by})

    assert response.status_code == 400
    assert response.json()["attr"] == "created_by"


def test_insight_list_schema_types_created_by_as_an_integer(session_client):
    schema = session_client.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/projects/{project_id}/insights/"]["get"]["parameters"]

    [created_by] = [p for p in parameters if p["name"] == "created_by"]
    assert created_by["schema"] == {"type": "integer"}


def test_insight_delete_is_not_allowed_use_soft_delete(session_client, team):
    insight = InsightFactory(team=team)

    response = session_client.delete(url(team, insight))

    assert response.status_code == 405
    assert Insight.objects.filter(pk=insight.pk).exists()


def test_insight_soft_delete_hides_it_and_restore_brings_it_back(session_client, team):
    insight = InsightFactory(team=team)

    deleted = session_client.patch(url(team, insight), {"deleted": True}, format="json")
    hidden = session_client.get(url(team, insight)).status_code
    listed = session_client.get(url(team)).json()["count"]
    restored = session_client.patch(url(team, insight), {"deleted": False}, format="json")

    assert (deleted.json()["deleted"], hidden, listed, restored.json()["deleted"]) == (True, 404, 0, False)


def test_insight_create_files_it_under_unfiled_insights(session_client, user, team):
    body = session_client.post(url(team), {"name": "Sign/ups", "query": QUERY}, format="json").json()

    entry = FileSystem.objects.get(team=team, type="insight")
    assert (entry.path, entry.ref, entry.href, entry.created_by) == (
        "Unfiled/Insights/Sign\\/ups", body["short_id"], f"/insights/{body['short_id']}", user)


def test_insight_create_in_folder_files_it_there(session_client, team):
    session_client.post(url(team), {"name": "Revenue", "query": QUERY, "_create_in_folder": "Reports/Q1"}, format="json")

    assert list(FileSystem.objects.filter(team=team).order_by("path").values_list("path", "type")) == [
        ("Reports", "folder"), ("Reports/Q1", "folder"), ("Reports/Q1/Revenue", "insight")]


def test_insight_rename_renames_its_file_entry(session_client, team):
    body = session_client.post(url(team), {"name": "Old", "query": QUERY}, format="json").json()

    session_client.patch(f"{url(team)}{body['id']}/", {"name": "New"}, format="json")

    assert FileSystem.objects.get(team=team, type="insight").path == "Unfiled/Insights/New"


def test_insight_soft_delete_removes_its_file_entry(session_client, team):
    body = session_client.post(url(team), {"name": "Gone", "query": QUERY}, format="json").json()

    session_client.patch(f"{url(team)}{body['id']}/", {"deleted": True}, format="json")

    assert not FileSystem.objects.filter(team=team, type="insight").exists()


def test_insight_events_query_result_carries_columns_and_has_more(session_client, team):
    make_event(team, "a", "2024-03-15T11:00:00")
    make_event(team, "b", "2024-03-15T11:30:00")
    query = {"kind": "DataTableNode", "source": {"kind": "EventsQuery", "select": ["event"], "limit": 1}}

    body = session_client.post(url(team), {"query": query}, format="json").json()

    assert (body["result"], body["columns"], body["hasMore"], body["types"]) == ([["b"]], ["event"], True,
                                                                                  [["event", "String"]])

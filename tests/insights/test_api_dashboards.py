"""/dashboards/: permissions, isolation, tiles with results under the dashboard's dates, soft delete, filing."""


import pytest

from file_system.models import FileSystem
from insights.models import Dashboard, DashboardTile
from tests.insights.factories import DashboardFactory, DashboardTileFactory, InsightFactory, make_event
from tests.posthog_core.matrix import Route, assert_scope_outcome, matrix_cases

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]

QUERY = {"kind": "InsightVizNode", "source": {"kind": "TrendsQuery", "series": [{"event": "$pageview"}],
                                              "dateRange": {"date_from": "-1d"}}}
ROUTES = [
    Route("get", "/api/projects/{project_id}/dashboards/", "dashboard:read"),
    Route("post", "/api/projects/{project_id}/dashboards/", "dashboard:write", body={"name": "m"}),
    Route("get", "/api/projects/{project_id}/dashboards/{id}/", "dashboard:read"),
    Route("patch", "/api/projects/{project_id}/dashboards/{id}/", "dashboard:write", body={"name": "renamed"}),
]


def url(team, dashboard=None):
    return f"/api/projects/{team.id}/dashboards/" + (f"{dashboard.pk}/" if dashboard else "")


@pytest.mark.parametrize(("route", "scopes", "allowed"), matrix_cases(ROUTES))
def test_dashboard_routes_permission_matrix(scoped_client, team, route, scopes, allowed):
    dashboard = DashboardFactory(team=team)

    assert_scope_outcome(scoped_client(scopes=scopes), route, allowed, project_id=team.id, id=dashboard.pk)


def test_dashboard_list_anonymous_returns_401(api_client, team):
    assert api_client.get(url(team)).status_code == 401


def test_dashboard_list_with_insight_scope_returns_403(scoped_client, team):
    assert scoped_client(scopes=["insight:write"]).get(url(team)).status_code == 403


def test_dashboard_of_another_project_is_404_and_absent_from_list(session_client, team, other_team):
    foreign = DashboardFactory(team=other_team)

    assert session_client.get(f"{url(team)}{foreign.pk}/").status_code == 404
    assert session_client.get(url(team)).json()["results"] == []


def test_dashboard_create_returns_whole_body(session_client, user, team):
    response = session_client.post(url(team), {"name": "Growth", "description": "Weekly",
                                               "filters": {"date_from": "-30d"}}, format="json")

    dashboard = Dashboard.objects.get()
    assert response.status_code == 201
    assert response.json() == {
        "id": dashboard.pk, "name": "Growth", "description": "Weekly", "pinned": False,
        "created_at": "2024-03-15T12:00:00Z",
        "created_by": {"id": user.id, "uuid": str(user.uuid), "distinct_id": user.distinct_id,
                       "first_name": "Ursula", "last_name": "User", "email": user.email,
                       "is_email_verified": user.is_email_verified, "hedgehog_config": None,
                       "role_at_organization": None},
        "last_accessed_at": None, "is_shared": False, "deleted": False, "creation_mode": "default",
        "filters": {"date_from": "-30d"}, "tags": [], "team_id": team.id, "tiles": [],
    }


@pytest.mark.parametrize(("filters", "attr"), [
    ({"date_from": "soon"}, "filters__date_from"),
    ({"date_to": 5}, "filters__date_to"),
    ({"properties": []}, "filters__properties"),
    ("nope", "filters"),
])
def test_dashboard_bad_filters_return_400(session_client, team, filters, attr):
    response = session_client.post(url(team), {"name": "x", "filters": filters}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, attr)


def test_dashboard_tiles_show_results_under_the_dashboards_date_filter(session_client, team):
    make_event(team, "$pageview", "2024-03-01T10:00:00")
    make_event(team, "$pageview", "2024-03-15T10:00:00")
    dashboard = DashboardFactory(team=team, filters={"date_from": "2024-03-01", "date_to": "2024-03-03"})
    insight = InsightFactory(team=team, query=QUERY)
    DashboardTileFactory(dashboard=dashboard, insight=insight, layouts={"sm": {"x": 0}})

    body = session_client.get(url(team, dashboard)).json()

    tile = body["tiles"][0]
    assert (tile["layouts"], tile["insight"]["id"], tile["is_cached"]) == ({"sm": {"x": 0}}, insight.pk, False)
    assert tile["insight"]["result"][0]["days"] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert tile["insight"]["result"][0]["data"] == [1, 0, 0]
    assert tile["last_refresh"] == "2024-03-15T12:00:00Z"


def test_dashboard_override_does_not_touch_the_insights_own_cache(session_client, team):
    make_event(team, "$pageview", "2024-03-15T10:00:00")
    dashboard = DashboardFactory(team=team, filters={"date_from": "2024-03-01", "date_to": "2024-03-03"})
    insight = InsightFactory(team=team, query=QUERY)
    DashboardTileFactory(dashboard=dashboard, insight=insight)
    session_client.get(url(team, dashboard))

    own = session_client.get(f"/api/projects/{team.id}/insights/{insight.pk}/").json()

    assert (own["is_cached"], own["result"][0]["count"]) == (False, 1)


def test_dashboard_second_read_uses_the_tile_cache(session_client, team):
    dashboard = DashboardFactory(team=team, filters={"date_from": "-3d"})
    DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team, query=QUERY))
    session_client.get(url(team, dashboard))

    body = session_client.get(url(team, dashboard)).json()

    assert body["tiles"][0]["is_cached"] is True


def test_dashboard_without_date_filter_shows_the_insights_own_range(session_client, team):
    dashboard = DashboardFactory(team=team)
    DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team, query=QUERY))

    body = session_client.get(url(team, dashboard)).json()

    assert body["tiles"][0]["insight"]["result"][0]["days"] == ["2024-03-14", "2024-03-15"]


def test_dashboard_hides_tiles_of_deleted_insights(session_client, team):
    dashboard = DashboardFactory(team=team)
    DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team, deleted=True))

    assert session_client.get(url(team, dashboard)).json()["tiles"] == []


def test_dashboard_patch_tiles_updates_layouts_and_removes_tiles(session_client, team):
    dashboard = DashboardFactory(team=team)
    keep = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team))
    drop = DashboardTileFactory(dashboard=dashboard, insight=InsightFactory(team=team))

    body = session_client.patch(url(team, dashboard), {"tiles": [{"id": keep.pk, "layouts": {"sm": {"w": 6}}},
                                                                 {"id": drop.pk, "deleted": True}]}, format="json").json()

    assert [(tile["id"], tile["layouts"]) for tile in body["tiles"]] == [(keep.pk, {"sm": {"w": 6}})]
    assert not DashboardTile.objects.filter(pk=drop.pk).exists()


def test_dashboard_delete_is_not_allowed_use_soft_delete(session_client, team):
    dashboard = DashboardFactory(team=team)

    assert session_client.delete(url(team, dashboard)).status_code == 405


def test_dashboard_soft_delete_hides_it_and_removes_its_file_entry(session_client, team):
    created = session_client.post(url(team), {"name": "Temp"}, format="json").json()

    session_client.patch(f"{url(team)}{created['id']}/", {"deleted": True}, format="json")

    assert session_client.get(f"{url(team)}{created['id']}/").status_code == 404
    assert not FileSystem.objects.filter(team=team, type="dashboard").exists()


def test_dashboard_create_and_rename_keep_the_file_entry_in_step(session_client, team):
    created = session_client.post(url(team), {"name": "First"}, format="json").json()
    session_client.patch(f"{url(team)}{created['id']}/", {"name": "Second"}, format="json")

    entry = FileSystem.objects.get(team=team, type="dashboard")
    assert (entry.path, entry.ref, entry.href) == ("Unfiled/Dashboards/Second", str(created["id"]),
                                                  f"/dashboard/{created['id']}")


def test_dashboard_list_query_budget(session_client, team, django_assert_max_num_queries):
    for _ in range(10):
        DashboardFactory(team=team)

    with django_assert_max_num_queries(6):
        body = session_client.get(url(team)).json()

    assert body["count"] == 10
    assert "tiles" not in body["results"][0]


def test_dashboard_cached_read_does_not_query_per_tile(session_client, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cached_read_queries(dashboard) -> int:
        session_client.get(url(team, dashboard))
        with CaptureQueriesContext(connection) as captured:
            assert session_client.get(url(team, dashboard)).json()["tiles"][0]["is_cached"] is True
        return len(captured.captured_queries)

    one, three = (DashboardFactory(team=team, filters={"date_from": "-3d"}) for _ in range(2))
    DashboardTileFactory(dashboard=one, insight=InsightFactory(team=team, query=QUERY))
    for _ in range(3):
        DashboardTileFactory(dashboard=three, insight=InsightFactory(team=team, query=QUERY))

    assert cached_read_queries(three) == cached_read_queries(one)

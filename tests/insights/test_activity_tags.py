"""Tags on insights and dashboards, and the activity rows their writes leave (PostHog's `Insight` /
`Dashboard` scopes)."""

import pytest

from activity_logs.models import ActivityLog
from tests.insights.factories import TRENDS_QUERY, DashboardFactory

pytestmark = pytest.mark.django_db


def insights_url(team, insight_id=None):
    return f"/api/projects/{team.id}/insights/" + (f"{insight_id}/" if insight_id else "")


def dashboards_url(team, dashboard_id=None):
    return f"/api/projects/{team.id}/dashboards/" + (f"{dashboard_id}/" if dashboard_id else "")


def activity(team, scope, item_id) -> list[dict]:
    rows = ActivityLog.objects.filter(team=team, scope=scope, item_id=str(item_id)).order_by("created_at", "id")
    return [{"activity": row.activity, "user_id": row.user_id, **row.detail} for row in rows]


def create_insight(client, team, **body) -> dict:
    response = client.post(insights_url(team), {"name": "Signups", "query": TRENDS_QUERY, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_insight_tags_are_normalised_stored_and_answered_sorted(session_client, team):
    created = create_insight(session_client, team, tags=[" Growth ", "alpha", "growth", ""])

    fetched = session_client.get(insights_url(team, created["id"])).json()
    listed = session_client.get(insights_url(team)).json()["results"]

    assert created["tags"] == fetched["tags"] == listed[0]["tags"] == ["alpha", "growth"]


def test_insight_tags_that_are_not_a_list_of_strings_return_400(session_client, team):
    insight = create_insight(session_client, team)

    response = session_client.patch(insights_url(team, insight["id"]), {"tags": "growth"}, format="json")

    assert response.status_code == 400
    assert response.json()["attr"] == "tags"


def test_insight_create_records_a_created_activity_with_name_and_short_id(session_client, user, team):
    insight = create_insight(session_client, team)

    assert activity(team, "Insight", insight["id"]) == [{
        "activity": "created", "user_id": user.id, "name": "Signups", "short_id": insight["short_id"],
        "type": None, "trigger": None, "changes": []}]


def test_insight_patch_records_only_the_fields_whose_value_changed(session_client, team):
    insight = create_insight(session_client, team, tags=["a"])

    session_client.patch(insights_url(team, insight["id"]),
                         {"name": "Renamed", "description": None, "tags": ["b", "A"]}, format="json")

    (updated,) = [row for row in activity(team, "Insight", insight["id"]) if row["activity"] == "updated"]
    assert updated["name"] == "Renamed"
    assert updated["changes"] == [
        {"type": "Insight", "action": "changed", "field": "name", "before": "Signups", "after": "Renamed"},
        {"type": "Insight", "action": "changed", "field": "tags", "before": ["a"], "after": ["a", "b"]},
    ]


def test_insight_patch_that_changes_nothing_records_no_activity(session_client, team):
    insight = create_insight(session_client, team)

    session_client.patch(insights_url(team, insight["id"]), {"name": "Signups", "query": TRENDS_QUERY}, format="json")

    assert [row["activity"] for row in activity(team, "Insight", insight["id"])] == ["created"]


def test_insight_soft_delete_and_dashboard_links_are_recorded_as_changes(session_client, team):
    dashboard = DashboardFactory(team=team)
    insight = create_insight(session_client, team)

    session_client.patch(insights_url(team, insight["id"]), {"dashboards": [dashboard.pk]}, format="json")
    session_client.patch(insights_url(team, insight["id"]), {"deleted": True}, format="json")

    changes = [row["changes"] for row in activity(team, "Insight", insight["id"]) if row["activity"] == "updated"]
    assert changes == [
        [{"type": "Insight", "action": "changed", "field": "dashboards", "before": [], "after": [dashboard.pk]}],
        [{"type": "Insight", "action": "changed", "field": "deleted", "before": False, "after": True}],
    ]


def test_dashboard_tags_are_normalised_and_answered_in_list_and_detail(session_client, team):
    response = session_client.post(dashboards_url(team), {"name": "Main", "tags": ["KPI", "kpi", "ops"]}, format="json")

    listed = session_client.get(dashboards_url(team)).json()["results"]
    fetched = session_client.get(dashboards_url(team, response.json()["id"])).json()

    assert response.json()["tags"] == listed[0]["tags"] == fetched["tags"] == ["kpi", "ops"]


def test_dashboard_create_and_update_record_activity(session_client, user, team):
    dashboard = session_client.post(dashboards_url(team), {"name": "Main"}, format="json").json()

    session_client.patch(dashboards_url(team, dashboard["id"]),
                         {"pinned": True, "filters": {"date_from": "-7d"}, "name": "Main"}, format="json")

    rows = activity(team, "Dashboard", dashboard["id"])
    assert [(row["activity"], row["name"], row["user_id"]) for row in rows] == [
        ("created", "Main", user.id), ("updated", "Main", user.id)]
    assert rows[1]["changes"] == [
        {"type": "Dashboard", "action": "changed", "field": "pinned", "before": False, "after": True},
        {"type": "Dashboard", "action": "changed", "field": "filters", "before": {}, "after": {"date_from": "-7d"}},
    ]


def test_insight_activity_is_served_by_the_activity_log_api(session_client, team):
    insight = create_insight(session_client, team)

    response = session_client.get(f"/api/projects/{team.id}/activity_log/",
                                  {"scope": "Insight", "item_id": str(insight["id"])})

    assert [(row["activity"], row["detail"]["short_id"]) for row in response.json()["results"]] == [
        ("created", insight["short_id"])]

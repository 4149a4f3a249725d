"""GET /file_system/unfiled/: backfills entries for insights and dashboards without one, idempotently."""

import pytest

from file_system.models import FileSystem
from tests.insights.factories import DashboardFactory, InsightFactory

pytestmark = pytest.mark.django_db


def unfiled(client, team, **params):
    return client.get(f"/api/projects/{team.id}/file_system/unfiled/", params)


def test_unfiled_creates_entries_for_objects_without_one_and_counts_them(session_client, team, other_team):
    insight = InsightFactory(team=team, name="Churn")
    dashboard = DashboardFactory(team=team, name="KPIs")
    InsightFactory(team=team, deleted=True)
    InsightFactory(team=other_team)

    response = unfiled(session_client, team)

    assert (response.status_code, response.json()) == (200, {"count": 2})
    assert sorted(FileSystem.objects.filter(team=team).exclude(type="folder").values_list("path", "type", "ref")) == [
        ("Unfiled/Dashboards/KPIs", "dashboard", str(dashboard.pk)),
        ("Unfiled/Insights/Churn", "insight", insight.short_id),
    ]


def test_unfiled_is_idempotent(session_client, team):
    InsightFactory(team=team)
    unfiled(session_client, team)

    assert unfiled(session_client, team).json() == {"count": 0}


def test_unfiled_with_type_files_only_that_type(session_client, team):
    InsightFactory(team=team)
    DashboardFactory(team=team)

    assert unfiled(session_client, team, type="dashboard").json() == {"count": 1}
    assert list(FileSystem.objects.exclude(type="folder").values_list("type", flat=True)) == ["dashboard"]


def test_unfiled_with_unknown_type_files_nothing(session_client, team):
    InsightFactory(team=team)

    assert unfiled(session_client, team, type="notebook").json() == {"count": 0}


def test_unfiled_anonymous_returns_401(api_client, team):
    assert unfiled(api_client, team).status_code == 401


def test_unfiled_with_read_scope_is_allowed_as_posthog_lists_it(scoped_client, team):
    assert unfiled(scoped_client(scopes=["file_system:read"]), team).json() == {"count": 0}


def test_unfiled_with_unrelated_scope_returns_403(scoped_client, team):
    assert unfiled(scoped_client(scopes=["insight:write"]), team).status_code == 403


def test_unfiled_with_write_scope_is_allowed(scoped_client, team):
    assert unfiled(scoped_client(scopes=["file_system:write"]), team).json() == {"count": 0}

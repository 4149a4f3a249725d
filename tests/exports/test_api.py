"""The exports API: PostHog's reference cases 49-64 and the resource checks."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from activity_logs.models import ActivityLog
from exports.models import ExportedAsset
from tests.exports.factories import ExportDashboardFactory, ExportedAssetFactory, ExportInsightFactory
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(team, suffix=""):
    return f"/api/projects/{team.id}/exports/{suffix}"


@pytest.fixture
def dashboard(team):
    return ExportDashboardFactory(team=team)


@pytest.fixture
def insight(team):
    return ExportInsightFactory(team=team)


@pytest.fixture
def fixture_export(team, user, dashboard):
    return ExportedAssetFactory(team=team, created_by=user, dashboard=dashboard, export_format="image/png")


def post(client, team, body):
    return client.post(url(team), body, format="json")


# --- case 49-52: create ------------------------------------------------------------------------
@time_machine.travel("2020-01-02T00:00:00Z", tick=False)
def test_create_png_of_dashboard_returns_whole_body(session_client, team, dashboard):
    response = post(session_client, team, {"export_format": "image/png", "dashboard": dashboard.id})
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "created_at": "2020-01-02T00:00:00Z",
        "dashboard": dashboard.id,
        "insight": None,
        "exception": None,
        "export_format": "image/png",
        "filename": "export-example-dashboard-2020-01-02-000000.png",
        "has_content": True,  # DECISIONS: rendered inside the request
        "export_context": None,
        "expires_after": "2020-06-30T00:00:00Z",
        "rows_exported": 0,
        "truncated": False,
    }


@time_machine.travel("2020-01-02T10:30:00Z", tick=False)
def test_create_with_expires_after_ignores_the_client_value(session_client, team, dashboard):
    response = post(session_client, team, {"export_format": "image/png", "dashboard": dashboard.id,
                                           "expires_after": "2020-01-09T00:00:00Z"})
    assert response.json()["expires_after"] == "2020-06-30T00:00:00Z"


@pytest.mark.parametrize(("export_format", "days"), [
    ("image/png", 180), ("application/pdf", 180), ("text/csv", 7), (XLSX, 7), ("application/json", 180),
    ("video/mp4", 365), ("video/webm", 365), ("image/gif", 365),
])
@time_machine.travel("2020-01-02T10:30:00Z", tick=False)
def test_create_expires_after_depends_on_format(session_client, team, insight, export_format, days):
    response = post(session_client, team, {"export_format": export_format, "insight": insight.id,
                                           "export_context": {"session_recording_id": "abc-123"}})
    assert response.status_code == 201
    expected = (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT00:00:00Z")
    assert response.json()["expires_after"] == expected


@time_machine.travel("2021-08-25T22:09:14.252Z", tick=False)
def test_create_png_of_insight_names_file_and_logs_activity(session_client, team, insight):
    response = post(session_client, team, {"export_format": "image/png", "insight": insight.id})
    assert response.json()["filename"] == "export-example-insight-2021-08-25-220914.png"
    rows = list(ActivityLog.objects.filter(team=team, scope="Insight", item_id=str(insight.id)))
    assert [(row.activity, row.detail) for row in rows] == [("exported", {
        "name": "example insight", "short_id": insight.short_id, "type": None, "trigger": None,
        "changes": [{"action": "exported", "after": "image/png", "before": None, "field": "export_format",
                     "type": "Insight"}],
    })]


def test_create_dashboard_export_logs_exported_asset_activity(session_client, team, dashboard):
    asset_id = post(session_client, team, {"export_format": "image/png", "dashboard": dashboard.id}).json()["id"]
    row = ActivityLog.objects.get(team=team, scope="ExportedAsset")
    assert (row.activity, row.item_id, row.detail["type"]) == ("exported", str(asset_id), "dashboard")


# --- case 53-57: validation ----------------------------------------------------------------------
def test_create_without_source_returns_400(session_client, team):
    response = post(session_client, team, {"export_format": "image/png"})
    assert (response.status_code, response.json()) == (400, {
        "attr": None, "code": "invalid_input", "type": "validation_error",
        "detail": "Either dashboard, insight or export_context is required for an export."})


def test_create_with_empty_export_context_counts_as_missing(session_client, team):
    response = post(session_client, team, {"export_format": "image/png", "export_context": {}})
    assert response.json()["detail"] == "Either dashboard, insight or export_context is required for an export."


@pytest.mark.parametrize("export_format", ["not/allowed", "image/jpeg", "application/jsonl", "", 12])
def test_create_with_unsupported_format_returns_invalid_choice(session_client, team, insight, export_format):
    response = post(session_client, team, {"export_format": export_format, "insight": insight.id})
    assert (response.status_code, response.json()) == (400, {
        "attr": "export_format", "code": "invalid_choice", "type": "validation_error",
        "detail": f'"{export_format}" is not a valid choice.'})


def test_create_without_format_returns_required(session_client, team, insight):
    response = post(session_client, team, {"insight": insight.id})
    assert (response.json()["attr"], response.json()["code"]) == ("export_format", "required")


def test_create_with_unknown_dashboard_returns_does_not_exist(session_client, team):
    response = post(session_client, team, {"export_format": "application/pdf", "dashboard": 54321})
    assert (response.status_code, response.json()) == (400, {
        "attr": "dashboard", "code": "does_not_exist", "type": "validation_error",
        "detail": 'Invalid pk "54321" - object does not exist.'})


@pytest.mark.parametrize("field", ["dashboard", "insight"])
def test_create_with_other_teams_object_returns_400(session_client, team, other_team, field):
    other = (ExportDashboardFactory if field == "dashboard" else ExportInsightFactory)(team=other_team)
    response = post(session_client, team, {"export_format": "image/png", field: other.id})
    assert (response.status_code, response.json()) == (400, {
        "attr": field, "code": "invalid_input", "type": "validation_error",
        "detail": f"This {field} does not belong to your team."})


@pytest.mark.parametrize("export_format", ["video/mp4", "video/webm", "image/gif"])
def test_create_video_without_recording_returns_400(session_client, team, export_format):
    response = post(session_client, team, {"export_format": export_format, "export_context": {"mode": "video"}})
    assert (response.status_code, response.json()) == (400, {
        "attr": "export_format", "code": "invalid_input", "type": "validation_error",
        "detail": "Video export supports session recordings only."})


def test_create_video_with_recording_records_unsupported_render(session_client, team):
    response = post(session_client, team, {"export_format": "video/mp4",
                                           "export_context": {"session_recording_id": "rec-1"}})
    assert response.status_code == 201
    assert response.json()["has_content"] is False
    assert response.json()["exception"] == "Session recording exports are not supported by this server."


# --- case 58-60: list ----------------------------------------------------------------------------
def test_list_shows_only_own_exports(session_client, team, user, fixture_export, dashboard):
    assert [r["id"] for r in session_client.get(url(team)).json()["results"]] == [fixture_export.id]
    ExportedAssetFactory(team=team, created_by=None, dashboard=dashboard)
    created = post(session_client, team, {"export_format": "image/png", "dashboard": dashboard.id}).json()
    assert [r["id"] for r in session_client.get(url(team)).json()["results"]] == [created["id"], fixture_export.id]


def test_list_filters_by_export_format(session_client, team, fixture_export, insight):
    post(session_client, team, {"export_format": "image/png", "insight": insight.id})
    post(session_client, team, {"export_format": "text/csv", "insight": insight.id})

    def formats(query):
        return [r["export_format"] for r in session_client.get(url(team) + query).json()["results"]]

    assert formats("?export_format=image/png") == ["image/png", "image/png"]
    assert formats("?export_format=text/csv") == ["text/csv"]
    assert len(formats("?export_format=image/jpeg")) == 3
    assert len(formats("")) == 3


def test_list_filters_by_context_path(session_client, team, user):
    matching = ExportedAssetFactory(team=team, created_by=user, export_format="text/csv",
                                    export_context={"path": f"/api/projects/{team.id}/events?event=Signup"})
    ExportedAssetFactory(team=team, created_by=user, export_format="text/csv", export_context={"path": "/x"})
    ExportedAssetFactory(team=team, created_by=user, export_format="text/csv", export_context=None)
    results = session_client.get(url(team) + "?context_path=EVENTS").json()["results"]
    assert [r["id"] for r in results] == [matching.id]


def test_list_and_retrieve_show_stuck_message_without_changing_row(session_client, team, user):
    stuck = ExportedAssetFactory(team=team, created_by=user)
    ExportedAsset.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(seconds=1200))
    fresh = ExportedAssetFactory(team=team, created_by=user)
    done = ExportedAssetFactory(team=team, created_by=user, content_location="exports/x")
    failed = ExportedAssetFactory(team=team, created_by=user, exception="exception")
    listed = {r["id"]: r["exception"] for r in session_client.get(url(team)).json()["results"]}
    assert "Export failed without throwing an exception" in listed[stuck.id]
    assert (listed[fresh.id], listed[done.id], listed[failed.id]) == (None, None, "exception")
    assert "Export failed without" in session_client.get(url(team, f"{stuck.id}/")).json()["exception"]
    stuck.refresh_from_db()
    assert stuck.exception is None


def test_list_query_count_is_bounded(session_client, team, user, dashboard, insight, django_assert_max_num_queries):
    for _ in range(5):
        ExportedAssetFactory(team=team, created_by=user, dashboard=dashboard)
        ExportedAssetFactory(team=team, created_by=user, insight=insight)
    with django_assert_max_num_queries(8):
        assert len(session_client.get(url(team)).json()["results"]) == 10


# --- case 61-62: retrieve and content ------------------------------------------------------------
def test_retrieve_and_content_of_teammates_export_return_404(api_client, team, organization, fixture_export):
    teammate = UserFactory(current_project=team)
    MembershipFactory(organization=organization, user=teammate)
    api_client.force_login(teammate)
    assert api_client.get(url(team, f"{fixture_export.id}/")).status_code == 404
    assert api_client.get(url(team, f"{fixture_export.id}/content/")).status_code == 404


def test_content_download_sends_bytes_type_and_attachment(session_client, team, insight):
    created = post(session_client, team, {"export_format": "text/csv", "insight": insight.id}).json()
    response = session_client.get(url(team, f"{created['id']}/content/?download=true"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="{created["filename"]}"'
    assert (response["X-Export-Rows"], response["X-Export-Truncated"]) == ("1", "false")
    assert b"".join(response.streaming_content).startswith(b"series,")


def test_content_without_download_has_no_disposition(session_client, team, insight):
    created = post(session_client, team, {"export_format": "image/png", "insight": insight.id}).json()
    response = session_client.get(url(team, f"{created['id']}/content/"))
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert "Content-Disposition" not in response


def test_content_of_asset_without_file_returns_425(session_client, team, fixture_export):
    response = session_client.get(url(team, f"{fixture_export.id}/content/"))
    assert (response.status_code, response.json()) == (425, {
        "type": "invalid_request", "code": "export_not_ready", "attr": None,
        "detail": "This export is still being generated. Please try again shortly."})


def test_content_of_failed_export_returns_export_failed(session_client, team, user):
    asset = ExportedAssetFactory(team=team, created_by=user, exception="boom")
    response = session_client.get(url(team, f"{asset.id}/content/"))
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (400, "export_failed", "boom")


@pytest.mark.parametrize("name", ['quote " and\r\nX-Injected: 1', "Ünïcødé 名前", "../../etc/passwd"])
def test_content_disposition_of_hostile_filename_is_safe(session_client, team, insight, name):
    created = post(session_client, team, {"export_format": "text/csv", "insight": insight.id,
                                          "export_context": {"filename": name}}).json()
    response = session_client.get(url(team, f"{created['id']}/content/?download=1"))
    disposition = response["Content-Disposition"]
    assert "\n" not in disposition and "\r" not in disposition and "X-Injected" not in response
    assert disposition.count('"') == 2 and "/" not in disposition
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.csv"')


# --- case 64 and method checks -------------------------------------------------------------------
@pytest.mark.parametrize("method", ["delete", "patch", "put"])
def test_update_and_delete_return_405(session_client, team, fixture_export, method):
    response = getattr(session_client, method)(url(team, f"{fixture_export.id}/"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


# --- expiry --------------------------------------------------------------------------------------
def test_expired_export_answers_404_everywhere(session_client, team, user):
    asset = ExportedAssetFactory(team=team, created_by=user, expires_after=timezone.now() - timedelta(minutes=1))
    assert session_client.get(url(team, f"{asset.id}/")).status_code == 404
    assert session_client.get(url(team, f"{asset.id}/content/")).status_code == 404
    assert session_client.get(url(team)).json()["count"] == 0


# --- resource checks -----------------------------------------------------------------------------
def test_list_anonymous_returns_401(api_client, team):
    response = api_client.get(url(team))
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_create_anonymous_returns_401(api_client, team, insight):
    assert post(api_client, team, {"export_format": "image/png", "insight": insight.id}).status_code == 401


@pytest.mark.parametrize(("method", "suffix", "scopes", "missing"), [
    ("get", "", ["insight:read"], "export:read"),
    ("get", "{id}/", ["insight:read"], "export:read"),
    ("get", "{id}/content/", ["insight:read"], "export:read"),
    ("post", "", ["export:read", "insight:read"], "export:write"),
])
def test_wrong_scope_returns_403(scoped_client, team, fixture_export, method, suffix, scopes, missing):
    client = scoped_client(scopes=scopes)
    response = getattr(client, method)(url(team, suffix.format(id=fixture_export.id)), {"export_format": "x"},
                                       format="json")
    assert (response.status_code, response.json()["detail"]) == (403, f"API key missing required scope '{missing}'")


@pytest.mark.parametrize(("body_key", "needed"), [("insight", "insight:read"), ("dashboard", "dashboard:read")])
def test_create_needs_read_scope_of_its_source(scoped_client, team, insight, dashboard, body_key, needed):
    target = insight if body_key == "insight" else dashboard
    response = post(scoped_client(scopes=["export:write"]), team, {"export_format": "image/png", body_key: target.id})
    assert (response.status_code, response.json()["detail"]) == (403, f"API key missing required scope '{needed}'")


def test_create_of_query_needs_query_read(scoped_client, team):
    response = post(scoped_client(scopes=["export:write"]), team,
                    {"export_format": "text/csv", "export_context": {"source": {"kind": "EventsQuery"}}})
    assert (response.status_code, response.json()["detail"]) == (403, "API key missing required scope 'query:read'")


def test_create_with_all_scopes_returns_201(scoped_client, team, insight):
    client = scoped_client(scopes=["export:write", "insight:read"])
    assert post(client, team, {"export_format": "image/png", "insight": insight.id}).status_code == 201


def test_other_projects_export_returns_404_and_is_absent(session_client, team, user, other_team):
    MembershipFactory(organization=other_team.organization, user=user)
    foreign = ExportedAssetFactory(team=other_team, created_by=user)
    assert session_client.get(url(team, f"{foreign.id}/")).status_code == 404
    assert session_client.get(url(team, f"{foreign.id}/content/")).status_code == 404
    assert session_client.get(url(team)).json()["count"] == 0


def test_project_user_is_not_member_of_returns_403(session_client, other_team):
    assert session_client.get(url(other_team)).status_code == 403


def test_retrieve_returns_whole_body(session_client, team, user, fixture_export, dashboard):
    body = session_client.get(url(team, f"{fixture_export.id}/")).json()
    assert body == {
        "id": fixture_export.id, "dashboard": dashboard.id, "insight": None, "export_format": "image/png",
        "created_at": fixture_export.created_at.isoformat().replace("+00:00", "Z"), "has_content": False,
        "export_context": None, "filename": fixture_export.created_at.strftime("export-example-dashboard-%Y-%m-%d-%H%M%S.png"),
        "expires_after": None, "exception": None, "rows_exported": 0, "truncated": False,
    }


def test_environments_alias_serves_the_same_list(session_client, team, fixture_export):
    assert session_client.get(f"/api/environments/{team.id}/exports/").json()["results"][0]["id"] == fixture_export.id

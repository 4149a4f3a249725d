"""Export sources, row caps, failures and expiry, checked by reading the stored files back."""

import csv
import io
import json
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader

from accounts.services import personal_api_key_create
from exports import assembly
from exports.models import ExportedAsset
from exports.services import export_render, exported_asset_create, exported_assets_delete_expired
from tests.exports.factories import (
    ExportDashboardFactory,
    ExportedAssetFactory,
    ExportInsightFactory,
    ExportTileFactory,
    event_create,
)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENTS_QUERY = {"kind": "EventsQuery", "select": ["uuid", "event", "distinct_id", "properties.$browser", "timestamp"],
                "after": "2019-12-01", "orderBy": ["timestamp ASC"]}


def create(team, user, export_format, **data):
    return exported_asset_create(team=team, user=user, data={"export_format": export_format, **data})


def content(asset) -> bytes:
    with default_storage.open(asset.content_location, "rb") as stored:
        return stored.read()


def csv_rows(asset) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(asset).decode())))


@pytest.fixture
def safari_events(team):
    return [event_create(team, "$pageview", f"2019-12-{10 + i}T10:00:00", f"user-{i}",
                         **{"$browser": "Safari" if i % 2 == 0 else "Chrome", "$os": "Mac"}) for i in range(6)]


def test_csv_of_events_query_streams_rows_in_column_order(team, user, safari_events):
    asset = create(team, user, "text/csv", export_context={"source": EVENTS_QUERY})
    rows = csv_rows(asset)
    assert rows[0] == ["uuid", "event", "distinct_id", "properties.$browser", "timestamp"]
    assert [row[0] for row in rows[1:]] == [str(e.uuid) for e in safari_events]
    assert rows[1][3] == "Safari" and rows[2][3] == "Chrome"
    assert (asset.rows_exported, asset.truncated) == (6, False)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_csv_copy_fast_path_matches_streamed_rows(team, user, monkeypatch, zone):
    team.timezone = zone
    team.save()
    event_create(team, "$pageview", "2019-12-10T10:00:00.250000", "u-1",
                 **{"$browser": 'Sa,"fari"\nx', "tags": [1, "b", {"c": None}], "n": 3, "flag": True})
    event_create(team, "$pageview", "2019-12-11T10:00:00", "u-2", **{"$browser": "Ünï", "n": -7, "flag": None})
    query = {**EVENTS_QUERY, "select": [*EVENTS_QUERY["select"], "properties.tags", "properties.n",
                                        "properties.flag", "properties.missing"]}
    copied = []
    real_copy = assembly.events_csv_copy
    monkeypatch.setattr(assembly, "events_csv_copy", lambda **kw: copied.append(real_copy(**kw)) or copied[-1])
    fast = csv_rows(create(team, user, "text/csv", export_context={"source": query}))
    monkeypatch.setattr(assembly.ExportSource, "copy_csv", lambda self, out: False)
    streamed = csv_rows(create(team, user, "text/csv", export_context={"source": query}))
    assert copied == [(2, False)]
    assert fast == streamed
    assert fast[1][4].endswith(("+00:00", "-05:00")) and ".250000" in fast[1][4]


def test_csv_copy_fast_path_keeps_order_by_property_and_cap_of_streamed_rows(team, user, safari_events, monkeypatch,
                                                                            settings):
    # The COPY sorts inside a subquery and limits outside it: same order and cut as the streamed path.
    settings.EXPORT_ROW_LIMIT = 4
    query = {**EVENTS_QUERY, "orderBy": ["properties.$browser DESC", "timestamp DESC"]}
    copied = []
    real_copy = assembly.events_csv_copy
    monkeypatch.setattr(assembly, "events_csv_copy", lambda **kw: copied.append(real_copy(**kw)) or copied[-1])
    fast = create(team, user, "text/csv", export_context={"source": query})
    monkeypatch.setattr(assembly.ExportSource, "copy_csv", lambda self, out: False)
    streamed = create(team, user, "text/csv", export_context={"source": query})
    assert copied == [(4, True)] and (streamed.rows_exported, streamed.truncated) == (4, True)
    assert csv_rows(fast) == csv_rows(streamed)
    assert [row[0] for row in csv_rows(fast)[1:]] == [str(safari_events[i].uuid) for i in (4, 2, 0, 5)]


def test_csv_with_object_property_values_flattens_like_posthog(team, user):
    event_create(team, "$pageview", "2019-12-10T10:00:00", "u-1", nested={"a": 1})
    rows = csv_rows(create(team, user, "text/csv", export_context={
        "source": {**EVENTS_QUERY, "select": ["event", "properties.nested"]}}))
    assert rows == [["event", "properties.nested.a"], ["$pageview", "1"]]


def test_csv_copy_fast_path_rows_and_truncation(team, user, safari_events, settings):
    settings.EXPORT_ROW_LIMIT = 5
    asset = create(team, user, "text/csv", export_context={"source": {**EVENTS_QUERY, "select": ["uuid", "event"]}})
    assert len(csv_rows(asset)) == 6
    assert (asset.rows_exported, asset.truncated) == (5, True)


def test_csv_of_star_query_takes_streamed_path_with_dotted_columns(team, user, safari_events):
    asset = create(team, user, "text/csv", export_context={"source": {**EVENTS_QUERY, "select": ["*"]}})
    header = csv_rows(asset)[0]
    assert "*.properties.$browser" in header or "properties.$browser" in ".".join(header)
    assert asset.rows_exported == 6


def test_csv_row_cap_truncates_and_says_so(team, user, safari_events, settings):
    settings.EXPORT_ROW_LIMIT = 4
    asset = create(team, user, "text/csv", export_context={"source": EVENTS_QUERY})
    assert len(csv_rows(asset)) == 5
    assert (asset.rows_exported, asset.truncated) == (4, True)


def test_csv_row_cap_equal_to_rows_is_not_truncated(team, user, safari_events, settings):
    settings.EXPORT_ROW_LIMIT = 6
    asset = create(team, user, "text/csv", export_context={"source": EVENTS_QUERY})
    assert (asset.rows_exported, asset.truncated) == (6, False)


def test_csv_export_context_columns_fix_the_order(team, user, safari_events):
    asset = create(team, user, "text/csv", export_context={"source": EVENTS_QUERY,
                                                          "columns": ["properties.$browser", "event"]})
    assert csv_rows(asset)[:2] == [["properties.$browser", "event"], ["Safari", "$pageview"]]


def test_csv_of_events_path_follows_next_pages_as_the_user(team, user, safari_events):
    # Case 63: limit=1 forces one page per event.
    path = f'/api/projects/{team.id}/events?limit=1&properties=[{{"key":"$browser","value":"Safari","operator":"exact","type":"event"}}]'
    asset = create(team, user, "text/csv", export_context={"path": path})
    rows = csv_rows(asset)
    header, data = rows[0], rows[1:]
    assert "properties.$browser" in header and "id" in header
    assert sorted(row[header.index("id")] for row in data) == sorted(str(e.uuid) for e in safari_events[::2])
    assert all("Safari" in ",".join(row) for row in data)
    assert asset.rows_exported == 3


def test_path_to_other_project_is_refused_again_at_render(team, user, other_team):
    asset = create(team, user, "text/csv", export_context={"path": f"/api/projects/{other_team.id}/events"})
    assert (asset.has_content, asset.failure_type) == (False, "user")
    assert asset.exception == "export_context.path must be under /api/projects/{id}/ of this project."


def test_xlsx_of_events_query_opens_on_typed_data_with_about_last(team, user, safari_events):
    asset = create(team, user, XLSX, export_context={"source": EVENTS_QUERY, "filename": "Browsers"})
    book = openpyxl.load_workbook(io.BytesIO(content(asset)))
    assert (book.sheetnames, book.active.title) == (["Browsers", "About"], "Browsers")
    sheet = book["Browsers"]
    assert sheet["E2"].is_date and sheet["E2"].value.year == 2019
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Project"] == team.name and about["Rows"] == "6"


def test_xlsx_of_insight_opens_on_its_data_with_about_last(team, user, safari_events):
    asset = create(team, user, XLSX, insight=ExportInsightFactory(team=team, name="Weekly"))
    book = openpyxl.load_workbook(io.BytesIO(content(asset)))
    assert (book.sheetnames, book.active.title) == (["Weekly", "About"], "Weekly")
    assert [c.value for c in book.active[1]][:2] == ["series", "29-Dec-2019"]


def test_xlsx_of_dashboard_opens_on_the_first_of_one_sheet_per_insight(team, user, safari_events):
    dashboard = ExportDashboardFactory(team=team)
    for name in ("First", "Second", "Third"):
        ExportTileFactory(dashboard=dashboard, insight=ExportInsightFactory(team=team, name=name))
    asset = create(team, user, XLSX, dashboard=dashboard)
    book = openpyxl.load_workbook(io.BytesIO(content(asset)))
    assert (book.sheetnames, book.active.title) == (["First", "Second", "Third", "About"], "First")
    assert [c.value for c in book["First"][1]][:2] == ["series", "29-Dec-2019"]
    assert book["First"]["B2"].data_type == "n"


def test_pdf_of_dashboard_lists_tiles_in_layout_order(team, user, safari_events):
    dashboard = ExportDashboardFactory(team=team, name="Weekly review")
    ExportTileFactory(dashboard=dashboard, insight=ExportInsightFactory(team=team, name="Lower tile"),
                      layouts={"sm": {"x": 0, "y": 5}})
    ExportTileFactory(dashboard=dashboard, insight=ExportInsightFactory(team=team, name="Upper tile"),
                      layouts={"sm": {"x": 0, "y": 0}})
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content(create(team, user, "application/pdf",
                                                                                          dashboard=dashboard)))).pages)
    assert "Weekly review" in text and team.name in text
    assert text.index("Upper tile") < text.index("Lower tile")


def test_pdf_of_events_query_repeats_header_on_page_two(team, user):
    for i in range(60):
        event_create(team, "signup", f"2019-12-20T10:{i:02d}:00", f"person-{i}", **{"$browser": "Safari"})
    asset = create(team, user, "application/pdf", export_context={"source": EVENTS_QUERY})
    pages = PdfReader(io.BytesIO(content(asset))).pages
    assert len(pages) >= 3
    assert "distinct_id" in pages[2].extract_text() and "person-" in pages[2].extract_text()


def test_png_of_trends_insight_is_a_2x_chart(team, user, safari_events):
    asset = create(team, user, "image/png", insight=ExportInsightFactory(team=team))
    image = Image.open(io.BytesIO(content(asset)))
    assert image.size == (1600, 1000)
    assert image.convert("L").getextrema()[0] < 100  # something dark was drawn


def test_json_of_query_is_the_query_endpoints_answer(team, user, safari_events):
    asset = create(team, user, "application/json", export_context={"source": EVENTS_QUERY})
    payload = json.loads(content(asset))
    assert payload["columns"] == EVENTS_QUERY["select"] and len(payload["results"]) == 6


def test_insight_with_invalid_query_records_user_failure_and_no_file(team, user):
    insight = ExportInsightFactory(team=team, query={"kind": "TrendsQuery", "series": [{"kind": "Nope"}]})
    asset = create(team, user, "text/csv", insight=insight)
    assert asset.content_location is None and asset.has_content is False
    assert (asset.exception_type, asset.failure_type) == ("ValidationError", "user")
    assert asset.exception


def test_unexpected_render_error_records_system_failure(team, user, monkeypatch):
    monkeypatch.setattr("exports.services.render_pdf", lambda *a, **k: 1 / 0)
    asset = create(team, user, "application/pdf", export_context={"source": EVENTS_QUERY})
    assert (asset.exception_type, asset.failure_type, asset.content_location) == ("ZeroDivisionError", "system", None)


def test_path_runs_with_the_creating_keys_scopes(team, user):
    key = personal_api_key_create(user=user, label="export only", scopes=["export:write"])
    asset = ExportedAssetFactory(team=team, created_by=user, export_format="text/csv",
                                 export_context={"path": f"/api/projects/{team.id}/events"})
    export_render(asset=asset, auth=key)
    assert (asset.has_content, asset.failure_type) == (False, "user")
    assert asset.exception == "export_context.path answered 403: API key missing required scope 'query:read'"


def test_delete_expired_removes_rows_and_files(team, user):
    expired = create(team, user, "text/csv", insight=ExportInsightFactory(team=team))
    kept = create(team, user, "text/csv", insight=ExportInsightFactory(team=team))
    ExportedAsset.all_objects.filter(pk=expired.pk).update(expires_after=timezone.now() - timedelta(days=1))
    assert exported_assets_delete_expired() == 1
    assert not default_storage.exists(expired.content_location)
    assert default_storage.exists(kept.content_location)
    assert list(ExportedAsset.all_objects.values_list("id", flat=True)) == [kept.id]


def test_delete_expired_exports_command_reports_count(team, user, capsys):
    ExportedAssetFactory(team=team, created_by=user, expires_after=timezone.now() - timedelta(days=1))
    call_command("delete_expired_exports")
    assert capsys.readouterr().out.strip() == "Deleted 1 expired export(s)."

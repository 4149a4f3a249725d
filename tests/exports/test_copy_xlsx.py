"""XLSX of an EventsQuery: rows rendered by PostgreSQL against the Python writer's, read back by openpyxl."""

import io

import openpyxl
import pytest
from django.core.files.storage import default_storage

from exports import assembly
from exports.services import exported_asset_create
from tests.exports.factories import event_create

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VALUES = [
    "plain", "a & b <c> d", "two\nlines\ttab", "  padded  ", "Ünïcødé 名前", "", "2020-01-02T03:04:05Z",
    "2020-01-02 03:04:05.250+05:30", "2020-01-02T03:04", "2020-13-02T03:04:05", "2020-01-02T24:00:00",
    "user-2020-01-02T03:04", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", 7, -2.5, 12.50, 2**70, True, False, None, [1, "x", None], [], "x" * 40_000,
]


def sheet_of(team, user, query, *, fast: bool, monkeypatch) -> tuple[list[list], object, list, object]:
    """Cells (value, type, is date) of the data sheet, the asset, which writers ran, and the book."""
    ran = []
    real_copy, real_sheets = assembly.ExportSource.copy_xlsx_sheets, assembly.ExportSource.sheets
    monkeypatch.setattr(assembly.ExportSource, "copy_xlsx_sheets",
                        lambda self, on_done: ran.append("sql") or real_copy(self, on_done) if fast else None)
    monkeypatch.setattr(assembly.ExportSource, "sheets", lambda self, on_done: ran.append("python") or real_sheets(
        self, on_done))
    asset = exported_asset_create(team=team, user=user, data={"export_format": XLSX,
                                                              "export_context": {"source": query}})
    monkeypatch.undo()
    with default_storage.open(asset.content_location, "rb") as stored:
        book = openpyxl.load_workbook(io.BytesIO(stored.read()))
    sheet = book.active
    cells = [[(c.value, c.data_type, c.is_date) for c in row] for row in sheet.iter_rows()]
    return cells, asset, ran, book


def test_postgresql_sheet_is_first_and_active_with_about_last(team, user, monkeypatch):
    event_create(team, "$pageview", "2019-12-10T10:00:00", "u-1")
    cells, _, ran, book = sheet_of(team, user, query(["event"]), fast=True, monkeypatch=monkeypatch)
    assert ran == ["sql"]
    assert (book.sheetnames[-1], book.active.title, book.worksheets[0].title) == ("About", book.sheetnames[0],
                                                                               book.sheetnames[0])
    assert [row[0][0] for row in cells] == ["event", "$pageview"]


def query(select, **extra):
    return {"kind": "EventsQuery", "select": select, "after": "2019-12-01", "orderBy": ["timestamp ASC"], **extra}


def test_postgresql_rows_read_back_as_the_python_writers(team, user, monkeypatch):
    made = [event_create(team, "$pageview", f"2019-12-10T10:00:{i:02d}.250000", f"u-{i}", value=value)
            for i, value in enumerate(VALUES)]
    made.append(event_create(team, "2020-01-02T03:04:05Z", "2019-12-11T00:00:00", "a&b"))
    select = ["uuid", "event", "distinct_id", "timestamp", "properties.value", "properties.missing"]
    fast, fast_asset, ran, _ = sheet_of(team, user, query(select), fast=True, monkeypatch=monkeypatch)
    general, _, _, _ = sheet_of(team, user, query(select), fast=False, monkeypatch=monkeypatch)
    assert ran == ["sql"] and fast_asset.rows_exported == len(made)
    assert fast == general
    assert fast[0] == [(name, "s", False) for name in select]
    assert [row[0][0] for row in fast[1:]] == [str(e.uuid) for e in made]


def test_postgresql_rows_type_numbers_booleans_and_dates(team, user, monkeypatch):
    event_create(team, "$pageview", "2019-12-10T10:00:00", "u-1", n=12.5, ok=True, when="2020-01-02T03:04:05Z")
    cells, _, ran, _ = sheet_of(team, user, query(["timestamp", "properties.n", "properties.ok", "properties.when"]),
                                fast=True, monkeypatch=monkeypatch)
    assert ran == ["sql"]
    timestamp, number, flag, at = cells[1]
    assert timestamp[2] and timestamp[0].isoformat() == "2019-12-10T10:00:00"
    assert number[:2] == (12.5, "n") and flag[:2] == (True, "b")
    assert at[2] and at[0].isoformat() == "2020-01-02T03:04:05"


@pytest.mark.parametrize("value", [{"nested": 1}, "bell\x07", "_x0041_", [0.5]])
def test_value_only_python_renders_falls_back_to_the_python_writer(team, user, monkeypatch, value):
    event_create(team, "$pageview", "2019-12-10T10:00:00", "u-1", value="first")
    event_create(team, "$pageview", "2019-12-11T10:00:00", "u-2", value=value)
    select = ["distinct_id", "properties.value"]
    fast, fast_asset, ran, _ = sheet_of(team, user, query(select), fast=True, monkeypatch=monkeypatch)
    general, _, _, _ = sheet_of(team, user, query(select), fast=False, monkeypatch=monkeypatch)
    assert ran == ["sql", "python"]
    assert fast == general and fast_asset.rows_exported == 2


def test_postgresql_rows_truncate_at_the_cap_and_say_so(team, user, monkeypatch, settings):
    settings.EXPORT_ROW_LIMIT = 2
    for i in range(3):
        event_create(team, "$pageview", f"2019-12-1{i}T10:00:00", f"u-{i}")
    cells, asset, ran, book = sheet_of(team, user, query(["distinct_id"]), fast=True, monkeypatch=monkeypatch)
    assert ran == ["sql"] and (asset.rows_exported, asset.truncated) == (2, True)
    assert [row[0][0] for row in cells[1:3]] == ["u-0", "u-1"]
    assert "only the first 2 rows" in cells[-1][0][0]
    about = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert about["Rows"] == "2" and "only the first 2 rows" in about["Truncated"]

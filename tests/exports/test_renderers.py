"""Renderers run without a database; every output is read back with an independent reader."""

import csv
import io
import threading
from datetime import UTC, datetime

import openpyxl
from PIL import Image
from pypdf import PdfReader

from exports.renderers import (
    Chart,
    ChartSeries,
    ReportHeader,
    Section,
    Table,
    flatten,
    render_csv,
    render_json,
    render_pdf,
    render_png,
    render_xlsx,
    table_from_dicts,
    trends_table,
)

DAYS = [f"2020-01-{day:02d}" for day in range(1, 31)]
GENERATED = datetime(2021, 8, 25, 22, 9, 14, tzinfo=UTC)


def trends_section(title="Weekly signups", series_count=5):
    series = [ChartSeries(label=f"series {i}", values=[float(i * d) for d in range(30)]) for i in range(series_count)]
    table = Table(columns=["series", *DAYS], rows=[[s.label, *s.values] for s in series])
    return Section(title=title, chart=Chart(kind="line", series=series, x_labels=DAYS), table=table)


def header(**overrides):
    return ReportHeader(**{"title": "Growth report", "project": "Main project", "generated_at": GENERATED,
                           "date_range": "-30d", "filters": "$browser = Safari", **overrides})


def non_white_fraction(png: bytes) -> float:
    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    return 1 - histogram[255] / sum(histogram)


def test_render_png_insight_is_800x500_at_2x_and_not_blank():
    image_bytes = render_png([trends_section()])
    image = Image.open(io.BytesIO(image_bytes))
    assert image.format == "PNG"
    assert image.size == (1600, 1000)
    assert non_white_fraction(image_bytes) > 0.01


def fresh_render_png(sections) -> bytes:
    """A render on a new thread: its own axes and Agg buffer, as the very first chart of a worker."""
    result = []
    thread = threading.Thread(target=lambda: result.append(render_png(sections)))
    thread.start()
    thread.join()
    return result[0]


def test_render_png_is_the_same_whatever_was_drawn_before():
    # Axes, text bitmaps and the Agg buffer are reused between charts: nothing of one may show in the next.
    first = fresh_render_png([trends_section("Weekly signups")])
    bigger = trends_section("Another title entirely", series_count=7)
    bigger.chart.series[-1].values[5] = 10_000.0
    render_png([bigger])
    render_png([trends_section(f"tile {i}") for i in range(3)], title="Dash")
    render_png([Section(title="Totals", chart=Chart(kind="bar", series=[ChartSeries("a", [1.0])]), table=Table([], []))])
    render_png([Section(title="Empty", chart=None, table=Table([], []))])
    assert render_png([trends_section("Weekly signups")]) == first


def test_render_png_draws_a_legend_entry_per_series():
    image = Image.open(io.BytesIO(render_png([trends_section(series_count=1)]))).convert("RGB")
    legend = image.crop((0, 0, 1600, 200))
    # The series' colour (the palette's first) appears in the legend area, not only in the plot.
    assert (29, 74, 255) in {colour for _, colour in legend.getcolors(maxcolors=1 << 16)}


def test_render_png_dashboard_draws_a_two_column_grid():
    image = Image.open(io.BytesIO(render_png([trends_section(f"tile {i}") for i in range(3)], title="Dash")))
    assert image.size[0] == 2560
    assert image.size[1] > 1600  # two rows of tiles


def test_render_png_events_table_draws_cells():
    table = Table(columns=["event", "timestamp"], rows=[["$pageview", "2020-01-01T00:00:00Z"]] * 5)
    png = render_png([Section(title="Events", chart=Chart(kind="table", table=table), table=table)])
    assert non_white_fraction(png) > 0.005


def test_render_png_breakdown_total_draws_bars():
    series = [ChartSeries(label="Chrome", values=[3.0]), ChartSeries(label="Safari", values=[5.0])]
    png = render_png([Section(title="Browsers", chart=Chart(kind="bar", series=series), table=Table([], []))])
    assert non_white_fraction(png) > 0.01


def test_render_pdf_long_table_repeats_header_on_page_two():
    rows = [[i, f"user-{i}", "2020-01-01T00:00:00Z"] for i in range(200)]
    section = Section(title="Signups table", chart=None, table=Table(columns=["id", "distinct_id", "timestamp"], rows=rows))
    reader = PdfReader(io.BytesIO(render_pdf([section], header())))
    first, second = reader.pages[0].extract_text(), reader.pages[1].extract_text()
    assert "Growth report" in first and "Main project" in first and "$browser = Safari" in first
    assert "Signups table" in first
    assert "distinct_id" in second and "timestamp" in second
    assert "user-199" in reader.pages[-1].extract_text()


def test_render_pdf_dashboard_keeps_tile_order():
    pdf = render_pdf([trends_section("First tile"), trends_section("Second tile")], header())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert text.index("First tile") < text.index("Second tile")


def test_render_pdf_truncated_says_so():
    pdf = render_pdf([trends_section()], header(truncated=True, row_limit=1000, rows_exported=1000))
    assert "only the first 1,000 rows" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_render_pdf_non_ascii_title_is_extractable():
    pdf = render_pdf([trends_section("Воронка ünïcode")], header())
    assert "Воронка ünïcode" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_render_xlsx_cells_are_typed():
    table = Table(columns=["event", "count", "timestamp", "props"],
                  rows=[["$pageview", 3, "2020-01-01T10:00:00Z", {"a": 1}], ["signup", 2.5, "x", None]])
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([("Events", table)], header())))
    sheet = book["Events"]
    assert [c.value for c in sheet[1]] == ["event", "count", "timestamp", "props"]
    assert sheet["B2"].value == 3 and sheet["B2"].data_type == "n"
    assert sheet["C2"].value == datetime(2020, 1, 1, 10, 0) and sheet["C2"].is_date
    assert sheet["D2"].value == '{"a": 1}'
    assert sheet["C3"].value == "x"
    assert sheet["D3"].value is None


def test_render_xlsx_opens_on_the_data_sheet_with_about_last():
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([("Events", Table(["a"], [[1]]))], header(rows_exported=1))))
    assert (book.sheetnames, book.active.title) == (["Events", "About"], "Events")
    assert [c.value for c in book.worksheets[0][2]] == [1]


def test_render_xlsx_about_sheet_holds_the_header_facts():
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([("Events", Table(["a"], [[1]]))], header(rows_exported=1))))
    facts = {row[0].value: row[1].value for row in book["About"].iter_rows()}
    assert facts["Project"] == "Main project"
    assert facts["Export"] == "Growth report"
    assert facts["Generated"] == "2021-08-25 22:09:14 UTC"
    assert facts["Rows"] == "1"


def test_render_xlsx_dashboard_gives_one_sheet_per_insight_with_safe_unique_names():
    sheets = [("Same: name?", Table(["a"], [[1]])), ("Same: name?", Table(["a"], [[2]]))]
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(sheets, header())))
    assert (book.sheetnames, book.active.title) == (["Same  name", "Same  name (2)", "About"], "Same  name")


def test_render_xlsx_data_sheet_titled_about_keeps_its_own_name():
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([("About", Table(["a"], [[1]]))], header())))
    assert book.sheetnames == ["About (2)", "About"]
    assert book.active["A2"].value == 1


def test_render_xlsx_truncated_says_so_on_the_sheet():
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx([("Data", Table(["a"], [[1], [2]]))],
                                                         header(truncated=True, row_limit=2))))
    assert "only the first 2 rows" in book["Data"]["A5"].value
    assert "only the first 2 rows" in {row[0].value: row[1].value for row in book["About"].iter_rows()}["Truncated"]


def test_render_csv_reads_back_with_header_and_values():
    table = Table(columns=["event", "properties.$browser", "count", "nested"],
                  rows=[["$pageview", 'Safari, "new"', 3, {"a": [1]}], ["x\ny", None, True, None]])
    rows = list(csv.reader(io.StringIO(render_csv(table).decode())))
    assert rows == [["event", "properties.$browser", "count", "nested"],
                    ["$pageview", 'Safari, "new"', "3", '{"a": [1]}'], ["x\ny", "", "true", ""]]


def test_render_csv_header_shows_text_after_double_dash():
    assert render_csv(Table(columns=["properties.$browser--Browser"], rows=[])).decode().strip() == "Browser"


def test_render_csv_consumes_an_iterator_of_rows():
    rows = ([i, i * 2] for i in range(1000))
    parsed = list(csv.reader(io.StringIO(render_csv(Table(columns=["a", "b"], rows=rows)).decode())))
    assert len(parsed) == 1001 and parsed[-1] == ["999", "1998"]


def test_flatten_nested_dicts_become_dotted_keys():
    assert flatten({"id": 1, "properties": {"$browser": "Safari", "deep": {"x": 2}}, "empty": {}}) == {
        "id": 1, "properties.$browser": "Safari", "properties.deep.x": 2, "empty": {}}


def test_table_from_dicts_without_columns_uses_union_of_keys_in_first_seen_order():
    table = table_from_dicts([{"a": 1, "p": {"x": 1}}, {"a": 2, "p": {"y": 2}}])
    assert table.columns == ["a", "p.x", "p.y"]
    assert table.rows == [[1, 1, None], [2, None, 2]]


def test_table_from_dicts_columns_fix_the_order():
    assert table_from_dicts([{"a": 1, "b": 2}], columns=["b", "a"]).rows == [[2, 1]]


def test_table_from_dicts_empty_gives_posthog_no_data_row():
    table = table_from_dicts([])
    assert (table.columns, table.rows) == (["error"], [["No data available or unable to format for export."]])


def test_trends_table_one_row_per_series_with_date_columns():
    results = [{"label": "$pageview", "labels": ["1-Jan", "2-Jan"], "data": [1, 2], "breakdown_value": "Safari"},
               {"label": "$pageview", "labels": ["1-Jan", "2-Jan"], "data": [3, 4], "breakdown_value": "Chrome"}]
    table = trends_table(results)
    assert table.columns == ["series", "breakdown_value", "1-Jan", "2-Jan"]
    assert table.rows == [["$pageview", "Safari", 1, 2], ["$pageview", "Chrome", 3, 4]]


def test_trends_table_aggregated_value_becomes_total_sum():
    table = trends_table([{"label": "signup", "aggregated_value": 9}])
    assert (table.columns, table.rows) == (["series", "Total Sum"], [["signup", 9]])


def test_render_json_serialises_dates():
    assert render_json({"at": GENERATED, "n": 1}) == b'{"at": "2021-08-25 22:09:14+00:00", "n": 1}'


def test_pick_reads_dotted_columns_with_dots_in_keys():
    from exports.sources import pick

    row = {"id": 1, "properties": {"$browser": "Safari", "a.b": 2, "deep": {"x": 3}}}
    assert [pick(row, c) for c in ["id", "properties.$browser", "properties.a.b", "properties.deep.x",
                                   "properties.missing", "nope.x"]] == [1, "Safari", 2, 3, None, None]

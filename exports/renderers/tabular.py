"""Tables: flattening result rows, and the CSV, XLSX and JSON writers (streaming, constant memory)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import IO, Any

import xlsxwriter

from exports.renderers.types import ReportHeader, Table, truncation_note

NO_DATA_ROW = {"error": "No data available or unable to format for export."}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# Excel's limits; a longer string cell would be rejected by XlsxWriter.
_XLSX_MAX_ROWS = 1_048_576
_XLSX_MAX_STRING = 32_767


def flatten(value: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys: {"properties": {"$browser": "x"}} → {"properties.$browser": "x"}."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            flat.update(flatten(item, f"{name}."))
        else:
            flat[name] = item
    return flat


def header_label(column: str) -> str:
    """PostHog shows only the text after `--` in a header (`properties.$x--Browser` → `Browser`)."""
    return column.split("--", 1)[1] if "--" in column else column


def table_from_dicts(dicts: Sequence[dict], columns: list[str] | None = None) -> Table:
    """Rows as dicts → a Table; `columns` fixes the order, else first-seen key order across rows."""
    flat = [flatten(row) if isinstance(row, dict) else {"value": row} for row in dicts]
    if not flat:
        flat = [dict(NO_DATA_ROW)]
    if not columns:
        seen: dict[str, None] = {}
        for row in flat:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    return Table(columns=columns, rows=[[row.get(column) for column in columns] for row in flat])


def trends_table(results: list[dict]) -> Table:
    """Trends: one row per series, its breakdown value, then one column per date label (or Total Sum)."""
    if not results:
        return table_from_dicts([])
    has_breakdown = any(series.get("breakdown_value") not in (None, "") for series in results)
    aggregated = all("aggregated_value" in series and not series.get("data") for series in results)
    labels = [] if aggregated else list(results[0].get("labels") or results[0].get("days") or [])
    columns = ["series", *(["breakdown_value"] if has_breakdown else []), *(["Total Sum"] if aggregated else labels)]
    rows = []
    for series in results:
        row: list[Any] = [series.get("label")]
        if has_breakdown:
            row.append(_plain(series.get("breakdown_value")))
        row.extend([series.get("aggregated_value")] if aggregated else list(series.get("data") or []))
        rows.append(row)
    return Table(columns=columns, rows=rows)


def _plain(value: Any) -> Any:
    return ", ".join(map(str, value)) if isinstance(value, list) else value


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_csv(out: IO[bytes], table: Table) -> int:
    """Write `table` as UTF-8 CSV to a binary stream, row by row; returns the number of data rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(text)
    writer.writerow([header_label(column) for column in table.columns])
    count = 0
    for row in table.rows:
        # Strings (most cells) skip the conversion call: this loop runs once per exported cell.
        writer.writerow([value if type(value) is str else csv_text(value) for value in row])
        count += 1
    text.flush()
    text.detach()  # leave `out` open for the caller
    return count


def render_csv(table: Table) -> bytes:
    out = io.BytesIO()
    write_csv(out, table)
    return out.getvalue()


def render_json(payload: Any) -> bytes:
    return json.dumps(payload, default=str, ensure_ascii=False).encode()


def _sheet_name(title: str, used: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub(" ", title or "Sheet").strip("' ")[:28] or "Sheet"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base[:27 - len(str(n))]} ({n})"
    used.add(name.lower())
    return name


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    # Excel has no time zones: store UTC wall time.
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def _write_cell(sheet, row: int, col: int, value: Any, formats: dict) -> None:
    if value is None:
        return
    if type(value) is str and not (len(value) >= 16 and value[4:5] == "-" and value[10:11] in ("T", " ")):
        # Most cells are plain strings: skip the timestamp regex unless the shape could match.
        sheet.write_string(row, col, value[:_XLSX_MAX_STRING])
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    elif (moment := _as_datetime(value)) is not None:
        sheet.write_datetime(row, col, moment, formats["datetime"])
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime(value.year, value.month, value.day), formats["date"])
    else:
        sheet.write_string(row, col, csv_text(value)[:_XLSX_MAX_STRING])


def write_xlsx(out: IO[bytes], sheets: list[tuple[str, Table]], header: ReportHeader) -> int:
    """An XLSX workbook in constant-memory mode: an `About` sheet, then one typed sheet per table.

    Returns the number of data rows written. A truncated export says so on the About sheet and
    under the last row of each sheet.
    """
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False})
    formats = {
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "bold": workbook.add_format({"bold": True}),
    }
    about = workbook.add_worksheet("About")
    used = {"about"}
    total = 0
    for title, table in sheets:
        total += _write_table_sheet(workbook.add_worksheet(_sheet_name(title, used)), table, header, formats)
    # Constant-memory mode flushes per worksheet, so About can be filled last, once counts are known.
    about.set_column(0, 0, 14)
    about.set_column(1, 1, 80)
    for index, (label, value) in enumerate(header.lines()):
        about.write_string(index, 0, label, formats["bold"])
        about.write_string(index, 1, value)
    workbook.close()
    return total


def _write_table_sheet(sheet, table: Table, header: ReportHeader, formats: dict) -> int:
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, header_label(column), formats["bold"])
    row_index = 0
    for row_index, row in enumerate(table.rows, start=1):  # noqa: B007 - the last index is the count
        if row_index >= _XLSX_MAX_ROWS - 1:
            break
        for col, value in enumerate(row):
            _write_cell(sheet, row_index, col, value, formats)
    if header.truncated:
        sheet.write_string(row_index + 2, 0, truncation_note(header.row_limit), formats["bold"])
    return row_index


def render_xlsx(sheets: list[tuple[str, Table]], header: ReportHeader) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, sheets, header)
    return out.getvalue()


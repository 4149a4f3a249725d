"""Tables: flattening result rows, and the CSV and JSON writers (CSV streams, in constant memory)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Any

from exports.renderers.types import Table

NO_DATA_ROW = {"error": "No data available or unable to format for export."}


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

"""Where an export's data comes from: an insight, a dashboard, `export_context.source` (a query) or
`export_context.path` (an API GET run in-process as the creating user). Turns results into the
renderers' plain Tables and Sections; rows stream where the source can stream."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any

import orjson
from django.test.client import RequestFactory
from django.urls import resolve
from rest_framework.exceptions import ValidationError

from exports.paths import INTERNAL_HOST, ExportPath, export_next_parse, export_path_parse
from exports.renderers import Chart, ChartSeries, Section, Table, flatten, table_from_dicts, trends_table
from posthog_core.models import Project, User

PATH_PAGE_SIZE = 10_000
_WRAPPER_KINDS = ("InsightVizNode", "DataTableNode", "DataVisualizationNode")
_TOTAL_DISPLAYS = ("ActionsBarValue", "ActionsPie", "BoldNumber", "ActionsTable", "WorldMap")


class ExportSourceError(Exception):
    """The export's input can't be rendered (bad query, path answered an error): a `user` failure."""


@dataclass
class RowCount:
    """Rows handed to the renderer, and whether the row cap stopped the source early."""

    limit: int
    count: int = 0
    truncated: bool = False

    def cap(self, rows: Iterable[Any]) -> Iterator[Any]:
        for row in rows:
            if self.count >= self.limit:
                self.truncated = True
                return
            self.count += 1
            yield row


def unwrap_query(query: Any) -> dict:
    while isinstance(query, dict) and query.get("kind") in _WRAPPER_KINDS and isinstance(query.get("source"), dict):
        query = query["source"]
    return query if isinstance(query, dict) else {}


def unwrap_result(payload: Any) -> Any:
    """The query endpoint's answer or an insight's: the part that holds the data."""
    if isinstance(payload, dict):
        if "columns" in payload and isinstance(payload.get("results"), list):
            return payload
        for key in ("result", "results"):
            if key in payload:
                return payload[key]
    return payload


def is_trends(result: Any) -> bool:
    return isinstance(result, list) and bool(result) and all(
        isinstance(s, dict) and ("data" in s or "aggregated_value" in s) for s in result
    )


def result_table(result: Any, columns: list[str] | None = None) -> Table:
    """§7.5: query results keyed by column, trends one row per series, any other list as-is."""
    if isinstance(result, dict) and "columns" in result:
        return rows_table(list(result["columns"]), iter(result.get("results") or []), columns)
    if is_trends(result):
        return trends_table(result)
    if isinstance(result, list):
        return dict_rows_table(iter(result), columns)
    return table_from_dicts([])


def rows_table(query_columns: list[str], rows: Iterator[list], columns: list[str] | None) -> Table:
    """Query rows (lists in `query_columns` order). Without nested values and without a requested
    column order they stream straight through; otherwise they go through dict_rows_table."""
    first = next(rows, None)
    if first is None:
        return table_from_dicts([])
    rows = chain([first], rows)
    if not columns and not any(isinstance(value, dict) for value in first):
        return Table(columns=query_columns, rows=rows)
    return dict_rows_table((dict(zip(query_columns, row, strict=False)) for row in rows), columns)


def dict_rows_table(rows: Iterator[Any], columns: list[str] | None) -> Table:
    """Rows as dicts, flattened to dotted columns. `columns` fixes the order; else the first row's
    keys when it has no nested values (PostHog's rule), else the union of keys of all rows, which is
    found by spooling rows to a temporary file first, so memory stays flat."""
    if columns:
        return Table(columns=columns, rows=([pick(row, c) for c in columns] if isinstance(row, dict) else [row]
                                            for row in rows))
    flat_rows = (flatten(row) if isinstance(row, dict) else {"value": row} for row in rows)
    first_raw = next(rows, None)
    if first_raw is None:
        return table_from_dicts([])
    if isinstance(first_raw, dict) and not any(isinstance(v, dict) for v in first_raw.values()):
        keys = list(first_raw)
        return Table(columns=keys, rows=([row.get(k) for k in keys] for row in chain([first_raw], flat_rows)))
    return _spooled_union_table(chain([flatten(first_raw) if isinstance(first_raw, dict) else {"value": first_raw}],
                                      flat_rows))


def pick(row: dict, column: str) -> Any:
    """The value at a dotted column (`properties.$browser`) without flattening the whole row; keys
    may themselves contain dots, so each split point is tried."""
    value, remaining = row, column
    while isinstance(value, dict):
        if remaining in value:
            return value[remaining]
        for index, char in enumerate(remaining):
            if char == "." and isinstance(value.get(remaining[:index]), dict):
                value, remaining = value[remaining[:index]], remaining[index + 1:]
                break
        else:
            return None
    return None


def _spooled_union_table(flat_rows: Iterator[dict]) -> Table:
    spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    seen: dict[str, None] = {}
    for row in flat_rows:
        seen.update(dict.fromkeys(row))
        spool.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
    keys = list(seen)

    def read() -> Iterator[list]:
        with spool:
            spool.seek(0)
            for line in spool:
                row = json.loads(line)
                yield [row.get(k) for k in keys]

    return Table(columns=keys, rows=read())


def section_for(*, title: str, query: Any, result: Any, row_cap: int) -> Section:
    """A chart and table for PNG/PDF: lines per series over dates, bars for totals, else a table."""
    source = unwrap_query(query)
    display = (source.get("trendsFilter") or {}).get("display") if isinstance(source.get("trendsFilter"), dict) else None
    table = result_table(result)
    rows = list(RowCount(limit=row_cap).cap(table.rows))
    table = Table(columns=table.columns, rows=rows)
    if is_trends(result):
        series = [ChartSeries(label=_series_label(s), values=_numbers(s)) for s in result]
        totals = display in _TOTAL_DISPLAYS or all(not s.get("data") for s in result)
        labels = list(result[0].get("labels") or result[0].get("days") or [])
        chart = Chart(kind="bar" if totals else "line", series=series, x_labels=labels, y_label=_y_label(source))
    else:
        chart = Chart(kind="table", table=table)
    return Section(title=title, chart=chart, table=table)


def _series_label(series: dict) -> str:
    label = str(series.get("label") or "Series")
    breakdown = series.get("breakdown_value")
    if breakdown not in (None, ""):
        label += f" - {', '.join(map(str, breakdown)) if isinstance(breakdown, list) else breakdown}"
    return label


def _numbers(series: dict) -> list[float]:
    values = series.get("data") or [series.get("aggregated_value") or series.get("count") or 0]
    return [float(v) if isinstance(v, int | float) else 0.0 for v in values]


def _y_label(source: dict) -> str:
    maths = {s.get("math") for s in source.get("series") or [] if isinstance(s, dict)}
    return "Unique users" if maths == {"dau"} else "Value" if maths - {None, "total"} else "Count"


def path_rows(*, team: Project, user: User | None, auth: Any, raw_path: str, counter: RowCount) -> Iterator[Any]:
    """Rows of a project API GET, run in-process as `user` (with the key `auth`, so its scopes
    apply), following `next` until the links run out, a page is empty or the row cap is reached."""
    target: ExportPath | None = export_path_parse(raw=raw_path, team=team, user=user)
    if not any(key == "limit" for key, _ in target.query):
        target.query.append(("limit", str(min(PATH_PAGE_SIZE, counter.limit + 1))))
    while target is not None:
        data = get_in_process(target, user, auth)
        page = unwrap_result(data)
        page = page.get("results") if isinstance(page, dict) and "columns" in page else page
        if not isinstance(page, list):
            page = [data]
        if not page:
            return
        yield from counter.cap(page)
        if counter.truncated:
            return
        try:
            target = export_next_parse(url=data.get("next") if isinstance(data, dict) else None, team=team, user=user)
        except ValidationError as error:
            raise ExportSourceError(str(error.detail["export_context"][0])) from None


def _response_data(response) -> Any:
    """A DRF Response's data, or the parsed body of a view that renders its JSON itself."""
    if hasattr(response, "data"):
        return response.data
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def get_in_process(target: ExportPath, user: User | None, auth: Any) -> Any:
    request = RequestFactory().get(target.path, data=target.query)
    # The in-process request has no real host; `next` links are built on this one and checked.
    request.get_host = lambda: INTERNAL_HOST
    request._force_auth_user = user
    request._force_auth_token = auth
    request.user = user
    match = resolve(target.path)
    response = match.func(request, *match.args, **match.kwargs)
    data = _response_data(response)
    if response.status_code != 200 or data is None:
        detail = data.get("detail") if isinstance(data, dict) else None
        raise ExportSourceError(f"export_context.path answered {response.status_code}" + (f": {detail}" if detail else ""))
    return data


"""The CSV fast path for an `export_context.path` of this project's events list (`/events/`).

The general route runs the `/events/` view in-process page by page, parses each page's JSON and
flattens it (exports.sources.path_rows). For this one view the same rows are one ordered query, so
the path's query string is translated into the view's WHERE clause, order and the export's row cap,
and PostgreSQL's COPY writes the CSV (exports.copy_csv). Cells are rendered as the general route
renders the view's parsed JSON, so both read back identically (tests/exports/test_copy_path.py):

- `id`, `event`, `distinct_id` as text; `timestamp` as Python's isoformat() in UTC (the view's);
- `properties.<key>`: strings as is, booleans `true`/`false`, 64-bit integers as written, other
  numbers as Python prints the float the JSON parser (orjson) makes of them (PostgreSQL's shortest float8 text, which is
  Python's repr() but for the e+15 decade, rewritten below); `properties` and object or array values
  as their JSON text, which PostgreSQL writes as `json.dumps` does, unless a non-integer number
  inside could print differently (a fraction, or an integer past 64 bits): then the COPY stops on a deliberate error and the general route
  runs instead, as it does for anything this module can't translate.

Tenancy and permissions stay the view's own: before COPY runs, the view answers a one-row page of
the same path in-process as the creating user with their key, so another project, a missing scope or
an invalid filter fails exactly as on the general route.
"""

from __future__ import annotations

from typing import IO, Any

from django.urls import resolve
from rest_framework.exceptions import ValidationError

from exports.copy_csv import copy_csv_rows, iso_timestamp_cell
from exports.paths import ExportPath, export_path_parse
from exports.sources import get_in_process
from insights import compiler

# NOTE: the view's own WHERE clause (filters, dates, cursor), so a path's COPY reads exactly the rows
# the view would page through.
from insights.selectors import events_list_where
from posthog_core.models import Project, User

EVENTS_LIST_URL_NAME = "event-list"
_TEXT_COLUMNS = {"id": "uuid::text", "event": "event", "distinct_id": "distinct_id"}
# The view's order: newest first, the uuid breaking ties.
_ORDER = [(compiler.Sql("timestamp"), "DESC"), (compiler.Sql("uuid"), "DESC")]
# A value that must fall back: 1 / 0 in the branch that only such a value reaches (the planner can't
# fold it, since it depends on the row).
_FALL_BACK = "(1 / (jsonb_typeof({value}) NOT IN ('object', 'array'))::int)::text"
# A JSON number written with a fraction is a float to the JSON parser; PostgreSQL's float8 text is
# the same shortest round-trip digits as Python's repr(), which adds `.0` to whole numbers and
# writes 1e15 <= |x| < 1e16 positionally where PostgreSQL uses an exponent.
_FLOAT_TEXT = "({value})::float8::text"
_FLOAT_DIGITS = "replace(split_part(ltrim(" + _FLOAT_TEXT + ", '-'), 'e', 1), '.', '')"
# No scalar subquery to name the repeated parts: a subquery makes the projection parallel-unsafe, and
# PostgreSQL would then compute every row's cells in the leader alone. Only fractional numbers pay
# the repetition.
_FLOAT = (
    "CASE WHEN {f} ~ 'e\\+15$' THEN (CASE WHEN {f} LIKE '-%%' THEN '-' ELSE '' END) || "
    "CASE WHEN length({d}) <= 16 THEN rpad({d}, 16, '0') || '.0' ELSE left({d}, 16) || '.' || substr({d}, 17) END "
    "WHEN {f} ~ '[.e]' THEN {f} ELSE {f} || '.0' END"
).replace("{f}", _FLOAT_TEXT).replace("{d}", _FLOAT_DIGITS)
# Object or array JSON text equals json.dumps of its parse unless a number inside may become a float
# (a fraction, or an integer long enough to pass 64 bits); strings that look alike only cost the
# fast path.
_JSON_TEXT = "CASE WHEN ({value})::text ~ '[0-9]\\.[0-9]|[0-9]{{19}}' THEN {fall_back} ELSE ({value})::text END"
# Strings first: most values are, and each WHEN is a comparison. Integers stay integers only inside
# 64 bits (signed below zero, unsigned above): orjson parses any other integer as a float.
_PROPERTY = (
    "CASE jsonb_typeof({value}) WHEN 'string' THEN properties ->> %s "
    "WHEN 'number' THEN CASE WHEN ({value})::text LIKE '%%.%%' OR ({value})::numeric NOT BETWEEN -9223372036854775808 AND 18446744073709551615 THEN {float} "
    "ELSE ({value})::text END WHEN 'object' THEN {json} WHEN 'array' THEN {json} ELSE properties ->> %s END"
)


def is_events_list(path: str) -> bool:
    return resolve(path).url_name == EVENTS_LIST_URL_NAME


def events_path_csv_copy(*, team: Project, user: User | None, auth: Any, raw_path: str, columns: list[str] | None,
                         out: IO[bytes], row_limit: int) -> tuple[int, bool] | None:
    """Write the path's rows as CSV to `out` with COPY; (rows, truncated), or None when the path is
    not the events list or its columns can't be translated (the caller then runs the general route)."""
    target = export_path_parse(raw=raw_path, team=team, user=user)
    if not columns or not is_events_list(target.path):
        return None
    cells = _cells(columns)
    if cells is None:
        return None
    get_in_process(_probe(target), user, auth)
    try:
        where = events_list_where(team=team, params=dict(target.query))
    except ValidationError:
        return None  # the view accepted the probe: let the general route answer exactly as it does
    return copy_csv_rows(cells=cells, where=where, order=_ORDER, columns=columns, out=out, row_limit=row_limit)


def _probe(target: ExportPath) -> ExportPath:
    """The same path, one row per page: the view checks access and filters without reading a page.
    A `limit` the view would reject is kept, so the rejection is the view's own."""
    limits = [value for key, value in target.query if key == "limit"]
    if limits and not (limits[-1].strip().isdigit() and int(limits[-1]) >= 1):
        return target
    return ExportPath(path=target.path, query=[(k, v) for k, v in target.query if k != "limit"] + [("limit", "1")])


def _cells(columns: list[str]) -> compiler.Sql | None:
    """One SQL cell per column, as the general route prints the view's row; None when a column
    needs the general route (a dotted key below `properties`, which may name a nested value)."""
    cells = compiler.Sql()
    for index, column in enumerate(columns):
        separator = ", " if index else ""
        if column in _TEXT_COLUMNS:
            cells.add(separator + _TEXT_COLUMNS[column])
        elif column == "timestamp":
            cells.add(separator + iso_timestamp_cell("UTC"))
        elif column == "properties":
            cells.add(separator + _JSON_TEXT.format(value="properties", fall_back=_FALL_BACK.format(value="properties")))
        elif column.startswith("properties."):
            key = column.removeprefix("properties.")
            if "." in key:
                return None
            cells.add(separator + _property_cell(), *[key] * _property_cell().count("%s"))
        else:
            cells.add(separator + "NULL")  # the view's rows have no such key: an empty cell
    return cells


def _property_cell() -> str:
    value = "(properties -> %s)"
    json_text = _JSON_TEXT.format(value=value, fall_back=_FALL_BACK.format(value=value))
    return _PROPERTY.format(value=value, float=_FLOAT.format(value=value), json=json_text)

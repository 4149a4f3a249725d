"""The CSV fast path for an EventsQuery of plain columns: PostgreSQL's COPY writes the rows.

The query is validated by `insights` and filtered with its `where_clause` (same filters, window and
order as every other export), then run as `COPY (SELECT ...) TO STDOUT WITH CSV`, so no row passes
through Python. Cells match the streamed path: ISO timestamps in the project's zone, property values
as text. Anything else (`*`, `count()`, object values to flatten) returns None and takes the
general, streamed path.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

import psycopg
from django.db import transaction

from event_definitions.services import query_log_record
from exports.pq_copy import copy_rows
from exports.renderers import header_label
from insights import compiler
from insights.dates import project_zone
from insights.query_spec import EventsQuerySpec, parse_query

# NOTE: the EventsQuery window (default `after` of -24h, "all") is the insights selector's own
# rule; reusing it keeps CSV rows identical to the query endpoint's.
from insights.selectors import _event_window, regex_check
from posthog_core.models import Project

CHUNK_BYTES = 1 << 16
_PLAIN_COLUMNS = {"uuid", "event", "distinct_id", "timestamp"}
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")
# Python's isoformat() in the project's zone: microseconds only when non-zero, then +HH:MM. The zone
# is applied in the expression, not with SET TIME ZONE: Django reads timestamps assuming UTC sessions.
_LOCAL = "(timestamp AT TIME ZONE '{zone}')"
# One to_char with the fraction, which is dropped when zero (`.000000` can only be the fraction):
# a fifth cheaper per row than formatting the fraction apart.
_ISO_TIMESTAMP = "replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || {offset}"
_OFFSET = (
    "(CASE WHEN {local} < (timestamp AT TIME ZONE 'UTC') THEN '-' ELSE '+' END || "
    "to_char(make_interval(secs => abs(EXTRACT(EPOCH FROM {local} - (timestamp AT TIME ZONE 'UTC')))), 'HH24:MI'))"
)
# An object value must be flattened into dotted columns, which COPY can't do. Rather than scan twice,
# the COPY fails on the first object (a division by zero that only that branch evaluates, and that
# the planner can't fold) and the export takes the streamed path.
_PROPERTY = ("CASE WHEN jsonb_typeof(properties -> %s) = 'object' "
             "THEN (1 / (jsonb_typeof(properties -> %s) <> 'object')::int)::text ELSE properties ->> %s END")


# One sort key of an export: an SQL expression over the events table, and its direction.
OrderKey = tuple[compiler.Sql, str]


class CopyFallback(Exception):
    """A cell raised its deliberate data error: the streamed path renders this export instead."""


def copyable(columns: list[str]) -> bool:
    return bool(columns) and all(c in _PLAIN_COLUMNS or (c.startswith("properties.") and len(c) > 11)
                                 for c in columns)


@dataclass
class EventsCopyPlan:
    """A plain-column EventsQuery resolved to the parts a COPY needs: what `insights` would run."""

    team: Project
    spec: EventsQuerySpec
    columns: list[str]
    zone: str
    where: compiler.Sql
    order: list[OrderKey]

    def log(self) -> None:
        query_log_record(team=self.team, event_names=[self.spec.event] if self.spec.event else [], source="export")


def events_copy_plan(*, team: Project, query: dict, columns: list[str] | None) -> EventsCopyPlan | None:
    """The query's filters, window and order (validated by `insights`, so a bad query fails as it
    would anywhere), or None when it isn't an EventsQuery of plain columns."""
    spec = parse_query(query, ["query"])
    if not isinstance(spec, EventsQuerySpec) or not copyable(spec.select):
        return None
    wanted = columns or list(spec.select)
    zone = project_zone(team.timezone)
    if not set(wanted) <= set(spec.select) or not _ZONE_NAME.match(zone.key):
        return None
    since, until = _event_window(spec, zone, datetime.now(UTC), ["query"])
    regex_check(spec.properties)
    where = compiler.where_clause(team_id=team.id, event=spec.event, filters=spec.properties, since=since,
                                  until=until, until_inclusive=False)
    return EventsCopyPlan(team=team, spec=spec, columns=wanted, zone=zone.key, where=where, order=_order(spec))


def events_csv_copy(*, team: Project, query: dict, columns: list[str] | None, out: IO[bytes],
                    row_limit: int) -> tuple[int, bool] | None:
    """Write the query's rows as CSV to `out` with COPY; returns (rows written, truncated), or None
    when the query isn't a plain-column EventsQuery (the caller then streams it through Python)."""
    plan = events_copy_plan(team=team, query=query, columns=columns)
    if plan is None:
        return None
    cells, params = _cells(plan.columns, plan.zone)
    written = copy_csv_rows(cells=compiler.Sql(cells, params), where=plan.where, order=plan.order,
                            columns=plan.columns, out=out, row_limit=row_limit)
    if written is not None:
        plan.log()
    return written


def sorted_rows_sql(*, cells: compiler.Sql, width: int, where: compiler.Sql, order: list[OrderKey]) -> compiler.Sql:
    """`SELECT` the `width` cells of the matching events in `order`, `LIMIT %s` (the caller's parameter).

    The cells are sorted inside a subquery that has no LIMIT. With a LIMIT on the sorting query,
    PostgreSQL's planner moves "expensive" output expressions (a property cell's CASE) past the Sort,
    which then carries each row's whole `properties` instead of its cells: rows five times wider,
    and an external sort spilling 600+ MB instead of ~130 MB for 1M events (EXPLAIN ANALYZE). Here
    every cell is computed before the sort, in the parallel workers; the outer ORDER BY is the
    subquery's own order (no second sort) and keeps the LIMIT from reaching into the subquery.
    So every matching row's cells are computed, past the cap too: a value that makes a cell fall
    back (CopyFallback) does so even beyond it, and the streamed path then writes the same rows.
    """
    names = [f"c{index}" for index in range(width)]
    keys = [f"k{index}" for index in range(len(order))]
    # By position: the keys are the subquery's last output columns.
    inner_order = ", ".join(f"{width + index + 1} {direction}" for index, (_, direction) in enumerate(order))
    outer_order = ", ".join(f"{key} {direction}" for key, (_, direction) in zip(keys, order, strict=True))
    text = (f"SELECT {', '.join(names)} FROM (SELECT {cells.text}, {', '.join(key.text for key, _ in order)} "
            f"FROM {compiler.TABLE} WHERE {where.text} ORDER BY {inner_order}) AS sorted_rows "
            f"({', '.join(names + keys)}) ORDER BY {outer_order} LIMIT %s")
    return compiler.Sql(text, [*cells.params, *(param for key, _ in order for param in key.params), *where.params])


def copy_csv_rows(*, cells: compiler.Sql, where: compiler.Sql, order: list[OrderKey], columns: list[str],
                  out: IO[bytes], row_limit: int) -> tuple[int, bool] | None:
    """The header row, then the cells of the matching rows (sorted_rows_sql, `row_limit + 1` of them)
    by `COPY ... TO STDOUT WITH CSV`; (rows, truncated), or None (and nothing written) when a cell
    raised its deliberate data error."""
    select = sorted_rows_sql(cells=cells, width=len(columns), where=where, order=order)
    sql = f"COPY ({select.text}) TO STDOUT WITH CSV"
    start = out.tell()
    header = io.StringIO()
    # PostgreSQL ends its CSV rows with \n; the header matches, so the file has one line ending.
    csv.writer(header, lineterminator="\n").writerow([header_label(column) for column in columns])
    out.write(header.getvalue().encode())
    try:
        blocks = copy_out(sql, [*select.params, row_limit + 1], row_limit)
        write = out.write
        for chunk in blocks:
            write(chunk)
    except CopyFallback:
        out.seek(start)
        out.truncate()
        return None
    return blocks.rowcount, blocks.truncated


class copy_out:  # noqa: N801 - used like a generator function
    """The bytes of `COPY ... TO STDOUT` in chunks of about CHUNK_BYTES, then `rowcount` and `truncated`.

    The statement's LIMIT is `row_limit + 1`: COPY hands over one row per message, so the first
    `row_limit` are kept and one more only says that the cap cut the export (no second query to
    find out). Rows are joined before they are yielded: writing each to a file (through Django's and
    tempfile's wrappers) or to a zip member cost more Python time than receiving it. A data error
    (a cell's deliberate division by zero, a number out of float range) raises CopyFallback: the
    streamed path renders that export.
    """

    def __init__(self, sql: str, params: list, row_limit: int):
        self.sql, self.params, self.row_limit = sql, params, row_limit
        self.rowcount, self.truncated = 0, False

    def __iter__(self) -> Iterator[bytes]:
        try:
            # A savepoint, so the deliberate error leaves an outer transaction usable.
            with transaction.atomic():
                parts, size, rows, limit = [], 0, 0, self.row_limit
                for block in copy_rows(self.sql, self.params):
                    if rows == limit:
                        self.truncated = True
                        continue
                    rows += 1
                    parts.append(block)
                    size += len(block)
                    if size >= CHUNK_BYTES:
                        yield b"".join(parts)
                        parts, size = [], 0
                if parts:
                    yield b"".join(parts)
                self.rowcount = rows
        except psycopg.errors.DataError as error:
            raise CopyFallback() from error


def iso_timestamp_cell(zone: str) -> str:
    """SQL text of `timestamp` as Python's isoformat() in `zone` (a name checked by _ZONE_NAME)."""
    local = _LOCAL.format(zone=zone)
    offset = "'+00:00'" if zone == "UTC" else _OFFSET.format(local=local)
    return _ISO_TIMESTAMP.format(local=local, offset=offset)


def _cells(columns: list[str], zone: str) -> tuple[str, list]:
    cells, params = [], []
    for column in columns:
        if column == "timestamp":
            cells.append(iso_timestamp_cell(zone))
        elif column.startswith("properties."):
            cells.append(_PROPERTY)
            params += [column.removeprefix("properties.")] * 3
        else:
            cells.append(f"{column}::text")
    return ", ".join(cells), params


def _order(spec: EventsQuerySpec) -> list[OrderKey]:
    return [(compiler.select_item(column), direction)
            for column, direction in spec.order_by or compiler.EVENTS_DEFAULT_ORDER]

"""The CSV fast path for an EventsQuery of plain columns: PostgreSQL's COPY writes the rows.

The query is validated and compiled by `insights` (same filters, window and order as every other
export), then wrapped in `COPY (...) TO STDOUT WITH CSV`, so no row passes through Python. Cells
match the streamed path: ISO timestamps in the project's zone, property values as text (JSON for
objects). Anything else (`*`, `count()`, unknown columns, object values to flatten) returns None and
takes the general path.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import IO

from django.db import connection

from event_definitions.services import query_log_record
from exports.renderers import header_label
from insights import compiler
from insights.dates import project_zone
from insights.query_spec import EventsQuerySpec, parse_query

# NOTE: the EventsQuery window (default `after` of -24h, "all") is the insights selector's own
# rule; reusing it keeps CSV rows identical to the query endpoint's.
from insights.selectors import _event_window, regex_check
from posthog_core.models import Project

_PLAIN_COLUMNS = {"uuid", "event", "distinct_id", "timestamp"}
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]{1,64}$")
# Python's isoformat() in the project's zone: microseconds only when non-zero, offset as +HH:MM. The
# zone is applied in the expression, not with SET TIME ZONE, because Django reads timestamps assuming
# the session stays in UTC.
_LOCAL = "({c} AT TIME ZONE '{zone}')"
_OFFSET = "EXTRACT(EPOCH FROM {local} - ({c} AT TIME ZONE 'UTC'))::int"
_ISO_TIMESTAMP = (
    "to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_part('microseconds', {local})::bigint "
    "%% 1000000 <> 0 THEN to_char({local}, '.US') ELSE '' END || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END "
    "|| to_char(make_interval(secs => abs({offset})), 'HH24:MI')"
)


def copyable(columns: list[str]) -> bool:
    return bool(columns) and all(c in _PLAIN_COLUMNS or (c.startswith("properties.") and len(c) > 11)
                                 for c in columns)


def events_csv_copy(*, team: Project, query: dict, columns: list[str] | None, out: IO[bytes],
                    row_limit: int) -> tuple[int, bool] | None:
    """Write the query's rows as CSV to `out` with COPY; returns (rows written, truncated), or None
    when the query isn't a plain-column EventsQuery (the caller then streams it through Python)."""
    spec = parse_query(query, ["query"])
    if not isinstance(spec, EventsQuerySpec) or not copyable(spec.select):
        return None
    wanted = columns or list(spec.select)
    if not set(wanted) <= set(spec.select):
        return None
    zone = project_zone(team.timezone)
    since, until = _event_window(spec, zone, datetime.now(UTC), ["query"])
    regex_check(spec.properties)
    if _has_object_values(spec, team, since, until):
        return None
    inner = compiler.events_query_sql(spec=spec, team_id=team.id, since=since, until=until, limit=row_limit, offset=0)
    aliases = [f"c{i}" for i in range(len(spec.select))]
    if not _ZONE_NAME.match(zone.key):
        return None
    outer = ", ".join(_cell(f"q.{aliases[spec.select.index(column)]}", column, zone.key) for column in wanted)
    # A plain projection keeps the ordered subquery's row order in PostgreSQL.
    sql = f"COPY (SELECT {outer} FROM ({inner.text}) AS q({', '.join(aliases)})) TO STDOUT WITH CSV"
    header = io.StringIO()
    csv.writer(header).writerow([header_label(column) for column in wanted])
    out.write(header.getvalue().encode())
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql, inner.params) as copy:
            for block in copy:
                out.write(block)
        count = cursor.cursor.rowcount
    query_log_record(team=team, event_names=[spec.event] if spec.event else [], source="export")
    return count, count >= row_limit and _has_more(spec, team, since, until, row_limit)


def _cell(ref: str, column: str, zone: str) -> str:
    if column == "timestamp":
        local = _LOCAL.format(c=ref, zone=zone)
        return _ISO_TIMESTAMP.format(local=local, offset=_OFFSET.format(local=local, c=ref))
    if column.startswith("properties."):
        return f"({ref} #>> '{{}}')"
    return f"{ref}::text"


def _has_object_values(spec: EventsQuerySpec, team: Project, since, until) -> bool:
    """Object values are flattened into dotted columns, which COPY can't do: those exports stream.
    One EXISTS over the filtered rows, stopping at the first object found."""
    names = [column.removeprefix("properties.") for column in spec.select if column.startswith("properties.")]
    if not names:
        return False
    where = compiler.where_clause(team_id=team.id, event=spec.event, filters=spec.properties, since=since,
                                  until=until, until_inclusive=False)
    objects = " OR ".join("jsonb_typeof(properties -> %s) = 'object'" for _ in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {compiler.TABLE} WHERE {where.text} AND ({objects}))",
                       [*where.params, *names])
        return bool(cursor.fetchone()[0])


def _has_more(spec: EventsQuerySpec, team: Project, since, until, row_limit: int) -> bool:
    probe = compiler.events_query_sql(spec=spec, team_id=team.id, since=since, until=until, limit=1, offset=row_limit)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS ({probe.text})", probe.params)
        return bool(cursor.fetchone()[0])

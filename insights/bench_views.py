"""Baselines for bench/bench_insights.py, routed only when POSTHOG_CORE_BENCH=1.

Each read is one hand-written SQL statement in a bare Django view: no DRF, no authentication, no
ORM, no query compiler. Rows go out as JSON the lean way (orjson; `jsonb` columns, which the
database driver hands over as text, embedded verbatim as fragments), so the benchmark compares the
API with the same read over the same HTTP server, middleware and JSON encoder, and the ratio is
what the engine adds: validation, compilation, authentication, the query log and shaping.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseBadRequest

_EVENTS = "SELECT uuid, event, properties, timestamp, distinct_id FROM ingestion_event WHERE team_id = %(team)s "
_TRENDS_WHERE = ("FROM ingestion_event WHERE team_id = %(team)s AND event = %(event)s "
                 "AND timestamp >= %(since)s AND timestamp <= %(until)s")
_DAY = "date_trunc('day', timestamp AT TIME ZONE %(tz)s)"

# read -> (SQL, the query-string parameters it takes, the columns holding JSON text)
BASELINE_SQL: dict[str, tuple[str, tuple[str, ...], frozenset[int]]] = {
    "trends_total": (f"SELECT {_DAY}, count(*) {_TRENDS_WHERE} GROUP BY 1",
                     ("event", "since", "until", "tz"), frozenset()),
    "trends_dau": (f"SELECT {_DAY}, count(DISTINCT distinct_id) {_TRENDS_WHERE} GROUP BY 1",
                   ("event", "since", "until", "tz"), frozenset()),
    "trends_total_breakdown": (f"SELECT {_DAY}, properties ->> %(key)s, count(*) {_TRENDS_WHERE} GROUP BY 1, 2",
                               ("event", "since", "until", "tz", "key"), frozenset()),
    "events_query": (_EVENTS + "AND timestamp >= %(since)s AND properties ->> %(key)s = %(value)s "
                     "ORDER BY timestamp DESC, uuid DESC LIMIT %(limit)s",
                     ("since", "key", "value", "limit"), frozenset({2})),
    "events_page": (_EVENTS + "AND (timestamp, uuid) < (%(before)s, %(uuid)s::uuid) "
                    "ORDER BY timestamp DESC, uuid DESC LIMIT %(limit)s",
                    ("before", "uuid", "limit"), frozenset({2})),
}
_TIMES = ("since", "until", "before")


def baseline_params(project_id: str, names: tuple[str, ...], query) -> dict:
    """The statement's parameters from the query string (ValueError or KeyError when malformed)."""
    params = {"team": int(project_id)}
    for name in names:
        value = query[name]
        params[name] = datetime.fromisoformat(value) if name in _TIMES else int(value) if name == "limit" else value
    return params


def baseline_rows(read: str, params: dict) -> list[tuple]:
    """The rows of one baseline statement (the benchmark also times this in its own process)."""
    sql, _, json_columns = BASELINE_SQL[read]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not json_columns:
        return rows
    return [tuple(orjson.Fragment(value) if index in json_columns else value for index, value in enumerate(row))
            for row in rows]


def bench_insights_sql(request, project_id: str, read: str) -> HttpResponse:
    if read not in BASELINE_SQL or not project_id.isdigit():
        raise Http404
    try:
        params = baseline_params(project_id, BASELINE_SQL[read][1], request.GET)
    except (KeyError, ValueError):
        return HttpResponseBadRequest()
    body = orjson.dumps({"results": baseline_rows(read, params)}, default=str)
    return HttpResponse(body, content_type="application/json")

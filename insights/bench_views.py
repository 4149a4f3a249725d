"""Baselines for bench/bench_insights.py, routed only when POSTHOG_CORE_BENCH=1.

Each read is one hand-written SQL statement in a bare Django view: no DRF, no authentication, no
ORM, no query compiler. Rows go out as JSON objects keyed by column name (as the API's rows are)
the lean way: orjson, with `jsonb` columns, which the database driver hands over as text, embedded
verbatim as fragments. So the benchmark compares the API with the same read over the same HTTP
server, middleware and JSON encoder, and the ratio is what the API adds: authentication, DRF,
validation, compilation, the query log and shaping.
"""

from __future__ import annotations

from datetime import datetime

import orjson
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseBadRequest

_EVENTS = "SELECT {uuid}, event, properties, timestamp, distinct_id FROM ingestion_event WHERE team_id = %(team)s "
_TRENDS_WHERE = ("FROM ingestion_event WHERE team_id = %(team)s AND event = %(event)s "
                 "AND timestamp >= %(since)s AND timestamp <= %(until)s")
_DAY = "date_trunc('day', timestamp AT TIME ZONE %(tz)s) AS day"

# read -> (SQL, the query-string parameters it takes); column names are the API's keys.
BASELINE_SQL: dict[str, tuple[str, tuple[str, ...]]] = {
    "trends_total": (f"SELECT {_DAY}, count(*) AS value {_TRENDS_WHERE} GROUP BY 1", ("event", "since", "until", "tz")),
    "trends_dau": (f"SELECT {_DAY}, count(DISTINCT distinct_id) AS value {_TRENDS_WHERE} GROUP BY 1",
                   ("event", "since", "until", "tz")),
    "trends_total_breakdown": (f"SELECT {_DAY}, properties ->> %(key)s AS breakdown_value, count(*) AS value "
                               f"{_TRENDS_WHERE} GROUP BY 1, 2", ("event", "since", "until", "tz", "key")),
    "events_query": (_EVENTS.format(uuid="uuid") + "AND timestamp >= %(since)s AND properties ->> %(key)s = %(value)s "
                     "ORDER BY timestamp DESC, uuid DESC LIMIT %(limit)s", ("since", "key", "value", "limit")),
    "events_page": (_EVENTS.format(uuid="uuid AS id") + "AND (timestamp, uuid) < (%(before)s, %(uuid)s::uuid) "
                    "AND timestamp <= %(before)s ORDER BY timestamp DESC, uuid DESC LIMIT %(limit)s", ("before", "uuid", "limit")),
    # The floor: what /events/?event=<missing> reads (one index probe, no rows).
    "missing_event": (_EVENTS.format(uuid="uuid AS id") + "AND event = %(event)s "
                      "ORDER BY timestamp DESC, uuid DESC LIMIT %(limit)s", ("event", "limit")),
}
_JSONB_OID = 3802
_TIMES = ("since", "until", "before")


def baseline_params(project_id: str, names: tuple[str, ...], query) -> dict:
    """The statement's parameters from the query string (ValueError or KeyError when malformed)."""
    params = {"team": int(project_id)}
    for name in names:
        value = query[name]
        params[name] = datetime.fromisoformat(value) if name in _TIMES else int(value) if name == "limit" else value
    return params


def baseline_rows(read: str, params: dict) -> list[dict]:
    """The rows of one baseline statement (the benchmark also times this in its own process)."""
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL[read][0], params)
        rows = cursor.fetchall()
        names = [column.name for column in cursor.description]
        json_at = [index for index, column in enumerate(cursor.description) if column.type_code == _JSONB_OID]
    if json_at:
        rows = [list(row) for row in rows]
        for row in rows:
            for index in json_at:
                row[index] = orjson.Fragment(row[index])
    return [dict(zip(names, row, strict=True)) for row in rows]


def bench_insights_sql(request, project_id: str, read: str) -> HttpResponse:
    if read not in BASELINE_SQL or not project_id.isdigit():
        raise Http404
    try:
        params = baseline_params(project_id, BASELINE_SQL[read][1], request.GET)
    except (KeyError, ValueError):
        return HttpResponseBadRequest()
    body = orjson.dumps({"results": baseline_rows(read, params)}, default=str)
    return HttpResponse(body, content_type="application/json")

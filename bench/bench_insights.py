"""Queries over 5,000,000 events in one project and 1,000,000 in another (issue #7).

Seeded once by SQL (generate_series, not the ORM): 50 event names, 100,000 distinct ids, 90 days,
20 properties per event, one of them (`plan`) with 10 values.

What is compared: each figure is the p50/p99 of the API (`POST /query/`, `GET /events/`, with a
personal API key) against the same read as one hand-written SQL statement served by a bare Django
view on the same gunicorn server (insights/bench_views.py: no DRF, no authentication, no ORM or
compiler; rows as objects keyed like the API's, to JSON with orjson, jsonb embedded verbatim).
Both are timed through the same HTTP client in interleaved batches (gunicorn's sync workers close
every connection, so both pay a TCP connect), and both answers are checked to hold the same numbers
(trends) or rows (pages) before timing. So transport, middleware and JSON encoding are on both
sides and the ratio (`vs sql_view`) is what the API adds over its SQL: authentication and project
lookup, DRF, validation, compilation, the query-log write and shaping. Target: each API p50 ≤ 1.5×
its `sql_view` p50.

For transparency, each figure's API p50 is also set against the same SQL run in this process with
no HTTP at all (`..._info_only` lines, `vs sql_in_process_no_http`), and `request_floor` notes what
the cheapest authenticated request pays over its bare view; neither is the target.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from bench.harness import Context, percentile, time_calls

MAIN_EVENTS, OTHER_EVENTS = 5_000_000, 1_000_000
BATCH = 500_000
EVENT = "event_7"
PROPERTIES = ", ".join(f"'p{i}', 'v{i}_' || (g * {i + 3} %% {i + 5})" for i in range(2, 20))


def _secondary_indexes(cursor) -> tuple[list[tuple[str, str]], list[str]]:
    """(unique constraints as (name, definition), CREATE INDEX statements) of the events table,
    read from the catalog so the rebuild matches whatever the migrations created."""
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = 'ingestion_event'::regclass AND contype = 'u'")
    constraints = cursor.fetchall()
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ingestion_event' "
                   "AND indexname <> 'ingestion_event_pkey'")
    names = {name for name, _ in constraints}
    # The events table is partitioned (ingestion.partitions): its indexes are defined `ON ONLY` the
    # parent, and rebuilt on the parent they must reach every partition again.
    return constraints, [definition.replace(" ON ONLY ", " ON ") for name, definition in cursor.fetchall()
                         if name not in names]


def seed(projects: list[tuple[int, int]], now: datetime) -> None:
    """Insert `count` events per `(team_id, count)` by generate_series in batches, resuming after
    completed batches.

    NOTE: bulk loading into a table whose indexes are built afterwards is several times faster
    than maintaining a random-uuid unique index row by row; the indexes are restored (from the
    catalog's own definitions) even when loading fails.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        todo = []
        for team_id, count in projects:
            cursor.execute("SELECT count(*) FROM ingestion_event WHERE team_id = %s", [team_id])
            existing = cursor.fetchone()[0]
            if existing % BATCH or existing > count:
                cursor.execute("DELETE FROM ingestion_event WHERE team_id = %s", [team_id])
                existing = 0
            todo += [(team_id, start, min(start + BATCH, count), count) for start in range(existing, count, BATCH)]
        if not todo:
            return
        constraints, indexes = _secondary_indexes(cursor)
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE ingestion_event DROP CONSTRAINT "{name}"')
        for definition in indexes:
            cursor.execute("DROP INDEX IF EXISTS " + definition.split(" ON ")[0].split()[-1])
        try:
            for team_id, start, end, count in todo:
                began = time.perf_counter()
                cursor.execute(
                    "INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at) "
                    "SELECT gen_random_uuid(), %s, 'event_' || (g %% 50), 'user_' || (g * 7919 %% 100000), "
                    "%s - (g * 104729 %% 7776000) * interval '1 second', "
                    f"jsonb_build_object('plan', 'plan_' || (g * 31 %% 10), 'amount', g %% 1000, {PROPERTIES}), now() "
                    "FROM generate_series(%s::bigint, %s::bigint) AS g",
                    [team_id, now, start + 1, end],
                )
                print(f"  project {team_id}: seeded {end:,} / {count:,} ({time.perf_counter() - began:.1f} s)",
                      flush=True)
        finally:
            began = time.perf_counter()
            for definition in indexes:
                cursor.execute(definition)
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE ingestion_event ADD CONSTRAINT "{name}" {definition}')
            print(f"  rebuilt indexes ({time.perf_counter() - began:.1f} s)", flush=True)
        cursor.execute("VACUUM ANALYZE ingestion_event")



def interleaved(calls: list, rounds: int, batch: int = 5) -> list[list[float]]:
    """Latencies of each call, alternating batches so drift on a shared machine hits all alike."""
    samples: list[list[float]] = [[] for _ in calls]
    for _ in range(rounds):
        for call, into in zip(calls, samples, strict=True):
            into += time_calls(call, batch, warmup=1)
    return samples


def compare(ctx: Context, client, name: str, api_call, read: str, query: dict, rounds: int) -> None:
    """Time the API, the bare SQL view and (for information) the SQL in this process, interleaved."""
    from insights.bench_views import BASELINE_SQL, baseline_params, baseline_rows

    view_path = baseline_path(client, read, query)
    params = baseline_params(client.project_id, BASELINE_SQL[read][1], query)
    api, view, in_process = interleaved(
        [api_call, lambda: client.get(view_path), lambda: baseline_rows(read, params)], rounds)
    ctx.report_latencies(name, api, "sql_view", view)
    ctx.report(f"{name}.p50_info_only", percentile(api, 50), "ms", "sql_in_process_no_http.p50",
               percentile(in_process, 50))


def baseline_path(client, read: str, query: dict) -> str:
    return f"/api/projects/{client.project_id}/_bench/insights/{read}?{urlencode(query)}"


def baseline_answer(client, read: str, query: dict) -> list:
    status, body, _ = client.get(baseline_path(client, read, query))
    assert status == 200, body[:500]
    return json.loads(body)["results"]


def note_request_floor(ctx: Context, client) -> None:
    """What every authenticated API request pays over a bare view (authentication, project lookup,
    DRF), from the cheapest read: `/events/` of a missing event against the bare same read."""
    api_path = f"/api/projects/{client.project_id}/events/?limit=1&event=__no_such_event__"
    view_path = baseline_path(client, "missing_event", {"event": "__no_such_event__", "limit": 2})
    assert client.get(api_path)[1] == b'{"next":null,"results":[]}' and baseline_answer(
        client, "missing_event", {"event": "__no_such_event__", "limit": 2}) == []
    api, view = interleaved([lambda: client.get(api_path), lambda: client.get(view_path)], rounds=12)
    ctx.note(f"request_floor (info): an empty /events/ page p50 {percentile(api, 50):.2f} ms vs the bare view "
             f"p50 {percentile(view, 50):.2f} ms; every API figure above its sql_view carries this "
             f"{percentile(api, 50) - percentile(view, 50):.2f} ms")


def api_totals(body: dict) -> dict:
    return {(row.get("breakdown_value"), day): value for row in body["results"]
            for day, value in zip(row["days"], row["data"], strict=True) if value}


def bench_trends(ctx: Context, client, math: str, breakdown: bool) -> None:
    query = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": EVENT, "math": math}],
             "interval": "day", "dateRange": {"date_from": "-30d"}}
    if breakdown:
        query["breakdownFilter"] = {"breakdown": "plan", "breakdown_limit": 25}
    path = f"/api/projects/{client.project_id}/query/"
    status, body, _ = client.request("POST", path, {"query": query})
    assert status == 200, body[:500]
    answer = json.loads(body)
    read = f"trends_{math}" + ("_breakdown" if breakdown else "")
    params = {"event": EVENT, "since": answer["resolved_date_range"]["date_from"],
              "until": answer["resolved_date_range"]["date_to"], "tz": answer["timezone"],
              **({"key": "plan"} if breakdown else {})}
    rows = baseline_answer(client, read, params)
    expected = {(row.get("breakdown_value"), row["day"][:10]): row["value"] for row in rows}
    assert api_totals(answer) == expected, "the baseline must return the same numbers"
    name = f"trends_30d_{math}" + ("_breakdown_plan" if breakdown else "")
    compare(ctx, client, name, lambda: client.request("POST", path, {"query": query}), read, params,
            rounds=12 if math == "total" and not breakdown else 4)


def same_rows(api_rows: list[dict], baseline: list[dict]) -> bool:
    """The same rows in the same order; timestamps compared as instants."""
    def key(row: dict) -> dict:
        return {**row, "timestamp": datetime.fromisoformat(row["timestamp"])}

    return [key(row) for row in api_rows] == [key(row) for row in baseline]


def bench_events_query(ctx: Context, client) -> None:
    query = {"kind": "EventsQuery", "select": ["*"], "after": "-30d", "limit": 100,
             "properties": [{"key": "p7", "value": "v7_4", "operator": "exact", "type": "event"}]}
    path = f"/api/projects/{client.project_id}/query/"
    status, body, _ = client.request("POST", path, {"query": query})
    assert status == 200, body[:500]
    since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=30)
    params = {"since": since.isoformat(), "key": "p7", "value": "v7_4", "limit": 101}
    baseline = baseline_answer(client, "events_query", params)
    answer = json.loads(body)
    assert answer["hasMore"] == (len(baseline) > 100)
    assert same_rows([row[0] for row in answer["results"]], baseline[:100]), "the baseline must return the same rows"
    compare(ctx, client, "events_query_page_100_property_filter",
            lambda: client.request("POST", path, {"query": query}), "events_query", params, rounds=12)


def bench_events_paging(ctx: Context, client) -> None:
    path = f"/api/projects/{client.project_id}/events/?limit=100"
    for _ in range(9):
        status, body, _ = client.get(path)
        assert status == 200, body[:500]
        parts = urlsplit(json.loads(body)["next"])
        path = f"{parts.path}?{parts.query}"
    status, body, _ = client.get(path)
    from insights.event_params import cursor_decode

    timestamp, uuid = cursor_decode(dict(pair.split("=", 1) for pair in urlsplit(path).query.split("&"))["cursor"])
    params = {"before": timestamp.isoformat(), "uuid": uuid, "limit": 101}
    baseline = baseline_answer(client, "events_page", params)
    assert same_rows(json.loads(body)["results"], baseline[:100]), "the baseline must return the same rows"
    compare(ctx, client, "events_api_page_10", lambda: client.get(path), "events_page", params, rounds=12)


def run(ctx: Context) -> None:
    from accounts.services import account_bootstrap, personal_api_key_create

    user, main = account_bootstrap(email="bench-insights@example.com", password="bench-password",
                                   organization="Bench insights", project="Bench insights")
    _, other = account_bootstrap(email="bench-insights@example.com", password="bench-password",
                                 organization="Bench insights", project="Bench insights (other)")
    now = datetime.now(UTC)
    seed([(main.id, MAIN_EVENTS), (other.id, OTHER_EVENTS)], now)
    key = personal_api_key_create(user=user, label="bench", scopes=["query:read"])
    client = ctx.http({"Authorization": f"Bearer {key._plain_value}"})
    client.project_id = str(main.id)
    for math, breakdown in (("total", False), ("dau", False), ("total", True)):
        bench_trends(ctx, client, math, breakdown)
    bench_events_query(ctx, client)
    bench_events_paging(ctx, client)
    note_request_floor(ctx, client)

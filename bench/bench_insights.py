"""Queries over 5,000,000 events in one project and 1,000,000 in another (issue #7).

Seeded once by SQL (generate_series, not the ORM): 50 event names, 100,000 distinct ids, 90 days,
20 properties per event, one of them (`plan`) with 10 values. Each figure is the p50/p99 of the
API over HTTP against one hand-written SQL query returning the same numbers, run in this process
on the same database. Target: each API p50 ≤ 1.5× its SQL baseline. Because every request also
pays the shared auth/permission cost, each figure is repeated less the p50 of the cheapest
authenticated request timed in the same rounds (`p50_minus_request_floor`): the engine's own cost.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bench.harness import Context, percentile, time_calls

MAIN_EVENTS, OTHER_EVENTS = 5_000_000, 1_000_000
BATCH = 500_000
RUNS = 15
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
    return constraints, [definition for name, definition in cursor.fetchall() if name not in names]


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


def sql_rows(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def trends_baseline(team_id: int, aggregate: str, since: datetime, until: datetime, breakdown: bool) -> list[tuple]:
    group = ", COALESCE(properties ->> 'plan', '') " if breakdown else " "
    return sql_rows(
        f"SELECT date_trunc('day', timestamp AT TIME ZONE 'UTC'){group.rstrip()} , {aggregate} FROM ingestion_event "
        "WHERE team_id = %s AND event = %s AND timestamp >= %s AND timestamp <= %s GROUP BY 1"
        + (", 2" if breakdown else ""),
        [team_id, EVENT, since, until],
    )


def api_totals(body: dict) -> dict:
    return {(row.get("breakdown_value"), day): value for row in body["results"]
            for day, value in zip(row["days"], row["data"], strict=True) if value}


def baseline_totals(rows: list[tuple], breakdown: bool) -> dict:
    if breakdown:
        return {(plan, day.strftime("%Y-%m-%d")): value for day, plan, value in rows}
    return {(None, day.strftime("%Y-%m-%d")): value for day, value in rows}


FLOOR_CALL: list = []


def compare(ctx: Context, name: str, api_call, baseline_call) -> None:
    """API against SQL; then the API less the request floor (auth, routing and permission queries
    that every endpoint pays, timed in the same rounds), which is what the engine adds over its SQL."""
    api, base, floor = [], [], []
    for _ in range(RUNS // 5):
        api += time_calls(api_call, 5, warmup=1)
        base += time_calls(baseline_call, 5, warmup=1)
        floor += time_calls(FLOOR_CALL[0], 5, warmup=1)
    ctx.report_latencies(name, api, "sql", base)
    ctx.report(f"{name}.p50_minus_request_floor", percentile(api, 50) - percentile(floor, 50), "ms", "sql.p50",
               percentile(base, 50))


def set_floor(ctx: Context, client, team_id: int) -> None:
    """The cheapest authenticated request: `/events/` for an event that does not exist (one index probe)."""
    path = f"/api/projects/{team_id}/events/?limit=1&event=__no_such_event__"
    FLOOR_CALL[:] = [lambda: client.get(path)]
    samples = time_calls(FLOOR_CALL[0], 30, warmup=3)
    ctx.note(f"request_floor.p50: {percentile(samples, 50):.2f} ms (GET /events/ of a missing event; "
             "every API figure includes it)")


def bench_trends(ctx: Context, client, team_id: int, math: str, breakdown: bool) -> None:
    query = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": EVENT, "math": math}],
             "interval": "day", "dateRange": {"date_from": "-30d"}}
    if breakdown:
        query["breakdownFilter"] = {"breakdown": "plan", "breakdown_limit": 25}
    status, body, _ = client.request("POST", f"/api/projects/{team_id}/query/", {"query": query})
    assert status == 200, body[:500]
    answer = json.loads(body)
    since = datetime.fromisoformat(answer["resolved_date_range"]["date_from"])
    until = datetime.fromisoformat(answer["resolved_date_range"]["date_to"])
    aggregate = "count(*)" if math == "total" else "count(DISTINCT distinct_id)"
    rows = trends_baseline(team_id, aggregate, since, until, breakdown)
    assert api_totals(answer) == baseline_totals(rows, breakdown), "the baseline must return the same numbers"
    name = f"trends_30d_{math}" + ("_breakdown_plan" if breakdown else "")
    compare(ctx, name, lambda: client.request("POST", f"/api/projects/{team_id}/query/", {"query": query}),
            lambda: trends_baseline(team_id, aggregate, since, until, breakdown))


def bench_events_query(ctx: Context, client, team_id: int) -> None:
    query = {"kind": "EventsQuery", "select": ["*"], "after": "-30d", "limit": 100,
             "properties": [{"key": "p7", "value": "v7_4", "operator": "exact", "type": "event"}]}
    status, body, _ = client.request("POST", f"/api/projects/{team_id}/query/", {"query": query})
    assert status == 200, body[:500]
    since = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=30)
    since = since.replace(hour=0)
    sql = ("SELECT uuid, event, properties, timestamp, distinct_id FROM ingestion_event WHERE team_id = %s "
           "AND timestamp >= %s AND COALESCE((properties ->> 'p7') = ANY(%s), false) "
           "ORDER BY timestamp DESC, uuid DESC LIMIT 101")
    rows = sql_rows(sql, [team_id, since, ["v7_4"]])
    assert [row[0]["uuid"] for row in json.loads(body)["results"]] == [str(row[0]) for row in rows[:100]]
    compare(ctx, "events_query_page_100_property_filter",
            lambda: client.request("POST", f"/api/projects/{team_id}/query/", {"query": query}),
            lambda: sql_rows(sql, [team_id, since, ["v7_4"]]))


def bench_events_paging(ctx: Context, client, team_id: int) -> None:
    path = f"/api/projects/{team_id}/events/?limit=100"
    for _ in range(9):
        status, body, _ = client.get(path)
        assert status == 200, body[:500]
        parts = urlsplit(json.loads(body)["next"])
        path = f"{parts.path}?{parts.query}"
    status, body, _ = client.get(path)
    last = json.loads(body)["results"]
    from insights.selectors import _decode_cursor

    cursor = dict(pair.split("=", 1) for pair in urlsplit(path).query.split("&"))["cursor"]
    timestamp, uuid = _decode_cursor(cursor)
    sql = ("SELECT uuid, distinct_id, properties, event, timestamp FROM ingestion_event WHERE team_id = %s "
           "AND (timestamp, uuid) < (%s, %s::uuid) ORDER BY timestamp DESC, uuid DESC LIMIT 101")
    rows = sql_rows(sql, [team_id, timestamp, uuid])
    assert [row["id"] for row in last] == [str(row[0]) for row in rows[:100]]
    compare(ctx, "events_api_page_10", lambda: client.get(path), lambda: sql_rows(sql, [team_id, timestamp, uuid]))


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
    set_floor(ctx, client, main.id)
    for math, breakdown in (("total", False), ("dau", False), ("total", True)):
        bench_trends(ctx, client, main.id, math, breakdown)
    bench_events_query(ctx, client, main.id)
    bench_events_paging(ctx, client, main.id)

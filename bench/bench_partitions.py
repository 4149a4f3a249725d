"""Events partitioned by month (issue #15), on 5,000,000 events of one project over 12 months.

Two figures, each against its baseline measured in the same run:

- A 30-day trends query (the SQL `/query/` compiles for a TrendsQuery of one event, daily, `-30d`;
  total count and unique users) on the partitioned `ingestion_event` against the same statement on
  `bench_event_unpartitioned`, an unpartitioned copy of the same rows with the indexes the table had
  before partitioning (primary key, unique `(team_id, uuid)`, `(team_id, event, timestamp)`,
  `(team_id, timestamp, uuid)`). Both run in this process, interleaved, after both answers are
  checked to be equal, in alternating blocks of calls (see compare_trends). Target: partitioned p50
  ≤ 1.0× unpartitioned.
- Retention of the oldest month, as the service does it: detach its partition (committed; the only
  step that locks the events table, after which the month is out of every query), then drop the
  detached table (committed; its files are freed). Against `DELETE` of the same rows from the
  unpartitioned copy (committed), and against that `DELETE` plus the `VACUUM` that makes its space
  reusable. Target: ≥ 100× faster.

Seeded by SQL, one `INSERT ... SELECT generate_series` per month (about 416,667 rows each: 50 event
names, 100,000 distinct ids, 10 properties), each month's indexes rebuilt after its fill as the
copy's are built after its load, and kept: a later run only refills the month its retention figure
removed.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from bench.harness import Context, percentile

MONTHS = 12
PER_MONTH = 416_667  # × 12 ≈ 5,000,000
FLAT = "bench_event_unpartitioned"
EVENT = "event_7"
SAMPLES = 150
BLOCK, WARM = 12, 2
PROPERTIES = ", ".join(f"'p{i}', 'v{i}_' || (g * {i + 3} %% {i + 5})" for i in range(2, 10))
FLAT_INDEXES = [
    f'ALTER TABLE "{FLAT}" ADD PRIMARY KEY (id)',
    f'ALTER TABLE "{FLAT}" ADD CONSTRAINT {FLAT}_team_uuid UNIQUE (team_id, uuid)',
    f'CREATE INDEX {FLAT}_team_event_ts ON "{FLAT}" (team_id, event, timestamp)',
    f'CREATE INDEX {FLAT}_team_ts_uuid ON "{FLAT}" (team_id, timestamp, uuid)',
]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    from ingestion.partitions import add_months

    after = add_months(month, 1)
    return (datetime(month.year, month.month, 1, tzinfo=UTC), datetime(after.year, after.month, 1, tzinfo=UTC))


def count(cursor, table: str, team_id: int, month: date) -> int:
    start, end = month_bounds(month)
    cursor.execute(f'SELECT count(*) FROM "{table}" WHERE team_id = %s AND timestamp >= %s AND timestamp < %s',
                   [team_id, start, end])
    return cursor.fetchone()[0]


def seed_month(cursor, team_id: int, month: date) -> None:
    start, end = month_bounds(month)
    cursor.execute(
        "INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at) "
        "SELECT gen_random_uuid(), %s, 'event_' || (g %% 50), 'user_' || (g * 7919 %% 100000), "
        "%s + (g * 104729 %% %s) * interval '1 second', "
        f"jsonb_build_object('plan', 'plan_' || (g * 31 %% 10), 'amount', g %% 1000, {PROPERTIES}), now() "
        "FROM generate_series(1::bigint, %s::bigint) AS g",
        [team_id, start, int((end - start).total_seconds()), PER_MONTH])


def seed(team_id: int, months: list[date]) -> None:
    """Fill every month that lacks its rows in the partitioned table, then in the copy."""
    from django.db import connection

    from ingestion.maintenance import events_maintenance_run
    from ingestion.partitions import partition_name

    events_maintenance_run(retention_days=None, wait=True, drop=False)  # the months' partitions
    changed = False
    with connection.cursor() as cursor:
        for month in months:
            if count(cursor, "ingestion_event", team_id, month) != PER_MONTH:
                began = time.perf_counter()
                start, end = month_bounds(month)
                cursor.execute("DELETE FROM ingestion_event WHERE team_id = %s AND timestamp >= %s AND timestamp < %s",
                               [team_id, start, end])
                seed_month(cursor, team_id, month)
                # The copy's indexes are built after its load, packed; these grew under the seed's
                # inserts in random time order, about a quarter larger. Rebuilt, so both sides are
                # compared with freshly built indexes.
                cursor.execute(f'REINDEX TABLE "{partition_name(month)}"')
                changed = True
                print(f"  seeded {month:%Y-%m} ({time.perf_counter() - began:.1f} s)", flush=True)
        cursor.execute("SELECT to_regclass(%s)", [FLAT])
        if cursor.fetchone()[0] is None:
            began = time.perf_counter()
            # Loaded whole, then indexed: several times faster than maintaining the indexes row by row.
            cursor.execute(f'CREATE TABLE "{FLAT}" (LIKE ingestion_event INCLUDING DEFAULTS)')
            cursor.execute(f'INSERT INTO "{FLAT}" SELECT * FROM ingestion_event WHERE team_id = %s', [team_id])
            for statement in FLAT_INDEXES:
                cursor.execute(statement)
            changed = True
            print(f"  copied into {FLAT} ({time.perf_counter() - began:.1f} s)", flush=True)
        for month in months:
            if count(cursor, FLAT, team_id, month) != PER_MONTH:
                start, end = month_bounds(month)
                cursor.execute(f'DELETE FROM "{FLAT}" WHERE team_id = %s AND timestamp >= %s AND timestamp < %s',
                               [team_id, start, end])
                cursor.execute(f'INSERT INTO "{FLAT}" SELECT * FROM ingestion_event WHERE team_id = %s '
                               "AND timestamp >= %s AND timestamp < %s", [team_id, start, end])
                changed = True
        if changed:
            began = time.perf_counter()
            cursor.execute("VACUUM ANALYZE ingestion_event")
            cursor.execute(f'VACUUM ANALYZE "{FLAT}"')
            print(f"  vacuumed ({time.perf_counter() - began:.1f} s)", flush=True)


def trends_sql(project, math: str, now: datetime):
    from insights.query_spec import parse_query
    from insights.selectors import trends_query_buckets, trends_statements

    query = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": EVENT, "math": math}],
             "interval": "day", "dateRange": {"date_from": "-30d"}}
    spec = parse_query(query, ["query"])
    buckets = trends_query_buckets(team=project, spec=spec, now=now, path=["query"])
    (sql,) = trends_statements(team=project, spec=spec, buckets=buckets)
    assert sql.text.count("FROM ingestion_event ") == 1, sql.text
    return sql.text, sql.text.replace("FROM ingestion_event ", f'FROM "{FLAT}" '), sql.params


def compare_trends(ctx: Context, cursor, math: str, partitioned: str, flat: str, params: list) -> None:
    def run(text: str) -> list:
        cursor.execute(text, params)
        return sorted(cursor.fetchall())

    answer = run(partitioned)
    assert answer and answer == run(flat), "both tables must give the same numbers"
    for _ in range(5):
        run(partitioned)
        run(flat)
    samples: list[list[float]] = [[], []]
    # Blocks of BLOCK calls of one side, then of the other, the order swapped every pair, each
    # block's first WARM calls not counted: load from other jobs on the machine lands on both
    # sides alike, and each side is measured with its pages in the buffer pool. Single calls in
    # turn measured the pool instead: the unique-users query reads ~8,600 heap pages of each
    # table, and the two working sets (~140 MB) do not fit PostgreSQL's default 128 MB
    # shared_buffers together, so each call found the other table's pages there.
    for index in range(SAMPLES // (BLOCK - WARM)):
        for side in ((0, 1) if index % 2 else (1, 0)):
            for call in range(BLOCK):
                began = time.perf_counter()
                run((partitioned, flat)[side])
                if call >= WARM:
                    samples[side].append((time.perf_counter() - began) * 1000)
    ctx.report_latencies(f"trends_30d_{math}_partitioned", samples[0], "unpartitioned", samples[1])
    ctx.note(f"trends_30d_{math}: partitioned p50 / unpartitioned p50 = "
             f"{percentile(samples[0], 50) / percentile(samples[1], 50):.2f} (target <= 1.0)")
    # Where the difference is spent, as the server reports it (no client in the figure).
    split = [server_split(cursor, text, params) for text in (partitioned, flat)]
    for part, name in enumerate(("planning", "execution")):
        ctx.report(f"trends_30d_{math}_partitioned.server_{name}", split[0][part], "ms",
                   f"unpartitioned.server_{name}", split[1][part])


def server_split(cursor, text: str, params: list, calls: int = 100) -> tuple[float, float]:
    """Median planning and execution times PostgreSQL reports for `text` (EXPLAIN ANALYZE without
    per-node timing, whose clock reads would weigh on the many-row side)."""
    found: dict[str, list[float]] = {"Planning Time": [], "Execution Time": []}
    for _ in range(calls):
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY) {text}", params)
        for (line,) in cursor.fetchall():
            label, _, value = line.partition(": ")
            if label in found:
                found[label].append(float(value.removesuffix(" ms")))
    return percentile(found["Planning Time"], 50), percentile(found["Execution Time"], 50)


def bench_trends(ctx: Context, project, now: datetime) -> None:
    from django.db import connection

    for math in ("total", "dau"):
        partitioned, flat, params = trends_sql(project, math, now)
        with connection.cursor() as cursor:
            compare_trends(ctx, cursor, math, partitioned, flat, params)


def bench_retention(ctx: Context, team_id: int, month: date) -> None:
    from django.db import connection, transaction

    from ingestion.maintenance import events_detached_drop
    from ingestion.partitions import add_months, event_partitions_detach_expired, expired_name, partition_name

    start, end = month_bounds(month)
    with connection.cursor() as cursor:
        rows = count(cursor, "ingestion_event", team_id, month)
        assert rows == count(cursor, FLAT, team_id, month) == PER_MONTH
        # Untimed: the empty partitions of the window older than the month, so the timed round
        # retires exactly one month.
        with transaction.atomic():
            event_partitions_detach_expired(cursor=cursor, now=start, retention_days=0)
        events_detached_drop()
        began = time.perf_counter()
        with transaction.atomic():
            detached = event_partitions_detach_expired(cursor=cursor, now=end, retention_days=0)
        detach_ms = (time.perf_counter() - began) * 1000
        assert detached == [partition_name(month)], detached
        began = time.perf_counter()
        assert events_detached_drop() == [expired_name(partition_name(month))]
        drop_ms = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        cursor.execute(f'DELETE FROM "{FLAT}" WHERE team_id = %s AND timestamp >= %s AND timestamp < %s',
                       [team_id, start, end])
        deleted = cursor.rowcount
        delete_ms = (time.perf_counter() - began) * 1000
        assert deleted == rows
        # The DELETE leaves its rows' space (and their index entries) taken until a VACUUM removes
        # them; only then can the table reuse it. The drop has already given its space back.
        began = time.perf_counter()
        cursor.execute(f'VACUUM "{FLAT}"')
        vacuum_ms = (time.perf_counter() - began) * 1000
        assert count(cursor, "ingestion_event", team_id, add_months(month, 1)) == PER_MONTH
    label = f"retention_one_month ({rows:,} rows)"
    # The month is out of every query once the detach commits, and the detach is all the time the
    # events table is locked; the DELETE holds its row locks (and its table) as long as it runs.
    ctx.report(f"{label}: detach, events table locked", detach_ms, "ms", "delete_same_rows", delete_ms)
    # Everything, the files' release included, against the DELETE and the VACUUM that frees its space.
    ctx.report(f"{label}: detach + drop", detach_ms + drop_ms, "ms", "delete_same_rows", delete_ms)
    ctx.report(f"{label}: detach + drop", detach_ms + drop_ms, "ms", "delete_then_vacuum", delete_ms + vacuum_ms)
    ctx.note(f"retention_one_month: detach {detach_ms:.0f} ms (the events table's lock), then drop {drop_ms:.0f} ms "
             f"(that table alone; the kernel frees its pages at commit); DELETE {delete_ms:.0f} ms, VACUUM {vacuum_ms:.0f} ms")
    ctx.note(f"retention_one_month: detach {delete_ms / detach_ms:.0f}x faster than DELETE (target >= 100x); "
             f"detach + drop {delete_ms / (detach_ms + drop_ms):.0f}x faster than DELETE, "
             f"{(delete_ms + vacuum_ms) / (detach_ms + drop_ms):.0f}x faster than DELETE + VACUUM")


def run(ctx: Context) -> None:
    from accounts.services import account_bootstrap
    from ingestion.partitions import add_months, month_start

    _, project = account_bootstrap(email="bench-partitions@example.com", password="bench-password",
                                   organization="Bench partitions", project="Bench partitions")
    now = datetime.now(UTC)
    months = [add_months(month_start(now), -offset) for offset in range(MONTHS - 1, -1, -1)]
    began = time.perf_counter()
    seed(project.id, months)
    print(f"  seed ready ({time.perf_counter() - began:.1f} s)", flush=True)
    bench_trends(ctx, project, now)
    bench_retention(ctx, project.id, months[0])

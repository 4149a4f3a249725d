"""File system at scale (issue #5): one project with 1,000,000 entries and one with 200,000
(depth 1–6, ~5% folders, realistic names), seeded with COPY.

Reads (p50/p99 over HTTP with a personal API key) against the same read as one hand-written SQL
query served by a bare Django view on the same server (file_system/bench_views.py): `?parent=<folder with ~100k descendants>&depth=3|6`,
`?search=name:churn`, and `count/` on that folder. Target: each read ≤ 2× its SQL baseline.
Move: `move/` of that folder (set-based) against the same move done row by row through the ORM,
one UPDATE per descendant as PostHog does (one sample: it takes minutes). Target: ≥ 20× faster.
`FS_BENCH_PARTS=reads` (or `move`) runs one half.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from urllib.parse import urlencode

from bench.harness import Context, percentile, time_calls

BIG_ROWS, SMALL_ROWS = 1_000_000, 200_000
TOP_FOLDERS = ["Product", "Marketing", "Engineering", "Sales", "Growth", "Finance", "Support", "Design", "Data", "Operations"]
SUB_FOLDERS = ["Q1 2025", "Experiments", "Onboarding", "Retention", "Revenue / Growth", "Archive", "Launches", "Weekly"]
ADJECTIVES = ["Weekly", "Monthly", "Daily", "Quarterly", "New", "Legacy", "Mobile", "Web", "EU", "US"]
NOUNS = ["signups", "revenue", "churn", "activation", "pageviews", "retention", "funnel", "errors", "latency", "trials",
         "upgrades", "referrals", "sessions", "checkout", "search", "billing", "invites", "exports", "alerts", "surveys"]
KINDS = [("insight", "trend"), ("insight", "funnel"), ("insight", "retention"), ("dashboard", "dashboard"),
         ("notebook", "notes"), ("feature_flag", "flag"), ("experiment", "experiment"), ("cohort", "cohort"),
         ("hog_function/destination", "webhook"), ("insight", "table")]
FILES_PER_FOLDER, FANOUT, MAX_FOLDER_DEPTH = 20, 8, 5
SEARCH_TERM = "churn"
READ_SAMPLES, MOVE_SAMPLES, ROW_BY_ROW_SAMPLES = 40, 4, 1
WARMUP_CALLS = 20


def escape(segment: str) -> str:
    return segment.replace("\\", "\\\\").replace("/", "\\/")


def tree_rows(team_id: int, user_id: int, top_folders: list[str], total: int):
    """(path, depth, type, ref) tuples: folders with FANOUT subfolders down to depth 5 and
    FILES_PER_FOLDER files in each (depth 2–6), topped up with depth-1 files to `total`."""
    counter = itertools.count()
    emitted = 0

    def files(parent: str, depth: int):
        for _ in range(FILES_PER_FOLDER):
            n = next(counter)
            type_, kind = KINDS[n % len(KINDS)]
            name = f"{ADJECTIVES[n % 7 % len(ADJECTIVES)]} {NOUNS[n // 7 % len(NOUNS)]} {kind} {n}"
            yield f"{parent}/{escape(name)}", depth, type_, str(n)

    def folder(path: str, depth: int):
        yield path, depth, "folder", None
        yield from files(path, depth + 1)
        if depth < MAX_FOLDER_DEPTH:
            for sub in SUB_FOLDERS[:FANOUT]:
                yield from folder(f"{path}/{escape(sub)}", depth + 1)

    for top in top_folders:
        for row in folder(escape(top), 1):
            emitted += 1
            yield row
    while emitted < total:
        n = next(counter)
        emitted += 1
        yield f"Unfiled item {n}", 1, "insight", str(n)


def copy_rows(cursor, team_id: int, user_id: int, rows) -> None:
    from posthog_core.utils import uuid7

    meta = json.dumps({"created_by": user_id})
    with cursor.copy("COPY file_system_filesystem (id, team_id, path, depth, type, ref, shortcut, meta, created_at, created_by_id) FROM STDIN") as copy:
        for path, depth, type_, ref in rows:
            copy.write_row((uuid7(), team_id, path, depth, type_, ref, False, meta, "2025-01-01T00:00:00Z", user_id))


def seed(big, small, user) -> None:
    """COPY both trees with the secondary indexes dropped (the entries' and their names', which the
    database's triggers fill), then rebuild them: much faster than maintaining them row by row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM file_system_filesystem WHERE team_id IN (%s, %s)", [big.pk, small.pk])
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('file_system_filesystem', "
                       "'file_system_filesystemname') AND indexname NOT LIKE '%%pkey'")
        indexes = cursor.fetchall()
        try:
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            copy_rows(cursor, big.pk, user.pk, tree_rows(big.pk, user.pk, TOP_FOLDERS, BIG_ROWS))
            copy_rows(cursor, small.pk, user.pk, tree_rows(small.pk, user.pk, TOP_FOLDERS[:2], SMALL_ROWS))
        finally:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _, definition in indexes:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS").replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS"))
        cursor.execute("VACUUM ANALYZE file_system_filesystem")
        cursor.execute("VACUUM ANALYZE file_system_filesystemname")


def ensure_seeded(ctx: Context, big, small, user) -> None:
    from file_system.models import FileSystem

    counts = {team.pk: FileSystem.objects.filter(team=team).count() for team in (big, small)}
    if counts == {big.pk: BIG_ROWS, small.pk: SMALL_ROWS} and FileSystem.objects.filter(team=big, path="Growth", type="folder").exists():
        ctx.note(f"file_system seed: reusing {BIG_ROWS:,} + {SMALL_ROWS:,} entries")
        return
    start = time.perf_counter()
    seed(big, small, user)
    ctx.note(f"file_system seed: {BIG_ROWS:,} + {SMALL_ROWS:,} entries by COPY in {time.perf_counter() - start:.1f} s")


def vacuum() -> None:
    """Start from vacuumed tables: an earlier run's moves leave ~400k dead entries, and autovacuum
    (or autoanalyze) working through them in the middle of a timed move or read is not what either
    side measures."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE file_system_filesystem")
        cursor.execute("VACUUM ANALYZE file_system_filesystemname")


def interleaved(api_call, sql_call) -> tuple[list[float], list[float]]:
    """Alternate batches of the two so drift on a shared machine hits both alike, after a warm-up that
    reaches every gunicorn worker (a worker's first request opens its connection and caches)."""
    time_calls(api_call, 0, warmup=WARMUP_CALLS)
    time_calls(sql_call, 0, warmup=WARMUP_CALLS)
    api, sql = [], []
    for _ in range(READ_SAMPLES // 10):
        api += time_calls(api_call, 10, warmup=2)
        sql += time_calls(sql_call, 10, warmup=2)
    return api, sql


def compare(ctx: Context, client, name: str, method: str, api_path: str, baseline_path: str, results_key: str) -> None:
    """Check that API and baseline return the same rows, then time both over HTTP."""
    status, body, _ = client.request(method, api_path)
    assert status == 200, body[:300]
    api_body = json.loads(body)
    base_status, base_body, _ = client.get(baseline_path)
    assert base_status == 200, base_body[:300]
    baseline = json.loads(base_body)
    assert baseline["count"] == api_body["count"], (baseline["count"], api_body["count"])
    assert [r["path"] for r in baseline["results"]] == [r["path"] for r in api_body[results_key]], "same page"
    ctx.note(f"{name}: {api_body['count']:,} matching entries")
    api, sql = interleaved(lambda: client.request(method, api_path), lambda: client.get(baseline_path))
    ctx.report_latencies(name, api, "sql_view", sql)


def bench_reads(ctx: Context, client, big, folder) -> None:
    base = f"/api/projects/{big.pk}/file_system/"
    bare = f"/api/projects/{big.pk}/_bench/file_system/"
    for depth in (3, 6):
        query = urlencode({"parent": folder.path, "depth": depth})
        compare(ctx, client, f"fs_list_parent_depth{depth}", "GET", f"{base}?{query}", f"{bare}parent?{query}", "results")
    compare(ctx, client, "fs_search_name", "GET", f"{base}?{urlencode({'search': f'name:{SEARCH_TERM}'})}",
            f"{bare}search_name?{urlencode({'term': SEARCH_TERM})}", "results")
    compare(ctx, client, "fs_count", "POST", f"{base}{folder.pk}/count/",
            f"{bare}count?{urlencode({'parent': folder.path})}", "entries")


def move_row_by_row(folder, new_path: str) -> None:
    """PostHog's move: every descendant loaded and saved with its own UPDATE, in one transaction."""
    from django.db import transaction

    from file_system.models import FileSystem
    from file_system.paths import path_depth

    old_path = folder.path
    with transaction.atomic():
        for entry in FileSystem.objects.filter(team_id=folder.team_id, path__startswith=old_path + "/").iterator(chunk_size=2000):
            entry.path = new_path + entry.path[len(old_path):]
            entry.depth = path_depth(entry.path)
            entry.save()  # PostHog saves the whole row
        folder.path, folder.depth = new_path, path_depth(new_path)
        folder.save(update_fields=["path", "depth"])


def bench_move(ctx: Context, client, big, folder, other) -> None:
    from file_system.models import FileSystem
    from file_system.services import file_system_move

    base = f"/api/projects/{big.pk}/file_system/"
    set_based = []
    for index in range(MOVE_SAMPLES):
        target = "Archive/Growth" if index % 2 == 0 else "Growth"
        start = time.perf_counter()
        status, body, _ = client.request("POST", f"{base}{folder.pk}/move/", {"new_path": target})
        set_based.append((time.perf_counter() - start) * 1000)
        assert status == 200 and json.loads(body)["path"] == target, body[:300]
    ctx.note(f"fs_move set-based samples (ms): {', '.join(f'{v:.0f}' for v in set_based)}")
    row_by_row = []
    for index in range(ROW_BY_ROW_SAMPLES):
        target = "Archive/Finance" if index % 2 == 0 else "Finance"
        start = time.perf_counter()
        move_row_by_row(other, target)
        row_by_row.append((time.perf_counter() - start) * 1000)
    # Leave the seed as found: the folder back in place (untimed) and no "Archive" folder.
    other.refresh_from_db()
    if other.path != "Finance":
        file_system_move(entry=other, new_path="Finance", user=None)
    FileSystem.objects.filter(team=big, path="Archive", type="folder").delete()
    for pct in (50, 99):
        value, baseline = percentile(set_based, pct), percentile(row_by_row, pct)
        ctx.report(f"fs_move.p{pct}", value, "ms", f"row_by_row_move.p{pct}", baseline)
        ctx.note(f"fs_move.p{pct} speed-up: {baseline / value:.1f}x (target >= 20x)")


def run(ctx: Context) -> None:
    from accounts.services import account_bootstrap, personal_api_key_create
    from file_system.models import FileSystem
    from posthog_core.models import Project

    user, big = account_bootstrap(email="bench@example.com", password="bench-password", organization="Bench", project="FS big")
    small = Project.objects.filter(organization=big.organization, name="FS small").first() or Project.objects.create(
        organization=big.organization, name="FS small"
    )
    ensure_seeded(ctx, big, small, user)
    vacuum()
    key = personal_api_key_create(user=user, label="bench", scopes=["*"])
    client = ctx.http({"Authorization": f"Bearer {key._plain_value}"})
    growth = FileSystem.objects.get(team=big, path="Growth", type="folder")
    finance = FileSystem.objects.get(team=big, path="Finance", type="folder")
    parts = os.environ.get("FS_BENCH_PARTS", "reads,move").split(",")
    if "reads" in parts:
        bench_reads(ctx, client, big, growth)
    if "move" in parts:
        bench_move(ctx, client, big, growth, finance)

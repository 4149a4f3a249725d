"""Closed-loop load (issue #13, item 6), against its own server started as `make run` starts it:

- 16 connections for 20 s each on `GET /api/users/@me/`, the event-definitions list, the
  file-system list and `POST /batch/` (100 events a batch): requests/s, p50/p99 and errors, each
  against the bare `/_bench/me` view (the same key lookup and JSON, no DRF) under the same load.
- `GET /api/users/@me/` p50/p99 while 6 exports of 300,000 rows (XLSX of an EventsQuery) render,
  against the same figures idle, measured just before.
  Target: under exports p99 ≤ 3x idle p99. An export answered 429 (no render slot free) is the
  designed answer, counted apart, not an error of the @me load.

The 16-connection load comes from `wrk` (bench/load.lua): a C event loop costs the 2-core
machine a fraction of a core at these rates, where a Python client of 16 threads would take the
GIL and a core from the server it measures and blur the tail latencies. The @me-under-exports
figure is open loop: one request every 200 ms, each on its own connection, for exactly as long
as the exports run. A closed loop would record a 25 s stall as one slow sample among hundreds of
fast ones (coordinated omission) and hide it from p99; here every request the stall delays
counts. 5 requests/s is light enough for a Python client to time to the millisecond.

`LOAD_BENCH_PARTS=wrk` (or `exports`) runs one part; `LOAD_SECONDS` changes the 20 s.

Seeded once (kept in the bench database): 300,000 `$pageview` events, 2,000 event definitions,
2,000 file-system entries under 20 folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.harness import Context, Http, Server, bench_env, percentile

CONNECTIONS = 16
SECONDS = int(os.environ.get("LOAD_SECONDS", "20"))
EXPORTS = 6
EXPORT_ROWS = 300_000
DEFINITIONS = 2_000
ENTRIES = 2_000
BATCH_EVENTS = 100
IDLE_SECONDS = 10
# @me requests per second while exports render (and idle): ~200 samples a side, so p99 is not
# just the slowest of a few dozen.
ME_RATE = 20
LUA = Path(__file__).with_name("load.lua")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def seed(project, user) -> None:
    from django.db import connection

    from bench.bench_exports import SEED_SQL
    from event_definitions.models import EventDefinition
    from file_system.models import FileSystem
    from file_system.paths import path_depth

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ingestion_event WHERE team_id = %s", [project.id])
        if cursor.fetchone()[0] < EXPORT_ROWS:
            cursor.execute("DELETE FROM ingestion_event WHERE team_id = %s", [project.id])
            cursor.execute(SEED_SQL, {"team": project.id, "pageviews": EXPORT_ROWS, "signups": EXPORT_ROWS,
                                      "start": 1, "end": EXPORT_ROWS})
            cursor.execute("ANALYZE ingestion_event")
    EventDefinition.objects.bulk_create(
        [EventDefinition(team=project, name=f"load event {index}") for index in range(DEFINITIONS)], ignore_conflicts=True
    )
    if not FileSystem.objects.filter(team=project).exists():
        folders = [f"Load/folder {index}" for index in range(20)]
        rows = [FileSystem(team=project, path=path, depth=path_depth(path), type="folder", created_by=user)
                for path in ["Load", *folders]]
        rows += [FileSystem(team=project, path=f"{folders[index % 20]}/insight {index}", depth=3, type="insight",
                            ref=f"ref{index}", created_by=user) for index in range(ENTRIES)]
        FileSystem.objects.bulk_create(rows)


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is missing: `make bench` installs it (apt-get install -y wrk)")
    return wrk


def wrk_run(base_url: str, *, path: str, auth: str | None = None, method: str = "GET", batch: int = 0,
            token: str = "") -> dict:
    env = {**os.environ, "LOAD_METHOD": method, "LOAD_PATH": path, "LOAD_BATCH": str(batch), "LOAD_TOKEN": token}
    if auth:
        env["LOAD_AUTH"] = auth
    command = [ensure_wrk(), "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--timeout", "60s", "-s", str(LUA), base_url + path]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    [line] = [line for line in output.splitlines() if line.startswith("WRK_RESULT ")]
    result = json.loads(line.removeprefix("WRK_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[kind] for kind in ("connect", "read", "write", "status", "timeout"))
    return result


def report_load(ctx: Context, name: str, result: dict, bare: dict) -> None:
    ctx.report(f"load.{name}.rps", result["rps"], "req/s", "bare_view.rps", bare["rps"])
    ctx.report(f"load.{name}.p50", result["p50_us"] / 1000, "ms", "bare_view.p50", bare["p50_us"] / 1000)
    ctx.report(f"load.{name}.p99", result["p99_us"] / 1000, "ms", "bare_view.p99", bare["p99_us"] / 1000)
    ctx.note(f"load.{name}.errors: {result['errors']} of {result['requests']} requests "
             f"(status {result['status']}, timeout {result['timeout']}, connect {result['connect']}, "
             f"read {result['read']}, write {result['write']})")


def me_latencies(base_url: str, auth: dict, until) -> list[float]:
    """`GET /api/users/@me/` sent every 1/ME_RATE s (open loop) until `until()` is true, each on
    its own connection and thread; the milliseconds of each, from its scheduled start."""
    samples: list[float] = []
    lock = threading.Lock()

    def one(scheduled: float) -> None:
        status, _, _ = Http(base_url, auth, timeout=1800).get("/api/users/@me/")
        with lock:
            samples.append((time.perf_counter() - scheduled) * 1000)
        assert status == 200, status

    with ThreadPoolExecutor(max_workers=512) as pool:
        futures, next_at = [], time.perf_counter()
        while not until():
            futures.append(pool.submit(one, next_at))
            next_at += 1 / ME_RATE
            time.sleep(max(0.0, next_at - time.perf_counter()))
        for future in futures:
            future.result()
    return samples


def export_load(ctx: Context, base_url: str, auth: dict, team_id: int) -> None:
    for _ in range(20):
        Http(base_url, auth).get("/api/users/@me/")
    idle_end = time.perf_counter() + IDLE_SECONDS
    idle = me_latencies(base_url, auth, lambda: time.perf_counter() > idle_end)

    query = {"kind": "EventsQuery", "select": ["uuid", "event", "distinct_id", "timestamp", "properties.$browser",
                                               "properties.plan"], "event": "$pageview", "after": "all"}
    body = {"export_format": XLSX, "export_context": {"source": query}}
    statuses: list[int] = []
    rows: list[int] = []

    def export() -> None:
        status, raw, _ = Http(base_url, auth, timeout=1800).request("POST", f"/api/projects/{team_id}/exports/", body)
        statuses.append(status)
        if status == 201:
            rows.append(json.loads(raw).get("rows_exported") or 0)

    threads = [threading.Thread(target=export) for _ in range(EXPORTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    busy = me_latencies(base_url, auth, lambda: not any(thread.is_alive() for thread in threads))
    wall = time.perf_counter() - began
    for thread in threads:
        thread.join()

    ctx.report_latencies("me_under_exports", busy, "me_idle", idle)
    other = [status for status in statuses if status not in (201, 429)]
    ctx.note(f"exports: {statuses.count(201)} x 201 (rows {sorted(set(rows))}), {statuses.count(429)} x 429, "
             f"{len(other)} other {other}; {wall:.1f} s wall; @me: {len(busy)} requests under exports "
             f"(max {max(busy):.0f} ms), {len(idle)} idle (max {max(idle):.0f} ms)")
    target = percentile(busy, 99) <= 3 * percentile(idle, 99)
    ctx.note(f"target me_under_exports.p99 <= 3x me_idle.p99: {'met' if target else 'NOT met'}")


def remove_exports(team_id: int) -> None:
    from bench.bench_exports import remove_exports as remove

    remove(team_id)


def run(ctx: Context) -> None:
    from accounts.services import account_bootstrap, personal_api_key_create

    user, project = account_bootstrap(email="bench-load@example.com", password="bench-password",
                                      organization="Bench load", project="Load bench")
    seed(project, user)
    key = personal_api_key_create(user=user, label="bench load", scopes=["*"])
    auth_value = f"Bearer {key._plain_value}"
    # Throttles (RATE_LIMIT_ENABLED) would make the closed loop measure the limiter, not the API.
    env = {**bench_env(), "RATE_LIMIT_ENABLED": "0", "GUNICORN_TIMEOUT": "1800"}
    parts = os.environ.get("LOAD_BENCH_PARTS", "wrk,exports").split(",")
    with Server(env) as server:
        base = server.base_url
        if "wrk" in parts:
            bare = wrk_run(base, path="/_bench/me", auth=auth_value)
            for name, kwargs in (
                ("users_me", {"path": "/api/users/@me/", "auth": auth_value}),
                ("event_definitions", {"path": f"/api/projects/{project.id}/event_definitions/", "auth": auth_value}),
                ("file_system", {"path": f"/api/projects/{project.id}/file_system/", "auth": auth_value}),
                ("batch_100", {"path": "/batch/", "method": "POST", "batch": BATCH_EVENTS, "token": project.api_token}),
            ):
                report_load(ctx, name, wrk_run(base, **kwargs), bare)
            ctx.note(f"load.bare_view: {bare['requests']} requests, {bare['errors']} errors")
        if "exports" in parts:
            export_load(ctx, base, {"Authorization": auth_value}, project.id)
    remove_exports(project.id)

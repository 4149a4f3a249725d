"""Capture throughput (issue #4): 200 batches of 1,000 realistic events (20 properties, 50 event
names plus a few new ones per batch) posted to /batch/ by 4 concurrent clients, against a
baseline of psycopg COPY of the same rows into the same events table with the same concurrency.
Target: ingestion ≥ 40% of the COPY rate."""

from __future__ import annotations

import json
import queue
import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.harness import Context

BATCHES = 200
EVENTS_PER_BATCH = 1000
CLIENTS = 4
EVENT_NAMES = ["$pageview" if index == 0 else f"feature {index} used" for index in range(50)]
NEW_NAMES_PER_BATCH = 3
ROUNDS = 2  # ingestion and COPY alternate, so drift on a shared machine hits both alike


def make_event(rng: random.Random, name: str, now: datetime) -> dict:
    timestamp = now - timedelta(seconds=rng.randrange(86400))
    properties = {
        "$current_url": f"https://shop.example/products/{rng.randrange(5000)}",
        "$browser": rng.choice(["Chrome", "Firefox", "Safari", "Edge"]),
        "$os": rng.choice(["Mac OS X", "Windows", "Linux", "iOS", "Android"]),
        "$lib": "posthog-python",
        "$lib_version": "7.91.1",
        "$geoip_disable": True,
        "$is_server": False,
        "$session_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "plan": rng.choice(["free", "pro", "enterprise"]),
        "seats": rng.randrange(1, 500),
        "price": round(rng.uniform(1, 999), 2),
        "is_trial": rng.random() < 0.3,
        "signed_up_at": (timestamp - timedelta(days=rng.randrange(400))).isoformat(),
        "referrer": rng.choice(["google", "newsletter", "direct", "twitter"]),
        "utm_campaign": f"campaign-{rng.randrange(40)}",
        "cart_items": rng.randrange(0, 20),
        "locale": rng.choice(["en-US", "de-DE", "fr-FR"]),
        "screen_width": rng.choice([1280, 1440, 1920, 390]),
        "experiment_variant": rng.choice(["control", "test"]),
        "search_query": rng.choice(["shoes", "red hat", "gift card", ""]),
    }
    # Person updates as posthog-js sends them: `$set_once` of the initial context on a visitor's first
    # events, `$set` when the app identifies someone.
    if rng.random() < 0.1:
        properties["$set_once"] = {"$initial_referrer": properties["referrer"], "$initial_os": properties["$os"],
                                   "$initial_current_url": properties["$current_url"]}
    if rng.random() < 0.02:
        properties["$set"] = {"email": f"user{rng.randrange(20000)}@example.com", "plan": properties["plan"]}
    return {
        "event": name,
        "distinct_id": f"user-{rng.randrange(20000)}",
        "properties": properties,
        "timestamp": timestamp.isoformat(),
        "uuid": str(uuid.uuid4()),
    }


def make_batches(token: str, seed: int) -> list[list[dict]]:
    rng, now = random.Random(seed), datetime.now(UTC)
    batches = []
    for batch_index in range(BATCHES):
        new_names = [f"new {seed}-{batch_index}-{k}" for k in range(NEW_NAMES_PER_BATCH)]
        names = [rng.choice(EVENT_NAMES) for _ in range(EVENTS_PER_BATCH - len(new_names))] + new_names
        batches.append([make_event(rng, name, now) for name in names])
    return batches


def run_concurrently(work: list, worker) -> tuple[float, list[float]]:
    """Run `worker(item)` over `work` from CLIENTS threads; wall seconds and per-item latencies (ms)."""
    pending: queue.Queue = queue.Queue()
    for item in work:
        pending.put(item)
    latencies: list[float] = []
    errors: list[BaseException] = []

    def loop(state: dict) -> None:
        while True:
            try:
                item = pending.get_nowait()
            except queue.Empty:
                return
            start = time.perf_counter()
            try:
                worker(item, state)
            except BaseException as exc:  # surfaced after join
                errors.append(exc)
                return
            latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=loop, args=({},)) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start, latencies


def copy_rows(team_id: int, batch: list[dict]) -> list[tuple]:
    inserted_at = datetime.now(UTC)
    return [
        (uuid.uuid4(), team_id, event["event"], event["distinct_id"], datetime.fromisoformat(event["timestamp"]),
         json.dumps(event["properties"]), inserted_at)
        for event in batch
    ]


def run(ctx: Context) -> None:
    import psycopg
    from django.db import connection

    from ingestion.models import Event
    from posthog_core.models import Organization, Project

    org, _ = Organization.objects.get_or_create(name="Bench ingestion")
    capture_team, _ = Project.objects.get_or_create(organization=org, name="Bench capture")
    copy_team, _ = Project.objects.get_or_create(organization=org, name="Bench copy baseline")
    Event.objects.filter(team__in=[capture_team, copy_team]).delete()
    conninfo = connection.get_connection_params()

    bodies = [json.dumps({"api_key": capture_team.api_token, "batch": batch}).encode()
              for batch in make_batches(capture_team.api_token, seed=int(time.time()))]
    copy_batches = [copy_rows(copy_team.id, json.loads(body)["batch"]) for body in bodies]

    def post(body: bytes, state: dict) -> None:
        client = state.setdefault("http", ctx.http({"Content-Type": "application/json"}))
        status, answer, _ = client.request("POST", "/batch/", body=body)
        assert status == 200, (status, answer[:300])

    def copy(rows: list[tuple], state: dict) -> None:
        conn = state.get("conn") or state.setdefault("conn", psycopg.connect(**conninfo))
        with conn.transaction(), conn.cursor() as cursor, cursor.copy(
            f"COPY {Event._meta.db_table} (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at) FROM STDIN"
        ) as pipe:
            for row in rows:
                pipe.write_row(row)

    ingest_seconds = copy_seconds = 0.0
    ingest_latencies: list[float] = []
    copy_latencies: list[float] = []
    per_round = BATCHES // ROUNDS
    for round_index in range(ROUNDS):
        part = slice(round_index * per_round, (round_index + 1) * per_round)
        seconds, latencies = run_concurrently(bodies[part], post)
        ingest_seconds, ingest_latencies = ingest_seconds + seconds, ingest_latencies + latencies
        seconds, latencies = run_concurrently(copy_batches[part], copy)
        copy_seconds, copy_latencies = copy_seconds + seconds, copy_latencies + latencies

    total = BATCHES * EVENTS_PER_BATCH
    stored = Event.objects.filter(team=capture_team).count()
    assert stored == total, f"{stored} of {total} acknowledged events stored"
    ingest_rate, copy_rate = total / ingest_seconds, total / copy_seconds
    ctx.report("capture.events_per_s", ingest_rate, "events/s", "copy.events_per_s", copy_rate)
    ctx.report_latencies("capture.batch_latency", ingest_latencies, "copy.batch_latency", copy_latencies)
    verdict = "met" if ingest_rate >= 0.4 * copy_rate else "NOT met"
    ctx.note(f"capture stored {stored} events from {BATCHES}x{EVENTS_PER_BATCH} with {CLIENTS} clients; "
             f"target capture >= 40% of COPY rate: {verdict} ({ingest_rate / copy_rate:.0%})")
    Event.objects.filter(team__in=[capture_team, copy_team]).delete()

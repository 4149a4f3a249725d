"""The spool drainer as a separate process: SIGKILLed midway and run again, it writes every
spooled event exactly once; a server started with a non-empty spool drains it by itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from ingestion.normalizing import capture_batch_normalize
from ingestion.services import capture_batch_spool
from ingestion.spool import spool_depth
from tests.faults.cluster import REPO
from tests.ingestion.factories import CaptureEventFactory

BATCHES = 1500
EVENTS_PER_BATCH = 10


@pytest.fixture(scope="module")
def accounts(deployment):
    return deployment.bootstrap()


@pytest.fixture
def deployment_spool(settings, deployment):
    """This process appends to the deployment's spool, as its web workers would."""
    settings.CAPTURE_SPOOL_DIR = deployment.spool_dir
    yield settings.CAPTURE_SPOOL_DIR


def spool_batches(token: str, count: int) -> set[str]:
    uuids: set[str] = set()
    for _ in range(count):
        events = CaptureEventFactory.build_batch(EVENTS_PER_BATCH)
        now = timezone.now()
        batch = capture_batch_normalize(events=events, envelope={}, params={}, now=now)
        capture_batch_spool(token=token, batch=batch, now=now, cause=OperationalError("database down"))
        uuids |= {event["uuid"] for event in events}
    return uuids


def stored(cluster, dbname: str) -> dict[str, int]:
    with cluster.connect(dbname) as conn:
        return dict(conn.execute("SELECT uuid::text, count(*) FROM ingestion_event GROUP BY uuid").fetchall())


def events_count(cluster, dbname: str) -> int:
    with cluster.connect(dbname) as conn:
        return conn.execute("SELECT count(*) FROM ingestion_event").fetchone()[0]


def clear_events(cluster, dbname: str) -> None:
    with cluster.connect(dbname) as conn:
        conn.execute("TRUNCATE ingestion_event")


def drainer(deployment) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "manage.py"), "drain_spool"], env=deployment.env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_midway(process: subprocess.Popen, cluster, dbname: str) -> int:
    """SIGKILL the drainer as soon as some, not all, events are in; the count at that moment."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if events_count(cluster, dbname) > 0:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            return events_count(cluster, dbname)
        time.sleep(0.02)
    raise AssertionError("the drainer finished (or never started) before it could be killed")


def test_drainer_killed_midway_and_restarted_loses_and_doubles_nothing(pg_cluster, deployment, accounts,
                                                                       deployment_spool):
    clear_events(pg_cluster, deployment.dbname)
    uuids = spool_batches(accounts["project_api_token"], BATCHES)
    at_kill = kill_midway(drainer(deployment), pg_cluster, deployment.dbname)
    deployment.manage("drain_spool")
    counts = stored(pg_cluster, deployment.dbname)
    assert 0 < at_kill < len(uuids)
    assert (set(counts), set(counts.values()), spool_depth()) == (uuids, {1}, (0, 0))


def test_server_started_with_a_spool_drains_it(pg_cluster, deployment, accounts, deployment_spool):
    clear_events(pg_cluster, deployment.dbname)
    uuids = spool_batches(accounts["project_api_token"], 20)
    server = deployment.serve(WEB_CONCURRENCY="2", GUNICORN_THREADS="2")
    try:
        deadline = time.monotonic() + 60
        while spool_depth()[0] and time.monotonic() < deadline:
            time.sleep(0.25)
    finally:
        server.stop()
    counts = stored(pg_cluster, deployment.dbname)
    assert (set(counts), set(counts.values())) == (uuids, {1})

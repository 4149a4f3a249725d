"""The scale-out deployment driven through its balancer, with real processes. Tests run in file
order: the replica is stopped near the end, and the last test stops the whole cluster."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid

import boto3
import psutil
import psycopg
import pytest
import requests

pytestmark = pytest.mark.usefixtures("django_on_cluster")


def served_by(response: requests.Response) -> str:
    return response.headers["X-Served-By"]


def through_each_node(session: requests.Session, method: str, url: str, nodes: set[str], **kwargs) -> dict:
    """Send the request until every node has answered it once (round-robin: a few tries)."""
    answers = {}
    for _ in range(10 * len(nodes)):
        response = session.request(method, url, **kwargs)
        answers.setdefault(served_by(response), response)
        if set(answers) == nodes:
            return answers
    raise AssertionError(f"only {sorted(answers)} answered")


@pytest.fixture
def nodes(cluster) -> set[str]:
    return set(cluster.state["nodes"])


def test_balancer_health_names_every_node_with_its_spool_and_the_replica_lag(cluster, nodes):
    response = requests.get(f"{cluster.url}/_health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["nodes"]) == nodes
    assert all(node["status"] == "ok" and "spool" in node for node in body["nodes"].values())
    assert body["replica"]["status"] == "ok"
    assert isinstance(body["replica_lag_seconds"], float)
    assert body["storage"] == {"status": "ok", "backend": "S3Storage"}


def test_requests_are_spread_over_every_node_and_name_it(cluster, account, nodes):
    answers = through_each_node(account["session"], "GET", f"{cluster.url}/api/users/@me/", nodes)

    assert {name: response.status_code for name, response in answers.items()} == dict.fromkeys(nodes, 200)


def test_export_created_through_one_node_downloads_through_another_from_s3(cluster, account, nodes):
    session, project = account["session"], account["project"]
    base = f"{cluster.url}/api/projects/{project.id}"
    # A CSV of an EventsQuery is written by PostgreSQL's COPY, read on the replica (exports/pq_copy.py).
    created = session.post(f"{base}/exports/", json={"export_format": "text/csv", "export_context": {
        "source": {"kind": "EventsQuery", "select": ["event"], "after": "all"}}})
    assert created.status_code == 201, created.text
    assert created.json()["has_content"] is True

    other_nodes = nodes - {served_by(created)}
    downloads = through_each_node(session, "GET", f"{base}/exports/{created.json()['id']}/content/", nodes)

    assert all(downloads[name].status_code == 200 for name in other_nodes)
    stored = boto3.client("s3", endpoint_url=cluster.state["s3"]["endpoint"], region_name="us-east-1",
                          aws_access_key_id="cluster", aws_secret_access_key="cluster").list_objects_v2(
        Bucket=cluster.state["s3"]["bucket"], Prefix=f"exports/csv/team-{project.id}/")
    assert [item["Size"] for item in stored["Contents"]] == [len(downloads[min(other_nodes)].content)]


def test_a_write_through_one_node_is_seen_by_the_next_read_through_every_node(cluster, account, nodes):
    session = account["session"]
    for attempt in range(len(nodes)):  # the write lands on each node in turn
        name = f"Written {attempt} {uuid.uuid4().hex[:6]}"
        written = session.patch(f"{cluster.url}/api/users/@me/", json={"first_name": name})
        assert written.status_code == 200

        reads = through_each_node(session, "GET", f"{cluster.url}/api/users/@me/", nodes)

        assert {node: read.json()["first_name"] for node, read in reads.items()} == dict.fromkeys(nodes, name)


def test_a_session_login_holds_on_every_node(cluster, account, nodes):
    browser = requests.Session()
    form = browser.get(f"{cluster.url}/api-auth/login/")
    login = browser.post(f"{cluster.url}/api-auth/login/", allow_redirects=False, headers={"Referer": form.url}, data={
        "username": account["user"].email, "password": "cluster-password",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"]})
    assert login.status_code == 302

    reads = through_each_node(browser, "GET", f"{cluster.url}/api/users/@me/", nodes)

    assert {node: read.status_code for node, read in reads.items()} == dict.fromkeys(nodes, 200)


def test_a_keys_throttle_budget_is_shared_across_nodes(cluster, account):
    statuses = [(served_by(response), response.status_code) for response in
                (account["session"].get(f"{cluster.url}/api/users/@me/") for _ in range(30))]

    accepted = [node for node, status in statuses if status == 200]
    assert len(accepted) == 20  # RATE_LIMIT_CRUD_BURST=20/minute for the key, whichever node answers
    assert len(set(accepted)) == 2
    assert statuses[20:] == [(node, 429) for node, _ in statuses[20:]]


# -- the replica, seen from inside the router ------------------------------------------------------

def _replica(cluster) -> psycopg.Connection:
    return psycopg.connect(cluster.state["replica"]["url"], autocommit=True)


def _wait_replayed(cluster) -> None:
    with psycopg.connect(cluster.state["primary"]["url"], autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with _replica(cluster) as replica:
        while not replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
            time.sleep(0.05)


@pytest.fixture
def replay_paused(cluster):
    """The replica receives WAL but applies none of it until the test ends."""
    _wait_replayed(cluster)
    with _replica(cluster) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with _replica(cluster) as replica:
            replica.execute("SELECT pg_wal_replay_resume()")
        _wait_replayed(cluster)


def test_a_heavy_read_runs_on_the_replica(cluster):
    from posthog_core import db_routing

    def where():
        with db_routing.read_connection().cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
            return cursor.fetchone()

    with db_routing.request_scope():
        assert db_routing.run_with_replica_fallback(where) == (True, cluster.state["replica"]["port"])


def test_the_event_definitions_list_through_the_balancer_is_served_by_the_replica(cluster, account, nodes):
    from event_definitions.models import EventDefinition

    definition = EventDefinition.objects.create(team=account["project"], name="only on the replica")
    _wait_replayed(cluster)
    with _replica(cluster) as replica:
        replica.execute("SELECT pg_wal_replay_pause()")
    try:
        EventDefinition.objects.filter(pk=definition.pk).delete()  # the replica can't know yet
        url = f"{cluster.url}/api/projects/{account['project'].id}/event_definitions/"
        lists = through_each_node(account["session"], "GET", url, nodes)
    finally:
        with _replica(cluster) as replica:
            replica.execute("SELECT pg_wal_replay_resume()")

    assert {node: [row["name"] for row in answer.json()["results"]] for node, answer in lists.items()} == (
        dict.fromkeys(nodes, ["only on the replica"]))


def test_reads_after_a_write_in_the_same_request_stay_on_the_primary(account, replay_paused):
    from event_definitions.models import EventDefinition
    from posthog_core import db_routing

    def write_then_read():
        EventDefinition.objects.create(team=account["project"], name="just written")
        return db_routing.read_alias(), list(EventDefinition.objects.filter(team=account["project"]).values_list(
            "name", flat=True))

    with db_routing.request_scope():
        assert db_routing.run_with_replica_fallback(write_then_read) == ("default", ["just written"])


def test_a_replica_lagging_past_the_limit_sends_reads_to_the_primary_and_says_so(account, replay_paused, caplog,
                                                                                 monkeypatch):
    from django.conf import settings

    from event_definitions.models import EventDefinition
    from posthog_core import db_routing

    monkeypatch.setattr(settings, "DATABASE_REPLICA_MAX_LAG_SECONDS", 0.5)
    EventDefinition.objects.create(team=account["project"], name="not replayed yet")
    while db_routing.replica_state(force=True).lag_seconds <= 0.5:
        time.sleep(0.1)

    with caplog.at_level(logging.WARNING, logger="posthog_core.db_routing"), db_routing.request_scope():
        names = db_routing.run_with_replica_fallback(lambda: list(
            EventDefinition.objects.filter(team=account["project"]).values_list("name", flat=True)))

    assert names == ["not replayed yet"]
    assert "replica lags" in caplog.text and "reading from the primary" in caplog.text


# -- faults ------------------------------------------------------------------------------------------

def _capture_until(stop: threading.Event, url: str, token: str, acknowledged: list[str]) -> None:
    session = requests.Session()
    while not stop.is_set():
        batch = [str(uuid.uuid4()) for _ in range(5)]
        try:
            response = session.post(f"{url}/batch/", timeout=30, json={"api_key": token, "batch": [
                {"event": "cluster test", "distinct_id": "killer", "uuid": value, "properties": {}} for value in batch]})
        except requests.RequestException:
            session = requests.Session()
            continue
        if response.status_code == 200:
            acknowledged.extend(batch)


def _stored_counts(cluster, uuids: list[str]) -> dict[str, int]:
    with psycopg.connect(cluster.state["primary"]["url"]) as conn:
        rows = conn.execute("SELECT uuid::text, count(*) FROM ingestion_event WHERE uuid = ANY(%s::uuid[]) GROUP BY 1",
                            [uuids]).fetchall()
    return dict(rows)


def test_a_node_killed_during_capture_loses_no_acknowledged_event(cluster, account):
    acknowledged: list[str] = []
    stop = threading.Event()
    senders = [threading.Thread(target=_capture_until, args=(stop, cluster.url, account["project"].api_token,
                                                             acknowledged)) for _ in range(4)]
    for sender in senders:
        sender.start()
    try:
        while len(acknowledged) < 200:
            time.sleep(0.05)
        victim = cluster.state["nodes"]["node1"]
        os.killpg(victim["pid"], signal.SIGKILL)
        before = len(acknowledged)
        while len(acknowledged) < before + 200:  # traffic goes on while node1 is down and comes back
            time.sleep(0.05)
        while cluster.state["nodes"]["node1"]["restarts"] < 1:
            time.sleep(0.1)
    finally:
        stop.set()
        for sender in senders:
            sender.join()

    deadline = time.monotonic() + 60  # a restarted node's spool drains as it starts
    while (counts := _stored_counts(cluster, acknowledged)) and len(counts) < len(set(acknowledged)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(acknowledged) == len(set(acknowledged))
    assert counts == dict.fromkeys(acknowledged, 1)


def test_stopping_the_replica_mid_run_causes_no_error(cluster, account, nodes, caplog):
    from posthog_core import db_routing

    session, project = account["session"], account["project"]
    base = f"{cluster.url}/api/projects/{project.id}"
    heavy_reads = [("GET", f"{base}/event_definitions/", {}), ("GET", f"{base}/events/", {}),
                   ("GET", f"{base}/file_system/", {}),
                   ("POST", f"{base}/query/", {"json": {"query": {"kind": "EventsQuery", "select": ["event"]}}})]
    assert all(session.request(method, url, **kwargs).status_code == 200 for method, url, kwargs in heavy_reads)

    replica = psutil.Process(cluster.state["replica"]["pid"])
    replica.send_signal(signal.SIGINT)  # fast shutdown, as an operator or a crash would stop it
    while replica.is_running() and replica.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.1)

    statuses = [session.request(method, url, **kwargs).status_code for _ in range(5)
                for method, url, kwargs in heavy_reads]
    with caplog.at_level(logging.WARNING, logger="posthog_core.db_routing"), db_routing.request_scope():
        alias = db_routing.run_with_replica_fallback(db_routing.read_alias)
    health = requests.get(f"{cluster.url}/_health")

    assert statuses == [200] * len(statuses)
    assert alias == "default" and "replica unavailable" in caplog.text
    assert health.status_code == 503
    assert health.json()["replica"]["status"] == "unavailable"
    assert {name: node["status"] for name, node in health.json()["nodes"].items()} == dict.fromkeys(nodes, "ok")


def test_sigterm_stops_every_process_the_cluster_started(cluster):
    from django.db import connections

    connections.close_all()
    state = cluster.state
    pids = [state["primary"]["pid"], state["s3"]["pid"], state["haproxy"]["pid"]]
    for node in state["nodes"].values():
        pids += [node["pid"], *(child.pid for child in psutil.Process(node["pid"]).children(recursive=True))]

    assert cluster.stop() == 0
    assert [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE] == []

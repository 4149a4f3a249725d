"""A database stopped and started under a running gunicorn: API requests answer 503 with
Retry-After, capture spools and answers 200, and after the restart no client sees an error
(stale connections are replaced) and the spool is written exactly once.

One module-scoped scenario causes the outage for real; each test asserts one behaviour of it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults.cluster import http

WORKERS, THREADS = 2, 4
SPOOL_MAX_BYTES = 200_000
OUTAGE_BATCHES = 12
EVENTS_PER_BATCH = 25


def capture_batch(token: str, *, with_uuids: bool = True, big: bool = False) -> tuple[bytes, list[str]]:
    events, uuids = [], []
    for index in range(EVENTS_PER_BATCH):
        event = {"event": f"outage event {index % 3}", "distinct_id": f"user-{index}",
                 "properties": {"n": index, **({"blob": "x" * SPOOL_MAX_BYTES} if big else {})}}
        if with_uuids:
            event["uuid"] = str(uuid.uuid4())
            uuids.append(event["uuid"])
        events.append(event)
    return json.dumps({"api_key": token, "batch": events}).encode(), uuids


def burst(url: str, key: str, count: int) -> list[int]:
    """`count` concurrent GET @me: enough to reach every thread of every worker."""
    headers = {"Authorization": f"Bearer {key}"}
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: http("GET", url + "/api/users/@me/", headers=headers)[0], range(count)))


def login_form(url: str) -> tuple[bytes, dict]:
    """A login POST that passes CSRF (cookie and form token from the login page), so the request
    reaches the authentication backend, which queries the database."""
    _, headers, page = http("GET", url + "/api-auth/login/")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = b"username=a%40b.c&password=x&csrfmiddlewaretoken=" + token
    return body, {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}


def events_stored(cluster, dbname: str) -> dict[str, int]:
    with cluster.connect(dbname) as conn:
        rows = conn.execute("SELECT uuid::text, count(*) FROM ingestion_event GROUP BY uuid").fetchall()
    return dict(rows)


def wait_for(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def outage(pg_cluster, deployment):
    accounts = deployment.bootstrap()
    key, token = accounts["personal_api_key"], accounts["project_api_token"]
    server = deployment.serve(WEB_CONCURRENCY=str(WORKERS), GUNICORN_THREADS=str(THREADS),
                              CAPTURE_SPOOL_MAX_BYTES=str(SPOOL_MAX_BYTES))
    try:
        auth = {"Authorization": f"Bearer {key}"}
        warm = burst(server.url, key, WORKERS * THREADS * 4)  # every thread now holds a connection
        login_body, login_headers = login_form(server.url)
        pg_cluster.stop()
        down = {
            "me": http("GET", server.url + "/api/users/@me/", headers=auth),
            "login": http("POST", server.url + "/api-auth/login/", body=login_body, headers=login_headers),
            "invalid_capture": http("POST", server.url + "/batch/", body=b'{"api_key": "%s", "batch": [{}]}'
                                    % token.encode(), headers={"Content-Type": "application/json"}),
        }
        acknowledged, captures = [], []
        for index in range(OUTAGE_BATCHES):
            body, uuids = capture_batch(token, with_uuids=index % 4 != 0)
            response = http("POST", server.url + "/batch/", body=body, headers={"Content-Type": "application/json"})
            captures.append(response)
            if response[0] == 200:
                acknowledged.append((uuids, EVENTS_PER_BATCH))
        down["health"] = http("GET", server.url + "/_health")
        down["full"] = http("POST", server.url + "/batch/", body=capture_batch(token, big=True)[0],
                            headers={"Content-Type": "application/json"})
        pg_cluster.start()
        after = burst(server.url, key, WORKERS * THREADS * 4)
        wait_for(lambda: json.loads(http("GET", server.url + "/_health")[2])["spool"]["batches"] == 0)
        yield {"warm": warm, "down": down, "captures": captures, "acknowledged": acknowledged, "after": after,
               "stored": events_stored(pg_cluster, deployment.dbname), "server": server}
    finally:
        if not pg_cluster.is_running():
            pg_cluster.start()
        server.stop()


def error_body(response) -> dict:
    return json.loads(response[2])


def test_api_request_answers_503_in_the_error_shape_with_retry_after(outage):
    status, headers, _ = outage["down"]["me"]
    assert (status, headers.get("Retry-After")) == (503, "5")
    assert error_body(outage["down"]["me"]) == {
        "type": "server_error", "code": "service_unavailable",
        "detail": "The database is unavailable, try again shortly.", "attr": None,
    }


def test_plain_django_view_answers_503_in_the_error_shape(outage):
    status, headers, _ = outage["down"]["login"]
    assert (status, headers.get("Retry-After"), error_body(outage["down"]["login"])["code"]) == (
        503, "5", "service_unavailable")


def test_capture_answers_200_while_the_database_is_down(outage):
    assert [(status, json.loads(body)) for status, _, body in outage["captures"]] == [
        (200, {"status": 1})] * OUTAGE_BATCHES


def test_invalid_capture_is_still_a_400_not_spooled(outage):
    assert outage["down"]["invalid_capture"][0] == 400


def test_health_reports_the_spooled_batches(outage):
    status, _, body = outage["down"]["health"]
    assert status == 503
    assert json.loads(body)["spool"]["batches"] == OUTAGE_BATCHES


def test_capture_answers_503_when_the_spool_is_full(outage):
    status, headers, _ = outage["down"]["full"]
    assert (status, headers.get("Retry-After"), error_body(outage["down"]["full"])["code"]) == (
        503, "5", "service_unavailable")


def test_no_client_error_after_the_restart(outage):
    assert outage["warm"] == outage["after"] == [200] * (WORKERS * THREADS * 4)


def test_spool_drains_every_acknowledged_event_exactly_once(outage):
    stored = outage["stored"]
    given = [event_uuid for uuids, _ in outage["acknowledged"] for event_uuid in uuids]
    assert sum(count for _, count in outage["acknowledged"]) == sum(stored.values()) == OUTAGE_BATCHES * EVENTS_PER_BATCH
    assert set(stored.values()) == {1}
    assert set(given) <= set(stored)

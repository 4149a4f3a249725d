"""Rate limits across processes, and /metrics summed over gunicorn workers: two real gunicorn servers
(one with two workers) on free ports, on the test database, with a small limit set through the env."""

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from accounts.services import personal_api_key_create

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 4
TOKEN = "shared-budget-metrics-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A new connection per request, so a server with two workers hands them to either."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def database_env() -> dict[str, str]:
    settings = connection.settings_dict
    if os.environ.get("DATABASE_URL"):
        password = f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else ""
        return {"DATABASE_URL": f"postgres://{quote(settings['USER'])}{password}@{settings['HOST']}:{settings['PORT']}/"
                                f"{settings['NAME']}"}
    return {"POSTHOG_CORE_DB_NAME": settings["NAME"]}


class Gunicorn:
    def __init__(self, workers: int, log: Path):
        self.port = free_port()
        self.env = {
            **os.environ, **database_env(),
            "DJANGO_SETTINGS_MODULE": "posthog_core.settings", "PORT": str(self.port), "WEB_CONCURRENCY": str(workers),
            # A day window: the test cannot straddle two windows (it waits out the last seconds of a day).
            "RATE_LIMIT_CRUD_BURST": f"{LIMIT}/day", "RATE_LIMIT_CRUD_SUSTAINED": "1000/day",
            "RATE_LIMIT_ENABLED": "1", "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"metrics-{self.port}"),
        }
        self.env.pop("REDIS_URL", None)
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf", "posthog_core.wsgi"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited; see {self.log.name}"
            try:
                if request(self.port, "/_health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"gunicorn on {self.port} did not answer /_health; see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gunicorn")
    started = [Gunicorn(2, folder / "a.log"), Gunicorn(1, folder / "b.log")]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def key_header(user):
    now = dt.datetime.now(dt.UTC)
    if (dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC) - now).total_seconds() < 30:
        time.sleep(31)  # let the day's window close before the test counts in it
    key = personal_api_key_create(user=user, label="budget", scopes=["*"])
    return {"Authorization": f"Bearer {key._plain_value}"}


def test_two_servers_share_one_budget_and_refuse_the_next_request_with_429(servers, key_header):
    first, second = servers
    statuses = [request(server.port, "/api/users/@me/", key_header)[0] for server in [first, second] * (LIMIT // 2)]

    status, headers, body = request(first.port, "/api/users/@me/", key_header)

    assert statuses == [200] * LIMIT
    assert status == 429
    error = json.loads(body)
    wait = int(headers["Retry-After"])
    assert error == {"type": "throttled_error", "code": "throttled",
                     "detail": f"Request was throttled. Expected available in {wait} seconds.", "attr": None}
    assert 0 < wait <= 86400
    assert request(second.port, "/api/users/@me/", key_header)[0] == 429


def test_concurrent_requests_on_both_servers_never_overshoot_the_limit(servers, key_header):
    ports = [server.port for server in servers] * 8

    with ThreadPoolExecutor(len(ports)) as pool:
        statuses = list(pool.map(lambda port: request(port, "/api/users/@me/", key_header)[0], ports))

    assert sorted(statuses) == [200] * LIMIT + [429] * (len(ports) - LIMIT)


def scrape(port: int) -> dict:
    status, _, body = request(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode()) for sample in family.samples}


def test_metrics_add_up_the_requests_every_worker_served(servers, key_header):
    server = servers[0]
    route = (("method", "GET"), ("route", "api/users/{pk}/"))
    watched = [("posthog_core_request_seconds_count", (*route, ("status", "200"))),
               ("posthog_core_request_seconds_count", (*route, ("status", "429"))),
               ("posthog_core_throttle_rejections_total", (("scope", "crud"),))]
    before = scrape(server.port)
    sent = [request(server.port, "/api/users/@me/", key_header)[0] for _ in range(LIMIT + 2)]

    after = scrape(server.port)

    assert sent == [200] * LIMIT + [429] * 2
    assert [after[name] - before.get(name, 0) for name in watched] == [LIMIT, 2, 2]


def test_metrics_of_a_server_without_the_token_is_404(servers):
    assert request(servers[0].port, "/metrics")[0] == 404

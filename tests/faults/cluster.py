"""Disposable PostgreSQL clusters and real gunicorn servers for fault tests.

The test session's embedded server is shared by everything else, so a test that stops a database
gets one of its own: `initdb` into a temp dir with pgserver's bundled binaries, listening on a
free TCP port. PostgreSQL refuses to run as root; as pgserver does, the binaries then run as the
`pgserver` system user (created by pgserver on first use).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return "pgserver"


class DisposableCluster:
    """One PostgreSQL cluster in a temp dir: `start()`, `stop()` (fast shutdown: clients are cut
    off mid-query, as in a real crash or restart), `url(dbname)`, `connect()`."""

    def __init__(self, *, max_connections: int = 100):
        self.root = Path(tempfile.mkdtemp(prefix="posthog-core-pg-"))
        self.pgdata = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.user = _system_user()
        self.max_connections = max_connections
        if self.user:
            shutil.chown(self.root, self.user)
        self._run(pg_bin("initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=utf8")

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, user=self.user, cwd=self.root, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=120)

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections={self.max_connections} -c fsync=off"
        self._run(pg_bin("pg_ctl"), "-D", str(self.pgdata), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(pg_bin("pg_ctl"), "-D", str(self.pgdata), "-m", "fast", "-w", "stop")

    def is_running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        if self.is_running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Deployment:
    """The service against a disposable cluster: its own data dir (spool, media, secret key),
    migrated once; `manage(...)` runs a management command, `serve(...)` a real gunicorn."""

    def __init__(self, cluster: DisposableCluster, *, dbname: str = "posthog_core"):
        self.cluster = cluster
        self.data_dir = Path(tempfile.mkdtemp(prefix="posthog-core-data-"))
        cluster.create_database(dbname)
        self.dbname = dbname
        self.spool_dir = self.data_dir / "spool"
        self.env = {
            **os.environ,
            "DATABASE_URL": cluster.url(dbname),
            "POSTHOG_CORE_DATA_DIR": str(self.data_dir),
            "CAPTURE_SPOOL_DIR": str(self.spool_dir),
            "DJANGO_SETTINGS_MODULE": "posthog_core.settings",
            "PYTHONPATH": str(REPO),
        }
        self.env.pop("POSTHOG_CORE_DB_NAME", None)
        self.manage("migrate", "--noinput")

    def manage(self, *args: str, env: dict | None = None, timeout: float = 300) -> str:
        result = subprocess.run([sys.executable, str(REPO / "manage.py"), *args], env={**self.env, **(env or {})},
                                cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def bootstrap(self) -> dict:
        out = self.manage("bootstrap", "--email", "faults@example.com", "--password", "fault-pass-123",
                          "--organization", "Faults", "--project", "Faults", "--json")
        return json.loads(out)

    def serve(self, **env: str) -> GunicornServer:
        return GunicornServer(self, env=env)

    def destroy(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


class GunicornServer:
    """`make run`'s gunicorn (same config module) on a free port; `stop()` ends it and its workers."""

    def __init__(self, deployment: Deployment, *, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = deployment.data_dir / f"gunicorn-{self.port}.log"
        self._log_handle = open(self.log, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf", "posthog_core.wsgi"],
            env={**deployment.env, "PORT": str(self.port), **env}, cwd=REPO,
            stdout=self._log_handle, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log_handle.close()


def http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 30) -> tuple[int, dict, bytes]:
    """(status, headers, body) without raising on an error status."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()

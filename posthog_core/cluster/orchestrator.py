"""The whole deployment on one machine, with real processes: a PostgreSQL primary and a streaming
replica, an S3-compatible store (moto's server), N gunicorn web nodes and HAProxy in front.

`Cluster.start()` brings everything up on a fresh folder (or reuses the databases of an earlier
run), `Cluster.supervise()` restarts a web node that dies (its capture spool drains when it comes
back), `Cluster.stop()` stops every process it started, in reverse order.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from posthog_core.cluster.postgres import PostgresProcess

logger = logging.getLogger("posthog_core.cluster")

ROOT = Path(__file__).resolve().parent.parent.parent
DB_NAME = "posthog_core"
BUCKET = "posthog-core"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 2) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def http_body(url: str, timeout: float = 10) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.read().decode(errors="replace")
    except OSError as error:
        return str(error)


def wait_until(check, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready within {timeout:.0f} s")


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Signal a child's whole process group (gunicorn's workers too), then SIGKILL on timeout."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


@dataclass
class WebNode:
    name: str
    port: int
    data_dir: Path
    process: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    data_dir: Path
    port: int
    node_count: int = 2
    web_concurrency: int = 2
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.data_dir = self.data_dir.resolve()
        self.primary = PostgresProcess(name="primary", data_dir=self.data_dir / "primary", port=free_port())
        self.replica = PostgresProcess(name="replica", data_dir=self.data_dir / "replica", port=free_port())
        self.s3_port = free_port()
        self.s3: subprocess.Popen | None = None
        self.haproxy: subprocess.Popen | None = None
        self.nodes = [WebNode(name=f"node{i}", port=free_port(), data_dir=self.data_dir / "nodes" / f"node{i}")
                      for i in range(1, self.node_count + 1)]
        self.stopping = False

    @property
    def balancer_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_path(self) -> Path:
        return self.data_dir / "state.json"

    # -- start ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if shutil.which("haproxy") is None:
            raise RuntimeError("haproxy is not installed (make cluster installs the Debian package)")
        self._start_databases()
        self._start_s3()
        self._migrate_from_every_node()
        for node in self.nodes:
            self._start_node(node)
        self._start_haproxy()
        for node in self.nodes:
            wait_until(lambda node=node: http_status(f"{node.url}/_health") == 200, f"{node.name}", 120)
        try:
            wait_until(lambda: http_status(f"{self.balancer_url}/_health") == 200, "the balancer's /_health", 120)
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {http_body(f'{self.balancer_url}/_health')}") from None
        self.write_state()

    def _start_databases(self) -> None:
        if not self.primary.initialized:
            logger.info("initialising the primary in %s", self.primary.data_dir)
            self.primary.init_primary()
        self.primary.start()
        self.primary.ensure_database(DB_NAME)
        if not self.replica.initialized:
            logger.info("making the replica with pg_basebackup -R")
            self.replica.init_replica(self.primary)
        self.replica.start()

    def _start_s3(self) -> None:
        log = open(self.data_dir / "s3.log", "ab")
        self.s3 = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.s3_port)],
                                   stdout=log, stderr=log, start_new_session=True)
        log.close()
        wait_until(lambda: http_status(f"http://127.0.0.1:{self.s3_port}/") is not None, "moto", 60)
        import boto3

        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.s3_port}", region_name="us-east-1",
                              aws_access_key_id="cluster", aws_secret_access_key="cluster")
        client.create_bucket(Bucket=BUCKET)

    def _secret_key(self) -> str:
        """One key for every node: a session or signed value made on one node holds on the others."""
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        """What every web node (and a management command) runs with; only values differ per node."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "posthog_core.settings",
            "DATABASE_URL": self.primary.url(DB_NAME),
            "DATABASE_REPLICA_URL": self.replica.url(DB_NAME),
            "SECRET_KEY": self._secret_key(),
            "SITE_URL": self.balancer_url,
            "STORAGE_BACKEND": "storages.backends.s3.S3Storage",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{self.s3_port}",
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": "cluster",
            "AWS_SECRET_ACCESS_KEY": "cluster",
            "WEB_CONCURRENCY": str(self.web_concurrency),
            "POSTHOG_CORE_CLUSTER_NODES": ",".join(f"{node.name}={node.url}" for node in self.nodes),
            **self.extra_env,
        }

    def node_env(self, node: WebNode) -> dict[str, str]:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        return {**self.env(), "PORT": str(node.port), "POSTHOG_CORE_NODE_NAME": node.name,
                "POSTHOG_CORE_DATA_DIR": str(node.data_dir)}

    def _migrate_from_every_node(self) -> None:
        """Every node migrates as it would on its own machine, all at once: the advisory lock in
        `manage.py migrate` lets one apply the migrations while the others wait."""
        runs = [subprocess.Popen([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT,
                                 env=self.node_env(node), stderr=subprocess.PIPE) for node in self.nodes]
        for node, run in zip(self.nodes, runs, strict=True):
            _, err = run.communicate()
            if run.returncode:
                raise RuntimeError(f"migrate on {node.name} failed:\n{err.decode(errors='replace')}")

    def _start_node(self, node: WebNode) -> None:
        log = open(node.data_dir / "gunicorn.log", "ab")
        node.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf", "posthog_core.wsgi"],
            cwd=ROOT, env=self.node_env(node), stdout=log, stderr=log, start_new_session=True,
        )
        log.close()

    def haproxy_config(self) -> str:
        servers = "\n".join(f"    server {node.name} 127.0.0.1:{node.port} check" for node in self.nodes)
        return f"""global
    maxconn 2048

defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 300s
    timeout check 5s
    # A refused connection (a node down) is retried on another node; nothing else is retried.
    retries 3
    option redispatch 1

frontend balancer
    bind 127.0.0.1:{self.port}
    # The balancer's /_health is the whole cluster's, answered by any node that is up.
    http-request set-path /_health/cluster if {{ path /_health }}
    default_backend nodes

backend nodes
    balance roundrobin
    option httpchk GET /_health
    http-check expect status 200
    default-server inter 1s fall 2 rise 1
{servers}
"""

    def _start_haproxy(self) -> None:
        config = self.data_dir / "haproxy.cfg"
        config.write_text(self.haproxy_config())
        subprocess.run(["haproxy", "-c", "-q", "-f", str(config)], check=True)
        log = open(self.data_dir / "haproxy.log", "ab")
        self.haproxy = subprocess.Popen(["haproxy", "-db", "-f", str(config)], stdout=log, stderr=log,
                                        start_new_session=True)
        log.close()

    def demo(self) -> str:
        """`manage.py demo` against the cluster: the login and a key, printed as `make run` prints them."""
        run = subprocess.run([sys.executable, "manage.py", "demo"], cwd=ROOT, capture_output=True, text=True,
                             env={**self.env(), "PORT": str(self.port)}, check=True)
        return run.stdout

    # -- run -------------------------------------------------------------------------------------

    def write_state(self) -> None:
        """Ports, URLs and process ids, for the cluster tests and for a curious operator."""
        state = {
            "balancer": self.balancer_url,
            "primary": {"url": self.primary.url(DB_NAME), "port": self.primary.port,
                        "pid": self.primary.process and self.primary.process.pid},
            "replica": {"url": self.replica.url(DB_NAME), "port": self.replica.port,
                        "pid": self.replica.process and self.replica.process.pid},
            "s3": {"endpoint": f"http://127.0.0.1:{self.s3_port}", "bucket": BUCKET, "pid": self.s3 and self.s3.pid},
            "haproxy": {"pid": self.haproxy and self.haproxy.pid},
            "nodes": {node.name: {"url": node.url, "pid": node.process and node.process.pid,
                                  "data_dir": str(node.data_dir), "restarts": node.restarts} for node in self.nodes},
            "env": {key: value for key, value in self.env().items() if key not in os.environ or key in self.extra_env},
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state, indent=2))
        temporary.replace(self.state_path)

    def supervise_once(self) -> None:
        """Restart any web node that exited, as a process manager would on a real machine. The
        databases, the store and the balancer are only reported: their outage is what the
        deployment must survive, and the cluster tests cause it on purpose."""
        for name, process in (("primary", self.primary.process), ("replica", self.replica.process),
                              ("s3", self.s3), ("haproxy", self.haproxy)):
            if process is not None and process.returncode is None and process.poll() is not None:
                logger.warning("%s exited (%s)", name, process.returncode)
        for node in self.nodes:
            if node.process is not None and node.process.poll() is not None and not self.stopping:
                logger.warning("%s exited (%s); restarting it", node.name, node.process.returncode)
                stop_process(node.process, signal.SIGKILL)  # its workers, if only the master died
                node.restarts += 1
                self._start_node(node)
                self.write_state()

    # -- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        self.stopping = True
        stop_process(self.haproxy)
        for node in self.nodes:
            stop_process(node.process)
        stop_process(self.s3)
        self.replica.stop()
        self.primary.stop()
        if self.state_path.exists():
            self.state_path.unlink()

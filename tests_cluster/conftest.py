"""One cluster for the session, started through its real entry point (`python -m
posthog_core.cluster`, what `make cluster` runs) on free ports and its own data folder; Django runs
in this process too, pointed at the cluster's primary and replica, to seed accounts and to look
at the router from inside."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from posthog_core.cluster.orchestrator import ROOT, free_port

# Small budgets so the throttle check can exhaust one across nodes (throttles: the limits branch).
THROTTLE_ENV = {"RATE_LIMIT_ENABLED": "1", "RATE_LIMIT_CRUD_BURST": "20/minute"}


class ClusterHandle:
    def __init__(self, process: subprocess.Popen, data_dir: Path):
        self.process, self.data_dir = process, data_dir

    @property
    def state(self) -> dict:
        return json.loads((self.data_dir / "state.json").read_text())

    @property
    def url(self) -> str:
        return self.state["balancer"]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=120)
        return self.process.returncode


@pytest.fixture(scope="session")
def cluster():
    # NOTE: not under pytest's tmp_path: any pytest run on the machine resets its root to 0700,
    # and PostgreSQL, running as the `pgserver` user, then loses its own data folder mid-run.
    data_dir = Path(tempfile.mkdtemp(prefix="posthog-core-cluster-"))
    env = {**os.environ, **THROTTLE_ENV, "CLUSTER_WEB_CONCURRENCY": "2"}
    log = open(data_dir / "orchestrator.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "posthog_core.cluster", "--port", str(free_port()), "--nodes", "2",
         "--data-dir", str(data_dir), "--no-demo"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    handle = ClusterHandle(process, data_dir)
    deadline = time.monotonic() + 300
    while not (data_dir / "state.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            handle.stop()
            output = (data_dir / "orchestrator.log").read_text()
            shutil.rmtree(data_dir, ignore_errors=True)
            raise RuntimeError("the cluster did not start:\n" + output)
        time.sleep(0.5)
    try:
        yield handle
    finally:
        handle.stop()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def django_on_cluster(cluster, tmp_path_factory):
    """Django in this process, on the cluster's databases (as a node would be)."""
    os.environ.update(cluster.state["env"])
    os.environ["POSTHOG_CORE_DATA_DIR"] = str(tmp_path_factory.mktemp("django"))
    os.environ["POSTHOG_CORE_NODE_NAME"] = "test-runner"
    import django

    django.setup()
    return cluster


@pytest.fixture
def account(django_on_cluster):
    """A fresh user, project and full-access key (each test its own, so throttle budgets don't mix)."""
    from accounts.services import account_bootstrap, personal_api_key_create

    name = uuid.uuid4().hex[:12]
    user, project = account_bootstrap(email=f"{name}@cluster.test", password="cluster-password",
                                      organization=f"Org {name}", project=f"Project {name}")
    key = personal_api_key_create(user=user, label="cluster", scopes=["*"])
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key._plain_value}"
    return {"user": user, "project": project, "key": key._plain_value, "session": session}

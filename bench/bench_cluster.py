"""Throughput through HAProxy over two web nodes against one node served directly, 16 connections
(wrk), on `GET /api/users/@me/` and the event-definitions list (issue #15). The cluster is the one
`make cluster` runs (its own primary, streaming replica, S3, nodes), started here on free ports.
On a 2-core machine this shows the balancer's and the second node's overhead, not scaling:
target ≥ 0.8×. Two baselines: one cluster node as it is (half the workers of the pair), and one
node with as many workers as both together (the same CPU share on a loaded machine), so the
second ratio is the balancer's overhead alone."""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import ROOT, Context, Http, free_port

WEB_CONCURRENCY = 2

CONNECTIONS = 16
SECONDS = 8
ROUNDS = 3
DEFINITIONS = 200


def wrk_rps(url: str, key: str) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-H", f"Authorization: Bearer {key}", url],
                         capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert non_2xx is None, f"{url}: {non_2xx.group(1)} failed responses\n{out}"
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _seed(cluster) -> tuple[str, int]:
    run = subprocess.run([sys.executable, "manage.py", "bootstrap", "--email", "bench@cluster.test", "--password",
                          "bench-password", "--organization", "Bench", "--project", "Bench", "--json"],
                         cwd=ROOT, env=cluster.env(), capture_output=True, text=True, check=True)
    account = json.loads(run.stdout)
    client = Http(cluster.balancer_url, {"Authorization": f"Bearer {account['personal_api_key']}"})
    for index in range(DEFINITIONS):
        status, body, _ = client.request("POST", f"/api/projects/{account['project_id']}/event_definitions/",
                                         {"name": f"bench event {index:04d}"})
        assert status == 201, body
    return account["personal_api_key"], account["project_id"]


def _solo_node(cluster, workers: int):
    """A node outside the balancer with `workers` gunicorn workers, on the cluster's databases."""
    from posthog_core.cluster.orchestrator import WebNode, http_status, wait_until

    node = WebNode(name="solo", port=free_port(), data_dir=cluster.data_dir / "nodes" / "solo")
    env = {**cluster.node_env(node), "WEB_CONCURRENCY": str(workers)}
    node.process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:posthog_core.gunicorn_conf",
                                     "posthog_core.wsgi"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
    wait_until(lambda: http_status(f"{node.url}/_health") == 200, "the solo node", 120)
    return node


def run(ctx: Context) -> None:
    from posthog_core.cluster.orchestrator import Cluster, stop_process

    data_dir = Path(tempfile.mkdtemp(prefix="posthog-core-bench-cluster-"))
    # Throttles off: the benchmark measures serving, not the limiter refusing wrk.
    cluster = Cluster(data_dir=data_dir, port=free_port(), node_count=2, web_concurrency=WEB_CONCURRENCY,
                      extra_env={"RATE_LIMIT_ENABLED": "0"})
    solo = None
    try:
        cluster.start()
        key, project_id = _seed(cluster)
        solo = _solo_node(cluster, 2 * WEB_CONCURRENCY)
        targets = {"balancer": cluster.balancer_url, "node": cluster.nodes[0].url, "solo": solo.url}
        paths = {"me": "/api/users/@me/", "event_definitions": f"/api/projects/{project_id}/event_definitions/"}
        for name, path in paths.items():
            rps: dict[str, list[float]] = {target: [] for target in targets}
            for base in targets.values():
                wrk_rps(f"{base}{path}", key)  # warm every worker
            for _ in range(ROUNDS):  # interleaved, so drift on a shared machine hits all alike
                for target, base in targets.items():
                    rps[target].append(wrk_rps(f"{base}{path}", key))
            balanced = statistics.median(rps["balancer"])
            ctx.report(f"cluster.{name}.two_nodes_behind_haproxy", balanced, "req/s",
                       f"one_node_direct.{name}", statistics.median(rps["node"]))
            ctx.report(f"cluster.{name}.two_nodes_behind_haproxy", balanced, "req/s",
                       f"one_node_same_workers_direct.{name}", statistics.median(rps["solo"]))
    finally:
        if solo is not None:
            stop_process(solo.process)
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

"""`python -m posthog_core.cluster`: start the cluster in the foreground; SIGTERM or Ctrl-C stops
every process it started.

    python -m posthog_core.cluster [--port 8080] [--nodes 2] [--data-dir .data/cluster]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from posthog_core.cluster.orchestrator import ROOT, Cluster


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m posthog_core.cluster", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8080")))
    parser.add_argument("--nodes", type=int, default=int(os.environ.get("CLUSTER_NODES", "2")))
    parser.add_argument("--web-concurrency", type=int, default=int(os.environ.get("CLUSTER_WEB_CONCURRENCY", "2")))
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("CLUSTER_DATA_DIR", ROOT / ".data" / "cluster")))
    parser.add_argument("--no-demo", action="store_true", help="don't create or print the demo account")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s cluster %(levelname)s %(message)s")
    args = parse_args(argv)
    cluster = Cluster(data_dir=args.data_dir, port=args.port, node_count=args.nodes,
                      web_concurrency=args.web_concurrency)
    stop_requested = []

    def request_stop(signum, frame):
        stop_requested.append(signum)
        raise KeyboardInterrupt  # leaves start() or the wait below at once

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        cluster.start()
        if not args.no_demo:
            print(cluster.demo(), flush=True)
        nodes = ", ".join(f"{node.name} {node.url}" for node in cluster.nodes)
        print(f"Cluster up on {cluster.balancer_url} (HAProxy, round-robin over {nodes})\n"
              f"  primary 127.0.0.1:{cluster.primary.port}, streaming replica 127.0.0.1:{cluster.replica.port}, "
              f"S3 (moto) http://127.0.0.1:{cluster.s3_port}\n"
              f"  health: curl {cluster.balancer_url}/_health      state: {cluster.state_path}\n"
              "  Ctrl-C stops everything.", flush=True)
        while True:
            cluster.supervise_once()
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cluster.stop()
        print("Cluster stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

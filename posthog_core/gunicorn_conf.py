"""gunicorn settings for `make run` (and the benchmarks, which start the server the same way)."""

import os
from pathlib import Path

from posthog_core.embedded_db import data_dir

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threaded workers: a long export (or a slow client) holds one thread, not a whole worker, so the
# other threads keep answering. Each thread keeps its own database connection (CONN_MAX_AGE), so
# a node opens up to workers × threads connections (+1 per rendering or waiting export, +1 per
# spool drainer): 4 × 8 = 32 by default, well inside PostgreSQL's default max_connections of 100.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))  # exports render inside the request
accesslog = None  # Django logs each request instead, secrets masked (posthog_core/observability.py)
errorlog = "-"
# gunicorn ≥ 25 opens a control socket at one fixed path per user; two servers on one machine
# (make run beside a benchmark) would fight over it, and nothing here uses it.
control_socket_disable = True
raw_env = ["DJANGO_SETTINGS_MODULE=posthog_core.settings"]

# prometheus_client's multiprocess mode: each worker writes its metrics to files in this folder and
# a scrape sums them. Set here, in the master, before any worker imports prometheus_client; one
# folder per port, so two servers from one checkout (make run beside a benchmark) keep apart.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(data_dir() / "prometheus" / os.environ.get("PORT", "8000"))
)


def on_starting(server):
    """Empty the metrics folder (the last run's workers are gone) and hold a handle on the embedded
    PostgreSQL in the master, so it outlives worker restarts."""
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    if not os.environ.get("DATABASE_URL"):
        from posthog_core import embedded_db

        embedded_db.ensure_server()


def post_worker_init(worker):
    """Each worker runs a capture-spool drainer thread (the spool's lock lets one work at a time,
    and a node restarted with spooled batches writes them as soon as a worker is up) and the events
    maintenance thread (an advisory lock lets one of the whole deployment work per round)."""
    from ingestion.drain import drainer_start
    from ingestion.maintenance import events_maintenance_start

    drainer_start()
    events_maintenance_start()


def child_exit(server, worker):
    """Drop the live-gauge files of a worker that exited (its counters and histograms still count)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

"""gunicorn settings for `make run` (and the benchmarks, which start the server the same way)."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threaded workers: a long export (or a slow client) holds one thread, not a whole worker, so the
# other threads keep answering. Each thread keeps its own database connection (CONN_MAX_AGE), so
# a node opens up to workers × threads connections (+1 per rendering or waiting export, +1 per
# spool drainer): 4 × 8 = 32 by default, well inside PostgreSQL's default max_connections of 100.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "300"))  # exports render inside the request
accesslog = None  # access lines could carry ?personal_api_key=...
errorlog = "-"
# gunicorn ≥ 25 opens a control socket at one fixed path per user; two servers on one machine
# (make run beside a benchmark) would fight over it, and nothing here uses it.
control_socket_disable = True
raw_env = ["DJANGO_SETTINGS_MODULE=posthog_core.settings"]


def on_starting(server):
    """Hold a handle on the embedded PostgreSQL in the master, so it outlives worker restarts."""
    if not os.environ.get("DATABASE_URL"):
        from posthog_core import embedded_db

        embedded_db.ensure_server()


def post_worker_init(worker):
    """Each worker runs a capture-spool drainer thread; the spool's lock lets one work at a time,
    and a node restarted with spooled batches writes them as soon as a worker is up."""
    from ingestion.drain import drainer_start

    drainer_start()

"""gunicorn settings for `make run` (and the benchmarks, which start the server the same way)."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = 1
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
    """Each worker runs the events maintenance thread; an advisory lock lets one of the whole
    deployment work per round (ingestion/maintenance.py)."""
    from ingestion.maintenance import events_maintenance_start

    events_maintenance_start()

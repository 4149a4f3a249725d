"""Embedded PostgreSQL (the `pgserver` module) for running and testing without a database server."""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

logger = logging.getLogger(__name__)

DEFAULT_DB_NAME = "posthog_core"


def data_dir() -> Path:
    """The folder that holds the embedded cluster, exports and the generated secret key."""
    configured = os.environ.get("POSTHOG_CORE_DATA_DIR")
    path = Path(configured) if configured else Path(__file__).resolve().parent.parent / ".data"
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def database_name() -> str:
    return os.environ.get("POSTHOG_CORE_DB_NAME", DEFAULT_DB_NAME)


def ensure_server() -> dict:
    """Start (or join) the embedded server and return Django `DATABASES['default']` settings.

    pgserver keeps one postmaster per data folder and reference-counts the processes using it
    under an inter-process lock, so gunicorn workers, a test run and management commands can
    share it; the last process to exit stops it.
    """
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp, which is fine.
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(data_dir() / "pg", cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir, port = str(info.socket_dir), str(info.port or 5432)
    name = database_name()
    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{name}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another process won the race
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": port,
    }

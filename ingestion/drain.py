"""The spool drainer: writes spooled capture batches once the database is back.

Every web worker runs one as a daemon thread (started by gunicorn's `post_worker_init` hook);
the spool's drain lock lets one of them work at a time on a node, and a restarted node with a
non-empty spool drains it as soon as its first worker is up. `manage.py drain_spool` runs the
same pass by hand.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from ingestion.services import capture_spooled_batch_write
from ingestion.spool import DrainResult, spool_dir, spool_drain
from posthog_core.exceptions import is_database_unavailable

logger = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 15.0

_started = threading.Lock()
_thread: threading.Thread | None = None


def spool_is_empty() -> bool:
    return not any(path.name.endswith(".spool") for path in spool_dir().iterdir())


def spool_drain_once() -> DrainResult | None:
    """One pass over the spool; None when another process holds the drain lock."""
    try:
        result = spool_drain(write=lambda record: capture_spooled_batch_write(record=record),
                             is_retryable=is_database_unavailable)
    finally:
        # A dead connection must not be reused by the next pass (nor held between passes).
        connection.close()
    if result is not None and (result.batches or result.skipped):
        logger.info("capture spool: %d batches written, %d skipped%s", result.batches, result.skipped,
                    " (database unavailable again, will retry)" if result.interrupted else "")
    return result


def drainer_loop(stop: threading.Event) -> None:
    backoff = IDLE_POLL_SECONDS
    while not stop.wait(backoff):
        try:
            if spool_is_empty():
                backoff = IDLE_POLL_SECONDS
                continue
            close_old_connections()
            result = spool_drain_once()
            interrupted = result is not None and result.interrupted
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS) if interrupted else IDLE_POLL_SECONDS
        except Exception as error:  # the database down at the first query of a pass, a full disk...
            if not is_database_unavailable(error):
                logger.exception("capture spool drainer pass failed")
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def drainer_start() -> threading.Thread:
    """Start this process's drainer thread (once)."""
    global _thread
    with _started:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=drainer_loop, args=(threading.Event(),), name="spool-drainer",
                                       daemon=True)
            _thread.start()
        return _thread

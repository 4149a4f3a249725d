"""Events-table maintenance inside the service: partitions made ahead and retention applied, by one
process of the whole deployment at a time.

Every gunicorn worker of every node starts a daemon thread (posthog_core.gunicorn_conf); each
round opens a transaction and takes a PostgreSQL transaction-level advisory lock without waiting.
The one that gets it does the work; the others skip that round, so a round costs the rest one
query. The work itself is a catalog read plus DDL only when a month rolls over.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import UTC, datetime

from django.conf import settings
from django.db import OperationalError, connection, transaction

from ingestion.partitions import (
    event_partition_drop_detached,
    event_partitions_detach_expired,
    event_partitions_detached,
    event_partitions_ensure,
)

logger = logging.getLogger(__name__)

# Any fixed 64-bit key distinct from the project's other advisory locks.
MAINTENANCE_LOCK_KEY = 0x65766E7470617274  # "evntpart"


def events_maintenance_run(*, retention_days: int | None, now: datetime | None = None, wait: bool = False,
                           drop: bool = True) -> dict | None:
    """Create the missing partitions of the window and, with `drop` and a retention, detach the
    expired ones and then drop them; None when another process holds the maintenance lock (unless
    `wait`)."""
    now = now or datetime.now(UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MAINTENANCE_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [MAINTENANCE_LOCK_KEY])
            if not cursor.fetchone()[0]:
                return None
        created = event_partitions_ensure(cursor=cursor, now=now, ahead=settings.EVENTS_PARTITION_MONTHS_AHEAD,
                                          back=settings.EVENTS_PARTITION_MONTHS_BACK, retention_days=retention_days)
        dropped = []
        if drop and retention_days is not None:
            dropped = event_partitions_detach_expired(cursor=cursor, now=now, retention_days=retention_days)
        # These, and any month a stopped round detached but did not drop.
        detached = event_partitions_detached(cursor=cursor) if drop else []
    events_detached_drop(detached)
    if created or dropped:
        logger.info("events partitions: created %s, dropped %s", created or "none", dropped or "none")
    return {"created": created, "dropped": dropped}


def events_detached_drop(names: list[str] | None = None) -> list[str]:
    """Drop the detached months (`names`, or every one), each in a transaction of its own after the
    detach has committed: freeing a month's files then locks that table alone, never the events table."""
    if names is None:
        with connection.cursor() as cursor:
            names = event_partitions_detached(cursor=cursor)
    for name in names:
        with transaction.atomic(), connection.cursor() as cursor:
            event_partition_drop_detached(cursor=cursor, name=name)
    return names


def _loop(interval: float, stop: threading.Event) -> None:
    # Spread the workers' rounds so they don't all knock on the lock in the same instant.
    stop.wait(random.uniform(0, min(interval, 30)))
    while not stop.is_set():
        try:
            events_maintenance_run(retention_days=settings.EVENTS_RETENTION_DAYS)
        except OperationalError:
            # A lock timeout or a database restart: the next round tries again.
            logger.warning("events maintenance round failed; retrying in %.0f s", interval, exc_info=True)
        except Exception:
            logger.exception("events maintenance round failed")
        finally:
            connection.close()  # the thread holds no idle connection between rounds
        stop.wait(interval)


def events_maintenance_start(*, interval: float | None = None) -> threading.Event:
    """Start the maintenance thread of this process; set the returned event to stop it."""
    stop = threading.Event()
    every = settings.EVENTS_MAINTENANCE_INTERVAL if interval is None else interval
    threading.Thread(target=_loop, args=(every, stop), name="events-maintenance", daemon=True).start()
    return stop

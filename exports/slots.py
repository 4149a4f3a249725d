"""Render slots: at most EXPORT_CONCURRENCY exports render at once across every worker, process
and web node that shares the database.

A slot is a session-level PostgreSQL advisory lock `(EXPORT_SLOT_LOCK_CLASS, n)` for n in
0..EXPORT_CONCURRENCY-1, held on a connection of its own: the request's own connection commits
and rolls back freely while the slot stays held, and a process that dies (even by SIGKILL) loses
its session, which frees the slot with no lease to expire.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections
from rest_framework.exceptions import Throttled

from posthog_core.metrics import EXPORT_SLOT_REJECTIONS, EXPORT_SLOT_WAIT_SECONDS

logger = logging.getLogger(__name__)

# The first key of the two-int advisory lock form ("PHEX"): keeps these locks apart from any
# other advisory lock user of the database, which would use the one-bigint form or another class.
EXPORT_SLOT_LOCK_CLASS = 0x50484558
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 1.0


class ExportSlotUnavailable(Throttled):
    default_code = "export_concurrency"
    default_detail = "Too many exports are rendering right now; try again shortly."

    def __init__(self, wait: float):
        super().__init__(wait=wait, detail=self.default_detail, code=self.default_code)


def slot_try(*, cursor, concurrency: int) -> int | None:
    """One pass over the slots: the number of the slot taken, or None when all are held."""
    # Starting at a random slot spreads the try-locks of many waiters instead of all of them
    # contending for slot 0 first; a Python loop rather than one `WHERE pg_try_advisory_lock(...)
    # LIMIT 1` statement, which PostgreSQL may evaluate for more rows than it returns.
    start = random.randrange(concurrency)
    for offset in range(concurrency):
        slot = (start + offset) % concurrency
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [EXPORT_SLOT_LOCK_CLASS, slot])
        if cursor.fetchone()[0]:
            return slot
    return None


def slot_acquire(*, cursor, concurrency: int, wait_seconds: float) -> int | None:
    """Poll for a free slot with growing, jittered pauses until `wait_seconds` have passed."""
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_POLL_SECONDS
    while True:
        slot = slot_try(cursor=cursor, concurrency=concurrency)
        if slot is not None:
            return slot
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(remaining, pause * random.uniform(0.5, 1.0)))
        pause = min(pause * 1.6, MAX_POLL_SECONDS)


_local_lock = threading.Lock()
_local_holders = 0


@contextmanager
def _process_share() -> Iterator[bool]:
    """True while this process has fewer than EXPORT_THREADS_PER_PROCESS export creates rendering
    or waiting: threads parked on a slot must not take every thread of the worker from the API."""
    global _local_holders
    with _local_lock:
        admitted = _local_holders < settings.EXPORT_THREADS_PER_PROCESS
        _local_holders += admitted
    try:
        yield admitted
    finally:
        if admitted:
            with _local_lock:
                _local_holders -= 1


@contextmanager
def export_slot() -> Iterator[int | None]:
    """Hold one render slot for the duration of the block; raise ExportSlotUnavailable (429)
    when none frees up within EXPORT_SLOT_WAIT_SECONDS, or at once when this process already has
    EXPORT_THREADS_PER_PROCESS creates in flight. EXPORT_CONCURRENCY=0 means no limit."""
    concurrency = settings.EXPORT_CONCURRENCY
    if concurrency <= 0:
        yield None
        return
    with _process_share() as admitted:
        if not admitted:
            EXPORT_SLOT_REJECTIONS.inc()
            raise ExportSlotUnavailable(wait=max(1, math.ceil(settings.EXPORT_SLOT_WAIT_SECONDS)))
        with _database_slot(concurrency) as slot:
            yield slot


@contextmanager
def _database_slot(concurrency: int) -> Iterator[int]:
    wait_seconds = settings.EXPORT_SLOT_WAIT_SECONDS
    # A connection outside Django's per-thread registry, so it is never reused by the request.
    holder = connections.create_connection("default")
    started = time.monotonic()
    try:
        with holder.cursor() as cursor:
            slot = slot_acquire(cursor=cursor, concurrency=concurrency, wait_seconds=wait_seconds)
            EXPORT_SLOT_WAIT_SECONDS.observe(time.monotonic() - started)
            if slot is None:
                EXPORT_SLOT_REJECTIONS.inc()
                raise ExportSlotUnavailable(wait=max(1, math.ceil(wait_seconds)))
            try:
                yield slot
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [EXPORT_SLOT_LOCK_CLASS, slot])
    finally:
        # Closing the session releases the lock too, should the unlock above have failed.
        holder.close()

"""Renders run at a lower CPU priority than everything else, so on a busy machine the scheduler
gives ordinary requests the cores first.

Two things burn CPU during an export: the rendering thread (zip, Python rows) and, for the COPY
paths, the PostgreSQL backend building the rows. Both are reniced to EXPORT_RENDER_NICE for the
render and put back after (Linux: a thread's nice is its own). Only where this process may put them
back: lowering a nice value again needs root (or RLIMIT_NICE), and a backend can only be reniced
when it is a local `postgres` process this user may signal; anywhere else the render simply runs
at normal priority.
"""

from __future__ import annotations

import logging
import os
import resource
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def _can_restore(current: int, target: int) -> bool:
    if os.geteuid() == 0:
        return True
    # RLIMIT_NICE's soft limit r allows nice values down to 20 - r.
    return 20 - resource.getrlimit(resource.RLIMIT_NICE)[0] <= current < target


def _local_backend_pid() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    # A remote (or containerised) server's pid may name an unrelated local process: check it.
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            is_postgres = b"postgres" in handle.read()
    except OSError:
        return None
    return pid if is_postgres else None


@contextmanager
def _reniced(pid: int, target: int) -> Iterator[bool]:
    try:
        current = os.getpriority(os.PRIO_PROCESS, pid)
        if current >= target or not _can_restore(current, target):
            yield False
            return
        os.setpriority(os.PRIO_PROCESS, pid, target)
    except (PermissionError, ProcessLookupError):
        yield False
        return
    try:
        yield True
    finally:
        with suppress(ProcessLookupError):
            os.setpriority(os.PRIO_PROCESS, pid, current)


@contextmanager
def render_priority() -> Iterator[None]:
    target = settings.EXPORT_RENDER_NICE
    if target <= 0 or not hasattr(os, "setpriority"):
        yield
        return
    backend = _local_backend_pid()
    with _reniced(threading.get_native_id(), target):
        if backend is None:
            yield
            return
        with _reniced(backend, target) as reniced:
            try:
                yield
            except BaseException:
                if reniced:
                    connection.close()  # its session may be gone with the error; never keep it niced
                raise

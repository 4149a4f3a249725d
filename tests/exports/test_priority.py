"""Renders run niced (exports/priority.py): the rendering thread and its local PostgreSQL backend,
both put back afterwards so the thread and the kept connection serve later requests at full priority."""

import os
import threading

import pytest
from django.db import connection

from exports.priority import render_priority

pytestmark = pytest.mark.django_db


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def nice_of(pid):
    return os.getpriority(os.PRIO_PROCESS, pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="lowering a nice value again needs root (or RLIMIT_NICE)")
def test_render_thread_and_backend_run_niced(settings):
    settings.EXPORT_RENDER_NICE = 10
    with render_priority():
        during = (nice_of(threading.get_native_id()), nice_of(backend_pid()))
    assert during == (10, 10)


@pytest.mark.skipif(os.geteuid() != 0, reason="lowering a nice value again needs root (or RLIMIT_NICE)")
def test_priorities_are_restored_after_the_render(settings):
    settings.EXPORT_RENDER_NICE = 10
    before = (nice_of(threading.get_native_id()), nice_of(backend_pid()))
    with render_priority():
        pass
    assert (nice_of(threading.get_native_id()), nice_of(backend_pid())) == before

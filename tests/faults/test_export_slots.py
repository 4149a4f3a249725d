"""EXPORT_CONCURRENCY held across processes: N+1 processes ask for a render slot at once, exactly
N get one and the last is refused (429) after its wait; a holder killed by SIGKILL frees its slot."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.faults.cluster import REPO

CONCURRENCY = 2

HOLDER = """
import django, sys
django.setup()
from exports.slots import ExportSlotUnavailable, export_slot
try:
    with export_slot() as slot:
        print("held", slot, flush=True)
        sys.stdin.read()  # hold the slot until the test closes our stdin (or kills us)
except ExportSlotUnavailable as error:
    print("refused", error.status_code, error.wait, flush=True)
"""


@pytest.fixture
def holders(deployment):
    started: list[subprocess.Popen] = []

    def start(wait_seconds: float) -> subprocess.Popen:
        env = {**deployment.env, "EXPORT_CONCURRENCY": str(CONCURRENCY), "EXPORT_SLOT_WAIT_SECONDS": str(wait_seconds)}
        process = subprocess.Popen([sys.executable, "-c", HOLDER], env=env, cwd=REPO, stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_only_export_concurrency_processes_hold_a_slot(holders):
    processes = [holders(wait_seconds=3) for _ in range(CONCURRENCY + 1)]
    lines = sorted(process.stdout.readline().strip() for process in processes)
    assert lines == ["held 0", "held 1", "refused 429 3"]


def test_slot_of_a_killed_process_is_free_again(holders):
    first = [holders(wait_seconds=0) for _ in range(CONCURRENCY)]
    assert sorted(process.stdout.readline().strip() for process in first) == ["held 0", "held 1"]
    first[0].kill()
    first[0].wait()
    assert holders(wait_seconds=10).stdout.readline().strip().startswith("held")

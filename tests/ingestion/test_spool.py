"""The capture spool (ingestion/spool.py) and its drain into the events table."""

import logging
import uuid

import pytest
from django.db import OperationalError
from django.utils import timezone

from ingestion.models import Event
from ingestion.normalizing import capture_batch_normalize
from ingestion.services import capture_batch_spool, capture_spooled_batch_write
from ingestion.spool import SpoolFull, spool_append, spool_depth, spool_dir, spool_drain
from posthog_core.exceptions import DatabaseUnavailable, is_database_unavailable
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def spool_in_tmp(settings, tmp_path):
    settings.CAPTURE_SPOOL_DIR = tmp_path / "spool"


def spool_batch(team, count=3):
    events = CaptureEventFactory.build_batch(count)
    now = timezone.now()
    batch = capture_batch_normalize(events=events, envelope={}, params={}, now=now)
    capture_batch_spool(token=team.api_token, batch=batch, now=now, cause=OperationalError("down"))
    return [event["uuid"] for event in events]


def drain():
    return spool_drain(write=lambda record: capture_spooled_batch_write(record=record),
                       is_retryable=is_database_unavailable)


def stored_uuids(team):
    return sorted(str(value) for value in Event.objects.filter(team=team).values_list("uuid", flat=True))


def active_file():
    return spool_dir() / "active.spool"


def test_drain_writes_every_spooled_event(team):
    uuids = spool_batch(team) + spool_batch(team)
    drain()
    assert stored_uuids(team) == sorted(uuids)


def test_drain_empties_the_spool(team):
    spool_batch(team)
    drain()
    assert spool_depth() == (0, 0)


def test_depth_counts_spooled_batches_and_bytes(team):
    spool_batch(team)
    spool_batch(team)
    assert spool_depth() == (2, active_file().stat().st_size)


def test_replayed_batch_is_not_doubled(team):
    """A drainer killed after its commit but before recording its progress writes the batch again."""
    uuids = spool_batch(team)
    record = active_file().read_bytes()
    drain()
    active_file().write_bytes(record)
    drain()
    assert stored_uuids(team) == sorted(uuids)


def test_corrupt_record_is_skipped_and_the_next_one_written(team, caplog):
    spool_batch(team)
    data = bytearray(active_file().read_bytes())
    data[-5] ^= 0xFF  # a flipped byte inside the first record's payload: its checksum fails
    active_file().write_bytes(bytes(data))
    second = spool_batch(team)
    with caplog.at_level(logging.ERROR, logger="ingestion.spool"):
        result = drain()
    assert (stored_uuids(team), result.batches, result.skipped) == (sorted(second), 1, 1)
    assert "corrupt record" in caplog.text


def test_torn_write_is_skipped_and_later_records_written(team):
    """A crash mid-append leaves a partial record; appends after it are still read."""
    first = spool_batch(team)
    active_file().write_bytes(active_file().read_bytes()[:-10])
    second = spool_batch(team)
    result = drain()
    assert (stored_uuids(team), result.skipped) == (sorted(second), 1)
    assert not set(first) & set(stored_uuids(team))


def test_batch_of_unknown_token_is_skipped_not_retried(team):
    spool_batch(team)
    now = timezone.now()
    batch = capture_batch_normalize(events=CaptureEventFactory.build_batch(1), envelope={}, params={}, now=now)
    capture_batch_spool(token="phc_unknown", batch=batch, now=now, cause=OperationalError("down"))
    result = drain()
    assert (result.batches, result.skipped, spool_depth()) == (1, 1, (0, 0))


def test_database_error_during_drain_keeps_the_batch(team):
    spool_batch(team)

    def database_gone(record):
        raise OperationalError("server closed the connection unexpectedly")

    result = spool_drain(write=database_gone, is_retryable=is_database_unavailable)
    assert (result.interrupted, spool_depth()[0]) == (True, 1)


def test_append_past_the_bound_raises_spool_full(settings):
    settings.CAPTURE_SPOOL_MAX_BYTES = 100
    spool_append(b"x" * 50)
    with pytest.raises(SpoolFull):
        spool_append(b"y" * 50)


def test_spool_full_is_a_503_for_capture(team, settings):
    settings.CAPTURE_SPOOL_MAX_BYTES = 10
    with pytest.raises(DatabaseUnavailable):
        spool_batch(team)


def test_spooled_event_keeps_its_timestamp_and_properties(team):
    event = CaptureEventFactory(uuid=str(uuid.uuid4()), properties={"plan": "pro", "n": 3})
    now = timezone.now()
    batch = capture_batch_normalize(events=[event], envelope={}, params={}, now=now)
    capture_batch_spool(token=team.api_token, batch=batch, now=now, cause=OperationalError("down"))
    drain()
    stored = Event.objects.get(team=team)
    assert (stored.timestamp, stored.properties, stored.event) == (batch[0]["timestamp"], batch[0]["properties"],
                                                                   event["event"])

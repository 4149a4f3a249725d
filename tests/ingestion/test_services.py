"""The capture pipeline below HTTP: timestamps and clock skew, definitions and their types."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from event_definitions.models import EventDefinition, PropertyDefinition
from ingestion.models import Event
from ingestion.services import capture_batch_ingest
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def ingest(team, *events, **envelope):
    return capture_batch_ingest(payload={"api_key": team.api_token, "batch": list(events), **envelope}, params={})


def stored_timestamp(team):
    return Event.objects.get(team=team).timestamp


@time_machine.travel(NOW, tick=False)
def test_ingest_timestamp_with_sent_at_is_corrected_for_clock_skew(team):
    # The client's clock runs 1 hour fast: it stamped the event 10 s before sending.
    ingest(team, CaptureEventFactory(timestamp="2026-03-01T13:00:00Z"), sent_at="2026-03-01T13:00:10Z")

    assert stored_timestamp(team) == NOW - timedelta(seconds=10)


@time_machine.travel(NOW, tick=False)
def test_ingest_ignore_sent_at_property_keeps_client_timestamp(team):
    event = CaptureEventFactory(timestamp="2026-03-01T13:00:00Z", properties={"$ignore_sent_at": True})

    ingest(team, event, sent_at="2026-03-01T13:00:10Z")

    assert stored_timestamp(team) == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_ingest_sent_at_from_underscore_param_in_milliseconds_corrects_skew(team):
    sent_at_ms = int(datetime(2026, 3, 1, 13, 0, 10, tzinfo=UTC).timestamp() * 1000)

    capture_batch_ingest(
        payload={"api_key": team.api_token, "batch": [CaptureEventFactory(timestamp="2026-03-01T13:00:00Z")]},
        params={"_": str(sent_at_ms)},
    )

    assert stored_timestamp(team) == NOW - timedelta(seconds=10)


@time_machine.travel(NOW, tick=False)
def test_ingest_timestamp_without_sent_at_is_kept(team):
    ingest(team, CaptureEventFactory(timestamp="2025-12-31T23:59:59.5+01:00"))

    assert stored_timestamp(team) == datetime(2025, 12, 31, 22, 59, 59, 500000, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_ingest_naive_timestamp_is_utc(team):
    ingest(team, CaptureEventFactory(timestamp="2026-02-01T10:00:00"))

    assert stored_timestamp(team) == datetime(2026, 2, 1, 10, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("timestamp", [None, "yesterday", "2026-02-30T00:00:00Z", 12])
def test_ingest_missing_or_invalid_timestamp_means_now(team, timestamp):
    ingest(team, CaptureEventFactory(timestamp=timestamp))

    assert stored_timestamp(team) == NOW


@time_machine.travel(NOW, tick=False)
def test_ingest_timestamp_whose_offset_carries_it_before_year_1_means_now(team):
    # Stored as given, it would be 1 BC in UTC: PostgreSQL keeps it, but no reader can load it.
    ingest(team, CaptureEventFactory(timestamp="0001-01-01T00:00:00+05:00"))

    assert stored_timestamp(team) == NOW


@time_machine.travel(NOW, tick=False)
def test_ingest_timestamp_more_than_23_hours_ahead_means_now(team):
    ingest(team, CaptureEventFactory(timestamp="2026-03-03T00:00:00Z"))

    assert stored_timestamp(team) == NOW


@time_machine.travel(NOW, tick=False)
def test_ingest_legacy_time_property_in_epoch_seconds_is_the_timestamp(team):
    event = CaptureEventFactory(timestamp=None, properties={"$time": NOW.timestamp() - 60})

    ingest(team, event)

    assert stored_timestamp(team) == NOW - timedelta(seconds=60)


@time_machine.travel(NOW, tick=False)
def test_ingest_offset_without_timestamp_counts_back_from_now(team):
    ingest(team, {**CaptureEventFactory(timestamp=None), "offset": 1500})

    assert stored_timestamp(team) == NOW - timedelta(milliseconds=1500)


def test_ingest_new_event_definition_has_created_and_last_seen_now(team):
    with time_machine.travel(NOW, tick=False):
        ingest(team, CaptureEventFactory(event="fresh"))

    definition = EventDefinition.objects.get(team=team, name="fresh")
    assert (definition.created_at, definition.last_seen_at) == (NOW, NOW)


def test_ingest_advances_last_seen_at_after_the_resolution(team):
    with time_machine.travel(NOW, tick=False):
        ingest(team, CaptureEventFactory(event="seen"))
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        ingest(team, CaptureEventFactory(event="seen"))

    assert EventDefinition.objects.get(team=team, name="seen").last_seen_at == NOW + timedelta(minutes=5)


def test_ingest_never_moves_last_seen_at_backwards(team):
    EventDefinition.objects.create(team=team, name="seen", last_seen_at=NOW + timedelta(days=1))

    with time_machine.travel(NOW, tick=False):
        ingest(team, CaptureEventFactory(event="seen"))

    assert EventDefinition.objects.get(team=team, name="seen").last_seen_at == NOW + timedelta(days=1)


def test_ingest_sets_last_seen_at_on_api_created_definition(team):
    EventDefinition.objects.create(team=team, name="planned", created_at=None, last_seen_at=None)

    with time_machine.travel(NOW, tick=False):
        ingest(team, CaptureEventFactory(event="planned"))

    definition = EventDefinition.objects.get(team=team, name="planned")
    assert (definition.created_at, definition.last_seen_at) == (None, NOW)


def test_ingest_keeps_property_type_from_first_sight(team):
    ingest(team, CaptureEventFactory(properties={"amount": 10}))
    ingest(team, CaptureEventFactory(properties={"amount": "ten"}))

    assert PropertyDefinition.objects.get(team=team, name="amount").property_type == "Numeric"


def test_ingest_first_typed_sighting_in_batch_sets_the_type(team):
    ingest(team, CaptureEventFactory(properties={"maybe": None}), CaptureEventFactory(properties={"maybe": False}))

    assert PropertyDefinition.objects.get(team=team, name="maybe").property_type == "Boolean"


def test_ingest_names_over_200_bytes_skip_definitions_but_keep_the_event(team):
    long_name = "é" * 101  # 202 bytes, 101 characters

    ingest(team, CaptureEventFactory(event=long_name, properties={long_name: 1, "short": 1}))

    assert Event.objects.filter(team=team, event=long_name).exists()
    assert not EventDefinition.objects.filter(team=team).exists()
    assert list(PropertyDefinition.objects.filter(team=team).values_list("name", flat=True)) == ["short"]


def test_ingest_name_of_exactly_200_bytes_gets_a_definition(team):
    ingest(team, CaptureEventFactory(event="x" * 200))

    assert EventDefinition.objects.filter(team=team, name="x" * 200).exists()


def test_ingest_returns_number_of_events(team):
    assert ingest(team, CaptureEventFactory(), CaptureEventFactory()) == 2


def test_ingest_event_level_set_travels_in_properties(team):
    ingest(team, {**CaptureEventFactory(properties={}), "$set": {"email": "a@example.com"}})

    assert Event.objects.get(team=team).properties == {"$set": {"email": "a@example.com"}}
    assert list(PropertyDefinition.objects.filter(team=team).values_list("name", "type")) == [
        ("email", PropertyDefinition.Type.PERSON)]


def test_ingest_batch_overlapping_stored_events_stores_only_new_ones(team):
    first, second, third = CaptureEventFactory(), CaptureEventFactory(), CaptureEventFactory()
    ingest(team, first, second)

    ingest(team, second, third)

    assert sorted(str(uuid) for uuid in Event.objects.filter(team=team).values_list("uuid", flat=True)) == sorted(
        [first["uuid"], second["uuid"], third["uuid"]]
    )


def test_ingest_retried_batch_still_creates_its_new_definitions(team):
    stored = CaptureEventFactory(event="old")
    ingest(team, stored)

    ingest(team, stored, CaptureEventFactory(event="brand new", properties={"fresh": True}))

    assert set(EventDefinition.objects.filter(team=team).values_list("name", flat=True)) == {"old", "brand new"}
    assert PropertyDefinition.objects.filter(team=team, name="fresh").exists()


@time_machine.travel(NOW, tick=False)
def test_ingest_absurd_underscore_param_is_ignored(team):
    capture_batch_ingest(
        payload={"api_key": team.api_token, "batch": [CaptureEventFactory(timestamp="2026-03-01T11:00:00Z")]},
        params={"_": "9" * 5000},
    )

    assert stored_timestamp(team) == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_ingest_failure_after_events_insert_stores_nothing(team, monkeypatch):
    from django.db import DatabaseError

    from ingestion import services

    def fail(**kwargs):
        raise DatabaseError("definitions unavailable")

    monkeypatch.setattr(services, "capture_definitions_write", fail)

    with pytest.raises(DatabaseError):
        ingest(team, CaptureEventFactory())

    assert not Event.objects.filter(team=team).exists()

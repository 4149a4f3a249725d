"""The events table's monthly partitions: where events land, the per-partition dedupe, partitions made
ahead (and split out of the default partition), retention by dropping whole months."""

import json
import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from ingestion.maintenance import MAINTENANCE_LOCK_KEY, events_maintenance_run, events_maintenance_start
from ingestion.models import Event
from ingestion.partitions import (
    DEFAULT_PARTITION,
    add_months,
    event_partitions_detach_expired,
    event_partitions_detached,
    event_partitions_ensure,
    event_partitions_list,
    expired_name,
    month_start,
    partition_name,
)
from ingestion.services import capture_batch_ingest, capture_batch_write
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db

NOW = datetime.now(UTC)
CURRENT = month_start(NOW)


def ingest(team, *events, **envelope):
    return capture_batch_ingest(payload={"api_key": team.api_token, "batch": list(events), **envelope}, params={})


def stored_in(team) -> dict[str, str]:
    """Each stored event's uuid → the partition holding it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT uuid::text, tableoid::regclass::text FROM ingestion_event WHERE team_id = %s", [team.id])
        return dict(cursor.fetchall())


def write(team, *timestamps: datetime) -> list[str]:
    events = [{"uuid": str(CaptureEventFactory()["uuid"]), "event": "e", "distinct_id": "d", "timestamp": moment,
               "properties": {}} for moment in timestamps]
    capture_batch_write(team_id=team.id, batch=events, now=NOW, skip_duplicates=False)
    with connection.cursor() as cursor:
        # The test's one transaction would otherwise still owe the deferred foreign-key checks,
        # and PostgreSQL refuses DDL on a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return [event["uuid"] for event in events]


def partition_months() -> list[date]:
    with connection.cursor() as cursor:
        return [partition.month for partition in event_partitions_list(cursor=cursor)]


def test_migrate_leaves_partitions_from_twelve_months_back_to_three_ahead():
    # A subset: the migration tests leave the months of their seed behind as well.
    assert {add_months(CURRENT, offset) for offset in range(-12, 4)} <= set(partition_months())


def test_capture_stores_an_event_in_its_month_partition(team):
    (uuid,) = write(team, NOW)

    assert stored_in(team) == {uuid: partition_name(CURRENT)}


def test_capture_stores_far_past_and_far_future_events_in_the_default_partition(team):
    uuids = write(team, datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 6, 1, tzinfo=UTC))

    assert stored_in(team) == {uuid: DEFAULT_PARTITION for uuid in uuids}


def test_capture_event_with_epoch_zero_time_is_stored(team):
    ingest(team, {"event": "legacy", "distinct_id": "d", "$time": 0, "uuid": str(CaptureEventFactory()["uuid"])})

    assert Event.objects.get(team=team).timestamp == datetime(1970, 1, 1, tzinfo=UTC)


def test_capture_retry_whose_clock_derived_timestamp_moved_is_stored_once(team):
    mid_month = datetime(CURRENT.year, CURRENT.month, 15, 12, tzinfo=UTC)
    event = CaptureEventFactory(timestamp=(mid_month - timedelta(seconds=5)).isoformat())
    # The SDK never saw the first 200 and sends the batch again later: capture derives another
    # timestamp (its own clock + the client's skew), in the same month.
    with time_machine.travel(mid_month, tick=False):
        ingest(team, event, sent_at=mid_month.isoformat())
    with time_machine.travel(mid_month + timedelta(seconds=2), tick=False):
        ingest(team, event, sent_at=mid_month.isoformat())

    assert Event.objects.filter(team=team).count() == 1


def test_capture_same_batch_twice_in_the_default_partition_is_stored_once(team):
    event = CaptureEventFactory(timestamp="1999-01-01T00:00:00Z")

    ingest(team, event)
    ingest(team, event)

    assert list(stored_in(team).values()) == [DEFAULT_PARTITION]


def test_ensure_moves_default_rows_into_the_new_month_partition(team):
    later = add_months(CURRENT, 8)
    (uuid,) = write(team, datetime(later.year, later.month, 10, tzinfo=UTC))

    with connection.cursor() as cursor:
        created = event_partitions_ensure(cursor=cursor, now=NOW, ahead=8, back=0, retention_days=None)

    assert created == [partition_name(add_months(CURRENT, offset)) for offset in (4, 5, 6, 7, 8)]
    assert stored_in(team) == {uuid: partition_name(later)}


def test_retention_drops_months_wholly_past_the_horizon_and_keeps_the_rest(team):
    old, straddling, recent = add_months(CURRENT, -5), add_months(CURRENT, -3), add_months(CURRENT, -1)
    expired = write(team, datetime(old.year, old.month, 2, tzinfo=UTC), datetime(1990, 1, 1, tzinfo=UTC))
    kept = write(team, datetime(straddling.year, straddling.month, 1, tzinfo=UTC),
                 datetime(recent.year, recent.month, 1, tzinfo=UTC), NOW)
    horizon_days = (NOW.date() - straddling).days - 1  # the horizon falls inside `straddling`

    result = events_maintenance_run(retention_days=horizon_days, wait=True)

    assert result["dropped"] == [partition_name(add_months(CURRENT, offset)) for offset in range(-12, -3)]
    assert set(stored_in(team)) == set(kept) and not set(expired) & set(stored_in(team))
    assert partition_months()[0] == straddling


def tables_named(*names: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [list(names)])
        return {name for (name,) in cursor.fetchall()}


def test_retention_leaves_no_table_of_the_dropped_months(team):
    old = add_months(CURRENT, -6)

    dropped = events_maintenance_run(retention_days=150, wait=True)["dropped"]

    assert partition_name(old) in dropped
    assert tables_named(partition_name(old), expired_name(partition_name(old))) == set()


def test_detach_takes_the_month_out_of_the_events_table_before_its_drop(team):
    old = add_months(CURRENT, -6)
    [expired] = write(team, datetime(old.year, old.month, 3, tzinfo=UTC))

    with connection.cursor() as cursor:
        detached = event_partitions_detach_expired(cursor=cursor, now=NOW, retention_days=150)
        left = event_partitions_detached(cursor=cursor)

    assert partition_name(old) in detached
    assert expired not in stored_in(team)
    assert expired_name(partition_name(old)) in left
    assert old not in partition_months()


def test_retention_round_drops_months_a_stopped_round_left_detached(team):
    old = add_months(CURRENT, -6)
    with connection.cursor() as cursor:
        event_partitions_detach_expired(cursor=cursor, now=NOW, retention_days=150)
    assert tables_named(expired_name(partition_name(old)))

    events_maintenance_run(retention_days=None, wait=True)

    assert tables_named(expired_name(partition_name(old))) == set()


def test_retention_run_again_drops_nothing(team):
    events_maintenance_run(retention_days=100, wait=True)

    assert events_maintenance_run(retention_days=100, wait=True)["dropped"] == []


def test_apply_retention_command_drops_and_reports_the_partitions(team):
    out = StringIO()

    call_command("apply_retention", "--days", "200", stdout=out)

    first_kept = month_start(datetime.now(UTC) - timedelta(days=200))
    assert json.loads(out.getvalue())["dropped"] == [
        partition_name(add_months(CURRENT, offset)) for offset in range(-12, 0) if add_months(CURRENT, offset) < first_kept]
    assert partition_months()[0] == first_kept


@pytest.mark.django_db(transaction=True)
def test_maintenance_round_skips_while_another_process_holds_the_lock():
    settings = connection.settings_dict
    other = psycopg.connect(dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"],
                            port=settings["PORT"], password=settings["PASSWORD"] or None, autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [MAINTENANCE_LOCK_KEY])

        assert events_maintenance_run(retention_days=1) is None
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_maintenance_thread_makes_a_missing_partition_ahead():
    ahead = add_months(CURRENT, 3)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{partition_name(ahead)}"')

    stop = events_maintenance_start(interval=0.05)
    try:
        for _ in range(600):  # polls for the thread's work; a bound, not a timing assertion
            if ahead in partition_months():
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()

    assert ahead in partition_months()

"""The capture pipeline: token → project, validate and normalise the batch, then in one
transaction write the events and the definitions they imply, with a fixed number of queries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import repeat
from typing import Any

import orjson
import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated

from event_definitions.models import EventDefinition, EventProperty, PropertyDefinition
from ingestion.definitions import batch_definitions, batch_event_properties, batch_person_properties
from ingestion.models import Event
from ingestion.normalizing import capture_batch_normalize, capture_events_extract, capture_token_resolve
from ingestion.partitions import is_dedupe_index
from ingestion.spool import SpoolFull, spool_append
from posthog_core.exceptions import DatabaseUnavailable, database_unavailable_record, is_database_unavailable
from posthog_core.models import Project
from posthog_core.utils import uuid7
from schemas.enforcement import schema_enforce

logger = logging.getLogger(__name__)

# `last_seen_at` is approximate (PostHog floors it to about an hour); rewriting it at most once a
# minute keeps busy definition rows free of row locks and dead tuples under sustained traffic.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

INSERT_EVENTS_SQL = f"""
INSERT INTO {Event._meta.db_table} (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at)
SELECT b.uuid, %(team_id)s, b.event, b.distinct_id, b.timestamp, b.properties::jsonb, %(now)s
FROM unnest(%(uuids)b::uuid[], %(events)b::text[], %(distinct_ids)b::text[],
            %(timestamps)b::timestamptz[], %(properties)b::text[])
     AS b(uuid, event, distinct_id, timestamp, properties)
"""
# No conflict target: the `(team_id, uuid)` unique index is each partition's own (a partitioned
# table's unique indexes must hold the partition key), so the arbiter is whatever unique index the
# row's partition has; the other one, the primary key, holds a fresh sequence id.
SKIP_DUPLICATE_EVENTS_SQL = "ON CONFLICT DO NOTHING"

INSERT_EVENT_DEFINITIONS_SQL = f"""
INSERT INTO {EventDefinition._meta.db_table}
    (id, team_id, name, created_at, last_seen_at, enforcement_mode, schema_version,
     description, updated_at, verified, hidden)
SELECT n.id, %(team_id)s, n.name, %(now)s, %(now)s, 'allow', 0, '', %(now)s, false, false
FROM unnest(%(ids)b::uuid[], %(names)b::text[]) WITH ORDINALITY AS n(id, name, position)
ORDER BY n.position
ON CONFLICT (team_id, name) DO NOTHING
"""

# Only rows older than the resolution are locked, in name order (FOR UPDATE in a sorted
# subquery), so concurrent batches never wait on each other in opposite orders.
ADVANCE_LAST_SEEN_SQL = f"""
UPDATE {EventDefinition._meta.db_table} AS d SET last_seen_at = %(now)s
FROM (
    SELECT id FROM {EventDefinition._meta.db_table}
    WHERE team_id = %(team_id)s AND name = ANY(%(names)b::text[])
      AND (last_seen_at IS NULL OR last_seen_at < %(stale_before)s)
    ORDER BY name FOR UPDATE
) AS stale
WHERE d.id = stale.id AND (d.last_seen_at IS NULL OR d.last_seen_at < %(now)s)
"""

# Event and person property definitions in one statement, `kinds` telling them apart; rows come
# sorted by (kind, name), the lock order of concurrent batches.
INSERT_PROPERTY_DEFINITIONS_SQL = f"""
INSERT INTO {PropertyDefinition._meta.db_table} (id, team_id, name, is_numerical, property_type, type)
SELECT p.id, %(team_id)s, p.name, p.property_type IS NOT DISTINCT FROM 'Numeric', p.property_type, p.kind
FROM unnest(%(ids)b::uuid[], %(names)b::text[], %(types)b::text[], %(kinds)b::smallint[]) WITH ORDINALITY
     AS p(id, name, property_type, kind, position)
ORDER BY p.position
ON CONFLICT DO NOTHING
"""

# Which properties each event carries (the property list's `event_names` filter). Almost every pair of
# a batch already exists: each costs one probe of the unique index and writes nothing.
INSERT_EVENT_PROPERTIES_SQL = f"""
INSERT INTO {EventProperty._meta.db_table} (team_id, event, property)
SELECT %(team_id)s, p.event, p.property
FROM unnest(%(events)b::text[], %(properties)b::text[]) WITH ORDINALITY AS p(event, property, position)
ORDER BY p.position
ON CONFLICT DO NOTHING
"""

# Pairs this process has seen committed. Nearly every pair of a batch is an old one, and skipping them
# here keeps capture from probing ~1,000 index keys a batch for nothing. Rows are never deleted but
# with their project (whose id is never reused), so a remembered pair stays true; a full set is
# simply dropped. Each worker process has its own.
KNOWN_EVENT_PROPERTIES_MAX = 200_000
known_event_properties: set[tuple[int, str, str]] = set()


def remember_event_properties(pairs: list[tuple[int, str, str]]) -> None:
    if len(known_event_properties) + len(pairs) > KNOWN_EVENT_PROPERTIES_MAX:
        known_event_properties.clear()
    known_event_properties.update(pairs)


@contextmanager
def binary_cursor() -> Iterator[Any]:
    """A Django cursor (counted, error-wrapped) over a server-side-binding psycopg cursor.

    NOTE: Django's default client-side binding quotes every array element with a regex, which
    took most of a 1,000-event batch's time; `%(name)b` parameters travel in binary instead.
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


def capture_team_resolve(*, token: str | None) -> int:
    """The project id for a project token (`phc_...`); 401 when missing or unknown."""
    if not token:
        raise NotAuthenticated(
            "API key not provided. You can find your project API key in your PostHog project settings."
        )
    team_id = Project.objects.filter(api_token=token).values_list("id", flat=True).first()
    if team_id is None:
        raise AuthenticationFailed(
            "Project API key invalid. You can find your project API key in your PostHog project settings."
        )
    return team_id


def capture_events_write(*, team_id: int, events: list[dict[str, Any]], now: datetime, skip_duplicates: bool) -> None:
    """One INSERT for the whole batch. Without `skip_duplicates` a uuid already stored for the
    project raises IntegrityError; with it, such events are skipped.

    Rows go in uuid order so two concurrent retries of one batch lock the same keys in the same order.
    """
    rows = sorted({event["uuid"]: event for event in events}.values(), key=lambda event: event["uuid"])
    with binary_cursor() as cursor:
        cursor.execute(
            INSERT_EVENTS_SQL + (SKIP_DUPLICATE_EVENTS_SQL if skip_duplicates else ""),
            {
                "team_id": team_id,
                "now": now,
                "uuids": [row["uuid"] for row in rows],
                "events": [row["event"] for row in rows],
                "distinct_ids": [row["distinct_id"] for row in rows],
                "timestamps": [row["timestamp"] for row in rows],
                "properties": [orjson.dumps(row["properties"]).decode() for row in rows],
            },
        )


def capture_definitions_write(*, team_id: int, events: list[dict[str, Any]], now: datetime) -> None:
    """Insert missing event definitions, event and person property definitions and event → property
    pairs, and advance `last_seen_at`: four queries."""
    event_names, event_properties = batch_definitions(events)
    properties = [(PropertyDefinition.Type.EVENT, name, kind) for name, kind in event_properties] + [
        (PropertyDefinition.Type.PERSON, name, kind) for name, kind in batch_person_properties(events)]
    pair_events, pair_properties = batch_event_properties(events)
    pairs = [
        pair for pair in zip(repeat(team_id), pair_events, pair_properties, strict=False)
        if pair not in known_event_properties
    ]
    with binary_cursor() as cursor:
        if event_names:
            ids = [uuid7() for _ in event_names]
            params = {"team_id": team_id, "now": now, "ids": ids, "names": event_names}
            cursor.execute(INSERT_EVENT_DEFINITIONS_SQL, params)
            cursor.execute(ADVANCE_LAST_SEEN_SQL, {**params, "stale_before": now - LAST_SEEN_RESOLUTION})
        if properties:
            cursor.execute(
                INSERT_PROPERTY_DEFINITIONS_SQL,
                {
                    "team_id": team_id,
                    "ids": [uuid7() for _ in properties],
                    "names": [name for _, name, _ in properties],
                    "types": [kind for _, _, kind in properties],
                    "kinds": [int(definition_type) for definition_type, _, _ in properties],
                },
            )
        if pairs:
            cursor.execute(
                INSERT_EVENT_PROPERTIES_SQL,
                {"team_id": team_id, "events": [pair[1] for pair in pairs], "properties": [pair[2] for pair in pairs]},
            )
            # Only once committed: a rolled-back batch (a retry's first attempt) wrote nothing.
            transaction.on_commit(lambda: remember_event_properties(pairs))


def capture_batch_write(*, team_id: int, batch: list[dict[str, Any]], now: datetime, skip_duplicates: bool) -> int:
    """Write a normalised batch and its definitions in one transaction; the number of events kept."""
    with transaction.atomic():
        # The validated, normalised batch is about to be written: `batch` is a list of
        # {"uuid", "event", "distinct_id", "timestamp", "properties"} dicts for project `team_id`.
        # Schema enforcement (issue #6) plugs in HERE: it may reject the batch by raising a DRF
        # exception (the transaction has written nothing yet) or return a filtered list.
        batch = schema_enforce(team_id=team_id, events=batch)
        capture_events_write(team_id=team_id, events=batch, now=now, skip_duplicates=skip_duplicates)
        capture_definitions_write(team_id=team_id, events=batch, now=now)
    return len(batch)


def is_duplicate_event_error(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return is_dedupe_index(getattr(diag, "constraint_name", None))


def capture_batch_ingest(*, payload: Any, params: dict[str, str]) -> int:
    """Store a decoded capture payload; returns the number of events accepted.

    Raises NotAuthenticated/AuthenticationFailed (401) for a missing/unknown token and
    ValidationError (400, naming the event index) for an invalid batch, before anything is written.
    Returns only after the transaction has committed, so an acknowledged event is durable; when the
    database is unreachable, after the batch is fsync'd into the spool instead (ingestion/spool.py).
    """
    events, envelope = capture_events_extract(payload)
    token = capture_token_resolve(events=events, envelope=envelope, params=params)
    now = timezone.now()
    try:
        team_id = capture_team_resolve(token=token)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        # The token cannot be checked now: the drainer checks it (an unknown one is dropped, logged).
        batch = capture_batch_normalize(events=events, envelope=envelope, params=params, now=now)
        return capture_batch_spool(token=token, batch=batch, now=now, cause=exc)
    batch = capture_batch_normalize(events=events, envelope=envelope, params=params, now=now)
    try:
        return capture_batch_store(team_id=team_id, batch=batch, now=now)
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        # Possibly committed after all (the connection died during COMMIT): the drain skips the
        # uuids that did get stored.
        return capture_batch_spool(token=token, batch=batch, now=now, cause=exc)


def capture_batch_store(*, team_id: int, batch: list[dict[str, Any]], now: datetime) -> int:
    try:
        return capture_batch_write(team_id=team_id, batch=batch, now=now, skip_duplicates=False)
    except IntegrityError as exc:
        if not is_duplicate_event_error(exc):
            raise
    # A retried batch (the SDK never saw our 200): the first attempt rolled back entirely, so write
    # it again skipping stored uuids. Optimistic, because ON CONFLICT costs every row an extra
    # index probe while retries are rare.
    return capture_batch_write(team_id=team_id, batch=batch, now=now, skip_duplicates=True)


def capture_batch_spool(*, token: str, batch: list[dict[str, Any]], now: datetime, cause: BaseException) -> int:
    """Keep a normalised batch (uuids assigned, so a replay is idempotent) in the local spool."""
    database_unavailable_record(cause)
    record = orjson.dumps({"token": token, "now": now, "batch": batch})
    try:
        spool_append(record)
    except SpoolFull:
        logger.error("capture spool full (%d bytes): batch of %d events refused", settings.CAPTURE_SPOOL_MAX_BYTES,
                     len(batch))
        raise DatabaseUnavailable("The database is unavailable and the capture spool is full.") from cause
    logger.warning("database unavailable: batch of %d events spooled", len(batch))
    return len(batch)


def capture_spooled_batch_write(*, record: bytes) -> int:
    """Write one spooled batch, skipping uuids already stored; the drainer's writer.

    Schema enforcement runs here, against the rules current at drain time (it needs the database,
    which capture could not reach); events it rejects go to the rejected-events table as usual.
    """
    data = orjson.loads(record)
    team_id = capture_team_resolve(token=data["token"])
    batch = [{**event, "timestamp": datetime.fromisoformat(event["timestamp"])} for event in data["batch"]]
    return capture_batch_write(team_id=team_id, batch=batch, now=datetime.fromisoformat(data["now"]),
                               skip_duplicates=True)

"""The partitioning migration (ingestion 0002) on a populated table: every row kept, byte for byte."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ingestion.partitions import DEFAULT_PARTITION, event_partitions_list, partition_name, partition_window

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE, AFTER = ("ingestion", "0001_initial"), ("ingestion", "0002_partition_events")
# Rows over two years, a far past clock (1970) and the far future, in two projects.
SEED = """
INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, inserted_at)
SELECT gen_random_uuid(), CASE WHEN g %% 3 = 0 THEN %(other)s ELSE %(team)s END, 'event_' || (g %% 7), 'user_' || g,
       CASE WHEN g %% 250 = 0 THEN timestamptz '1970-01-01' + g * interval '1 hour'
            WHEN g %% 251 = 0 THEN timestamptz '2300-01-01' + g * interval '1 hour'
            ELSE timestamptz '2025-01-01' + (g * 7919 %% 63072000) * interval '1 second' END,
       jsonb_build_object('n', g, 'text', repeat('x', g %% 50), 'nested', jsonb_build_object('a', g %% 5)), now()
FROM generate_series(1, 5000) AS g
"""
FINGERPRINT = "SELECT count(*), md5(string_agg(e::text, '|' ORDER BY e.id)) FROM ingestion_event AS e"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def fingerprint() -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT)
        return cursor.fetchone()


def relkind() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'ingestion_event'")
        return cursor.fetchone()[0]


def where(uuid_filter: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT tableoid::regclass::text FROM ingestion_event WHERE {uuid_filter}")
        return sorted(row[0] for row in cursor.fetchall())


@pytest.fixture
def populated(team, other_team):
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute(SEED, {"team": team.id, "other": other_team.id})
    yield fingerprint()
    migrate(AFTER)  # leave the schema as the other tests expect it: the window's partitions only
    with connection.cursor() as cursor:
        window = partition_window(now=datetime.now(UTC), ahead=settings.EVENTS_PARTITION_MONTHS_AHEAD,
                                  back=settings.EVENTS_PARTITION_MONTHS_BACK, retention_days=None)
        for partition in event_partitions_list(cursor=cursor):
            if partition.month not in window:
                cursor.execute(f'DROP TABLE "{partition.name}"')


def test_partition_migration_keeps_every_row_and_its_bytes(populated):
    migrate(AFTER)

    assert relkind() == "p"
    assert fingerprint() == populated and populated[0] == 5000


def test_partition_migration_puts_old_clocks_in_the_default_partition_and_months_in_theirs(populated):
    migrate(AFTER)

    assert where("timestamp < '2000-01-01' OR timestamp > '2200-01-01'") == [DEFAULT_PARTITION]
    assert where("timestamp >= '2025-03-01' AND timestamp < '2025-04-01'") == [
        partition_name(datetime(2025, 3, 1, tzinfo=UTC))]


def test_partition_migration_continues_ids_after_the_highest(populated, team):
    migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO ingestion_event (uuid, team_id, event, distinct_id, timestamp, properties, "
                       "inserted_at) VALUES (gen_random_uuid(), %s, 'e', 'd', now(), '{}', now()) RETURNING id",
                       [team.id])
        (new_id,) = cursor.fetchone()
        cursor.execute("SELECT max(id) FROM ingestion_event WHERE id <> %s", [new_id])

        assert new_id == cursor.fetchone()[0] + 1


def test_unpartition_migration_keeps_every_row_and_its_bytes(populated):
    migrate(AFTER)

    migrate(BEFORE)

    assert relkind() == "r"
    assert fingerprint() == populated

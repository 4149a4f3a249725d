"""The events table becomes monthly RANGE partitions on `timestamp` (issue #15), keeping every row.

In one transaction: the old table is renamed aside and stripped of its index and constraint names;
the partitioned parent is created with the same columns in the same order; a partition is attached
for every month of the window (ingestion.partitions) and every month that holds rows of the last
ten years up to the window's end (the others, from broken clocks, go to the default partition); the rows are copied with
one INSERT ... SELECT; the indexes are built after the copy (faster than row by row); the old table
is dropped. The reverse rebuilds the plain table the same way.

The database's primary key becomes `(id, timestamp)` (a partitioned table's unique keys must hold
the partition key); `id` stays unique through its sequence and Django keeps addressing rows by it.
The `(team, uuid)` unique constraint becomes a unique index on each partition, so the model state
drops it (see ingestion.partitions).
"""

from datetime import UTC, date, datetime

from django.conf import settings
from django.db import migrations

from ingestion.partitions import (
    PARENT,
    add_months,
    event_default_partition_create,
    event_partition_create,
    partition_window,
)

OLD = f"{PARENT}_unpartitioned"
SEQUENCE = f"{PARENT}_id_seq"
INDEXES = {
    "event_team_event_ts": "(team_id, event, timestamp)",
    "event_team_ts_uuid": "(team_id, timestamp, uuid)",
}
OLDEST_YEARS = 10


def _constraints(cursor, table: str, kinds: str) -> list[tuple[str, str]]:
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype = ANY(%s) ORDER BY conname", [table, list(kinds)])
    return cursor.fetchall()


def _set_aside(cursor) -> list[tuple[str, str]]:
    """Rename the current table to OLD and free every name the new one needs; its foreign keys."""
    foreign_keys = _constraints(cursor, PARENT, "f")
    cursor.execute(f'ALTER TABLE "{PARENT}" RENAME TO "{OLD}"')
    for name, _ in _constraints(cursor, OLD, "fup"):
        cursor.execute(f'ALTER TABLE "{OLD}" DROP CONSTRAINT "{name}"')
    for name in INDEXES:
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    # An identity (the plain table's) or owned (the partitioned one's) sequence goes with its table;
    # the new table takes a fresh one, started after the highest id.
    cursor.execute(f"SELECT pg_get_serial_sequence('\"{OLD}\"', 'id')")
    (sequence,) = cursor.fetchone()
    cursor.execute(f"SELECT attidentity FROM pg_attribute WHERE attrelid = '\"{OLD}\"'::regclass AND attname = 'id'")
    if cursor.fetchone()[0]:
        cursor.execute(f'ALTER TABLE "{OLD}" ALTER COLUMN id DROP IDENTITY')
    else:
        cursor.execute(f'ALTER TABLE "{OLD}" ALTER COLUMN id DROP DEFAULT')
        if sequence:
            cursor.execute(f"DROP SEQUENCE {sequence}")
    return foreign_keys


def _data_months(cursor, now: datetime, window: list[date]) -> list[date]:
    """Months holding rows from OLDEST_YEARS back to the window's end; the rest go to the default."""
    end = add_months(window[-1], 1)
    cursor.execute(f'SELECT DISTINCT date_trunc(\'month\', timestamp AT TIME ZONE \'UTC\')::date FROM "{OLD}" '
                   "WHERE timestamp >= %s AND timestamp < %s",
                   [datetime(now.year - OLDEST_YEARS, 1, 1, tzinfo=UTC), datetime(end.year, end.month, 1, tzinfo=UTC)])
    return [row[0] for row in cursor.fetchall()]


def _copy_and_index(cursor, foreign_keys: list[tuple[str, str]], primary_key: str) -> None:
    cursor.execute(f'INSERT INTO "{PARENT}" SELECT * FROM "{OLD}"')
    cursor.execute(f'SELECT setval(\'"{SEQUENCE}"\', GREATEST((SELECT max(id) FROM "{PARENT}"), 1), '
                   f'(SELECT max(id) IS NOT NULL FROM "{PARENT}"))')
    cursor.execute(f'ALTER TABLE "{PARENT}" ADD CONSTRAINT "{PARENT}_pkey" PRIMARY KEY {primary_key}')
    for name, columns in INDEXES.items():
        cursor.execute(f'CREATE INDEX "{name}" ON "{PARENT}" {columns}')
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE "{PARENT}" ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(f'DROP TABLE "{OLD}"')
    cursor.execute(f'ANALYZE "{PARENT}"')


def _new_table(cursor, partition_by: str) -> None:
    cursor.execute(f'CREATE TABLE "{PARENT}" (LIKE "{OLD}") {partition_by}')
    cursor.execute(f'CREATE SEQUENCE "{SEQUENCE}" OWNED BY "{PARENT}".id')
    cursor.execute(f'ALTER TABLE "{PARENT}" ALTER COLUMN id SET DEFAULT nextval(\'"{SEQUENCE}"\')')


def partition(apps, schema_editor):
    now = datetime.now(UTC)
    with schema_editor.connection.cursor() as cursor:
        foreign_keys = _set_aside(cursor)
        _new_table(cursor, "PARTITION BY RANGE (timestamp)")
        event_default_partition_create(cursor=cursor)
        window = partition_window(now=now, ahead=settings.EVENTS_PARTITION_MONTHS_AHEAD,
                                  back=settings.EVENTS_PARTITION_MONTHS_BACK, retention_days=None)
        for month in sorted(set(window) | set(_data_months(cursor, now, window))):
            event_partition_create(cursor=cursor, month=month)
        _copy_and_index(cursor, foreign_keys, "(id, timestamp)")


def unpartition(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        foreign_keys = _set_aside(cursor)
        _new_table(cursor, "")
        _copy_and_index(cursor, foreign_keys, "(id)")
        cursor.execute(f'ALTER TABLE "{PARENT}" ADD CONSTRAINT unique_event_team_uuid UNIQUE (team_id, uuid)')


class Migration(migrations.Migration):

    dependencies = [
        ("ingestion", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.RemoveConstraint(model_name="event", name="unique_event_team_uuid")],
            database_operations=[migrations.RunPython(partition, unpartition)],
        ),
    ]

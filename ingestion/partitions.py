"""The events table's monthly partitions: made ahead, split out of the default partition, detached
and then dropped past the retention horizon.

`ingestion_event` is partitioned by RANGE on `timestamp`, one partition per UTC month
(`ingestion_event_pYYYY_MM`), plus `ingestion_event_default` for any timestamp no monthly partition
covers (a far-past clock, an import older than the window), so no event is ever refused.

The `(team_id, uuid)` dedupe is a unique index on each partition, not on the parent: PostgreSQL
only accepts a unique index on a partitioned table when it holds the partition key, and
`(team_id, uuid, timestamp)` would miss every retry whose timestamp capture derived from its own
clock (see ingestion.services). Per partition, a retry is caught whenever it lands in the same
month, whatever its timestamp.

Every function takes an open cursor and runs inside the caller's transaction; DDL waits at most
LOCK_TIMEOUT for the parent's lock, so maintenance gives way to traffic instead of queueing it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PARENT = "ingestion_event"
DEFAULT_PARTITION = f"{PARENT}_default"
DEDUPE_SUFFIX = "_team_uuid"
_MONTHLY = re.compile(rf"^{PARENT}_p(\d{{4}})_(\d{{2}})$")
EXPIRED_PREFIX = f"{PARENT}_expired_p"
_EXPIRED = re.compile(rf"^{EXPIRED_PREFIX}\d{{4}}_\d{{2}}$")
LOCK_TIMEOUT = "5s"


def month_start(moment: datetime | date) -> date:
    return date(moment.year, moment.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{PARENT}_p{month.year:04d}_{month.month:02d}"


def dedupe_index_name(table: str) -> str:
    return f"{table}{DEDUPE_SUFFIX}"


def is_dedupe_index(name: str | None) -> bool:
    """Whether a unique-violation names one of the events' per-partition `(team_id, uuid)` indexes."""
    return bool(name) and name.startswith(PARENT) and name.endswith(DEDUPE_SUFFIX)


def _bound(month: date) -> str:
    return f"{month.isoformat()} 00:00:00+00"


@dataclass(frozen=True)
class MonthlyPartition:
    name: str
    month: date  # first day; the partition holds [month, next month) in UTC

    @property
    def end(self) -> datetime:
        return datetime.combine(add_months(self.month, 1), datetime.min.time(), tzinfo=UTC)


def events_table_is_partitioned(*, cursor) -> bool:
    cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass(%s)", [PARENT])
    row = cursor.fetchone()
    return bool(row and row[0])


def event_partitions_list(*, cursor) -> list[MonthlyPartition]:
    """The monthly partitions attached to the events table, oldest first."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass", [PARENT])
    found = []
    for (name,) in cursor.fetchall():
        if match := _MONTHLY.match(name):
            found.append(MonthlyPartition(name=name, month=date(int(match[1]), int(match[2]), 1)))
    return sorted(found, key=lambda partition: partition.month)


def event_partition_create(*, cursor, month: date) -> None:
    """Attach the partition of `month`, moving in any rows of that month the default partition holds.

    Built apart and then attached: ATTACH takes a lock on the parent that lets reads and inserts
    go on (CREATE TABLE ... PARTITION OF would block them), and builds the parent's indexes on the
    new table itself. Only the default partition is locked outright while PostgreSQL checks that it
    holds no row of the month, which is quick because it normally holds a handful of rows. The dedupe
    index is the partition's own (see the module's docstring).
    """
    name, start, end = partition_name(month), _bound(month), _bound(add_months(month, 1))
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute(f'CREATE TABLE "{name}" (LIKE "{PARENT}" INCLUDING DEFAULTS)')
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{DEFAULT_PARTITION}" WHERE timestamp >= %s AND timestamp < %s RETURNING *) '
        f'INSERT INTO "{name}" SELECT * FROM moved', [start, end])
    cursor.execute(f'CREATE UNIQUE INDEX "{dedupe_index_name(name)}" ON "{name}" (team_id, uuid)')
    cursor.execute(f'ALTER TABLE "{PARENT}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)', [start, end])


def event_default_partition_create(*, cursor) -> None:
    cursor.execute(f'CREATE TABLE "{DEFAULT_PARTITION}" PARTITION OF "{PARENT}" DEFAULT')
    cursor.execute(f'CREATE UNIQUE INDEX "{dedupe_index_name(DEFAULT_PARTITION)}" '
                   f'ON "{DEFAULT_PARTITION}" (team_id, uuid)')


def partition_window(*, now: datetime, ahead: int, back: int, retention_days: int | None) -> list[date]:
    """The months that must have a partition: `back` months before the current one to `ahead` after,
    none wholly past the retention horizon."""
    current = month_start(now.astimezone(UTC))
    first = add_months(current, -back)
    if retention_days is not None:
        first = max(first, month_start(now - timedelta(days=retention_days)))
    return [add_months(first, offset) for offset in range((current.year - first.year) * 12
                                                          + current.month - first.month + ahead + 1)]


def event_partitions_ensure(*, cursor, now: datetime, ahead: int, back: int, retention_days: int | None) -> list[str]:
    """Create the missing partitions of the window; the names created."""
    existing = {partition.month for partition in event_partitions_list(cursor=cursor)}
    created = []
    for month in partition_window(now=now, ahead=ahead, back=back, retention_days=retention_days):
        if month not in existing:
            event_partition_create(cursor=cursor, month=month)
            created.append(partition_name(month))
    return created


def expired_name(partition: str) -> str:
    return partition.replace(f"{PARENT}_p", EXPIRED_PREFIX, 1)


def event_partitions_detach_expired(*, cursor, now: datetime, retention_days: int) -> list[str]:
    """Detach every monthly partition wholly older than the horizon (`now - retention_days`), renamed
    `ingestion_event_expired_pYYYY_MM`, and delete the default partition's rows older than it; the
    partitions detached.

    This is the only step of retention that locks the events table, and only for catalog changes:
    at commit the months have left every query. Their files are released afterwards by
    event_partition_drop_detached, which locks nothing but the detached tables; a drop of an
    attached partition would hold the events table's lock (capture included) while the kernel
    frees the month's pages.

    Month-granular: an event is kept at least `retention_days` and at most a month longer, since the
    month that straddles the horizon stays whole until it has passed entirely.
    """
    horizon = now - timedelta(days=retention_days)
    expired = [partition for partition in event_partitions_list(cursor=cursor) if partition.end <= horizon]
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    for partition in expired:
        cursor.execute(f'ALTER TABLE "{PARENT}" DETACH PARTITION "{partition.name}"')
        cursor.execute(f'ALTER TABLE "{partition.name}" RENAME TO "{expired_name(partition.name)}"')
        # Its dedupe index is named by us, not by PostgreSQL: free the name for a month made again.
        cursor.execute(f'ALTER INDEX IF EXISTS "{dedupe_index_name(partition.name)}" '
                       f'RENAME TO "{dedupe_index_name(expired_name(partition.name))}"')
    # The default partition holds only what no month covers, normally a handful of rows.
    cursor.execute(f'DELETE FROM "{DEFAULT_PARTITION}" WHERE timestamp < %s', [horizon])
    return [partition.name for partition in expired]


def event_partitions_detached(*, cursor) -> list[str]:
    """The detached months awaiting their drop (left behind too by a round that stopped between)."""
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition "
        "AND relnamespace = current_schema()::regnamespace AND starts_with(relname, %s) ORDER BY relname",
        [EXPIRED_PREFIX])
    return [name for (name,) in cursor.fetchall() if _EXPIRED.match(name)]


def event_partition_drop_detached(*, cursor, name: str) -> None:
    """Drop one detached month: its files are freed at commit, under a lock on that table alone."""
    if not _EXPIRED.match(name):
        raise ValueError(f"{name!r} is not a detached events partition")
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute(f'DROP TABLE IF EXISTS "{name}"')

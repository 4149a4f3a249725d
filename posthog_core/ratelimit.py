"""Fixed-window counters shared by every worker and web node: the API rate limits and the login lockout.

Two stores, one contract (`hit` adds one to each bucket atomically and returns the new counts):

- `PostgresCounterStore` (default): one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` for all of a
  request's buckets, on the request's own connection, in the UNLOGGED `posthog_core_ratelimitcounter`
  table; at most once a minute per process that statement also deletes the windows that closed.
- `CacheCounterStore` (when `REDIS_URL` is set): Django's cache framework (`RedisCache`), `incr` and
  `add`, each atomic in Redis.

DRF's SimpleRateThrottle reads a history list from the cache and writes it back, so two workers
serving the same key at once both read N and both write N+1: under load it under-counts. Counting
with one atomic increment per bucket can never let more than `limit` requests through a window.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection

logger = logging.getLogger("posthog_core.ratelimit")

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PRUNE_INTERVAL = 60.0
# A window's row lives this long past its end, so web nodes whose clocks differ a little never
# prune a window another node still counts in.
PRUNE_GRACE = 60
# Redis keys outlive their window by this much, for the same reason.
CACHE_TTL_GRACE = 5


@dataclass(frozen=True)
class Bucket:
    """`limit` hits per `period` seconds under `name` (which must say what is counted and for whom)."""

    name: str
    limit: int
    period: int

    def window_end(self, now: float) -> int:
        return (math.floor(now / self.period) + 1) * self.period

    @property
    def key(self) -> str:
        return f"{self.name}:{self.period}"


@dataclass(frozen=True)
class Count:
    bucket: Bucket
    hits: int
    retry_after: float  # seconds until this window closes

    @property
    def exceeded(self) -> bool:
        return self.hits > self.bucket.limit


def parse_rate(rate: str) -> tuple[int, int]:
    """`"480/minute"` → `(480, 60)`; the unit is read from its first letter (s, m, h, d), as DRF does."""
    number, _, unit = rate.partition("/")
    unit = unit.strip()
    if not unit or unit[0] not in PERIODS or not number.strip().isdigit():
        raise ValueError(f"rate {rate!r} is not '<count>/<second|minute|hour|day>'")
    return int(number), PERIODS[unit[0]]


def wait_for(counts: Sequence[Count]) -> float | None:
    """Seconds until every exceeded bucket has a new window, or None when none is exceeded."""
    waits = [count.retry_after for count in counts if count.exceeded]
    return max(waits) if waits else None


class PostgresCounterStore:
    table = "posthog_core_ratelimitcounter"
    _last_prune = 0.0

    def hit(self, buckets: Sequence[Bucket], now: float | None = None) -> list[Count]:
        now = time.time() if now is None else now
        ends = {bucket.key: bucket.window_end(now) for bucket in buckets}
        prune, params = self._prune_clause(now)
        rows = ", ".join(["(%s, %s, 1)"] * len(buckets))
        params += [value for bucket in buckets for value in (bucket.key, ends[bucket.key])]
        with connection.cursor() as cursor:
            # One statement for all buckets: the row locks are taken in VALUES order, the same order
            # for every request of a caller, so two concurrent requests cannot deadlock.
            cursor.execute(
                f"{prune}INSERT INTO {self.table} (bucket, window_end, hits) VALUES {rows} "
                f"ON CONFLICT (bucket, window_end) DO UPDATE SET hits = {self.table}.hits + 1 "
                "RETURNING bucket, hits",
                params,
            )
            hits = dict(cursor.fetchall())
        return [Count(bucket, hits[bucket.key], ends[bucket.key] - now) for bucket in buckets]

    def refund(self, buckets: Sequence[Bucket], now: float | None = None) -> None:
        now = time.time() if now is None else now
        for bucket in buckets:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {self.table} SET hits = hits - 1 WHERE bucket = %s AND window_end = %s AND hits > 0",
                    [bucket.key, bucket.window_end(now)],
                )

    def _prune_clause(self, now: float) -> tuple[str, list]:
        """At most once a minute per process, the upsert also deletes closed windows, in the same
        statement (so a request's query count never depends on the clock). SKIP LOCKED: a prune
        never waits on, or deadlocks with, another process's prune."""
        if now - PostgresCounterStore._last_prune < PRUNE_INTERVAL:
            return "", []
        PostgresCounterStore._last_prune = now
        return (
            f"WITH pruned AS (DELETE FROM {self.table} WHERE (bucket, window_end) IN ("
            f"SELECT bucket, window_end FROM {self.table} WHERE window_end < %s FOR UPDATE SKIP LOCKED)) ",
            [int(now) - PRUNE_GRACE],
        )


class CacheCounterStore:
    """Counters in Django's cache (Redis under `REDIS_URL`): `incr` first (the common case, the key
    exists), else `add` the key with its window's expiry, else `incr` again (another worker added it)."""

    def __init__(self, alias: str = "default"):
        self.cache = caches[alias]

    def hit(self, buckets: Sequence[Bucket], now: float | None = None) -> list[Count]:
        now = time.time() if now is None else now
        counts = []
        for bucket in buckets:
            end = bucket.window_end(now)
            key = f"ratelimit:{bucket.key}:{end}"
            counts.append(Count(bucket, self._incr(key, timeout=math.ceil(end - now) + CACHE_TTL_GRACE), end - now))
        return counts

    def _incr(self, key: str, timeout: int) -> int:
        try:
            return self.cache.incr(key)
        except ValueError:
            if self.cache.add(key, 1, timeout=timeout):
                return 1
            return self.cache.incr(key)

    def refund(self, buckets: Sequence[Bucket], now: float | None = None) -> None:
        now = time.time() if now is None else now
        for bucket in buckets:
            try:
                self.cache.decr(f"ratelimit:{bucket.key}:{bucket.window_end(now)}")
            except ValueError:
                pass  # the window closed meanwhile: nothing left to refund


def counter_store() -> PostgresCounterStore | CacheCounterStore:
    if settings.RATE_LIMIT_STORE == "cache":
        return CacheCounterStore(settings.RATE_LIMIT_CACHE)
    return PostgresCounterStore()


_last_store_warning = 0.0


def hit_or_none(buckets: Sequence[Bucket]) -> list[Count] | None:
    """`counter_store().hit(buckets)`, or None when a cache store is unreachable.

    An unreachable Redis lets requests through (logged at most once a minute per process): refusing
    all traffic because the limiter is down would turn a limiter outage into an API outage.
    PostgreSQL errors propagate: without the database the request cannot be served anyway.
    """
    store = counter_store()
    if isinstance(store, PostgresCounterStore):
        return store.hit(buckets)
    try:
        return store.hit(buckets)
    except Exception as exc:  # redis-py's ConnectionError/TimeoutError, without importing redis here
        _warn_unreachable(exc)
        return None


def refund(buckets: Sequence[Bucket]) -> None:
    """Give back one hit per bucket (see hit_or_none for an unreachable cache)."""
    store = counter_store()
    if isinstance(store, PostgresCounterStore):
        store.refund(buckets)
        return
    try:
        store.refund(buckets)
    except Exception as exc:
        _warn_unreachable(exc)


def _warn_unreachable(exc: Exception) -> None:
    global _last_store_warning
    if time.monotonic() - _last_store_warning > 60:
        _last_store_warning = time.monotonic()
        logger.warning("rate-limit cache unreachable, requests pass unlimited: %s", type(exc).__name__)

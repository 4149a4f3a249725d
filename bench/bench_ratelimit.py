"""What a rate-limited request pays for its counters (issue #13): one hit of a burst and a sustained
window, in PostgreSQL (the UNLOGGED upsert) against a `SELECT 1` round trip on the same connection,
and in Redis (Django's RedisCache, when 127.0.0.1:6379 answers) against a Redis PING."""

from __future__ import annotations

import uuid

from bench.harness import LOCAL_REDIS_URL, Context, redis_reachable, time_calls

CALLS = 3000


def run(ctx: Context) -> None:
    from django.core.cache.backends.redis import RedisCache
    from django.db import connection

    from posthog_core.ratelimit import Bucket, CacheCounterStore, PostgresCounterStore

    caller = f"bench:{uuid.uuid4().hex}"
    # A limit no run reaches, so every call is a plain count; windows as the API uses them.
    buckets = [Bucket(f"{caller}:burst", 10**9, 60), Bucket(f"{caller}:sustained", 10**9, 3600)]
    store = PostgresCounterStore()

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    upsert, baseline = [], []
    for _ in range(CALLS // 100):
        upsert += time_calls(lambda: store.hit(buckets), 100, warmup=5)
        baseline += time_calls(select_one, 100, warmup=5)
    ctx.report_latencies("ratelimit_postgres_hit", upsert, "select_1", baseline)

    if not redis_reachable():
        ctx.note("ratelimit_redis_hit: skipped (Redis not reachable on 127.0.0.1:6379)")
        return
    cache = RedisCache(LOCAL_REDIS_URL, {"KEY_PREFIX": caller})
    redis_store = CacheCounterStore.__new__(CacheCounterStore)
    redis_store.cache = cache
    client = cache._cache.get_client(write=True)
    cached, ping = [], []
    for _ in range(CALLS // 100):
        cached += time_calls(lambda: redis_store.hit(buckets), 100, warmup=5)
        ping += time_calls(client.ping, 100, warmup=5)
    ctx.report_latencies("ratelimit_redis_hit", cached, "redis_ping", ping)
    for key in client.scan_iter(match=f"{caller}:*"):  # not cache.clear(): that is FLUSHDB
        client.delete(key)

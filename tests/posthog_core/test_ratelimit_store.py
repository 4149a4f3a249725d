"""The counter stores (posthog_core/ratelimit.py): atomic under concurrency, in PostgreSQL and in Redis.

Concurrency is real: threads with their own database (or Redis) connections hit one bucket at once,
and the counts they get back must be exactly 1..N, each once (a lost update would repeat one).
"""

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import caches
from django.db import connections

from bench.harness import LOCAL_REDIS_URL, redis_reachable
from posthog_core.models import RateLimitCounter
from posthog_core.ratelimit import Bucket, CacheCounterStore, PostgresCounterStore, parse_rate

THREADS = 8
HITS_PER_THREAD = 40
needs_redis = pytest.mark.skipif(not redis_reachable(), reason="Redis is not reachable on 127.0.0.1:6379")


@pytest.fixture
def redis_cache(settings):
    """A Redis-backed cache under a prefix no other test (or engineer) uses, as REDIS_URL would configure."""
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit-test": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": LOCAL_REDIS_URL,
                           "KEY_PREFIX": f"test-{uuid.uuid4().hex}"},
    }
    settings.RATE_LIMIT_STORE = "cache"
    settings.RATE_LIMIT_CACHE = "ratelimit-test"
    cache = caches["ratelimit-test"]
    yield cache
    # Only this test's keys: cache.clear() would FLUSHDB a Redis that others share.
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{settings.CACHES['ratelimit-test']['KEY_PREFIX']}:*"):
        client.delete(key)


def hammer(hit_once) -> list[int]:
    barrier = threading.Barrier(THREADS)

    def worker(_):
        barrier.wait()
        try:
            return [hit_once() for _ in range(HITS_PER_THREAD)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(THREADS) as pool:
        return sorted(count for counts in pool.map(worker, range(THREADS)) for count in counts)


@pytest.mark.django_db(transaction=True)
def test_postgres_counts_concurrent_hits_exactly_once_each():
    bucket = Bucket(f"test:{uuid.uuid4().hex}", 10, 86400)

    counts = hammer(lambda: PostgresCounterStore().hit([bucket])[0].hits)

    assert counts == list(range(1, THREADS * HITS_PER_THREAD + 1))


@needs_redis
def test_redis_counts_concurrent_hits_exactly_once_each(redis_cache):
    bucket = Bucket(f"test:{uuid.uuid4().hex}", 10, 86400)

    counts = hammer(lambda: CacheCounterStore("ratelimit-test").hit([bucket])[0].hits)

    assert counts == list(range(1, THREADS * HITS_PER_THREAD + 1))


@pytest.mark.django_db
@pytest.mark.parametrize("prune_due", [True, False])
def test_postgres_counts_every_bucket_of_a_hit_in_one_statement(django_assert_num_queries, prune_due):
    PostgresCounterStore._last_prune = 0.0 if prune_due else 1_000_000.0
    buckets = [Bucket("test:a", 5, 60), Bucket("test:a", 5, 3600)]
    with django_assert_num_queries(1):
        counts = PostgresCounterStore().hit(buckets, now=1_000_000.0)

    assert [(count.hits, count.retry_after) for count in counts] == [(1, 20.0), (1, 800.0)]


@pytest.mark.django_db
def test_postgres_prunes_closed_windows_and_keeps_current_ones():
    store = PostgresCounterStore()
    store.hit([Bucket("test:old", 5, 60)], now=1_000_000.0)
    PostgresCounterStore._last_prune = 0.0

    store.hit([Bucket("test:new", 5, 60)], now=1_000_000.0 + 3600)

    assert list(RateLimitCounter.objects.values_list("bucket", flat=True)) == ["test:new:60"]


@pytest.mark.django_db
def test_postgres_refund_takes_one_hit_back():
    store = PostgresCounterStore()
    bucket = Bucket("test:refund", 5, 60)
    store.hit([bucket], now=1_000_000.0)
    store.hit([bucket], now=1_000_000.0)

    store.refund([bucket], now=1_000_000.0)

    assert store.hit([bucket], now=1_000_000.0)[0].hits == 2


@needs_redis
def test_redis_keys_expire_when_their_window_closes(redis_cache):
    bucket = Bucket(f"test:{uuid.uuid4().hex}", 5, 60)
    CacheCounterStore("ratelimit-test").hit([bucket], now=1_000_000.0)
    key = redis_cache.make_and_validate_key(f"ratelimit:{bucket.key}:1000020")

    ttl = redis_cache._cache.get_client(key).ttl(key)

    assert 0 < ttl <= 20 + 5


@needs_redis
@pytest.mark.django_db
def test_api_over_the_limit_with_the_redis_store_gets_429(redis_cache, settings, scoped_client):
    settings.RATE_LIMITS = {"crud": ("2/day", "100/day"), "analytics": ("2/day", "100/day")}
    client = scoped_client(scopes=["*"])
    statuses = [client.get("/api/users/@me/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db
def test_unreachable_redis_lets_requests_through(settings, scoped_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{closed_port}/0"}}
    settings.RATE_LIMIT_STORE = "cache"
    settings.RATE_LIMITS = {"crud": ("1/day", "1/day"), "analytics": ("1/day", "1/day")}
    client = scoped_client(scopes=["*"])

    assert [client.get("/api/users/@me/").status_code for _ in range(2)] == [200, 200]


@pytest.mark.parametrize(
    ("rate", "parsed"), [("480/minute", (480, 60)), ("4800/hour", (4800, 3600)), ("5/s", (5, 1)), ("9/day", (9, 86400))]
)
def test_rates_parse_like_drf_rates(rate, parsed):
    assert parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["480", "x/minute", "10/fortnight", "/minute"])
def test_malformed_rates_are_refused(rate):
    with pytest.raises(ValueError):
        parse_rate(rate)


"""Read-replica routing: heavy reads go to the `replica` alias when it is configured, healthy and
close enough behind the primary; everything else (and every read after a write in the same
request) stays on `default`.

Heavy reads opt in explicitly (`replica_read` on a view action, `run_with_replica_fallback` in a
service); raw SQL takes its connection from `read_connection()`. The per-request state lives in
context variables, so gthread workers (one request per thread) never see each other's state.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, DataError, IntegrityError, connections

logger = logging.getLogger(__name__)

REPLICA_DB_ALIAS = "replica"
# How long one process trusts a lag measurement, and how long it leaves an unreachable replica alone.
LAG_CHECK_INTERVAL = 1.0
DOWN_RETRY_INTERVAL = 2.0
T = TypeVar("T")

# True inside a heavy read that may use the replica.
_replica_allowed: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_allowed", default=False)
# True once this request wrote through the ORM: its later reads must see that write.
_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("wrote", default=False)

# Replay lag. When the replica has replayed everything it received, it is caught up whatever its
# last replayed commit's age: on an idle primary `now() - pg_last_xact_replay_timestamp()` grows
# without the replica falling behind.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END::float8
"""


@dataclass
class ReplicaState:
    checked_at: float = float("-inf")
    reachable: bool = False
    lag_seconds: float | None = None
    error: str | None = None


_state = ReplicaState()
_state_lock = threading.Lock()


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def _measure() -> ReplicaState:
    connection = connections[REPLICA_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = cursor.fetchone()[0]
    except DatabaseError as error:
        _discard(connection)
        return ReplicaState(checked_at=time.monotonic(), reachable=False, error=_first_line(error))
    return ReplicaState(checked_at=time.monotonic(), reachable=True, lag_seconds=max(0.0, float(lag)))


def replica_state(*, force: bool = False) -> ReplicaState:
    """The replica's reachability and lag, measured at most once a second per process (every two
    seconds while it is unreachable)."""
    global _state
    with _state_lock:
        age = time.monotonic() - _state.checked_at
        if force or age >= (LAG_CHECK_INTERVAL if _state.reachable else DOWN_RETRY_INTERVAL):
            _state = _measure()
        return _state


def _max_lag() -> float:
    return float(getattr(settings, "DATABASE_REPLICA_MAX_LAG_SECONDS", 10.0))


def read_alias() -> str:
    """The alias a read should use now: the replica only inside a heavy read, before any write of
    this request, outside a transaction on the primary, and while the replica is up and close."""
    if not (_replica_allowed.get() and replica_configured()) or _wrote.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    state = replica_state()
    if not state.reachable:
        logger.warning("replica unavailable (%s): reading from the primary", state.error)
        return DEFAULT_DB_ALIAS
    if state.lag_seconds > _max_lag():
        logger.warning("replica lags %.1f s (over DATABASE_REPLICA_MAX_LAG_SECONDS=%s): reading from the primary",
                       state.lag_seconds, _max_lag())
        return DEFAULT_DB_ALIAS
    return REPLICA_DB_ALIAS


def read_connection():
    """The connection raw SQL of a heavy read runs on (see read_alias)."""
    return connections[read_alias()]


def run_with_replica_fallback(call: Callable[[], T], *, independent_of_earlier_writes: bool = False) -> T:
    """Run `call` as a heavy read. If the replica fails under it (stopped, restarted, a query
    cancelled by recovery), it is marked down and `call` runs again on the primary, so a replica
    outage costs a retry, never an error. `call` must be safe to repeat.

    `independent_of_earlier_writes`: the reads do not depend on what this request wrote so far
    (an export's rendering reads its source, not the asset row just created), so they may still
    use the replica; writes made inside `call` pin its later reads to the primary as usual.
    """
    if not replica_configured() or _replica_allowed.get():
        return call()
    token = _replica_allowed.set(True)
    wrote = _wrote.set(False) if independent_of_earlier_writes else None
    try:
        return call()
    except DatabaseError as error:
        replica = connections[REPLICA_DB_ALIAS]
        if isinstance(error, DataError | IntegrityError) or not replica.errors_occurred:
            raise
        _discard(replica)
        replica_state(force=True)
        logger.warning("replica read failed (%s): retrying on the primary", _first_line(error))
    finally:
        _replica_allowed.reset(token)
        if wrote is not None:
            _wrote.reset(wrote)
    return call()


def replica_read(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate a view action whose reads may be served by the replica."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        return run_with_replica_fallback(lambda: method(*args, **kwargs))

    return wrapper


def _discard(connection) -> None:
    try:
        connection.close()
    except DatabaseError:
        connection.connection = None
    connection.errors_occurred = False


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def health() -> dict | None:
    """The replica part of `/_health` (None when no replica is configured)."""
    if not replica_configured():
        return None
    state = replica_state()
    status = "unavailable" if not state.reachable else ("lagging" if state.lag_seconds > _max_lag() else "ok")
    return {"status": status, "lag_seconds": state.lag_seconds, "max_lag_seconds": _max_lag(), "error": state.error}


class ReplicaRouter:
    """Django database router: writes (and what follows them) on the primary, heavy reads per
    read_alias(), migrations only on the primary (the replica receives them by replication)."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


@contextlib.contextmanager
def request_scope() -> Iterator[None]:
    """One request's routing state: no write recorded yet, no heavy read open."""
    wrote, allowed = _wrote.set(False), _replica_allowed.set(False)
    try:
        yield
    finally:
        _wrote.reset(wrote)
        _replica_allowed.reset(allowed)


class RequestRoutingMiddleware:
    """Each request starts with no write recorded (a thread serves many requests in turn)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope():
            return self.get_response(request)

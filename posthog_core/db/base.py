"""Django's PostgreSQL backend, with psycopg's C loader for `timestamptz` columns and a health
check for kept connections that costs no round trip.

Django registers its own timestamptz loader, a subclass of psycopg's pure-Python one (to pin the
returned tzinfo), so every timestamp read parses in Python: about a tenth of a list page's time at
100 rows. The session time zone is UTC here (Django sets it on connect), so psycopg's C loader
returns the same instants in UTC; this backend registers it whenever the connection's zone is UTC.
"""

from __future__ import annotations

import select
from datetime import UTC
from functools import cache

from django.db.backends.postgresql import base
from psycopg import adapt, adapters
from psycopg.pq import ConnStatus, Format

_TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
_DEFAULT_LOADER = adapters.get_loader(_TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(adapt.Loader):
    """psycopg's (C) loader under a class that carries `timezone`, which Django's create_cursor()
    compares with the connection's zone before re-registering its own loader. psycopg's C loader
    cannot be subclassed, so each instance hands out the C loader's bound `load` as its own."""

    timezone = UTC

    def __init__(self, oid: int, context=None):
        super().__init__(oid, context)
        self._c_loader = _DEFAULT_LOADER(oid, context)
        self.load = self._c_loader.load  # an instance attribute: psycopg calls it without this frame

    def load(self, data):  # noqa: F811 (the abstract method; instances use the C loader's directly)
        return self._c_loader.load(data)


@cache
def _context(template: adapt.AdaptersMap) -> adapt.AdaptersMap:
    context = adapt.AdaptersMap(template)
    context.register_loader("timestamptz", UtcTimestamptzLoader)
    return context


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        # Only in UTC: with another zone Django's loader has to re-zone every value.
        if self.timezone == UTC and "context" in params:
            params["context"] = _context(params["context"])
        return params

    def close_if_health_check_failed(self) -> None:
        """CONN_HEALTH_CHECKS without a round trip: Django's check runs `SELECT 1` before each
        request's first query. A kept connection is idle between requests, so the server has no
        reason to send it anything: when its socket is readable, the server closed it or sent
        its termination notice (a restart, `pg_terminate_backend`, an idle timeout), and it is
        replaced before the request uses it. One `poll()` of the socket, about a microsecond,
        where `SELECT 1` costs a round trip. A peer that vanished without closing the socket (a
        host lost outright) is not seen here: that request gets a 503 and the next connects anew.
        """
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.idle_connection_is_alive():
            self.close()
        self.health_check_done = True

    def idle_connection_is_alive(self) -> bool:
        if self.connection.closed or self.connection.pgconn.status != ConnStatus.OK:
            return False
        try:
            poller = select.poll()
            poller.register(self.connection.fileno(), select.POLLIN)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

"""The project's PostgreSQL backend: Django's, reading timestamptz with psycopg's C loader."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from posthog_core.db.base import UtcTimestamptzLoader

pytestmark = pytest.mark.django_db


def test_connection_reads_timestamptz_with_the_c_loader():
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(1184, 0) is UtcTimestamptzLoader


def test_timestamptz_reads_as_the_same_instant_in_utc():
    with connection.cursor() as cursor:
        cursor.execute("SELECT '2026-01-01 12:00:00.5+05'::timestamptz, NULL::timestamptz")
        value, empty = cursor.fetchone()

    assert value == datetime(2026, 1, 1, 7, 0, 0, 500_000, tzinfo=UTC)
    assert value.tzinfo is UTC
    assert empty is None

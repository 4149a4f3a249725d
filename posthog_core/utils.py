"""Small helpers shared by every app: time-ordered UUIDs, random tokens, UTC times clamped to the calendar."""

from __future__ import annotations

import os
import secrets
import string
import time
import uuid
from datetime import UTC, datetime, tzinfo

_BASE62 = string.digits + string.ascii_letters


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 v7): new rows land at the end of the primary-key index."""
    millis = time.time_ns() // 1_000_000
    rand_a = int.from_bytes(os.urandom(2), "big") & 0x0FFF
    rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def random_base62(length: int) -> str:
    return "".join(secrets.choice(_BASE62) for _ in range(length))


def parse_uuid(value: object) -> uuid.UUID | None:
    """A URL's UUID, or None when it is not one (the caller answers 404, never a 500)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def clamped_utc(moment: datetime, zone: tzinfo = UTC) -> datetime:
    """`moment` (naive: in `zone`) in UTC; a time that leaves the calendar's range on the way (year 1
    with a positive offset, year 9999 with a negative one) becomes that end of it."""
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        return EARLIEST if moment.year < 5000 else LATEST

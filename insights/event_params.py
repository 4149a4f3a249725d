"""The legacy `/events/` list's query parameters: their schema, the time bounds and the page cursor.

Every value the schema admits is one the list accepts, so a client generated from the schema (or a
fuzzer) is never refused: bounds are RFC 3339 dates and date-times of any year and offset (a bound
past what the database stores means "since" or "until" forever), or PostHog's relative forms; the
cursor is a readable keyset position, and any well-formed one is a position.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from insights.dates import DateError, check_date_string, parse_point
from insights.query_spec import MAX_FILTERS, fail
from posthog_core.schema import JSON_STRING_PATTERN
from posthog_core.utils import EARLIEST, LATEST, clamped_utc

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# `<microseconds since 1970-01-01 UTC>.<event uuid as 32 hex digits>`: the (timestamp, uuid) of the
# last row of the previous page.
CURSOR = re.compile(r"^(-?[0-9]{1,18})\.([0-9a-fA-F]{32})$")
# PostHog's relative bounds, with counts that stay inside the calendar (`-999y` is year 1000 or so).
RELATIVE_BOUND_PATTERN = r"^(?:-[0-9]{1,5}[hdw]|-[0-9]{1,3}[mqy]|(?:-[0-9]{1,3})?[dwmqy](?:Start|End))$"
BOUND_SCHEMA = {"anyOf": [
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "date"},
    {"type": "string", "pattern": RELATIVE_BOUND_PATTERN},
]}
# The simple form of a property filter list; `properties` takes the whole grammar of the query's
# property filters (gt/lt on numbers, regex, is_set, value lists), which no pattern can state.
_FILTER = (rf'\{{"key":"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])+","value":{JSON_STRING_PATTERN}'
           r'(?:,"operator":"(?:exact|is_not|icontains|not_icontains)")?(?:,"type":"event")?\}')
PROPERTIES_PATTERN = rf"^\[(?:{_FILTER}(?:,{_FILTER}){{0,{MAX_FILTERS - 1}}})?\]$"

LIST_PARAMETERS = [
    OpenApiParameter("event", OpenApiTypes.STR, description="Only events with this name."),
    OpenApiParameter("distinct_id", OpenApiTypes.STR, description="Only events of this distinct id."),
    OpenApiParameter(
        "properties", {"type": "string", "pattern": PROPERTIES_PATTERN},
        description='A JSON list of event property filters, all of which must match, e.g. '
        '`[{"key":"plan","value":"pro"}]`. The pattern states the simple form; the list also takes '
        "every operator of the query's property filters (`gt`, `lt`, `regex`, `is_set`, value lists).",
    ),
    OpenApiParameter("after", BOUND_SCHEMA, description="Events at or after this time: an ISO date or date-time "
                     "(a date means its midnight in the project's timezone) or a relative one such as `-7d`."),
    OpenApiParameter("before", BOUND_SCHEMA, description="Events before this time, in the forms `after` takes."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Rows per page (default 100, at most 10,000)."),
    OpenApiParameter("cursor", {"type": "string", "pattern": CURSOR.pattern},
                     description="Where the page starts, from a previous page's `next`: the position after "
                     "the last row, `<microseconds since 1970 UTC>.<uuid hex>`."),
]


def parse_bound(value: str, path: list[str], *, zone: ZoneInfo, now: datetime) -> datetime:
    """An `after`/`before` value (of `/events/` or an EventsQuery) as a UTC datetime; anything
    unreadable is a 400 naming `path`."""
    text = value[:64].strip()
    try:
        return clamped_utc(parse_point(text, zone=zone, now=now, end=False), zone)
    except DateError:
        pass  # an ISO time near the calendar's ends, which parse_point refuses for date ranges
    try:
        return clamped_utc(datetime.fromisoformat(text.replace("Z", "+00:00")), zone)
    except ValueError:
        fail(path, f"Could not parse the date '{text}'.", "invalid_date")
    raise AssertionError("unreachable")


def check_bound(value: object, path: list[str]) -> None:
    """Fail validation (400 at `path`) unless `value` is a bound parse_bound takes."""
    check_date_string(value, path)
    parse_bound(value, path, zone=ZoneInfo("UTC"), now=datetime.now(UTC))


def cursor_encode(timestamp: datetime, uuid) -> str:
    micros = (timestamp - EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{UUID(str(uuid)).hex}"


def cursor_decode(value: str) -> tuple[datetime, str]:
    """The (timestamp, uuid) a cursor names; a position past the calendar's range is its end."""
    match = CURSOR.match(value)
    if not match:
        fail(["cursor"], "Invalid cursor.", "invalid_cursor")
    try:
        timestamp = EPOCH + timedelta(microseconds=int(match.group(1)))
    except OverflowError:
        timestamp = EARLIEST if match.group(1).startswith("-") else LATEST
    return timestamp, str(UUID(match.group(2)))

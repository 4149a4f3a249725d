"""Every value the `/events/` parameters' schema admits is accepted (insights/event_params.py).

The strategies follow the schema: patterns through `from_regex`, RFC 3339 dates and date-times of
any year and any offset up to +-23:59 (what OpenAPI's formats admit and schemathesis generates).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from insights.event_params import (
    CURSOR,
    PROPERTIES_PATTERN,
    RELATIVE_BOUND_PATTERN,
    cursor_decode,
    cursor_encode,
    parse_bound,
)
from insights.query_spec import parse_properties
from posthog_core.utils import EARLIEST, LATEST

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
ZONES = st.sampled_from([ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")])
OFFSETS = st.one_of(st.just("Z"), st.builds("{}{:02d}:{:02d}".format, st.sampled_from("+-"),
                                            st.integers(0, 23), st.integers(0, 59)))
DATE_TIMES = st.builds("{}T{:02d}:{:02d}:{:02d}{}{}".format, st.dates(), st.integers(0, 23), st.integers(0, 59),
                       st.integers(0, 59), st.just("") | st.from_regex(r"\A\.[0-9]{1,6}\Z"), OFFSETS)


@given(value=DATE_TIMES | st.dates().map(str), zone=ZONES)
def test_every_rfc3339_bound_is_read_as_a_utc_time(value, zone):
    bound = parse_bound(value, ["after"], zone=zone, now=NOW)

    assert bound.tzinfo is UTC


@given(value=st.from_regex(RELATIVE_BOUND_PATTERN, fullmatch=True), zone=ZONES)
def test_every_relative_bound_of_the_pattern_is_read(value, zone):
    assert parse_bound(value, ["before"], zone=zone, now=NOW) <= LATEST


@pytest.mark.parametrize(("value", "expected"), [
    ("0001-01-01T00:00:00+05:00", EARLIEST),
    ("9999-12-31T23:59:59-05:00", LATEST),
    ("2024-03-01T00:00:00-16:30", datetime(2024, 3, 1, 16, 30, tzinfo=UTC)),
])
def test_bound_off_the_calendar_or_past_postgres_offsets_is_clamped_or_converted(value, expected):
    assert parse_bound(value, ["after"], zone=ZoneInfo("UTC"), now=NOW) == expected


@pytest.mark.parametrize("value", ["garbage", "2024-13-01", "-9999999y", "2024-02-30T00:00:00Z"])
def test_bound_that_is_no_date_is_a_400_naming_the_parameter(value):
    with pytest.raises(ValidationError) as error:
        parse_bound(value, ["before"], zone=ZoneInfo("UTC"), now=NOW)

    assert list(error.value.detail) == ["before"]


@given(value=st.from_regex(CURSOR.pattern, fullmatch=True))
def test_every_cursor_of_the_pattern_names_a_position(value):
    timestamp, uuid = cursor_decode(value)

    assert EARLIEST <= timestamp <= LATEST
    assert re.fullmatch(r"[0-9a-f-]{36}", uuid)


@given(timestamp=st.datetimes(timezones=st.just(UTC)))
def test_cursor_round_trips_any_timestamp(timestamp):
    uuid = uuid4()

    assert cursor_decode(cursor_encode(timestamp, uuid)) == (timestamp, str(uuid))


def test_cursor_is_the_microseconds_since_1970_and_the_uuid_hex():
    uuid = uuid4()

    assert cursor_encode(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=2), uuid) == f"2000000.{uuid.hex}"


@given(value=st.from_regex(PROPERTIES_PATTERN, fullmatch=True))
def test_every_property_list_of_the_pattern_is_a_list_of_filters(value):
    filters = parse_properties(json.loads(value), ["properties"])

    assert len(filters) == len(json.loads(value))

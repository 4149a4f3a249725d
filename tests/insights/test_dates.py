"""Dates of saved and ad-hoc queries (insights/dates.py): whatever a client sends is read or refused
with a 400 naming its path, never an error of another kind."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from insights.dates import check_date
from posthog_core.exception_handler import error_body
from tests.insights.test_event_params import DATE_TIMES, OFFSETS

# Times at the calendar's ends, where an offset carries the time out of it in UTC.
AT_THE_ENDS = st.builds("{}T{:02d}:00:00{}".format, st.dates(max_value=date(1, 1, 1)) | st.dates(min_value=date(9999, 12, 31)),
                        st.integers(0, 23), OFFSETS)


@given(value=AT_THE_ENDS | DATE_TIMES | st.dates().map(str) | st.text(max_size=64))
def test_check_date_reads_any_time_or_refuses_it_naming_its_path(value):
    try:
        check_date(value, ["query", "dateRange", "date_from"])
    except ValidationError as error:
        assert error_body(error)["attr"] == "query__dateRange__date_from"

"""No capture input causes a 500: random bodies and random event shapes (hypothesis)."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ANSWERS = {200, 400, 401, 413}

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3), max_leaves=10)
events = st.dictionaries(
    st.sampled_from(["event", "distinct_id", "properties", "timestamp", "uuid", "$time", "offset", "token", "$set"]),
    values,
)


@FUZZ
@given(body=st.binary(max_size=300), content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
def test_capture_random_bytes_never_answer_500(client, team, body, content_type):
    response = client.generic("POST", "/e/?compression=lz64", body, content_type=content_type)

    assert response.status_code in ANSWERS


@FUZZ
@given(batch=st.lists(events, min_size=1, max_size=3), sent_at=values)
def test_capture_random_event_shapes_never_answer_500(client, team, batch, sent_at):
    payload = {"api_key": team.api_token, "sent_at": sent_at, "batch": batch}

    response = client.generic("POST", "/batch/", json.dumps(payload), content_type="application/json")

    assert response.status_code in ANSWERS

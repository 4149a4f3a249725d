"""Rate limits (issue #13 item 4): per key or user, CRUD and analytics budgets, 429 in the error shape.

Time is frozen one second into a minute, so each window's remaining time is known exactly.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from posthog_core.metrics import THROTTLE_REJECTIONS
from tests.factories import MembershipFactory, UserFactory
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db

ONE_SECOND_INTO_A_MINUTE = datetime(2026, 1, 5, 10, 0, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(ONE_SECOND_INTO_A_MINUTE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def small_limits(settings):
    settings.RATE_LIMITS = {"crud": ("3/minute", "100/hour"), "analytics": ("2/minute", "100/hour")}
    return settings


def me(client):
    return client.get("/api/users/@me/")


def query(client, team):
    return client.post(f"/api/projects/{team.id}/query/", {"query": {"kind": "EventsQuery", "select": ["event"]}},
                       format="json")


def test_key_over_the_burst_limit_gets_429_in_the_error_shape_with_retry_after(scoped_client, small_limits):
    client = scoped_client(scopes=["*"])
    statuses = [me(client).status_code for _ in range(3)]

    refused = me(client)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json() == {
        "type": "throttled_error",
        "code": "throttled",
        "detail": "Request was throttled. Expected available in 59 seconds.",
        "attr": None,
    }
    assert refused["Retry-After"] == "59"


def test_sustained_limit_refuses_until_the_hour_window_closes(scoped_client, settings, frozen_time):
    settings.RATE_LIMITS = {"crud": ("100/minute", "2/hour"), "analytics": ("100/minute", "100/hour")}
    client = scoped_client(scopes=["*"])
    me(client), me(client)
    frozen_time.shift(120)

    refused = me(client)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 121)


def test_limit_is_per_key_not_per_user(scoped_client, small_limits):
    first = scoped_client(scopes=["*"])
    for _ in range(3):
        me(first)

    assert me(first).status_code == 429
    assert me(scoped_client(scopes=["*"])).status_code == 200


def test_session_requests_are_limited_per_user(user, organization, small_limits):
    other = UserFactory()
    MembershipFactory(organization=organization, user=other)
    clients = [APIClient(), APIClient()]
    clients[0].force_login(user)
    clients[1].force_login(user)
    for client in clients + clients[:1]:
        assert me(client).status_code == 200
    other_client = APIClient()
    other_client.force_login(other)

    assert me(clients[1]).status_code == 429
    assert me(other_client).status_code == 200


def test_analytics_requests_use_their_own_budget_and_leave_crud_untouched(scoped_client, team, small_limits):
    client = scoped_client(scopes=["*"])
    assert [query(client, team).status_code for _ in range(2)] == [200, 200]

    assert query(client, team).status_code == 429
    assert [me(client).status_code for _ in range(3)] == [200, 200, 200]


def test_crud_budget_spent_leaves_analytics_untouched(scoped_client, team, small_limits):
    client = scoped_client(scopes=["*"])
    for _ in range(3):
        me(client)

    assert me(client).status_code == 429
    assert query(client, team).status_code == 200


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "events/", None),
        ("get", "insights/", None),
        ("get", "dashboards/", None),
        ("post", "exports/", {"export_format": "text/csv", "export_context": {"path": "/api/projects/@current/events/"}}),
    ],
)
def test_analytics_endpoints_count_against_the_analytics_budget(scoped_client, team, settings, method, suffix, body):
    settings.RATE_LIMITS = {"crud": ("100/minute", "100/hour"), "analytics": ("1/minute", "100/hour")}
    client = scoped_client(scopes=["*"])
    url = f"/api/projects/{team.id}/{suffix}"
    getattr(client, method)(url, body, format="json")

    assert getattr(client, method)(url, body, format="json").status_code == 429


def test_insight_create_counts_against_the_crud_budget(scoped_client, team, settings):
    settings.RATE_LIMITS = {"crud": ("100/minute", "100/hour"), "analytics": ("1/minute", "100/hour")}
    client = scoped_client(scopes=["*"])
    client.get(f"/api/projects/{team.id}/insights/")

    response = client.post(f"/api/projects/{team.id}/insights/", {"name": "crud"}, format="json")

    assert response.status_code == 201


def test_capture_is_never_throttled(client, team, settings):
    settings.RATE_LIMITS = {"crud": ("1/minute", "1/hour"), "analytics": ("1/minute", "1/hour")}
    body = {"api_key": team.api_token, "batch": [CaptureEventFactory(event="e", distinct_id="d")]}

    statuses = {client.post("/batch/", body, content_type="application/json").status_code for _ in range(5)}

    assert statuses == {200}


def test_disabled_rate_limits_let_every_request_through(scoped_client, small_limits):
    small_limits.RATE_LIMIT_ENABLED = False
    client = scoped_client(scopes=["*"])

    assert {me(client).status_code for _ in range(6)} == {200}


def test_each_refusal_counts_in_the_throttle_metric(scoped_client, small_limits):
    client = scoped_client(scopes=["*"])
    before = THROTTLE_REJECTIONS.labels(scope="crud")._value.get()
    for _ in range(5):
        me(client)

    assert THROTTLE_REJECTIONS.labels(scope="crud")._value.get() == before + 2

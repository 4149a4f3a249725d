"""Limit/offset pagination (§1.3), exercised on the activity log list."""

from urllib.parse import parse_qs, urlsplit

import pytest

from activity_logs.models import ActivityLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(team):
    ActivityLog.objects.bulk_create(
        ActivityLog(team=team, organization_id=team.organization_id, activity="created", scope="Probe", item_id=str(n))
        for n in range(105)
    )


def url_of(team) -> str:
    return f"/api/projects/{team.id}/activity_log/"


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_list_defaults_to_100_rows(session_client, team, rows):
    body = session_client.get(url_of(team)).json()

    assert body["count"] == 105
    assert len(body["results"]) == 100
    assert body["previous"] is None
    assert body["next"] == f"http://testserver{url_of(team)}?limit=100&offset=100"


def test_next_and_previous_are_absolute_and_keep_other_parameters(session_client, team, rows):
    body = session_client.get(url_of(team), {"scope": "Probe", "limit": 10, "offset": 20}).json()

    assert urlsplit(body["next"]).netloc == "testserver"
    assert query_of(body["next"]) == {"scope": "Probe", "limit": "10", "offset": "30"}
    assert query_of(body["previous"]) == {"scope": "Probe", "limit": "10", "offset": "10"}


def test_last_page_has_no_next(session_client, team, rows):
    body = session_client.get(url_of(team), {"limit": 10, "offset": 100}).json()

    assert body["next"] is None
    assert len(body["results"]) == 5


@pytest.mark.parametrize(
    ("params", "attr", "code"),
    [
        ({"limit": "0"}, "limit", "min_value"),
        ({"limit": "-5"}, "limit", "min_value"),
        ({"offset": "-1"}, "offset", "min_value"),
        ({"limit": "ten"}, "limit", "invalid_input"),
        ({"offset": "1.5"}, "offset", "invalid_input"),
        ({"offset": "-" + "9" * 40}, "offset", "min_value"),
    ],
)
def test_bad_pagination_parameters_return_400_with_attr(session_client, team, params, attr, code):
    response = session_client.get(url_of(team), params)

    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["code"], body["attr"]) == ("validation_error", code, attr)


@pytest.mark.parametrize("params", [{"limit": "9" * 40}, {"limit": str(2**63)}, {"offset": "9" * 40}, {"offset": str(2**63)}])
def test_huge_pagination_values_clamp_instead_of_failing(session_client, team, rows, params):
    response = session_client.get(url_of(team), params)

    assert response.status_code == 200
    assert response.json()["count"] == 105


def test_huge_offset_returns_an_empty_page(session_client, team, rows):
    body = session_client.get(url_of(team), {"offset": "9" * 40}).json()

    assert body["results"] == []
    assert body["next"] is None


def test_empty_pagination_values_use_the_defaults(session_client, team, rows):
    body = session_client.get(url_of(team), {"limit": "", "offset": ""}).json()

    assert len(body["results"]) == 100


def test_unknown_query_parameters_are_ignored(session_client, team, rows):
    response = session_client.get(url_of(team), {"limit": 1, "frobnicate": "\x00yes"})

    assert response.status_code == 200

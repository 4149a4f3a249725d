"""The requests `@posthog/agent-toolkit`'s `properties-list` sends (0.2.4), against properties capture made.

The tool sends every parameter as text (`String(value)`), follows `next` until it is null, keeps the
rows whose `hidden` is falsy and reads `name` and `property_type` (one of String, Numeric, Boolean,
DateTime, or null) of each row, plus `id` as a string.
"""

import json
from urllib.parse import urlencode

import pytest

from ingestion.services import capture_batch_ingest
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db

TOOLKIT_TYPES = {"String", "Numeric", "Boolean", "DateTime", None}


def toolkit_query(kind: str, event_name: str | None, include_predefined: bool) -> str:
    params = {
        **({"event_names": json.dumps([event_name])} if event_name else {}),
        "exclude_core_properties": str(not include_predefined).lower(),
        "filter_by_event_names": str(kind == "event").lower(),
        "is_feature_flag": "false",
        "limit": "200",
        "offset": "0",
        "type": kind,
        "exclude_hidden": "true",
    }
    return urlencode(params)


def all_rows(client, url: str) -> list[dict]:
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


@pytest.fixture
def captured(team):
    capture_batch_ingest(payload={"api_key": team.api_token, "batch": [
        CaptureEventFactory(event="purchase", properties={"amount": 9.5, "paid": True, "at": "2026-01-02T03:04:05Z",
                                                          "$lib": "web", "utm_source": "ads", "$feature/x": "on"}),
        CaptureEventFactory(event="$pageview", properties={"$current_url": "https://x", "path": "/"}),
    ]}, params={})


@pytest.mark.parametrize(("include_predefined", "expected"), [
    (False, [("amount", "Numeric"), ("at", "DateTime"), ("paid", "Boolean")]),
    (True, [("$lib", "String"), ("amount", "Numeric"), ("at", "DateTime"), ("paid", "Boolean"),
            ("utm_source", "String")]),
])
def test_toolkit_event_properties_request_lists_the_event_s_properties(
    scoped_client, captured, team, include_predefined, expected
):
    client = scoped_client(scopes=["property_definition:read"])
    url = f"/api/projects/{team.id}/property_definitions/?{toolkit_query('event', 'purchase', include_predefined)}"

    rows = all_rows(client, url)

    assert [(row["name"], row["property_type"]) for row in rows] == expected
    assert all(isinstance(row["id"], str) and row["is_seen_on_filtered_events"] is True for row in rows)


def test_toolkit_follows_next_links_over_small_pages(scoped_client, captured, team):
    client = scoped_client(scopes=["property_definition:read"])
    query = toolkit_query("event", "purchase", True).replace("limit=200", "limit=2")

    rows = all_rows(client, f"/api/projects/{team.id}/property_definitions/?{query}")

    assert [row["name"] for row in rows] == ["$lib", "amount", "at", "paid", "utm_source"]


def test_toolkit_person_properties_request_answers_200_with_toolkit_types(scoped_client, captured, team):
    from event_definitions.models import PropertyDefinition

    PropertyDefinition.objects.create(team=team, name="email", type=PropertyDefinition.Type.PERSON,
                                      property_type="String")
    client = scoped_client(scopes=["property_definition:read"])

    rows = all_rows(client, f"/api/projects/{team.id}/property_definitions/?{toolkit_query('person', None, False)}")

    assert [(row["name"], row["property_type"], row["is_seen_on_filtered_events"]) for row in rows] == [
        ("email", "String", None)]

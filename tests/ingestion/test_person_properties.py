"""Capture defines person properties from `$set` and `$set_once`, as PostHog does, so the property
list's `type=person` shows what the SDKs set on people."""

import pytest

from event_definitions.models import PropertyDefinition
from ingestion.definitions import batch_person_properties
from ingestion.services import capture_batch_ingest
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db


def ingest(team, *events):
    return capture_batch_ingest(payload={"api_key": team.api_token, "batch": list(events)}, params={})


def definitions(team, kind) -> list[tuple[str, str | None]]:
    return sorted(PropertyDefinition.objects.filter(team=team, type=kind).values_list("name", "property_type"))


def test_batch_person_properties_are_sorted_typed_by_first_typed_sighting_and_skip_non_objects():
    events = [
        {"properties": {"$set": {"plan": None, "age": 30}, "$set_once": "not an object"}},
        {"properties": {"$set": {"plan": "pro"}, "$set_once": {"first_seen": "2024-01-01T00:00:00Z", "x" * 201: 1}}},
        {"properties": {"plan": 1}},
    ]

    assert batch_person_properties(events) == [("age", "Numeric"), ("first_seen", "DateTime"), ("plan", "String")]


def test_ingest_defines_person_properties_from_set_and_set_once(team):
    ingest(team, CaptureEventFactory(event="$identify", properties={"$set": {"email": "a@b.c", "beta": True}}),
           CaptureEventFactory(event="$pageview", properties={"$set_once": {"first_visit": "2024-03-01"}, "path": "/"}))

    assert definitions(team, PropertyDefinition.Type.PERSON) == [
        ("beta", "Boolean"), ("email", "String"), ("first_visit", "DateTime")]
    assert definitions(team, PropertyDefinition.Type.EVENT) == [("path", "String")]


def test_ingest_person_and_event_property_of_one_name_are_two_definitions(team):
    ingest(team, CaptureEventFactory(event="signup", properties={"plan": "pro", "$set": {"plan": "pro"}}))
    ingest(team, CaptureEventFactory(event="signup", properties={"plan": "team", "$set": {"plan": "team"}}))

    assert definitions(team, PropertyDefinition.Type.EVENT) == [("plan", "String")]
    assert definitions(team, PropertyDefinition.Type.PERSON) == [("plan", "String")]


def test_ingest_top_level_set_of_older_sdks_defines_person_properties(team):
    event = CaptureEventFactory(event="$identify", properties={})
    event["$set"] = {"name": "Ada"}

    ingest(team, event)

    assert definitions(team, PropertyDefinition.Type.PERSON) == [("name", "String")]


def test_person_property_list_shows_captured_person_properties(session_client, team):
    ingest(team, CaptureEventFactory(event="$identify", properties={"$set": {"email": "a@b.c"}}))

    body = session_client.get(f"/api/projects/{team.id}/property_definitions/?type=person").json()

    assert [(row["name"], row["property_type"]) for row in body["results"]] == [("email", "String")]

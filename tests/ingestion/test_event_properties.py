"""Capture records which properties each event carries (the property list's `event_names`)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from event_definitions.models import EventProperty
from ingestion import services
from ingestion.definitions import batch_event_properties
from ingestion.services import capture_batch_ingest
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db


def ingest(team, *events):
    return capture_batch_ingest(payload={"api_key": team.api_token, "batch": list(events)}, params={})


def pairs(team) -> list[tuple[str, str]]:
    return sorted(EventProperty.objects.filter(team=team).values_list("event", "property"))


def test_batch_event_properties_are_distinct_sorted_and_skip_person_updates_and_long_names():
    events = [
        {"event": "b", "properties": {"y": 1, "$set": {}, "x" * 201: 1}},
        {"event": "a", "properties": {"y": 1}},
        {"event": "b", "properties": {"x": 1, "y": 2}},
        {"event": "é" * 101, "properties": {"z": 1}},
    ]

    assert batch_event_properties(events) == (["a", "b", "b"], ["y", "x", "y"])


def test_ingest_records_each_event_property_pair_once(team):
    ingest(team, CaptureEventFactory(event="signup", properties={"plan": "pro", "seats": 3}),
           CaptureEventFactory(event="signup", properties={"plan": "free"}),
           CaptureEventFactory(event="$pageview", properties={"plan": "free", "$set_once": {"a": 1}}))
    ingest(team, CaptureEventFactory(event="signup", properties={"plan": "pro", "coupon": "x"}))

    assert pairs(team) == [("$pageview", "plan"), ("signup", "coupon"), ("signup", "plan"), ("signup", "seats")]


def test_ingest_pairs_belong_to_the_capturing_project(team, other_team):
    ingest(other_team, CaptureEventFactory(event="signup", properties={"plan": "pro"}))

    assert pairs(team) == []


def test_ingest_of_committed_pairs_skips_their_insert(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest(team, CaptureEventFactory(event="signup", properties={"plan": "pro"}))

    with CaptureQueriesContext(connection) as queries:
        ingest(team, CaptureEventFactory(event="signup", properties={"plan": "free"}))

    assert not [query for query in queries.captured_queries if "eventproperty" in query["sql"]]
    assert (team.id, "signup", "plan") in services.known_event_properties


def test_ingest_rolled_back_batch_remembers_no_pair(team, django_capture_on_commit_callbacks):
    stored = CaptureEventFactory(event="old", properties={})
    ingest(team, stored)

    # A retry: the first attempt hits the stored uuid and rolls back, the second skips it and commits.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ingest(team, stored, CaptureEventFactory(event="retry", properties={"fresh": 1}))

    assert pairs(team) == [("retry", "fresh")]
    assert len(callbacks) == 1


def test_remembered_pairs_are_dropped_when_the_set_is_full(monkeypatch):
    monkeypatch.setattr(services, "KNOWN_EVENT_PROPERTIES_MAX", 2)
    monkeypatch.setattr(services, "known_event_properties", set())
    services.remember_event_properties([(1, "a", "x"), (1, "a", "y")])

    services.remember_event_properties([(1, "b", "z")])

    assert services.known_event_properties == {(1, "b", "z")}

"""Enforcement: the pure checks, capture with `enforcement_mode: reject`, and the preview."""

import json
import uuid

import pytest

from event_definitions.models import EventDefinition
from ingestion.models import Event
from schemas.enforcement import EnforcementRules, check_properties
from schemas.generators.base import EventSpec, PropertySpec, merge_properties
from schemas.models import RejectedEvent
from tests.schemas.factories import SchemaDefinitionFactory, typed_event


def rules(*props):
    return EnforcementRules(0, tuple(merge_properties(EventSpec("e", tuple(props)))))


def reasons(properties, *props):
    return [(v["property"], v["reason"]) for v in check_properties(properties, rules(*props))]


@pytest.mark.parametrize(
    ("property_type", "value"),
    [("String", "x"), ("Numeric", 1.5), ("Numeric", 0), ("Boolean", False), ("DateTime", 1700000000),
     ("DateTime", "2026-01-02T03:04:05Z"), ("DateTime", "2026-01-02"), ("Object", {"a": 1}), ("Object", [1]),
     ("Array", [])],
)
def test_check_properties_value_of_right_type_passes(property_type, value):
    assert reasons({"p": value}, PropertySpec("p", property_type, True)) == []


@pytest.mark.parametrize(
    ("property_type", "value"),
    [("String", 1), ("Numeric", "1"), ("Numeric", True), ("Boolean", "true"), ("DateTime", "yesterday"),
     ("DateTime", True), ("Object", "{}"), ("Array", {"a": 1})],
)
def test_check_properties_value_of_wrong_type_is_rejected(property_type, value):
    assert reasons({"p": value}, PropertySpec("p", property_type, True)) == [("p", "wrong_type")]


@pytest.mark.parametrize("properties", [{}, {"p": None}])
def test_check_properties_missing_required_is_rejected(properties):
    assert reasons(properties, PropertySpec("p", "String", True)) == [("p", "missing_required")]


def test_check_properties_missing_optional_passes():
    assert reasons({}, PropertySpec("p", "String", False)) == []


@pytest.mark.parametrize(("value", "expected"), [("pro", []), ("gold", [("p", "not_allowed")]), (2, [("p", "wrong_type")])])
def test_check_properties_allowed_values_are_enforced(value, expected):
    assert reasons({"p": value}, PropertySpec("p", "String", True, allowed_values=("free", "pro"))) == expected


def test_check_properties_reports_every_violation_in_property_order():
    found = reasons({"b": "x"}, PropertySpec("a", "String", True), PropertySpec("b", "Numeric", False))
    assert found == [("a", "missing_required"), ("b", "wrong_type")]


def capture(client, team, *events):
    body = {"api_key": team.api_token, "batch": [
        {"event": name, "distinct_id": "d1", "uuid": str(uuid.uuid4()), "properties": props} for name, props in events
    ]}
    return client.generic("POST", "/batch/", json.dumps(body), content_type="application/json")


@pytest.fixture
def reject_purchase(team):
    definition = typed_event(team, "purchase", ("plan", "String", True, ["free", "pro"]), ("amount", "Numeric", False))
    EventDefinition.objects.filter(pk=definition.pk).update(enforcement_mode="reject")
    return definition


@pytest.mark.django_db
def test_capture_reject_definition_keeps_invalid_events_out_with_reasons(client, team, reject_purchase):
    response = capture(
        client, team,
        ("purchase", {"plan": "pro", "amount": 3}),
        ("purchase", {"amount": "3"}),
        ("purchase", {"plan": "gold"}),
        ("other", {"anything": 1}),
    )
    assert response.status_code == 200
    assert sorted(Event.objects.filter(team=team).values_list("event", "properties__plan")) == [("other", None), ("purchase", "pro")]
    found = sorted([(v["property"], v["reason"]) for v in row.reasons] for row in RejectedEvent.objects.filter(team=team))
    assert found == [
        [("amount", "wrong_type"), ("plan", "missing_required")],
        [("plan", "not_allowed")],
    ]


@pytest.mark.django_db
def test_capture_allow_definition_stores_invalid_events(client, team):
    typed_event(team, "purchase", ("plan", "String", True))
    assert capture(client, team, ("purchase", {})).status_code == 200
    assert Event.objects.filter(team=team, event="purchase").count() == 1
    assert not RejectedEvent.objects.exists()


@pytest.mark.django_db
def test_capture_rejected_events_are_listed_with_reasons(client, session_client, team, reject_purchase):
    capture(client, team, ("purchase", {"plan": 1}))
    body = session_client.get(f"/api/projects/{team.id}/rejected_events/", {"reason": "wrong_type"}).json()
    assert [(r["event"], r["properties"], r["reasons"][0]["property"]) for r in body["results"]] == [("purchase", {"plan": 1}, "plan")]


def preview_url(team, definition):
    return f"/api/projects/{team.id}/event_definitions/{definition.id}/enforcement_preview/"


@pytest.mark.django_db
def test_enforcement_preview_counts_what_would_be_rejected(session_client, team, reject_purchase):
    events = [{"plan": "pro"}, {"plan": "gold"}, {}, {"plan": "free", "amount": "x"}]
    made = [Event.objects.create(team=team, uuid=uuid.uuid4(), event="purchase", distinct_id="d", timestamp=f"2026-01-0{i + 1}T00:00:00Z", properties=p)
            for i, p in enumerate(events)]
    response = session_client.get(preview_url(team, reject_purchase))
    assert response.status_code == 200
    assert response.json() == {
        "checked": 4,
        "would_reject": 3,
        "reasons": [
            {"property": "amount", "reason": "wrong_type", "count": 1},
            {"property": "plan", "reason": "missing_required", "count": 1},
            {"property": "plan", "reason": "not_allowed", "count": 1},
        ],
        "sample_event_uuids": [str(made[3].uuid), str(made[2].uuid), str(made[1].uuid)],
    }


@pytest.mark.django_db
def test_enforcement_preview_of_other_project_returns_404(session_client, team, other_team):
    foreign = SchemaDefinitionFactory(team=other_team)
    assert session_client.get(preview_url(team, foreign)).status_code == 404


@pytest.mark.django_db
def test_enforcement_preview_wrong_scope_returns_403(scoped_client, team):
    definition = SchemaDefinitionFactory(team=team)
    assert scoped_client(scopes=["insight:read"]).get(preview_url(team, definition)).status_code == 403


@pytest.mark.django_db
def test_enforcement_preview_anonymous_returns_401(api_client, team):
    assert api_client.get(preview_url(team, SchemaDefinitionFactory(team=team))).status_code == 401


@pytest.mark.django_db
def test_capture_after_schema_change_through_api_uses_new_schema(client, session_client, team, reject_purchase):
    capture(client, team, ("purchase", {"plan": "gold"}))
    group = reject_purchase.schemas.get().property_group
    response = session_client.patch(
        f"/api/projects/{team.id}/schema_property_groups/{group.id}/",
        {"properties": [{"name": "plan", "property_type": "String", "is_required": True}]}, format="json",
    )
    assert response.status_code == 200

    capture(client, team, ("purchase", {"plan": "gold"}))

    assert RejectedEvent.objects.filter(team=team).count() == 1
    assert Event.objects.filter(team=team, event="purchase").count() == 1

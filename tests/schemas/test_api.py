"""Property groups, event-schema links, generators over HTTP, rejected events and the preview."""

import pytest

from event_definitions.models import EventDefinition
from schemas.models import EventSchema, RejectedEvent, SchemaPropertyGroup
from tests.schemas.factories import (
    EventSchemaFactory,
    SchemaDefinitionFactory,
    SchemaPropertyFactory,
    SchemaPropertyGroupFactory,
    typed_event,
)

pytestmark = pytest.mark.django_db

GROUP_BODY = {
    "name": "Checkout",
    "description": "Checkout properties",
    "properties": [
        {"name": "plan", "property_type": "String", "is_required": True, "allowed_values": ["free", "pro"]},
        {"name": "amount", "property_type": "Numeric", "is_required": False, "description": "in cents"},
    ],
}


def groups_url(team, pk=None):
    return f"/api/projects/{team.id}/schema_property_groups/" + (f"{pk}/" if pk else "")


def links_url(team, pk=None):
    return f"/api/projects/{team.id}/event_schemas/" + (f"{pk}/" if pk else "")


def code_url(team, language):
    return f"/api/projects/{team.id}/event_definitions/{language}/"


def version_of(definition):
    return EventDefinition.objects.get(pk=definition.pk).schema_version


def test_create_property_group_returns_whole_body(session_client, team, user):
    response = session_client.post(groups_url(team), GROUP_BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    group = SchemaPropertyGroup.objects.get(pk=body["id"])
    props = {p.name: p for p in group.properties.all()}
    assert body == {
        "id": str(group.id),
        "name": "Checkout",
        "description": "Checkout properties",
        "properties": [
            {
                "id": str(props["amount"].id), "name": "amount", "property_type": "Numeric", "is_required": False,
                "is_optional_in_types": False, "description": "in cents", "allowed_values": None,
                "created_at": props["amount"].created_at.isoformat().replace("+00:00", "Z"),
                "updated_at": props["amount"].updated_at.isoformat().replace("+00:00", "Z"),
            },
            {
                "id": str(props["plan"].id), "name": "plan", "property_type": "String", "is_required": True,
                "is_optional_in_types": False, "description": "", "allowed_values": ["free", "pro"],
                "created_at": props["plan"].created_at.isoformat().replace("+00:00", "Z"),
                "updated_at": props["plan"].updated_at.isoformat().replace("+00:00", "Z"),
            },
        ],
        "events": [],
        "created_by": body["created_by"],
        "created_at": group.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": group.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert body["created_by"]["id"] == user.id


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"properties": [{"name": "a", "property_type": "Text"}]}, "properties__0__property_type"),
        ({"properties": [{"name": "a", "property_type": "String"}, {"name": "a", "property_type": "Numeric"}]}, "properties"),
        ({"properties": [{"name": "a", "property_type": "Numeric", "allowed_values": ["x"]}]}, "properties__0__allowed_values"),
        ({"properties": [{"name": "a", "property_type": "String", "allowed_values": [1]}]}, "properties__0__allowed_values"),
        ({"properties": [{"name": "a", "property_type": "Boolean", "allowed_values": [True]}]}, "properties__0__allowed_values"),
        ({"properties": [{"name": "a", "property_type": "String", "allowed_values": "free"}]}, "properties__0__allowed_values"),
        ({"properties": [{"name": "a", "property_type": "String", "allowed_values": []}]}, "properties__0__allowed_values"),
        # Past float range: a number no client language can hold (was a 500: OverflowError).
        ({"properties": [{"name": "a", "property_type": "Numeric", "allowed_values": [10**400]}]},
         "properties__0__allowed_values"),
        ({"properties": "nope"}, "properties"),
        ({"name": ""}, "name"),
    ],
)
def test_create_property_group_with_bad_input_returns_400(session_client, team, change, attr):
    response = session_client.post(groups_url(team), {**GROUP_BODY, **change}, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["attr"] == attr


def test_create_property_group_with_taken_name_returns_400(session_client, team):
    SchemaPropertyGroupFactory(team=team, name="Checkout")
    response = session_client.post(groups_url(team), GROUP_BODY, format="json")
    assert response.status_code == 400
    assert response.json()["attr"] == "name"


def test_update_property_group_replaces_properties_and_bumps_linked_definitions(session_client, team):
    group = SchemaPropertyGroupFactory(team=team)
    SchemaPropertyFactory(property_group=group, name="old")
    definition = SchemaDefinitionFactory(team=team)
    EventSchemaFactory(event_definition=definition, property_group=group)
    response = session_client.patch(
        groups_url(team, group.id), {"properties": [{"name": "new", "property_type": "Boolean"}]}, format="json"
    )
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["properties"]] == ["new"]
    assert response.json()["events"] == [{"id": str(definition.id), "name": definition.name}]
    assert version_of(definition) == 1


@pytest.mark.parametrize("missing", ["name", "property_type"])
def test_patch_property_group_with_property_lacking_required_field_returns_400(session_client, team, missing):
    # A PATCH is partial for the group, never for the properties it replaces (found by make fuzz).
    group = SchemaPropertyGroupFactory(team=team)
    SchemaPropertyFactory(property_group=group, name="kept")
    item = {"name": "plan", "property_type": "String"}
    del item[missing]
    response = session_client.patch(
        groups_url(team, group.id), {"properties": [{"name": "a", "property_type": "Boolean"}, item]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error", "code": "required", "detail": "This field is required.",
        "attr": f"properties__1__{missing}",
    }
    assert [p.name for p in group.properties.all()] == ["kept"]


def test_delete_property_group_bumps_linked_definitions(session_client, team):
    definition = typed_event(team, "signed_up", ("plan", "String", True))
    group = SchemaPropertyGroup.objects.get(team=team)
    assert session_client.delete(groups_url(team, group.id)).status_code == 204
    assert not SchemaPropertyGroup.objects.filter(pk=group.pk).exists()
    assert version_of(definition) == 1


def test_list_property_groups_stays_within_query_budget(session_client, team, django_assert_max_num_queries):
    for index in range(5):
        typed_event(team, f"event_{index}", ("a", "String", True), ("b", "Numeric", False))
    with django_assert_max_num_queries(8):
        response = session_client.get(groups_url(team))
    assert response.json()["count"] == 5


def test_property_groups_of_other_project_are_404_and_not_listed(session_client, team, other_team):
    foreign = SchemaPropertyGroupFactory(team=other_team)
    assert session_client.get(groups_url(team, foreign.id)).status_code == 404
    assert session_client.get(groups_url(team)).json()["results"] == []


def test_property_groups_anonymous_returns_401(api_client, team):
    assert api_client.get(groups_url(team)).status_code == 401


@pytest.mark.parametrize(
    ("method", "scopes", "expected"),
    [("get", ["event_definition:read"], 200), ("post", ["event_definition:read"], 403),
     ("post", ["event_definition:write"], 201), ("get", ["insight:read"], 403)],
)
def test_property_groups_scopes(scoped_client, team, method, scopes, expected):
    client = scoped_client(scopes=scopes)
    response = getattr(client, method)(groups_url(team), GROUP_BODY if method == "post" else None, format="json")
    assert response.status_code == expected


def test_create_event_schema_links_group_and_bumps_version(session_client, team):
    definition = SchemaDefinitionFactory(team=team)
    group = SchemaPropertyGroupFactory(team=team, name="G")
    response = session_client.post(
        links_url(team), {"event_definition": str(definition.id), "property_group_id": str(group.id)}, format="json"
    )
    assert response.status_code == 201
    link = EventSchema.objects.get()
    body = response.json()
    assert body["id"] == str(link.id)
    assert body["event_definition"] == str(definition.id)
    assert body["property_group"]["id"] == str(group.id)
    assert body["property_group"]["events"] == [{"id": str(definition.id), "name": definition.name}]
    assert set(body) == {"id", "event_definition", "property_group", "created_at", "updated_at"}
    assert version_of(definition) == 1


def test_create_event_schema_twice_returns_400(session_client, team):
    link = EventSchemaFactory(event_definition__team=team, property_group__team=team)
    payload = {"event_definition": str(link.event_definition_id), "property_group_id": str(link.property_group_id)}
    response = session_client.post(links_url(team), payload, format="json")
    assert response.status_code == 400
    assert response.json()["attr"] == "property_group_id"


@pytest.mark.parametrize("foreign", ["event_definition", "property_group_id"])
def test_create_event_schema_with_other_projects_object_returns_400(session_client, team, other_team, foreign):
    mine = {"event_definition": SchemaDefinitionFactory(team=team).id, "property_group_id": SchemaPropertyGroupFactory(team=team).id}
    theirs = {"event_definition": SchemaDefinitionFactory(team=other_team).id, "property_group_id": SchemaPropertyGroupFactory(team=other_team).id}
    payload = {key: str(theirs[key] if key == foreign else mine[key]) for key in mine}
    response = session_client.post(links_url(team), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "does_not_exist"
    assert response.json()["attr"] == foreign


def test_list_event_schemas_filters_by_definition(session_client, team, django_assert_max_num_queries):
    wanted = EventSchemaFactory(event_definition__team=team, property_group__team=team)
    EventSchemaFactory(event_definition__team=team, property_group__team=team)
    with django_assert_max_num_queries(9):
        response = session_client.get(links_url(team), {"event_definition": str(wanted.event_definition_id)})
    assert [item["id"] for item in response.json()["results"]] == [str(wanted.id)]


def test_event_schemas_of_other_project_are_404_and_not_listed(session_client, team, other_team):
    foreign = EventSchemaFactory(event_definition__team=other_team, property_group__team=other_team)
    assert session_client.get(links_url(team, foreign.id)).status_code == 404
    assert session_client.delete(links_url(team, foreign.id)).status_code == 404
    assert session_client.get(links_url(team)).json()["results"] == []


def test_delete_event_schema_unlinks_and_bumps_version(session_client, team):
    link = EventSchemaFactory(event_definition__team=team, property_group__team=team)
    assert session_client.delete(links_url(team, link.id)).status_code == 204
    assert not EventSchema.objects.exists()
    assert version_of(link.event_definition) == 1


def test_event_schemas_without_write_scope_returns_403(scoped_client, team):
    link = EventSchemaFactory(event_definition__team=team, property_group__team=team)
    assert scoped_client(scopes=["event_definition:read"]).delete(links_url(team, link.id)).status_code == 403


@pytest.fixture
def reference_schema(team):
    """Reference §9 code-generator fixture."""
    typed_event(team, "test_event", ("required_field", "Numeric", True), ("optional_field", "String", False))
    typed_event(team, "optional_event", ("optional_only", "String", False))
    for name in ("untyped_event", "$autocapture", "$pageview"):
        SchemaDefinitionFactory(team=team, name=name)


def test_typescript_generator_answers_json_with_hash(scoped_client, team, reference_schema):
    response = scoped_client(scopes=["event_definition:read"]).get(code_url(team, "typescript"))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"content", "event_count", "schema_hash", "generator_version"}
    assert body["event_count"] == 4
    assert body["generator_version"] == "1.1.0"
    assert response["ETag"] == f'"{body["schema_hash"]}"'
    assert '"optional_field"?: string' in body["content"] and '"untyped_event": Record<string, any>' in body["content"]
    assert '"$pageview"' in body["content"] and "$autocapture" not in body["content"]


@pytest.mark.parametrize("language", ["typescript", "python", "golang"])
def test_generator_two_calls_give_identical_bytes(session_client, team, reference_schema, language):
    first, second = session_client.get(code_url(team, language)), session_client.get(code_url(team, language))
    assert first.content == second.content


@pytest.mark.parametrize("language", ["typescript", "python", "golang"])
def test_generator_property_change_gives_new_hash(session_client, team, reference_schema, language):
    before = session_client.get(code_url(team, language)).json()["schema_hash"]
    SchemaPropertyFactory(property_group=SchemaPropertyGroup.objects.get(name="test_event group"), name="added")
    after = session_client.get(code_url(team, language)).json()
    assert after["schema_hash"] != before
    assert "added" in after["content"].replace("Added", "added")


@pytest.mark.parametrize("language", ["typescript", "python", "golang"])
def test_generator_with_current_etag_returns_304(session_client, team, reference_schema, language):
    etag = session_client.get(code_url(team, language))["ETag"]
    response = session_client.get(code_url(team, language), HTTP_IF_NONE_MATCH=f'W/"other", {etag}')
    assert response.status_code == 304
    assert response.content == b""


def test_generator_with_stale_etag_returns_200(session_client, team, reference_schema):
    response = session_client.get(code_url(team, "python"), HTTP_IF_NONE_MATCH='"0123"')
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("language", "filename", "content_type"),
    [("typescript", "posthog-typed.ts", "text/x-typescript"), ("python", "posthog_typed.py", "text/x-python"),
     ("golang", "posthog_typed.go", "text/x-go")],
)
def test_generator_download_answers_source_attachment(session_client, team, reference_schema, language, filename, content_type):
    json_body = session_client.get(code_url(team, language)).json()
    response = session_client.get(code_url(team, language), {"download": "true"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert response.content.decode() == json_body["content"]


def test_generator_query_count_does_not_grow_with_events(session_client, team, django_assert_num_queries):
    typed_event(team, "first", ("a", "String", True))
    with django_assert_num_queries(6) as small:  # incl. the rate-limit counter's upsert
        session_client.get(code_url(team, "golang"))
    for index in range(30):
        typed_event(team, f"more_{index}", ("a", "String", True), ("b", "Numeric", False))
    with django_assert_num_queries(len(small.captured_queries)):
        session_client.get(code_url(team, "golang"))


def test_generator_anonymous_returns_401(api_client, team):
    assert api_client.get(code_url(team, "typescript")).status_code == 401


def test_generator_wrong_scope_returns_403(scoped_client, team):
    assert scoped_client(scopes=["insight:read"]).get(code_url(team, "typescript")).status_code == 403


def test_generator_other_project_returns_403(session_client, other_team):
    assert session_client.get(code_url(other_team, "typescript")).status_code == 403


def rejected(team, event="purchase", reason="missing_required"):
    return RejectedEvent.objects.create(
        team=team, uuid=__import__("uuid").uuid4(), event=event, distinct_id="u1",
        timestamp="2026-01-01T00:00:00Z", properties={}, reasons=[{"property": "plan", "reason": reason, "detail": "x"}],
    )


def test_rejected_events_list_filters_by_event_and_reason(scoped_client, team, other_team, django_assert_max_num_queries):
    wanted = rejected(team, reason="wrong_type")
    rejected(team, reason="missing_required")
    rejected(team, event="other", reason="wrong_type")
    rejected(other_team, reason="wrong_type")
    client = scoped_client(scopes=["event_definition:read"])
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/projects/{team.id}/rejected_events/", {"event": "purchase", "reason": "wrong_type"})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": str(wanted.id), "uuid": str(wanted.uuid), "event": "purchase", "distinct_id": "u1",
            "timestamp": "2026-01-01T00:00:00Z", "properties": {},
            "reasons": [{"property": "plan", "reason": "wrong_type", "detail": "x"}], "schema_version": 0,
            "rejected_at": wanted.rejected_at.isoformat().replace("+00:00", "Z"),
        }
    ]


def test_rejected_events_wrong_scope_returns_403(scoped_client, team):
    assert scoped_client(scopes=["insight:read"]).get(f"/api/projects/{team.id}/rejected_events/").status_code == 403


def test_rejected_events_anonymous_returns_401(api_client, team):
    assert api_client.get(f"/api/projects/{team.id}/rejected_events/").status_code == 401

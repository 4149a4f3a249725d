"""Retrieve, PUT/PATCH (with activity rows), DELETE, permissions and project isolation."""

import pytest

from accounts.serializers import UserBasicSerializer
from activity_logs.models import ActivityLog
from event_definitions.models import PropertyDefinition, Tag
from tests.property_definitions.factories import PropertyDefinitionFactory, tag

pytestmark = pytest.mark.django_db

READ, WRITE = "property_definition:read", "property_definition:write"
ROUTES = {
    "list": ("get", "", None),
    "retrieve": ("get", "{id}/", None),
    "update": ("put", "{id}/", {"description": "d"}),
    "partial_update": ("patch", "{id}/", {"description": "d"}),
    "destroy": ("delete", "{id}/", None),
}
READ_ROUTES = ("list", "retrieve")
SUCCESS = {"destroy": 204}


def call(client, pd_url, route: str, definition_id) -> int:
    method, suffix, body = ROUTES[route]
    return getattr(client, method)(pd_url(suffix.format(id=definition_id)), body, format="json").status_code


def activity(definition_id, name: str) -> ActivityLog:
    return ActivityLog.objects.get(scope="PropertyDefinition", item_id=str(definition_id), activity=name)


@pytest.fixture
def definition(team):
    return PropertyDefinitionFactory(team=team, name="plan", property_type="String")


@pytest.mark.parametrize(
    ("route", "scopes", "expected"),
    [(route, [READ], 200) for route in READ_ROUTES]
    + [(route, [READ], 403) for route in ROUTES if route not in READ_ROUTES]
    + [(route, [WRITE], SUCCESS.get(route, 200)) for route in ROUTES]
    + [(route, ["event_definition:write"], 403) for route in ROUTES]
    + [(route, ["*"], SUCCESS.get(route, 200)) for route in ROUTES],
)
def test_route_with_scopes_returns_expected_status(scoped_client, pd_url, definition, route, scopes, expected):
    assert call(scoped_client(scopes=scopes), pd_url, route, definition.id) == expected


@pytest.mark.parametrize("route", list(ROUTES))
def test_route_anonymous_returns_401(api_client, pd_url, definition, route):
    assert call(api_client, pd_url, route, definition.id) == 401


@pytest.mark.parametrize("route", ["retrieve", "update", "partial_update", "destroy"])
def test_route_other_project_definition_returns_404(session_client, pd_url, other_team, route):
    foreign = PropertyDefinitionFactory(team=other_team)

    assert call(session_client, pd_url, route, foreign.id) == 404
    assert PropertyDefinition.objects.filter(pk=foreign.pk, description="").exists()


def test_list_project_of_another_organization_returns_403(session_client, pd_url, other_team):
    assert session_client.get(pd_url(project=other_team)).status_code == 403


def test_retrieve_returns_whole_body_with_seen_null(session_client, frozen, pd_url, definition, user):
    tag(definition, "billing")
    definition.verified, definition.verified_by, definition.verified_at = True, user, definition_time(frozen)
    definition.save()

    response = session_client.get(pd_url(f"{definition.id}/"))

    assert response.json() == {
        "id": str(definition.id), "name": "plan", "description": "", "tags": ["billing"], "is_numerical": False,
        "updated_at": None, "updated_by": None, "is_seen_on_filtered_events": None, "property_type": "String",
        "verified": True, "verified_at": "2020-01-02T00:00:00Z", "verified_by": dict(UserBasicSerializer(user).data),
        "hidden": False,
    }


def definition_time(frozen):
    from django.utils import timezone

    return timezone.now()


def test_retrieve_ignores_list_parameters(session_client, pd_url, definition):
    assert session_client.get(pd_url(f"{definition.id}/?event_names=[bad")).status_code == 200


@pytest.mark.parametrize("raw_id", ["undefined", "1", "%00", "a" * 500])
def test_detail_with_non_uuid_id_returns_404(session_client, pd_url, raw_id):
    assert session_client.get(pd_url(f"{raw_id}/")).status_code == 404


def test_patch_returns_whole_body_and_stamps_user(session_client, frozen, pd_url, definition, user):
    response = session_client.patch(
        pd_url(f"{definition.id}/"),
        {"description": "The plan", "tags": [" Billing ", "billing", "core"], "property_type": "Numeric",
         "verified": True},
        format="json",
    )

    me = dict(UserBasicSerializer(user).data)
    assert response.json() == {
        "id": str(definition.id), "name": "plan", "description": "The plan", "tags": ["billing", "core"],
        "is_numerical": True, "updated_at": "2020-01-02T00:00:00Z", "updated_by": me,
        "is_seen_on_filtered_events": None, "property_type": "Numeric", "verified": True,
        "verified_at": "2020-01-02T00:00:00Z", "verified_by": me, "hidden": False,
    }


def test_patch_writes_one_changed_activity_with_the_changed_fields(session_client, pd_url, definition, user):
    session_client.patch(pd_url(f"{definition.id}/"),
                         {"description": "d", "tags": ["x"], "property_type": "String", "hidden": True}, format="json")

    row = activity(definition.id, "changed")
    assert (row.user_id, row.detail["name"], row.detail["type"]) == (user.id, "plan", "event")
    assert row.detail["changes"] == [
        {"type": "PropertyDefinition", "action": "changed", "field": "description", "before": "", "after": "d"},
        {"type": "PropertyDefinition", "action": "changed", "field": "tags", "before": [], "after": ["x"]},
        {"type": "PropertyDefinition", "action": "changed", "field": "hidden", "before": False, "after": True},
    ]


def test_patch_without_changes_writes_no_activity(session_client, pd_url, definition):
    session_client.patch(pd_url(f"{definition.id}/"), {"property_type": "String"}, format="json")

    assert not ActivityLog.objects.filter(scope="PropertyDefinition").exists()


def test_patch_hidden_unverifies(session_client, pd_url, definition, user):
    session_client.patch(pd_url(f"{definition.id}/"), {"verified": True}, format="json")

    body = session_client.patch(pd_url(f"{definition.id}/"), {"hidden": True}, format="json").json()

    assert (body["hidden"], body["verified"], body["verified_at"], body["verified_by"]) == (True, False, None, None)


def test_patch_reverify_keeps_first_verified_at(session_client, pd_url, definition, frozen):
    first = session_client.patch(pd_url(f"{definition.id}/"), {"verified": True}, format="json").json()
    frozen.shift(3600)

    again = session_client.patch(pd_url(f"{definition.id}/"), {"verified": True}, format="json").json()

    assert again["verified_at"] == first["verified_at"]


def test_patch_hidden_and_verified_together_returns_400(session_client, pd_url, definition):
    response = session_client.patch(pd_url(f"{definition.id}/"), {"hidden": True, "verified": True}, format="json")

    assert (response.status_code, response.json()["type"]) == (400, "validation_error")


def test_patch_name_is_ignored(session_client, pd_url, definition):
    assert session_client.patch(pd_url(f"{definition.id}/"), {"name": "other"}, format="json").json()["name"] == "plan"


@pytest.mark.parametrize(
    ("body", "attr"),
    [({"property_type": "Text"}, "property_type"), ({"description": "a\x00b"}, "description"),
     ({"tags": "pii"}, "tags"), ({"tags": [["x"]]}, "tags__0"), ({"tags": ["x" * 256]}, "tags__0"),
     ({"verified": "maybe"}, "verified"), ({"hidden": {"a": 1}}, "hidden")],
)
def test_patch_bad_body_returns_400_with_attr(session_client, pd_url, definition, body, attr):
    response = session_client.patch(pd_url(f"{definition.id}/"), body, format="json")

    assert (response.status_code, response.json()["type"], response.json()["attr"]) == (400, "validation_error", attr)


def test_delete_returns_204_removes_row_unused_tags_and_logs(session_client, pd_url, definition, user):
    tag(definition, "gone")

    response = session_client.delete(pd_url(f"{definition.id}/"))

    assert response.status_code == 204
    assert not PropertyDefinition.objects.filter(pk=definition.pk).exists()
    assert not Tag.objects.filter(name="gone").exists()
    row = activity(definition.id, "deleted")
    assert (row.user_id, row.detail["name"], row.detail["type"]) == (user.id, "plan", "event")

"""Retrieve, create, update, delete and the actions: reference cases 26–43."""

from datetime import timedelta

import pytest

from accounts.serializers import UserBasicSerializer
from activity_logs.models import ActivityLog
from event_definitions.models import EventDefinition, Tag
from event_definitions.services import query_log_record
from tests.event_definitions.factories import EventDefinitionFactory, QueryLogFactory, tag
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_basic(user) -> dict:
    """The canonical UserBasic; the event definition serializer builds it by hand for speed."""
    return dict(UserBasicSerializer(user).data)


def activity(definition_id, activity_name: str) -> ActivityLog:
    return ActivityLog.objects.get(scope="EventDefinition", item_id=str(definition_id), activity=activity_name)


def test_retrieve_non_uuid_id_returns_404(session_client, reference, ed_url):
    response = session_client.get(ed_url("undefined/"))

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_retrieve_enterprise_definition_returns_whole_body(session_client, frozen, team, user, ed_url):
    definition = EventDefinitionFactory(team=team, name="tracked", owner=user, last_seen_at=None)
    tag(definition, "deprecated")

    response = session_client.get(ed_url(f"{definition.id}/"))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(definition.id), "name": "tracked", "owner": user_basic(user), "description": "",
        "tags": ["deprecated"], "created_at": "2020-01-02T00:00:00Z", "updated_at": "2020-01-02T00:00:00Z",
        "updated_by": None, "last_seen_at": None, "verified": False, "verified_at": None, "verified_by": None,
        "hidden": False, "enforcement_mode": "allow", "is_action": False, "post_to_slack": False,
        "default_columns": [], "primary_property": None, "media_preview_urls": [],
    }


def test_retrieve_other_project_definition_returns_404(session_client, other_team, ed_url):
    definition = EventDefinitionFactory(team=other_team)

    assert session_client.get(ed_url(f"{definition.id}/")).status_code == 404


def test_create_returns_201_with_whole_body(session_client, frozen, user, ed_url):
    response = session_client.post(ed_url(), {"name": "my_custom_event"})

    body = response.json()
    assert response.status_code == 201
    assert body == {
        "id": body["id"], "name": "my_custom_event", "owner": None, "description": "", "tags": [],
        "created_at": "2020-01-02T00:00:00Z", "updated_at": "2020-01-02T00:00:00Z", "updated_by": user_basic(user),
        "last_seen_at": None, "verified": False, "verified_at": None, "verified_by": None, "hidden": False,
        "enforcement_mode": "allow", "is_action": False, "post_to_slack": False, "default_columns": [],
        "primary_property": None, "media_preview_urls": [],
    }


def test_create_writes_created_activity(session_client, ed_url):
    definition_id = session_client.post(ed_url(), {"name": "my_custom_event"}).json()["id"]

    row = activity(definition_id, "created")
    assert row.detail["name"] == "my_custom_event"
    assert row.detail["changes"] == [
        {"type": "EventDefinition", "action": "created", "field": "name", "before": None, "after": "my_custom_event"}
    ]


def test_create_duplicate_name_returns_400_on_name(session_client, reference, ed_url):
    response = session_client.post(ed_url(), {"name": "installed_app"})

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error", "code": "unique", "attr": "name",
        "detail": "Event definition with name 'installed_app' already exists",
    }


def test_create_without_name_returns_required(session_client, ed_url):
    response = session_client.post(ed_url(), {})

    assert (response.status_code, response.json()["code"], response.json()["attr"]) == (400, "required", "name")


def test_create_hidden_and_verified_returns_400(session_client, ed_url):
    response = session_client.post(ed_url(), {"name": "x", "verified": True, "hidden": True})

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error", "code": "invalid_input", "attr": None,
        "detail": "An event cannot be both hidden and verified",
    }


def test_create_verified_stamps_verifier_and_unhides(session_client, user, ed_url):
    body = session_client.post(ed_url(), {"name": "v", "verified": True}).json()

    assert (body["verified"], body["verified_by"]["id"], body["hidden"]) == (True, user.id, False)
    assert body["verified_at"] is not None


def test_create_hidden_is_not_verified(session_client, ed_url):
    body = session_client.post(ed_url(), {"name": "h", "hidden": True}).json()

    assert (body["hidden"], body["verified"]) == (True, False)


def test_create_with_description_owner_and_tags(session_client, user, ed_url):
    body = session_client.post(ed_url(), {"name": "c", "description": "d", "owner": user.id, "tags": ["B", "a"]}).json()

    assert (body["description"], body["owner"]["id"], body["tags"]) == ("d", user.id, ["a", "b"])
    assert body["created_at"] is not None


def test_create_owner_not_member_returns_400_on_owner(session_client, ed_url):
    outsider = UserFactory()

    response = session_client.post(ed_url(), {"name": "c", "owner": outsider.id})

    assert (response.status_code, response.json()["attr"]) == (400, "owner")


def test_update_description_and_tags_records_two_changes(session_client, team, user, ed_url):
    definition = EventDefinitionFactory(team=team)

    body = session_client.patch(
        ed_url(f"{definition.id}/"), {"description": "This is a description.", "tags": ["official", "internal"]}
    ).json()

    assert (body["description"], body["updated_by"]["first_name"]) == ("This is a description.", user.first_name)
    assert set(body["tags"]) == {"official", "internal"}
    assert activity(definition.id, "changed").detail["changes"] == [
        {"type": "EventDefinition", "action": "changed", "field": "description", "before": "",
         "after": "This is a description."},
        {"type": "EventDefinition", "action": "changed", "field": "tags", "before": [],
         "after": ["official", "internal"]},
    ]


def test_update_verified_twice_keeps_first_verified_at(session_client, frozen, team, ed_url):
    definition = EventDefinitionFactory(team=team)
    first = session_client.patch(ed_url(f"{definition.id}/"), {"verified": True}).json()
    frozen.shift(timedelta(minutes=1))

    second = session_client.patch(ed_url(f"{definition.id}/"), {"verified": True}).json()

    assert first["verified_at"] == second["verified_at"] == "2020-01-02T00:00:00Z"
    assert second["updated_at"] == "2020-01-02T00:01:00Z"


def test_update_unverify_clears_verifier(session_client, team, user, ed_url):
    definition = EventDefinitionFactory(team=team, verified=True, verified_by=user)

    body = session_client.patch(ed_url(f"{definition.id}/"), {"verified": False}).json()

    assert (body["verified"], body["verified_by"], body["verified_at"]) == (False, None, None)


def test_update_read_only_verifier_fields_are_ignored(session_client, team, user, ed_url):
    definition = EventDefinitionFactory(team=team)

    response = session_client.patch(
        ed_url(f"{definition.id}/"), {"verified_by": user.id, "verified_at": "2020-01-02T00:00:00Z"}
    )

    body = response.json()
    assert (response.status_code, body["verified"], body["verified_by"], body["verified_at"]) == (200, False, None, None)


@pytest.mark.parametrize(("tags", "expected"), [(["a", "b", "a"], ["a", "b"]), ([" A "], ["a"])])
def test_update_tags_are_normalised(session_client, team, ed_url, tags, expected):
    definition = EventDefinitionFactory(team=team)

    assert sorted(session_client.patch(ed_url(f"{definition.id}/"), {"tags": tags}).json()["tags"]) == expected


def test_update_tags_replace_the_set_and_drop_unused_tags(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team)
    tag(definition, "old")

    body = session_client.patch(ed_url(f"{definition.id}/"), {"tags": ["new"]}).json()

    assert body["tags"] == ["new"]
    assert list(Tag.objects.filter(team=team).values_list("name", flat=True)) == ["new"]


def test_update_hidden_on_verified_definition_unverifies(session_client, team, user, ed_url):
    definition = EventDefinitionFactory(team=team, verified=True, verified_by=user)

    body = session_client.patch(ed_url(f"{definition.id}/"), {"hidden": True}).json()

    assert (body["hidden"], body["verified"], body["verified_by"]) == (True, False, None)


@pytest.mark.parametrize("value", ["checkout_id", None])
def test_update_primary_property_is_written(session_client, team, ed_url, value):
    definition = EventDefinitionFactory(team=team, primary_property="before")

    body = session_client.patch(ed_url(f"{definition.id}/"), {"primary_property": value}, format="json").json()

    assert body["primary_property"] == value


def test_update_name_is_ignored(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team, name="original")

    response = session_client.patch(ed_url(f"{definition.id}/"), {"name": "renamed"})

    assert (response.status_code, response.json()["name"]) == (200, "original")


def test_update_put_without_name_is_accepted(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team, name="original")

    response = session_client.put(ed_url(f"{definition.id}/"), {"description": "full"})

    assert (response.status_code, response.json()["description"]) == (200, "full")


def test_update_without_change_writes_no_activity(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team, description="same")

    session_client.patch(ed_url(f"{definition.id}/"), {"description": "same"})

    assert not ActivityLog.objects.filter(item_id=str(definition.id)).exists()


def test_update_owner_to_another_member_is_written(session_client, organization, team, ed_url):
    colleague = UserFactory()
    MembershipFactory(organization=organization, user=colleague)
    definition = EventDefinitionFactory(team=team)

    body = session_client.patch(ed_url(f"{definition.id}/"), {"owner": colleague.id}).json()

    assert body["owner"] == user_basic(colleague)


def test_delete_removes_row_and_logs_previous_values(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team, name="to_delete")
    tag(definition, "pii")

    response = session_client.delete(ed_url(f"{definition.id}/"))

    assert (response.status_code, response.content) == (204, b"")
    assert not EventDefinition.objects.filter(id=definition.id).exists()
    row = activity(definition.id, "deleted")
    changes = {change["field"]: change for change in row.detail["changes"]}
    assert row.detail["name"] == "to_delete"
    assert changes["name"] == {"type": "EventDefinition", "action": "deleted", "field": "name",
                               "before": "to_delete", "after": None}
    assert changes["tags"]["before"] == ["pii"]


def test_delete_other_project_definition_returns_404(session_client, other_team, ed_url):
    definition = EventDefinitionFactory(team=other_team)

    assert session_client.delete(ed_url(f"{definition.id}/")).status_code == 404
    assert EventDefinition.objects.filter(id=definition.id).exists()


def test_activity_log_lists_definition_history_newest_first(session_client, team, ed_url):
    definition_id = session_client.post(ed_url(), {"name": "tracked"}).json()["id"]
    session_client.patch(ed_url(f"{definition_id}/"), {"description": "new"})

    response = session_client.get(f"/api/projects/{team.id}/activity_log/?scope=EventDefinition&item_id={definition_id}")

    assert [row["activity"] for row in response.json()["results"]] == ["changed", "created"]


def test_by_name_returns_definition(session_client, reference, ed_url):
    response = session_client.get(ed_url("by_name/?name=installed_app"))

    assert (response.status_code, response.json()["id"]) == (200, str(reference["installed_app"].id))


def test_by_name_unknown_returns_plain_404(session_client, reference, ed_url):
    response = session_client.get(ed_url("by_name/?name=nonexistent"))

    assert (response.status_code, response.json()) == (404, {"detail": "Event definition with name 'nonexistent' not found"})


def test_by_name_without_name_returns_plain_400(session_client, reference, ed_url):
    response = session_client.get(ed_url("by_name/"))

    assert (response.status_code, response.json()) == (400, {"detail": "Query parameter 'name' is required"})


def test_by_name_is_case_sensitive(session_client, reference, ed_url):
    assert session_client.get(ed_url("by_name/?name=INSTALLED_APP")).status_code == 404


def test_primary_properties_lists_only_non_empty_values(session_client, team, ed_url):
    EventDefinitionFactory(team=team, name="order_placed", primary_property="order_id")
    EventDefinitionFactory(team=team, name="event_without_primary")
    EventDefinitionFactory(team=team, name="blank_primary", primary_property="")

    response = session_client.get(
        ed_url("primary_properties/?names=order_placed&names=event_without_primary&names=blank_primary&names=missing")
    )

    assert response.json() == {"primary_properties": {"order_placed": "order_id"}}


def test_primary_properties_without_names_lists_every_one(session_client, team, other_team, ed_url):
    EventDefinitionFactory(team=team, name="a", primary_property="x")
    EventDefinitionFactory(team=other_team, name="b", primary_property="y")

    assert session_client.get(ed_url("primary_properties/")).json() == {"primary_properties": {"a": "x"}}


def test_bulk_update_tags_add_tags_each_definition(session_client, team, ed_url):
    first, second = EventDefinitionFactory.create_batch(2, team=team)
    tag(first, "pii")

    body = session_client.post(
        ed_url("bulk_update_tags/"), {"ids": [str(first.id), str(second.id)], "action": "add", "tags": ["pii", "billing"]}
    ).json()

    assert body["skipped"] == []
    assert sorted(body["updated"], key=lambda row: row["id"]) == sorted(
        [{"id": str(first.id), "tags": ["billing", "pii"]}, {"id": str(second.id), "tags": ["billing", "pii"]}],
        key=lambda row: row["id"],
    )


def test_bulk_update_tags_other_project_id_is_skipped(session_client, other_team, ed_url):
    foreign = EventDefinitionFactory(team=other_team)

    body = session_client.post(ed_url("bulk_update_tags/"), {"ids": [str(foreign.id)], "action": "add", "tags": ["x"]}).json()

    assert body == {"updated": [], "skipped": [{"id": str(foreign.id), "reason": "Not found"}]}
    assert not foreign.tagged_items.exists()


def test_bulk_update_tags_noop_logs_nothing(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team)
    tag(definition, "pii")

    session_client.post(ed_url("bulk_update_tags/"), {"ids": [str(definition.id)], "action": "add", "tags": ["pii"]})

    assert not ActivityLog.objects.filter(item_id=str(definition.id)).exists()


def test_bulk_update_tags_remove_and_set(session_client, team, ed_url):
    removed, replaced = EventDefinitionFactory.create_batch(2, team=team)
    tag(removed, "a", "b")
    tag(replaced, "a")

    session_client.post(ed_url("bulk_update_tags/"), {"ids": [str(removed.id)], "action": "remove", "tags": ["a"]})
    session_client.post(ed_url("bulk_update_tags/"), {"ids": [str(replaced.id)], "action": "set", "tags": ["z"]})

    assert session_client.get(ed_url(f"{removed.id}/")).json()["tags"] == ["b"]
    assert session_client.get(ed_url(f"{replaced.id}/")).json()["tags"] == ["z"]


def test_bulk_update_verified_applies_patch_rules_and_skips_unchanged(session_client, team, user, ed_url):
    hidden = EventDefinitionFactory(team=team, hidden=True)
    already = EventDefinitionFactory(team=team, verified=True)

    body = session_client.post(
        ed_url("bulk_update_verified/"), {"ids": [str(hidden.id), str(already.id)], "verified": True}
    ).json()

    hidden.refresh_from_db()
    assert body == {"updated": [{"id": str(hidden.id), "verified": True}],
                    "skipped": [{"id": str(already.id), "reason": "Already verified"}]}
    assert (hidden.verified, hidden.hidden, hidden.verified_by_id) == (True, False, user.id)


def test_metrics_counts_query_runs_of_the_last_30_days(session_client, frozen, team, other_team, ed_url):
    definition = EventDefinitionFactory(team=team, name="purchase")
    query_log_record(team=team, event_names=["purchase", "$pageview"], source="insight")
    query_log_record(team=team, event_names=["purchase"], source="export")
    query_log_record(team=team, event_names=["$pageview"], source="query")
    query_log_record(team=other_team, event_names=["purchase"], source="query")
    old = QueryLogFactory(team=team, event_names=["purchase"])
    old.created_at = old.created_at - timedelta(days=31)
    old.save()

    response = session_client.get(ed_url(f"{definition.id}/metrics/"))

    assert (response.status_code, response.json()) == (200, {"query_usage_30_day": 2})


def test_metrics_without_query_runs_is_zero(session_client, team, ed_url):
    definition = EventDefinitionFactory(team=team)

    assert session_client.get(ed_url(f"{definition.id}/metrics/")).json() == {"query_usage_30_day": 0}


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("get", "{id}/", None),
        ("get", "by_name/?name=tracked", None),
        ("patch", "{id}/", {"description": "patched"}),
        ("put", "{id}/", {"description": "put"}),
        ("post", "", {"name": "created"}),
    ],
    ids=["list", "retrieve", "by_name", "partial_update", "update", "create"],
)
def test_every_representation_carries_empty_media_preview_urls(session_client, team, ed_url, method, suffix, body):
    definition = EventDefinitionFactory(team=team, name="tracked")

    response = getattr(session_client, method)(ed_url(suffix.format(id=definition.id)), body, format="json")

    assert response.status_code in (200, 201)
    payload = response.json()
    rows = payload["results"] if "results" in payload else [payload]
    assert [row["media_preview_urls"] for row in rows] == [[]]

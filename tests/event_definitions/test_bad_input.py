"""User input never causes a 500: malformed ids, parameters and bodies get 404 or 400 with `attr`."""

import random
import string

import pytest

from tests.event_definitions.factories import EventDefinitionFactory, names_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw_id", ["undefined", "1", "00000000-0000-0000-0000-00000000000g", "%00", "a" * 500])
@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_detail_with_non_uuid_id_returns_404(session_client, ed_url, raw_id, method):
    response = getattr(session_client, method)(ed_url(f"{raw_id}/"), {}, format="json")

    assert response.status_code == 404


def test_metrics_with_non_uuid_id_returns_404(session_client, ed_url):
    assert session_client.get(ed_url("undefined/metrics/")).status_code == 404


@pytest.mark.parametrize(
    ("query", "attr"),
    [("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset"), ("event_type=bogus", "event_type"),
     ("excluded_properties=[not json", "excluded_properties"), ("excluded_properties={\"a\":1}", "excluded_properties")],
)
def test_list_bad_parameter_returns_400_with_attr(session_client, ed_url, query, attr):
    response = session_client.get(ed_url(f"?{query}"))

    assert (response.status_code, response.json()["type"], response.json()["attr"]) == (400, "validation_error", attr)


@pytest.mark.parametrize("query", ["search=inst%00alled", "names=installed%00_app", 'tags=["a%00b"]',
                                   'excluded_properties=["x%00"]', "ordering=na%00me", "event_type=event%00"])
def test_list_nul_bytes_in_parameters_are_dropped(session_client, team, ed_url, query):
    EventDefinitionFactory(team=team, name="installed_app")

    assert session_client.get(ed_url(f"?{query}")).status_code == 200


def test_list_search_nul_byte_is_removed_before_matching(session_client, team, ed_url):
    EventDefinitionFactory(team=team, name="installed_app")

    assert names_of(session_client.get(ed_url("?search=inst%00alled"))) == ["installed_app"]


def test_list_ten_thousand_character_search_returns_200(session_client, team, ed_url):
    EventDefinitionFactory(team=team, name="installed_app")
    words = " ".join("".join(random.choices(string.ascii_lowercase, k=9)) for _ in range(1000))

    response = session_client.get(ed_url(), {"search": words[:10_000]})

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_list_ten_thousand_character_single_term_returns_200(session_client, team, ed_url):
    response = session_client.get(ed_url(), {"search": "x" * 10_000})

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_by_name_with_nul_byte_returns_404(session_client, ed_url):
    assert session_client.get(ed_url("by_name/?name=a%00b")).status_code == 404


@pytest.mark.parametrize(
    ("body", "attr"),
    [({"name": "x" * 401}, "name"), ({"name": "a\x00b"}, "name"), ({"name": ""}, "name"), ({"name": None}, "name"),
     ({"name": "e", "owner": "abc"}, "owner"), ({"name": "e", "owner": True}, "owner"),
     ({"name": "e", "owner": 10**30}, "owner"), ({"name": "e", "owner": -1}, "owner"),
     ({"name": "e", "owner": {"id": 1}}, "owner"), ({"name": "e", "tags": "pii"}, "tags"),
     ({"name": "e", "tags": [{"a": 1}]}, "tags__0"), ({"name": "e", "tags": [["x"]]}, "tags__0"),
     ({"name": "e", "tags": ["x" * 256]}, "tags__0"), ({"name": "e", "default_columns": "col"}, "default_columns"),
     ({"name": "e", "enforcement_mode": "block"}, "enforcement_mode"), ({"name": "e", "primary_property": ""}, "primary_property"),
     ({"name": "e", "verified": "maybe"}, "verified"), ({"name": "e", "description": "a\x00b"}, "description")],
)
def test_create_bad_body_returns_400_with_attr(session_client, ed_url, body, attr):
    response = session_client.post(ed_url(), body, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, attr)


def test_create_malformed_json_returns_400(session_client, ed_url):
    response = session_client.post(ed_url(), "{not json", content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_update_owner_not_member_returns_400(session_client, team, other_team, ed_url):
    from tests.factories import UserFactory

    definition = EventDefinitionFactory(team=team)

    response = session_client.patch(ed_url(f"{definition.id}/"), {"owner": UserFactory().id}, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, "owner")


@pytest.mark.parametrize(
    ("suffix", "body", "attr"),
    [("bulk_update_tags/", {"ids": ["nope"], "action": "add", "tags": ["a"]}, "ids__0"),
     ("bulk_update_tags/", {"ids": [], "action": "add", "tags": ["a"]}, "ids"),
     ("bulk_update_tags/", {"ids": ["00000000-0000-0000-0000-000000000000"], "action": "zap", "tags": []}, "action"),
     ("bulk_update_tags/", {"ids": ["00000000-0000-0000-0000-000000000000"] * 501, "action": "add", "tags": []}, "ids"),
     ("bulk_update_verified/", {"ids": ["00000000-0000-0000-0000-000000000000"]}, "verified"),
     ("bulk_update_verified/", {"ids": "x", "verified": True}, "ids")],
)
def test_bulk_action_bad_body_returns_400(session_client, ed_url, suffix, body, attr):
    response = session_client.post(ed_url(suffix), body, format="json")

    assert (response.status_code, response.json()["attr"]) == (400, attr)

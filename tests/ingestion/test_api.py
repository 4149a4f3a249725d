"""Capture endpoints over HTTP: every body format and token location, each bad input, dedupe,
isolation between projects, and a per-batch query count independent of the batch size."""

import base64
import gzip
import json
import uuid

import lzstring
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from event_definitions.models import EventDefinition, PropertyDefinition
from ingestion.models import Event
from tests.ingestion.factories import CaptureEventFactory

pytestmark = pytest.mark.django_db

CAPTURE_PATHS = ["/batch/", "/batch", "/e/", "/e", "/capture/", "/capture", "/track/", "/track", "/i/v0/e/", "/i/v0/e"]


def post(client, path, body, content_type="application/json", **headers):
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    return client.generic("POST", path, body, content_type=content_type, headers=headers)


def stored(team):
    return sorted(Event.objects.filter(team=team).values_list("event", "distinct_id"))


def gz(payload):
    return gzip.compress(json.dumps(payload).encode())


def b64(payload):
    return base64.b64encode(json.dumps(payload).encode()).decode()


def batch(team, *events):
    return {"api_key": team.api_token, "batch": list(events) or [CaptureEventFactory(event="e", distinct_id="d")]}


@pytest.mark.parametrize("path", CAPTURE_PATHS)
def test_capture_path_with_batch_returns_status_1_and_stores_event(client, team, path):
    response = post(client, path, batch(team))

    assert response.status_code == 200
    assert response.json() == {"status": 1}
    assert stored(team) == [("e", "d")]


def test_capture_single_event_object_stores_it(client, team):
    response = post(client, "/capture/", {**CaptureEventFactory(event="one", distinct_id="d"), "api_key": team.api_token})

    assert response.status_code == 200
    assert stored(team) == [("one", "d")]


def test_capture_list_of_events_stores_them_all(client, team):
    events = [CaptureEventFactory(event=f"n{i}", distinct_id="d", properties={"token": team.api_token}) for i in range(3)]

    response = post(client, "/e/", events)

    assert response.status_code == 200
    assert stored(team) == [("n0", "d"), ("n1", "d"), ("n2", "d")]


@pytest.mark.parametrize(
    ("query", "headers"),
    [("", {"HTTP_CONTENT_ENCODING": "gzip"}), ("?compression=gzip-js", {}), ("?compression=gzip", {}), ("", {})],
    ids=["content-encoding", "gzip-js-param", "gzip-param", "sniffed-magic"],
)
def test_capture_gzip_body_is_decompressed(client, team, query, headers):
    response = client.generic("POST", f"/batch/{query}", gz(batch(team)), content_type="text/plain", **headers)

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


def test_capture_base64_body_is_decoded(client, team):
    response = post(client, "/e/", b64(batch(team)), content_type="text/plain")

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


@pytest.mark.parametrize("compression", ["", "base64"])
def test_capture_form_data_base64_is_decoded(client, team, compression):
    body = f"data={b64(batch(team))}" + (f"&compression={compression}" if compression else "")

    response = post(client, "/e/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


@pytest.mark.parametrize("where", ["query", "form"])
def test_capture_form_data_lz64_is_decoded(client, team, where):
    from urllib.parse import quote

    data = quote(lzstring.LZString().compressToBase64(json.dumps(batch(team))))
    path, body = ("/e/?compression=lz64", f"data={data}") if where == "query" else ("/e/", f"data={data}&compression=lz64")

    response = post(client, path, body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


def test_capture_get_with_data_param_stores_event(client, team):
    response = client.get("/e/", {"data": b64(batch(team))})

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


def test_capture_distinct_id_in_properties_is_used(client, team):
    event = {"event": "e", "properties": {"distinct_id": "from-props"}}

    response = post(client, "/e/", batch(team, event))

    assert response.status_code == 200
    assert stored(team) == [("e", "from-props")]


@pytest.mark.parametrize(
    "placement",
    ["api_key", "token", "$token", "properties.token", "event.api_key", "query.api_key", "query.token"],
)
def test_capture_token_location_is_accepted(client, team, placement):
    event = CaptureEventFactory(event="e", distinct_id="d")
    payload, path = {"batch": [event]}, "/batch/"
    if placement == "properties.token":
        event["properties"]["token"] = team.api_token
    elif placement == "event.api_key":
        event["api_key"] = team.api_token
    elif placement.startswith("query."):
        path = f"/batch/?{placement.removeprefix('query.')}={team.api_token}"
    else:
        payload[placement] = team.api_token

    response = post(client, path, payload)

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


def test_capture_without_token_returns_401(client, team):
    response = post(client, "/batch/", {"batch": [CaptureEventFactory()]})

    assert response.status_code == 401
    assert response.json() == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "API key not provided. You can find your project API key in your PostHog project settings.",
        "attr": None,
    }


@pytest.mark.parametrize("token", ["phc_unknown", "phx_personal_key_is_not_a_project_token"])
def test_capture_unknown_token_returns_401_and_stores_nothing(client, team, token):
    response = post(client, "/batch/", {"api_key": token, "batch": [CaptureEventFactory(event="ghost")]})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert Event.objects.count() == 0
    assert not EventDefinition.objects.filter(name="ghost").exists()
    assert PropertyDefinition.objects.count() == 0


def test_capture_mixed_tokens_returns_400_and_stores_nothing(client, team, other_team):
    intruder = CaptureEventFactory(properties={"token": other_team.api_token})

    response = post(client, "/batch/", batch(team, CaptureEventFactory(), intruder))

    assert response.status_code == 400
    assert response.json()["attr"] == "batch__1__token"
    assert Event.objects.count() == 0


def test_capture_empty_batch_returns_400(client, team):
    response = post(client, "/batch/", {"api_key": team.api_token, "batch": []})

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error", "code": "empty_batch", "detail": "The batch contains no events.", "attr": "batch",
    }


@pytest.mark.parametrize(
    ("bad_event", "attr", "code"),
    [
        ({"distinct_id": "d"}, "batch__1__event", "required"),
        ({"event": "", "distinct_id": "d"}, "batch__1__event", "required"),
        ({"event": "e"}, "batch__1__distinct_id", "required"),
        ({"event": "e", "distinct_id": ""}, "batch__1__distinct_id", "required"),
        ({"event": "e", "distinct_id": "d", "properties": [1]}, "batch__1__properties", "invalid_input"),
        ({"event": "e", "distinct_id": "d", "uuid": "not-a-uuid"}, "batch__1__uuid", "invalid_input"),
        ({"event": "x" * 401, "distinct_id": "d"}, "batch__1__event", "invalid_input"),
        ("not an object", "batch__1__event", "invalid_input"),
    ],
    ids=["no-name", "empty-name", "no-distinct-id", "empty-distinct-id", "properties-list", "bad-uuid", "long-name", "string"],
)
def test_capture_invalid_event_returns_400_naming_index_and_stores_nothing(client, team, bad_event, attr, code):
    response = post(client, "/batch/", batch(team, CaptureEventFactory(), bad_event))

    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["code"], body["attr"]) == ("validation_error", code, attr)
    assert body["detail"].startswith("Event 1: ")
    assert Event.objects.count() == 0
    assert EventDefinition.objects.count() == 0


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def test_capture_properties_nested_deeper_than_64_returns_400(client, team):
    event = CaptureEventFactory(properties=nested(65))

    response = post(client, "/batch/", batch(team, event))

    assert response.status_code == 400
    assert response.json()["attr"] == "batch__0__properties"


def test_capture_properties_nested_64_deep_are_stored(client, team):
    response = post(client, "/batch/", batch(team, CaptureEventFactory(properties=nested(64))))

    assert response.status_code == 200
    assert Event.objects.get(team=team).properties == nested(64)


@pytest.mark.parametrize(
    ("body", "content_type", "query"),
    [
        (b'{"api_key": "x", "batch": [', "application/json", ""),
        (b"!!!not base64 nor json!!!", "text/plain", ""),
        (b"\x1f\x8b\x08\x00corrupt", "text/plain", ""),
        (gzip.compress(b'{"batch": []}')[:-6], "text/plain", ""),
        (b"data=%%%%", "application/x-www-form-urlencoded", "?compression=lz64"),
        (b"", "application/json", ""),
        (b"\xff\xfe{}", "application/json", ""),
    ],
    ids=["invalid-json", "bad-base64", "corrupt-gzip", "truncated-gzip", "bad-lz64", "empty-body", "not-utf8"],
)
def test_capture_undecodable_body_returns_400(client, team, body, content_type, query):
    response = client.generic("POST", f"/batch/{query}", body, content_type=content_type)

    assert response.status_code == 400
    assert (response.json()["type"], response.json()["code"]) == ("invalid_request", "invalid_payload")
    assert Event.objects.count() == 0


def test_capture_body_over_20_mb_returns_413(client, team):
    response = client.generic("POST", "/batch/", b" " * (20 * 1024 * 1024 + 1), content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_capture_gzip_bomb_returns_413(client, team):
    bomb = gzip.compress(b"[" + b" " * (101 * 1024 * 1024) + b"]", compresslevel=9)

    response = client.generic("POST", "/batch/", bomb, content_type="text/plain")

    assert len(bomb) < 1024 * 1024
    assert response.status_code == 413
    assert response.json() == {
        "type": "invalid_request",
        "code": "payload_too_large",
        "detail": "Decompressed request body is larger than 104857600 bytes.",
        "attr": None,
    }


def test_capture_same_batch_twice_stores_each_event_once(client, team):
    payload = batch(team, CaptureEventFactory(), CaptureEventFactory())

    first, second = post(client, "/batch/", payload), post(client, "/batch/", payload)

    assert (first.status_code, second.status_code) == (200, 200)
    assert Event.objects.filter(team=team).count() == 2


def test_capture_same_uuid_in_two_projects_stores_both(client, team, other_team):
    event = CaptureEventFactory()

    post(client, "/batch/", batch(team, event))
    post(client, "/batch/", batch(other_team, event))

    assert Event.objects.filter(uuid=event["uuid"]).count() == 2


def test_capture_other_project_token_never_reaches_this_project(client, team, other_team):
    post(client, "/batch/", batch(other_team, CaptureEventFactory(event="theirs", properties={"secret": 1})))

    assert not Event.objects.filter(team=team).exists()
    assert not EventDefinition.objects.filter(team=team).exists()
    assert not PropertyDefinition.objects.filter(team=team).exists()
    assert EventDefinition.objects.filter(team=other_team, name="theirs").exists()


def test_capture_creates_definitions_with_inferred_types(client, team):
    properties = {"n": 1.5, "b": True, "when": "2026-01-02T03:04:05Z", "s": "hello", "obj": {"a": 1}, "$set": {"x": 1}}

    post(client, "/batch/", batch(team, CaptureEventFactory(event="typed", properties=properties)))

    assert list(EventDefinition.objects.filter(team=team).values_list("name", flat=True)) == ["typed"]
    assert sorted(PropertyDefinition.objects.filter(team=team).values_list("name", "property_type", "is_numerical", "type")) == [
        ("b", "Boolean", False, 1),
        ("n", "Numeric", True, 1),
        ("obj", None, False, 1),
        ("s", "String", False, 1),
        ("when", "DateTime", False, 1),
        ("x", "Numeric", True, 2),  # a person property, from `$set`
    ]


def capture_query_count(client, team, size):
    events = [CaptureEventFactory(event=f"name {i % 7}", properties={f"p{i % 11}": i}) for i in range(size)]
    with CaptureQueriesContext(connection) as queries:
        assert post(client, "/batch/", batch(team, *events)).status_code == 200
    return len(queries)


def test_capture_query_count_is_independent_of_batch_size(client, team):
    small, large = capture_query_count(client, team, 1), capture_query_count(client, team, 500)

    assert small == large
    # token, schema-enforcement rules, events, definitions insert + last_seen, properties,
    # event → property pairs, savepoint pair
    assert large <= 9


def test_capture_options_preflight_allows_any_origin(client):
    response = client.options("/e/", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"


def test_capture_with_session_cookie_and_no_csrf_token_is_accepted(team, user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = post(client, "/batch/", batch(team))

    assert response.status_code == 200
    assert stored(team) == [("e", "d")]


def test_capture_nul_characters_become_replacement_character(client, team):
    event = {"event": "a\x00b", "distinct_id": "d\x00", "properties": {"k\x00": "v\x00", "deep": ["\x00"]}}

    response = post(client, "/batch/", batch(team, event))

    assert response.status_code == 200
    row = Event.objects.get(team=team)
    assert (row.event, row.distinct_id, row.properties) == ("a\ufffdb", "d\ufffd", {"k\ufffd": "v\ufffd", "deep": ["\ufffd"]})
    assert EventDefinition.objects.filter(team=team, name="a\ufffdb").exists()


def test_capture_event_uuid_is_kept(client, team):
    event = CaptureEventFactory()

    post(client, "/batch/", batch(team, event))

    assert Event.objects.get(team=team).uuid == uuid.UUID(event["uuid"])


def test_capture_get_without_data_returns_400(client, team):
    response = client.get("/e/", {"api_key": team.api_token})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_payload"


def test_capture_put_returns_405_in_the_error_shape(client, team):
    response = client.put("/batch/", "{}", content_type="application/json")

    assert response.status_code == 405
    assert response.json() == {
        "type": "invalid_request", "code": "method_not_allowed", "detail": 'Method "PUT" not allowed.', "attr": None,
    }

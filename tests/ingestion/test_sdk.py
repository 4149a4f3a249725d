"""Real clients against a live server: the official Python SDK, and byte-exact replays of the
posthog-js and posthog-node requests recorded in the fragment's `x-capture-endpoints-observed`."""

import gzip
import http.client
import json
from urllib.parse import urlsplit

import pytest
from posthog import Posthog

from event_definitions.models import EventDefinition, PropertyDefinition
from ingestion.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


class SDKErrors(list):
    """Failures the SDK reported: through `on_error` (batched mode) or its error log (sync_mode)."""

    def __init__(self, caplog):
        super().__init__()
        self.caplog = caplog

    def all(self):
        logged = [record.getMessage() for record in self.caplog.records if record.name == "posthog" and record.levelname == "ERROR"]
        return [str(error) for error in self] + logged


@pytest.fixture
def sdk_errors(caplog):
    return SDKErrors(caplog)


@pytest.fixture
def sdk(live_server, team, sdk_errors):
    """`sdk(**options)`: a posthog-python client pointed at the live server that records failures."""
    clients = []

    def make(**options):
        client = Posthog(
            team.api_token, host=live_server.url, max_retries=0, on_error=lambda error, _: sdk_errors.append(error),
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.shutdown()


def stored_events(team):
    return {row.event: row for row in Event.objects.filter(team=team)}


@pytest.mark.parametrize("gzip_enabled", [False, True], ids=["plain", "gzip"])
def test_python_sdk_sync_mode_event_is_stored_with_definitions(sdk, team, sdk_errors, gzip_enabled):
    client = sdk(sync_mode=True, gzip=gzip_enabled)

    client.capture("signed_up", distinct_id="user-1", properties={"plan": "free", "seats": 3})

    assert sdk_errors.all() == []
    event = stored_events(team)["signed_up"]
    assert event.distinct_id == "user-1"
    assert {key: event.properties[key] for key in ("plan", "seats", "$lib")} == {
        "plan": "free", "seats": 3, "$lib": "posthog-python",
    }
    assert EventDefinition.objects.filter(team=team, name="signed_up").exists()
    assert PropertyDefinition.objects.get(team=team, name="seats").property_type == "Numeric"


def test_python_sdk_batched_events_arrive_on_flush(sdk, team, sdk_errors):
    client = sdk(flush_at=1000, flush_interval=60, gzip=True)

    for index in range(25):
        client.capture(f"batched {index % 5}", distinct_id=f"user-{index}")
    client.flush()

    assert sdk_errors.all() == []
    assert Event.objects.filter(team=team).count() == 25
    assert sorted(EventDefinition.objects.filter(team=team).values_list("name", flat=True)) == [
        f"batched {index}" for index in range(5)
    ]


def test_python_sdk_with_unknown_token_reports_failure(live_server, team, sdk_errors):
    client = Posthog("phc_unknown", host=live_server.url, sync_mode=True, max_retries=0,
                     on_error=lambda error, _: sdk_errors.append(error))

    client.capture("nope", distinct_id="user-1")

    errors = sdk_errors.all()
    assert len(errors) == 1
    assert "Project API key invalid" in errors[0] and "(401)" in errors[0]
    assert not Event.objects.exists()


def send(live_server, path, body, headers):
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read(), dict(response.getheaders())


POSTHOG_JS_BODY = (
    '{"api_key":"%(token)s","batch":[{"uuid":"019a6f2e-8b1c-7d3e-9f40-1a2b3c4d5e6f","event":"$pageview",'
    '"properties":{"$os":"Mac OS X","$browser":"Chrome","$current_url":"https://shop.example/cart",'
    '"$lib":"web","$lib_version":"1.449.2","distinct_id":"019a6f2e-0000-7000-8000-000000000001",'
    '"$device_id":"019a6f2e-0000-7000-8000-000000000001","token":"%(token)s","$time":1767312245.678,'
    '"$session_id":"019a6f2e-1111-7000-8000-000000000002","$viewport_height":900},'
    '"timestamp":"2026-01-02T00:04:05.678Z"}],"sent_at":"2026-01-02T00:04:06.001Z"}'
)

POSTHOG_NODE_BODY = (
    '{"api_key":"%(token)s","batch":[{"distinct_id":"node-user","event":"order placed",'
    '"properties":{"total":42.5,"$lib":"posthog-node","$lib_version":"5.70.0","$geoip_disable":true},'
    '"type":"capture","library":"posthog-node","library_version":"5.70.0",'
    '"timestamp":"2026-01-02T00:04:05.678Z","uuid":"019a6f2e-8b1c-7d3e-9f40-aaaaaaaaaaaa"}],'
    '"sent_at":"2026-01-02T00:04:05.900Z"}'
)


def test_posthog_js_replay_text_plain_gzip_without_header_is_stored(live_server, team):
    body = gzip.compress((POSTHOG_JS_BODY % {"token": team.api_token}).encode())

    status, content, headers = send(live_server, "/e/?ip=0&_=1767312246001&ver=1.449.2", body, {
        "Content-Type": "text/plain", "Origin": "https://shop.example",
    })

    assert (status, json.loads(content)) == (200, {"status": 1})
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example"
    event = stored_events(team)["$pageview"]
    assert (str(event.uuid), event.distinct_id) == (
        "019a6f2e-8b1c-7d3e-9f40-1a2b3c4d5e6f", "019a6f2e-0000-7000-8000-000000000001",
    )
    assert event.properties["$current_url"] == "https://shop.example/cart"
    assert PropertyDefinition.objects.get(team=team, name="$viewport_height").property_type == "Numeric"


def test_posthog_node_replay_gzip_header_is_stored(live_server, team):
    body = gzip.compress((POSTHOG_NODE_BODY % {"token": team.api_token}).encode())

    status, content, _ = send(live_server, "/batch/", body, {
        "Content-Type": "application/json", "Content-Encoding": "gzip",
    })

    assert (status, json.loads(content)) == (200, {"status": 1})
    event = stored_events(team)["order placed"]
    assert (str(event.uuid), event.distinct_id, event.properties["total"]) == (
        "019a6f2e-8b1c-7d3e-9f40-aaaaaaaaaaaa", "node-user", 42.5,
    )
    assert EventDefinition.objects.filter(team=team, name="order placed").exists()

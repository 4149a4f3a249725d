"""Access log, X-Request-Id and /metrics (issue #13 item 7)."""

import logging
import sys
import types

import pytest
from django.urls import resolve
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from posthog_core.metrics import DATABASE_ERRORS, SpoolDepthCollector
from posthog_core.observability import route_of

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def access_log(caplog):
    caplog.set_level(logging.INFO, logger="posthog_core.access")

    def lines() -> list[str]:
        return [record.getMessage() for record in caplog.records if record.name == "posthog_core.access"]

    return lines


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def test_access_line_names_the_key_by_id_and_masks_the_key_in_the_query(api_client, scoped_client, access_log):
    key_value = scoped_client(scopes=["*"]).key_value
    from posthog_core.models import PersonalAPIKey

    key = PersonalAPIKey.objects.get(mask_value=f"{key_value[:4]}...{key_value[-4:]}")

    response = api_client.get(f"/api/users/@me/?personal_api_key={key_value}&x=1", HTTP_X_REQUEST_ID="req-1")

    assert response.status_code == 200
    [line] = access_log()
    assert line.startswith('method=GET path="/api/users/@me/?personal_api_key=[redacted]&x=1" status=200 duration_ms=')
    assert line.endswith(f" request_id=req-1 key_id={key.id} user_id={key.user_id}")
    assert key_value not in line


def test_access_line_masks_key_and_token_shaped_values_anywhere(api_client, access_log):
    api_client.get("/api/nothing/phx_abcdefghijkl/?token=phc_abcdefghijklmnop")

    [line] = access_log()
    assert 'path="/api/nothing/phx_[redacted]/?token=phc_[redacted]" status=404' in line


def test_access_line_of_a_session_names_the_user(session_client, user, access_log):
    session_client.get("/api/users/@me/")

    [line] = access_log()
    assert line.endswith(f" user_id={user.id}")


def test_access_line_of_an_anonymous_request_names_nobody(api_client, access_log):
    api_client.get("/_health")

    [line] = access_log()
    assert line.startswith('method=GET path="/_health" status=200 ')
    assert line.endswith(" user_id=-")


def test_access_line_percent_encodes_characters_that_could_forge_a_line(api_client, access_log):
    api_client.get("/api/x", QUERY_STRING="a=1\n2 3")

    [line] = access_log()
    assert 'path="/api/x?a=1%0A2%203"' in line


def test_sane_request_id_is_echoed(api_client):
    response = api_client.get("/_health", HTTP_X_REQUEST_ID="abc-123.def:9_z")

    assert response["X-Request-Id"] == "abc-123.def:9_z"


@pytest.mark.parametrize("offered", [None, "", "has space", "x" * 129, "line\nbreak", "ünïcode"])
def test_missing_or_unsafe_request_id_is_replaced_by_a_generated_one(api_client, offered):
    headers = {} if offered is None else {"HTTP_X_REQUEST_ID": offered}

    response = api_client.get("/_health", **headers)

    assert len(response["X-Request-Id"]) == 32
    assert response["X-Request-Id"] != offered
    assert int(response["X-Request-Id"], 16) >= 0


def test_generated_request_id_is_in_the_access_line(api_client, access_log):
    response = api_client.get("/_health")

    assert f" request_id={response['X-Request-Id']} " in access_log()[0]


def test_metrics_without_a_configured_token_is_404(api_client, settings):
    settings.METRICS_TOKEN = ""

    response = api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 404
    assert response.json() == {"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": None}


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_without_the_right_bearer_token_is_404(api_client, metrics_token, header):
    headers = {} if header is None else {"HTTP_AUTHORIZATION": header}

    assert api_client.get("/metrics", **headers).status_code == 404


def test_metrics_with_the_token_is_prometheus_text_with_the_route_histogram(api_client, session_client, metrics_token):
    labels = {"method": "GET", "route": "api/projects/{project_id}/activity_log/", "status": "404"}
    before = REGISTRY.get_sample_value("posthog_core_request_seconds_count", labels) or 0
    session_client.get("/api/projects/999999/activity_log/")
    session_client.get("/api/projects/999998/activity_log/")

    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {family.name: family for family in text_string_to_metric_families(response.content.decode())}
    assert {"posthog_core_request_seconds", "posthog_core_throttle_rejections", "posthog_core_database_errors",
            "posthog_core_export_render_seconds", "posthog_core_export_slot_wait_seconds",
            "posthog_core_export_slot_rejections"} <= set(families)
    counts = [sample.value for sample in families["posthog_core_request_seconds"].samples
              if sample.name.endswith("_count") and sample.labels == labels]
    assert counts == [before + 2]


def test_metrics_route_label_is_unmatched_for_unknown_paths(api_client):
    before = REGISTRY.get_sample_value(
        "posthog_core_request_seconds_count", {"method": "GET", "route": "unmatched", "status": "404"}) or 0

    api_client.get("/no/such/path/12345")
    api_client.get("/no/such/path/67890")

    assert REGISTRY.get_sample_value(
        "posthog_core_request_seconds_count", {"method": "GET", "route": "unmatched", "status": "404"}) == before + 2


def test_database_error_reaching_the_handler_is_counted(session_client):
    before = DATABASE_ERRORS.labels(kind="DataError")._value.get()

    session_client.get("/api/personal_api_keys/a%00b/")

    assert DATABASE_ERRORS.labels(kind="DataError")._value.get() == before + 1


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/api/projects/7/insights/5/", "api/projects/{project_id}/insights/{pk}/"),
        ("/api/environments/7/file_system/0190c2d1-8f3e-7b6a-9c1d-2e3f4a5b6c7d/move/", "api/environments/{project_id}/file_system/{pk}/move/"),
        ("/api/users/@me/", "api/users/{pk}/"),
        ("/batch/", "(?:batch|e|capture|track|i/v0/e)/"),
    ],
)
def test_route_label_is_the_url_pattern_not_the_path(rf, path, route):
    request = rf.get(path)
    request.resolver_match = resolve(path)

    assert route_of(request) == route


def test_spool_depth_is_reported_from_the_spool_module_when_it_exists(monkeypatch):
    spool = types.ModuleType("ingestion.spool")
    spool.spool_depth = lambda: (3, 4096)
    monkeypatch.setitem(sys.modules, "ingestion.spool", spool)

    samples = {sample.name: sample.value for family in SpoolDepthCollector().collect() for sample in family.samples}

    assert samples == {"posthog_core_capture_spool_batches": 3, "posthog_core_capture_spool_bytes": 4096}


def test_spool_depth_is_absent_without_a_spool_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "ingestion.spool", None)  # makes the import fail

    assert list(SpoolDepthCollector().collect()) == []

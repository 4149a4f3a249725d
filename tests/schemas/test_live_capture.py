"""The generated Python module, imported and called for real: `capture()` goes through the
posthog SDK to a live test server, and renamed properties arrive under their original names."""

import importlib
import sys

import posthog
import pytest

from ingestion.models import Event
from schemas.services import schema_code_generate
from tests.factories import OrganizationFactory, ProjectFactory
from tests.schemas.factories import typed_event


@pytest.fixture
def generated_module(tmp_path, monkeypatch):
    def load(team):
        _, code = schema_code_generate(team=team, language="python")
        (tmp_path / "posthog_typed.py").write_text(code.content, encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        sys.modules.pop("posthog_typed", None)
        return importlib.import_module("posthog_typed")

    yield load
    sys.modules.pop("posthog_typed", None)


@pytest.mark.django_db(transaction=True)
def test_python_generated_capture_arrives_with_original_property_names(live_server, generated_module, monkeypatch):
    team = ProjectFactory(organization=OrganizationFactory())
    typed_event(team, "downloaded_file", ("file-name", "String", True), ("class", "String", False), ("123x", "Numeric", False))
    module = generated_module(team)
    client = posthog.Posthog(team.api_token, host=live_server.url, sync_mode=True, enable_exception_autocapture=False)
    monkeypatch.setattr(posthog, "default_client", client)

    module.capture(
        "downloaded_file", distinct_id="user-1", properties={"file_name": "a.pdf", "class_": "report", "prop_123x": 3}
    )

    event = Event.objects.get(team=team, event="downloaded_file")
    assert event.distinct_id == "user-1"
    assert {key: event.properties[key] for key in ("file-name", "class", "123x")} == {
        "file-name": "a.pdf", "class": "report", "123x": 3,
    }
    assert not {"file_name", "class_", "prop_123x"} & set(event.properties)

"""The fuzz run never revokes, rolls or re-scopes the key it runs with (tests/fuzz/hooks.py)."""

import pytest

from tests.fuzz.hooks import SUBSTITUTE_KEY_ID, protect_key

KEY_ID = "Zx81protectedKeyId"


@pytest.mark.parametrize("path", ["/api/personal_api_keys/{id}/", "/api/personal_api_keys/{id}/roll/"])
@pytest.mark.parametrize("sent", [KEY_ID, f" {KEY_ID} "])
def test_protected_key_id_is_swapped_for_one_that_matches_no_key(path, sent):
    assert protect_key(path, {"id": sent}, KEY_ID) == {"id": SUBSTITUTE_KEY_ID}


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/api/personal_api_keys/{id}/", {"id": "another-key"}),
        ("/api/projects/{project_id}/file_system/{id}/", {"project_id": 1, "id": KEY_ID}),
        ("/api/personal_api_keys/", None),
    ],
)
def test_other_calls_are_sent_unchanged(path, parameters):
    assert protect_key(path, parameters, KEY_ID) == parameters


def test_fuzz_config_names_only_operations_the_schema_has():
    import tomllib
    from pathlib import Path

    from drf_spectacular.generators import SchemaGenerator

    config = tomllib.loads(Path(__file__).with_name("schemathesis.toml").read_text())
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation_ids = {op["operationId"] for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)}

    named = {name for block in config["operations"] for name in block["include-operation-id"]}

    assert named - operation_ids == set()

"""The fuzz run never revokes, rolls or re-scopes the key it runs with (tests/fuzz/hooks.py)."""

import pytest

from tests.fuzz.hooks import SUBSTITUTE_KEY_ID, combine_property_definition_parameters, protect_key

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


@pytest.mark.parametrize("kind", [None, "event", "person", "group", "session"])
@pytest.mark.parametrize("group_type_index", [None, 0, 4])
@pytest.mark.parametrize("event_names", [None, '["a"]'])
def test_property_definition_parameters_are_combined_as_the_api_accepts_them(kind, group_type_index, event_names):
    from property_definitions.filters import PropertyDefinitionListQuerySerializer

    sent = {"type": kind, "group_type_index": group_type_index, "event_names": event_names}
    query = combine_property_definition_parameters({key: value for key, value in sent.items() if value is not None})

    serializer = PropertyDefinitionListQuerySerializer(data=query)
    assert serializer.is_valid(), serializer.errors


def test_property_definition_parameters_keep_every_generated_value_the_rules_allow():
    query = {"type": "group", "group_type_index": 3, "search": "x", "excluded_properties": '["a"]'}

    assert combine_property_definition_parameters(query) == query


def test_fuzz_config_names_only_operations_the_schema_has():
    import tomllib
    from pathlib import Path

    from drf_spectacular.generators import SchemaGenerator

    config = tomllib.loads(Path(__file__).with_name("schemathesis.toml").read_text())
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation_ids = {op["operationId"] for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)}

    named = {name for block in config["operations"] for name in block["include-operation-id"]}

    assert named - operation_ids == set()

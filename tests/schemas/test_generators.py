"""The generators as pure functions: reference cases 45–48 (without timestamps), determinism,
hashing, naming and allowed values."""

import re
from dataclasses import replace

import pytest

from schemas.generators import EventSpec, PropertySpec, generate_golang, generate_python, generate_typescript
from tests.schemas.fixtures import REFERENCE_EVENTS

ALL = [generate_typescript, generate_python, generate_golang]


def test_typescript_reference_event_has_required_and_optional_lines():
    content = generate_typescript(REFERENCE_EVENTS).content
    member = content.split('"test_event": {', 1)[1].split("}", 1)[0]
    assert [line.strip() for line in member.strip().splitlines()] == ['"optional_field"?: string', '"required_field": number']
    assert '    "untyped_event": Record<string, any>\n' in content
    assert "export type EventName = keyof EventSchemas" in content
    assert "captureRaw(" in content


def test_typescript_allowed_values_become_literal_unions():
    content = generate_typescript(REFERENCE_EVENTS).content
    assert '"plan": "free" | "pro"' in content
    assert '"seats"?: 1 | 5 | 10' in content
    assert '"paid_at"?: string | Date' in content


def test_typescript_escapes_event_names_as_json():
    assert '    "we\\"ird\\\\name 😀": Record<string, any>' in generate_typescript(REFERENCE_EVENTS).content


def test_typescript_properties_of_several_groups_are_merged_and_unioned():
    event = EventSpec("e", (PropertySpec("x", "String", True), PropertySpec("x", "Numeric", True, is_optional_in_types=True)))
    assert '"x"?: number | string' in generate_typescript([event]).content


def test_python_reference_event_orders_required_first():
    content = generate_python(REFERENCE_EVENTS).content
    assert (
        "class TestEventProps(TypedDict, total=False):\n"
        "    required_field: Required[float]\n"
        "    optional_field: NotRequired[str]\n"
    ) in content


def test_python_renamed_properties_are_mapped_back():
    content = generate_python(REFERENCE_EVENTS).content
    assert (
        '    "downloaded_file": {\n'
        '        "class_": "class",\n'
        '        "file_name": "file-name",\n'
        '        "prop_123x": "123x",\n'
        "    },\n"
    ) in content
    assert "    file_name: Required[str]\n    prop_123x: NotRequired[float]\n    class_: NotRequired[str]\n" in content


def test_python_without_renames_has_empty_mappings():
    content = generate_python([REFERENCE_EVENTS[4]]).content
    assert "_PROPERTY_MAPPINGS: Dict[str, Dict[str, str]] = {}\n" in content


def test_python_allowed_values_become_literals():
    content = generate_python(REFERENCE_EVENTS).content
    assert 'plan: Required[Literal["free", "pro"]]' in content
    assert "seats: NotRequired[Literal[1, 5, 10]]" in content


def test_python_colliding_class_names_are_deduplicated():
    content = generate_python(REFERENCE_EVENTS).content
    assert "class UserSignedUpProps(TypedDict" in content
    assert "class UserSignedUpProps2(TypedDict" in content


@pytest.mark.parametrize(
    ("name", "class_name"),
    [("downloaded_file", "DownloadedFileProps"), ("$pageview", "PageviewProps"), ("123 go", "Event123GoProps"), ("$$", "EventProps")],
)
def test_python_class_names_follow_posthog_rules(name, class_name):
    assert f"class {class_name}(TypedDict, total=False):" in generate_python([EventSpec(name)]).content


def test_go_reference_event_declares_options_and_captures():
    content = generate_golang(REFERENCE_EVENTS).content
    assert "type UserSignedUpOption func(*posthog.Capture)" in content
    assert "func UserSignedUpWithFileExt(fileExt string) UserSignedUpOption {" in content
    assert "func UserSignedUpWithExtraProps(props posthog.Properties) UserSignedUpOption {" in content
    assert "func UserSignedUpCapture(distinctId string, fileSize float64, options ...UserSignedUpOption) posthog.Capture {" in content
    assert (
        "func UserSignedUpCaptureFromBase(base posthog.Capture, fileSize float64, options ...UserSignedUpOption) posthog.Capture {"
        in content
    )


def test_go_imports_time_only_for_datetime_properties():
    with_datetime = generate_golang(REFERENCE_EVENTS).content
    without = generate_golang([REFERENCE_EVENTS[4]]).content
    assert '\t"time"\n' in with_datetime
    assert '"time"' not in without


def test_go_reserved_parameter_names_get_a_suffix():
    content = generate_golang(REFERENCE_EVENTS).content
    assert "func UserSignedUp2Capture(distinctId string, distinctId2 string, options ...UserSignedUp2Option)" in content


def test_go_allowed_values_become_typed_constants():
    content = generate_golang(REFERENCE_EVENTS).content
    assert "type PurchasePlanValue string" in content
    assert '\tPurchasePlanValueFree PurchasePlanValue = "free"' in content
    assert "\tPurchaseSeatsValue10 PurchaseSeatsValue = 10" in content
    assert "func PurchaseCapture(distinctId string, plan PurchasePlanValue, options ...PurchaseOption)" in content


@pytest.mark.parametrize("generate", ALL)
def test_generator_same_schema_gives_identical_bytes(generate):
    first, second = generate(REFERENCE_EVENTS), generate(list(REFERENCE_EVENTS))
    assert first.content.encode() == second.content.encode()
    assert first.schema_hash == second.schema_hash


@pytest.mark.parametrize("generate", ALL)
def test_generator_one_property_change_gives_new_hash(generate):
    changed = [*REFERENCE_EVENTS[:4], replace(REFERENCE_EVENTS[4], properties=(PropertySpec("required_field", "String", True),))]
    assert generate(changed).schema_hash != generate(REFERENCE_EVENTS).schema_hash


@pytest.mark.parametrize("generate", ALL)
def test_generator_allowed_values_change_gives_new_hash(generate):
    narrowed = [*REFERENCE_EVENTS[:3], replace(REFERENCE_EVENTS[3], properties=(PropertySpec("plan", "String", True, allowed_values=("free",)),))]
    wider = [*REFERENCE_EVENTS[:3], replace(REFERENCE_EVENTS[3], properties=(PropertySpec("plan", "String", True),))]
    assert generate(narrowed).schema_hash != generate(wider).schema_hash


@pytest.mark.parametrize("generate", ALL)
def test_generator_counts_every_event_typed_or_not(generate):
    result = generate(REFERENCE_EVENTS)
    assert result.event_count == len(REFERENCE_EVENTS)
    assert re.fullmatch(r"[0-9a-f]{32}", result.schema_hash)


def test_schema_hash_matches_posthog_formula_without_extensions():
    import hashlib

    import orjson

    events = [REFERENCE_EVENTS[4], EventSpec("untyped_event")]
    payload = {"version": "1.1.0", "schemas": [["test_event", [["optional_field", "String", False], ["required_field", "Numeric", True]]], ["untyped_event", []]]}
    expected = hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:32]
    assert generate_typescript(events).schema_hash == expected


def test_generator_versions_are_posthogs():
    assert [g(REFERENCE_EVENTS).generator_version for g in ALL] == ["1.1.0", "1.0.0", "1.0.0"]


@pytest.mark.parametrize("generate", ALL)
def test_generator_output_ignores_group_order(generate):
    first = PropertySpec("plan", "String", True, allowed_values=("b", "a"))
    second = PropertySpec("plan", "String", True, allowed_values=("c",))
    assert generate([EventSpec("e", (first, second))]).content == generate([EventSpec("e", (second, first))]).content

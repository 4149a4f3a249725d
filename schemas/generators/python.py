"""Python: a `posthog_typed` module with one TypedDict per event and typed `capture()` overloads
over the official `posthog` SDK (PostHog §6)."""

from __future__ import annotations

import keyword
import re
from functools import lru_cache

from schemas.generators.base import (
    EventSpec,
    GeneratedCode,
    IdentityMemo,
    MergedProperty,
    TypeVariant,
    literal_text,
    merge_property_specs,
    quoted,
    schema_hash,
    unique_name,
)

PYTHON_GENERATOR_VERSION = "1.0.0"

PY_TYPES = {
    "String": "str",
    "Numeric": "float",
    "Boolean": "bool",
    "DateTime": "datetime",
    "Array": "List[Any]",
    "Object": "Dict[str, Any]",
}

NON_ALNUM = re.compile(r"[^0-9A-Za-z]+")

HEADER = '''"""
GENERATED FILE - DO NOT EDIT

Typed capture calls for this project's event schemas.
Generator: posthog-core Python generator {version}
Regenerate with GET /api/projects/{{project_id}}/event_definitions/python/

Usage:
    import posthog_typed
    posthog_typed.capture("event_name", distinct_id="user_1", properties={{...}})
"""

from datetime import datetime
from typing import Any, Dict, List, Literal, Mapping, Optional, TypedDict, Union, overload
from uuid import UUID

from typing_extensions import NotRequired, Required, Unpack

import posthog as _posthog
from posthog.args import ID_TYPES, OptionalCaptureArgs


class CaptureArgs(TypedDict, total=False):
    """The SDK's optional capture arguments, less `properties` (typed per event below)."""

    distinct_id: Optional[ID_TYPES]
    timestamp: Optional[Union[datetime, str]]
    uuid: Optional[Union[str, UUID]]
    groups: Optional[Dict[str, str]]
    send_feature_flags: Optional[bool]
    disable_geoip: Optional[bool]
'''

REMAP = '''

def _original_names(event: str, properties: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """Send renamed properties under the names the schema declares."""
    if properties is None:
        return None
    mapping = _PROPERTY_MAPPINGS.get(event, {})
    return {mapping.get(key, key): value for key, value in properties.items()}'''

# The implementation must directly follow the overloads.
RUNTIME = '''

SIGNATURE
    return _posthog.capture(event, properties=_original_names(event, properties), **kwargs)


def capture_raw(event: str, **kwargs: Unpack[OptionalCaptureArgs]) -> Optional[str]:
    """Escape hatch: any event name and properties, unchecked."""
    return _posthog.capture(event, **kwargs)
'''


def class_name(event_name: str) -> str:
    name = "".join(part.capitalize() for part in NON_ALNUM.split(event_name) if part)
    if not name:
        return "EventProps"
    if name[0].isdigit():
        name = f"Event{name}"
    return f"{name}Props"


def identifier(property_name: str) -> str:
    name = NON_ALNUM.sub("_", property_name).strip("_") or "value"
    if name[0].isdigit():
        name = f"prop_{name}"
    if keyword.iskeyword(name):
        name = f"{name}_"
    return name


def variant_type(variant: TypeVariant) -> list[str]:
    literals = variant.literals
    # Python's Literal takes str and int, not float: non-integral allowed numbers stay `float`.
    if literals is not None and variant.property_type == "String":
        return [f"Literal[{', '.join(literal_text(v) for v in literals)}]"]
    if literals is not None and variant.property_type == "Numeric":
        if all(isinstance(v, int) or float(v).is_integer() for v in literals):
            return [f"Literal[{', '.join(literal_text(v) for v in literals)}]"]
    return [PY_TYPES.get(variant.property_type, "Any")]


def property_type(prop: MergedProperty) -> str:
    parts: list[str] = []
    for variant in prop.variants:
        parts += [part for part in variant_type(variant) if part not in parts]
    if "Any" in parts or not parts:
        return "Any"
    return parts[0] if len(parts) == 1 else f"Union[{', '.join(parts)}]"


@lru_cache(maxsize=4096)
def typed_dict_body(properties: tuple) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], bool]:
    """A property set's TypedDict lines, renamed properties (identifier, original) and whether
    any is required; shared by every event with the same groups."""
    merged = merge_property_specs(properties)
    if not merged:
        return ('    """No schema defined: any properties."""', "", "    pass"), (), False
    taken: set[str] = set()
    renamed = []
    lines = []
    for prop in sorted(merged, key=lambda p: (not p.required, p.name)):
        ident = unique_name(identifier(prop.name), taken, separator="_")
        if ident != prop.name:
            renamed.append((ident, prop.name))
        wrapper = "Required" if prop.required else "NotRequired"
        lines.append(f"    {ident}: {wrapper}[{property_type(prop)}]")
    return tuple(lines), tuple(renamed), any(prop.required for prop in merged)


def capture_signature(event_literal: str, props_class: str, required: bool) -> str:
    properties = f"properties: {props_class}" if required else f"properties: Optional[{props_class}] = None"
    return (
        f"def capture(\n    event: {event_literal},\n    *,\n    {properties},\n"
        "    **kwargs: Unpack[CaptureArgs],\n) -> Optional[str]:"
    )


def mappings_block(mappings: dict[str, dict[str, str]]) -> list[str]:
    if not mappings:
        return ["_PROPERTY_MAPPINGS: Dict[str, Dict[str, str]] = {}"]
    lines = ["_PROPERTY_MAPPINGS: Dict[str, Dict[str, str]] = {"]
    for event_name in sorted(mappings):
        lines.append(f"    {quoted(event_name)}: {{")
        for ident, original in sorted(mappings[event_name].items()):
            lines.append(f"        {quoted(ident)}: {quoted(original)},")
        lines.append("    },")
    lines.append("}")
    return lines


def generate_python(events: list[EventSpec]) -> GeneratedCode:
    taken_classes: set[str] = {"CaptureArgs"}
    classes: list[str] = []
    overloads: list[tuple[str, str, bool]] = []
    mappings: dict[str, dict[str, str]] = {}
    bodies = IdentityMemo(typed_dict_body)
    for event in events:
        # NOTE: PostHog does not de-duplicate class names; two events like `a-b` and `a_b` would
        # then redefine one class, which mypy rejects.
        name = unique_name(class_name(event.name), taken_classes)
        lines, renamed, required = bodies(event.properties)
        classes += ["", "", f"class {name}(TypedDict, total=False):", *lines]
        if renamed:
            mappings[event.name] = dict(renamed)
        # An empty TypedDict would refuse every key: untyped events take any mapping.
        props_type = name if event.properties else "Dict[str, Any]"
        overloads.append((f"Literal[{quoted(event.name)}]", props_type, required))
    body = [HEADER.format(version=PYTHON_GENERATOR_VERSION).rstrip("\n"), "", "", *mappings_block(mappings), REMAP, *classes]
    if len(overloads) >= 2:  # `@overload` needs at least two variants
        for literal, props_class, required in overloads:
            body += ["", "", "@overload", f"{capture_signature(literal, props_class, required)} ..."]
        signature = capture_signature("str", "Mapping[str, Any]", False)
    elif overloads:
        signature = capture_signature(*overloads[0])
    else:
        signature = capture_signature("str", "Mapping[str, Any]", False)
    content = "\n".join(body) + "\n" + RUNTIME.replace("SIGNATURE", signature)
    return GeneratedCode(
        content=content,
        event_count=len(events),
        schema_hash=schema_hash(events, PYTHON_GENERATOR_VERSION),
        generator_version=PYTHON_GENERATOR_VERSION,
    )

"""What every generator shares: the input specs, merging an event's properties across groups,
and the schema hash that serves as ETag."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import orjson

Literal = str | int | float


@dataclass(frozen=True)
class PropertySpec:
    name: str
    property_type: str
    is_required: bool
    is_optional_in_types: bool = False
    allowed_values: tuple[Literal, ...] | None = None

    def hash_item(self) -> list:
        """PostHog's `[name, type, is_required]`, extended only when our extra fields are set, so a
        schema that doesn't use them hashes exactly as PostHog's does."""
        item: list = [self.name, self.property_type, self.is_required]
        extra = {}
        if self.is_optional_in_types:
            extra["optional_in_types"] = True
        if self.allowed_values is not None:
            extra["allowed_values"] = list(self.allowed_values)
        if extra:
            item.append(extra)
        return item


@dataclass(frozen=True)
class EventSpec:
    name: str
    properties: tuple[PropertySpec, ...] = ()


@dataclass(frozen=True)
class TypeVariant:
    """One type a merged property may take; `literals` narrows it to allowed values."""

    property_type: str
    literals: tuple[Literal, ...] | None = None


@dataclass(frozen=True)
class MergedProperty:
    name: str
    required: bool
    variants: tuple[TypeVariant, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class GeneratedCode:
    content: str
    event_count: int
    schema_hash: str
    generator_version: str

    @cached_property
    def json(self) -> bytes:
        """The API's JSON answer, encoded once per (cached) result."""
        return orjson.dumps(
            {"content": self.content, "event_count": self.event_count, "schema_hash": self.schema_hash,
             "generator_version": self.generator_version}
        )


def canonical_json(value: object) -> bytes:
    # Compact, sorted keys, unescaped UTF-8: the serialisation PostHog hashes (orjson's).
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # An allowed value past 64 bits (the API accepts any finite number): orjson refuses it, and
        # PostHog has no hash for such a schema to match. The standard library writes it exactly.
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def hash_sort_key(item: list) -> tuple:
    return (item[0], item[1], item[2], canonical_json(item[3:]) if len(item) > 3 else b"")


@lru_cache(maxsize=4096)
def sorted_hash_items(properties: tuple[PropertySpec, ...]) -> list:
    return sorted((prop.hash_item() for prop in properties), key=hash_sort_key)


class IdentityMemo:
    """Calls `func(properties)` once per tuple object: events sharing groups share the tuple, and
    hashing 10,000 tuples of dataclasses for an lru_cache lookup showed in profiles. The events
    list keeps every tuple alive while a memo is in use, so ids are stable."""

    def __init__(self, func):
        self.func, self.results = func, {}

    def __call__(self, properties: tuple):
        key = id(properties)
        if key not in self.results:
            self.results[key] = self.func(properties)
        return self.results[key]


def schema_hash(events: list[EventSpec] | tuple[EventSpec, ...], version: str) -> str:
    items = IdentityMemo(sorted_hash_items)
    schemas = [[event.name, items(event.properties)] for event in sorted(events, key=lambda event: event.name)]
    payload = canonical_json({"version": version, "schemas": schemas})
    return hashlib.sha256(payload).hexdigest()[:32]


def merge_properties(event: EventSpec) -> list[MergedProperty]:
    """The event's properties merged across its groups (see merge_property_specs)."""
    return list(merge_property_specs(event.properties))


# Events usually share a few groups: merging once per distinct property set keeps 10,000 events cheap.
@lru_cache(maxsize=4096)
def merge_property_specs(properties: tuple[PropertySpec, ...]) -> tuple[MergedProperty, ...]:
    """De-duplicate an event's properties by name across its groups, sorted by name.

    A property is optional if any occurrence is not required or is optional in types. Types are
    unioned; allowed values of one type are unioned too, unless some occurrence of that type
    allows any value.
    """
    by_name: dict[str, list[PropertySpec]] = {}
    for prop in properties:
        by_name.setdefault(prop.name, []).append(prop)
    merged = []
    for name in sorted(by_name):
        # Ordered by content, not by group: the output must depend only on what the hash covers.
        occurrences = sorted(by_name[name], key=lambda p: hash_sort_key(p.hash_item()))
        required = all(p.is_required and not p.is_optional_in_types for p in occurrences)
        literals_by_type: dict[str, list[Literal] | None] = {}
        for prop in occurrences:
            current = literals_by_type.get(prop.property_type, [])
            if prop.allowed_values is None or current is None:
                literals_by_type[prop.property_type] = None
            else:
                literals_by_type[prop.property_type] = current + [v for v in prop.allowed_values if v not in current]
        variants = tuple(
            TypeVariant(ptype, None if literals is None else tuple(literals))
            for ptype, literals in sorted(literals_by_type.items())
        )
        merged.append(MergedProperty(name=name, required=required, variants=variants))
    return tuple(merged)


def quoted(value: str) -> str:
    """A double-quoted literal valid in TypeScript, Python and Go: JSON escaping, raw non-ASCII
    (`\\uD83D`-style surrogate escapes would be wrong in Python and invalid in Go)."""
    return orjson.dumps(value).decode()


def literal_text(value: Literal) -> str:
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value)


def unique_name(candidate: str, taken: set[str], separator: str = "") -> str:
    """`candidate`, or `candidate2`, `candidate3`, … (with `separator` before the number) when
    taken; records the result."""
    name, counter = candidate, 2
    while name in taken:
        name = f"{candidate}{separator}{counter}"
        counter += 1
    taken.add(name)
    return name

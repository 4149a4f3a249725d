"""Which event and property definitions a batch implies, each property's inferred type, and which
properties each event carries. Pure."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

MAX_DEFINITION_NAME_BYTES = 200
# Person updates carried in event properties; they describe the person, not the event.
SKIPPED_PROPERTIES = frozenset({"$set", "$set_once", "$unset"})
# The updates whose keys are person properties (`$unset` only names properties to remove).
PERSON_UPDATES = ("$set", "$set_once")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
)


def definition_name_ok(name: str) -> bool:
    return 0 < len(name.encode("utf-8", errors="surrogatepass")) <= MAX_DEFINITION_NAME_BYTES


def is_iso_datetime(value: str) -> bool:
    if len(value) > 40 or not _ISO_DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def property_type_infer(value: Any) -> str | None:
    """PostHog's types: Boolean, Numeric, DateTime (ISO-8601 strings), String; None for the rest."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Numeric"
    if isinstance(value, str):
        return "DateTime" if is_iso_datetime(value) else "String"
    return None


def batch_definitions(events: list[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str | None]]]:
    """Sorted event names, and sorted (property name, type) pairs: the first typed sighting wins.

    Sorting fixes the order in which concurrent batches take row locks, so they cannot deadlock.
    """
    event_names = {event["event"] for event in events}
    property_types: dict[str, str | None] = {}
    typed: set[str] = set(SKIPPED_PROPERTIES)
    for event in events:
        properties = event["properties"]
        # A C-level set difference per event: only names still without a type are looked at.
        for name in properties.keys() - typed:
            kind = property_type_infer(properties[name])
            property_types[name] = kind
            if kind is not None:
                typed.add(name)
    return (
        sorted(name for name in event_names if definition_name_ok(name)),
        sorted((name, kind) for name, kind in property_types.items() if definition_name_ok(name)),
    )


def batch_person_properties(events: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Sorted (person property name, type) pairs of the batch's `$set` and `$set_once` objects, the
    first typed sighting winning: PostHog's person property definitions come from them."""
    property_types: dict[str, str | None] = {}
    typed: set[str] = set()
    for event in events:
        properties = event["properties"]
        for key in PERSON_UPDATES:
            update = properties.get(key)
            if not isinstance(update, dict):
                continue
            for name in update.keys() - typed:
                kind = property_type_infer(update[name])
                property_types[name] = kind
                if kind is not None:
                    typed.add(name)
    return sorted((name, kind) for name, kind in property_types.items() if definition_name_ok(name))


def batch_event_properties(events: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The batch's distinct (event, property) pairs as two parallel lists, sorted by event then property
    (the lock order, as above); pairs whose event or property name is skipped as a definition are left out."""
    carried: dict[str, set[str]] = {}
    for event in events:
        name = event["event"]
        keys = carried.get(name)
        if keys is None:
            carried[name] = set(event["properties"])
        else:
            keys.update(event["properties"])  # C-level: no per-property Python work for repeats
    event_column: list[str] = []
    property_column: list[str] = []
    usable: dict[str, bool] = {}
    for name in sorted(carried):
        if not definition_name_ok(name):
            continue
        for prop in sorted(carried[name] - SKIPPED_PROPERTIES):
            ok = usable.get(prop)
            if ok is None:
                ok = usable[prop] = definition_name_ok(prop)
            if ok:
                event_column.append(name)
                property_column.append(prop)
    return event_column, property_column

"""Schema enforcement: which events break their definition's schema, and why.

`check_properties()` is pure. `enforcement_rules_for()` loads the rules of the `reject`
definitions among a batch's event names in two queries, and `rejected_events_store()` keeps what
was rejected, so ingestion never drops an event silently. `enforcement_preview()` replays
recent stored events against the current schema."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import orjson
import psycopg
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date

from event_definitions.models import EnforcementMode, EventDefinition
from ingestion.models import Event
from posthog_core.utils import uuid7
from schemas.generators.base import EventSpec, MergedProperty, merge_properties
from schemas.models import RejectedEvent
from schemas.selectors import property_specs_by_definition

MISSING_REQUIRED = "missing_required"
WRONG_TYPE = "wrong_type"
NOT_ALLOWED = "not_allowed"
PREVIEW_LIMIT = 10_000
PREVIEW_SAMPLES = 10


@dataclass(frozen=True)
class EnforcementRules:
    schema_version: int
    properties: tuple[MergedProperty, ...]


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_datetime(value: object) -> bool:
    if is_number(value):
        return True
    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return True
    except ValueError:
        return parse_date(value.strip()) is not None if len(value) <= 10 else False


TYPE_CHECKS = {
    "String": lambda value: isinstance(value, str),
    "Numeric": is_number,
    "Boolean": lambda value: isinstance(value, bool),
    "DateTime": is_datetime,
    "Object": lambda value: isinstance(value, dict | list),
    "Array": lambda value: isinstance(value, list),
}


def property_violation(prop: MergedProperty, value: object) -> dict | None:
    """None when `value` fits one of the property's types (and its allowed values, if any)."""
    type_fits = False
    for variant in prop.variants:
        if not TYPE_CHECKS.get(variant.property_type, lambda _: True)(value):
            continue
        type_fits = True
        if variant.literals is None or value in variant.literals:
            return None
    if type_fits:
        return {"property": prop.name, "reason": NOT_ALLOWED, "detail": f"{value!r} is not an allowed value"}
    expected = " or ".join(variant.property_type for variant in prop.variants)
    return {"property": prop.name, "reason": WRONG_TYPE, "detail": f"expected {expected}, got {type(value).__name__}"}


def check_properties(properties: dict, rules: EnforcementRules) -> list[dict]:
    """Every violation of `rules` by an event's properties, in property order; [] means valid.
    A null value counts as absent."""
    violations = []
    for prop in rules.properties:
        value = properties.get(prop.name) if isinstance(properties, dict) else None
        if value is None:
            if prop.required:
                violations.append({"property": prop.name, "reason": MISSING_REQUIRED, "detail": "required property is missing"})
            continue
        violation = property_violation(prop, value)
        if violation:
            violations.append(violation)
    return violations


# (definition id, schema_version) → rules. Every schema change bumps schema_version, so an entry
# can never be stale; the mode itself is read fresh on every batch.
_RULES_CACHE: dict[tuple, EnforcementRules] = {}
RULES_CACHE_LIMIT = 10_000


def enforcement_rules_for(*, team_id: int, event_names: set[str]) -> dict[str, EnforcementRules]:
    """Rules of the `reject` definitions among `event_names`: one query (served by the partial
    index on `enforcement_mode = 'reject'`), plus two the first time a schema version is seen."""
    definitions = list(
        EventDefinition.objects.filter(team_id=team_id, enforcement_mode=EnforcementMode.REJECT, name__in=event_names)
        .values_list("id", "name", "schema_version")
    )
    missing = [row for row in definitions if (row[0], row[2]) not in _RULES_CACHE]
    if missing:
        specs = property_specs_by_definition(team_id=team_id, definition_ids=[row[0] for row in missing])
        if len(_RULES_CACHE) > RULES_CACHE_LIMIT:
            _RULES_CACHE.clear()
        for definition_id, name, version in missing:
            merged = merge_properties(EventSpec(name, tuple(specs.get(definition_id, ()))))
            _RULES_CACHE[(definition_id, version)] = EnforcementRules(version, tuple(merged))
    return {name: _RULES_CACHE[(definition_id, version)] for definition_id, name, version in definitions}


INSERT_REJECTED_SQL = f"""
INSERT INTO {RejectedEvent._meta.db_table}
    (id, team_id, uuid, event, distinct_id, timestamp, properties, reasons, schema_version, rejected_at)
SELECT r.id, %(team_id)s, r.uuid, r.event, r.distinct_id, r.timestamp, r.properties::jsonb, r.reasons::jsonb,
       r.version, %(now)s
FROM unnest(%(ids)s::uuid[], %(uuids)s::uuid[], %(events)s::text[], %(distinct_ids)s::text[],
            %(timestamps)s::timestamptz[], %(properties)s::text[], %(reasons)s::text[], %(versions)s::int[])
     AS r(id, uuid, event, distinct_id, timestamp, properties, reasons, version)
ON CONFLICT (team_id, uuid) DO NOTHING
"""


def rejected_events_store(*, team_id: int, rejected: list[tuple[dict, list[dict], int]]) -> None:
    """Keep `(event, reasons, schema_version)` triples; `event` has uuid, event, distinct_id,
    timestamp and properties. One statement, inside the caller's transaction; a retried batch
    does not duplicate rows.

    NOTE: a server-side-binding psycopg cursor on Django's connection (counted like any query):
    Django's client-side binding quotes every JSON parameter with a regex, which showed in the
    ingestion profile.
    """
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        cursor.execute(
            INSERT_REJECTED_SQL,
            {
                "team_id": team_id,
                "now": timezone.now(),
                "ids": [uuid7() for _ in rejected],
                "uuids": [str(event["uuid"]) for event, _, _ in rejected],
                "events": [event["event"] for event, _, _ in rejected],
                "distinct_ids": [event["distinct_id"] for event, _, _ in rejected],
                "timestamps": [event["timestamp"] for event, _, _ in rejected],
                "properties": [orjson.dumps(event["properties"]).decode() for event, _, _ in rejected],
                "reasons": [orjson.dumps(reasons).decode() for _, reasons, _ in rejected],
                "versions": [version for _, _, version in rejected],
            },
        )


def schema_enforce(*, team_id: int, events: list[dict]) -> list[dict]:
    """The events of a normalised capture batch that may be stored. Events of `reject`
    definitions that break the schema are kept in the rejected-events table with their reasons
    instead (inside the caller's transaction), so nothing is silently dropped."""
    rules = enforcement_rules_for(team_id=team_id, event_names={event["event"] for event in events})
    if not rules:
        return events
    accepted, rejected = [], []
    for event in events:
        rule = rules.get(event["event"])
        violations = check_properties(event["properties"], rule) if rule else []
        if violations:
            rejected.append((event, violations, rule.schema_version))
        else:
            accepted.append(event)
    if rejected:
        rejected_events_store(team_id=team_id, rejected=rejected)
    return accepted


def enforcement_preview(*, definition: EventDefinition) -> dict:
    """Replay the newest 10,000 stored events of the definition's name against its current schema."""
    rules = enforcement_rules_for_definition(definition=definition)
    rows = (
        Event.objects.filter(team_id=definition.team_id, event=definition.name)
        .order_by("-timestamp", "-id")
        .values_list("uuid", "properties")[:PREVIEW_LIMIT]
    )
    checked, would_reject, samples, reasons = 0, 0, [], Counter()
    for event_uuid, properties in rows.iterator(chunk_size=2000):
        checked += 1
        violations = check_properties(properties, rules)
        if violations:
            would_reject += 1
            if len(samples) < PREVIEW_SAMPLES:
                samples.append(event_uuid)
            reasons.update((violation["property"], violation["reason"]) for violation in violations)
    ordered = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return {
        "checked": checked,
        "would_reject": would_reject,
        "reasons": [{"property": prop, "reason": reason, "count": count} for (prop, reason), count in ordered],
        "sample_event_uuids": samples,
    }


def enforcement_rules_for_definition(*, definition: EventDefinition) -> EnforcementRules:
    specs = property_specs_by_definition(team_id=definition.team_id, definition_ids=[definition.id])
    merged = merge_properties(EventSpec(definition.name, tuple(specs.get(definition.id, ()))))
    return EnforcementRules(definition.schema_version, tuple(merged))

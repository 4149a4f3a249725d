"""Reads for the generators and enforcement: a project's covered events with their merged schema,
in a fixed number of queries whatever the number of events."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from event_definitions.models import EventDefinition
from posthog_core.models import Project
from schemas.generators import EventSpec, PropertySpec
from schemas.models import EventSchema, SchemaPropertyGroupProperty

# PostHog's generators cover custom events plus these three built-ins.
COVERED_SYSTEM_EVENTS = ("$pageview", "$pageleave", "$screen")


def group_property_specs(*, team_id: int, group_ids=None) -> dict:
    """group id (as text) → (group name, PropertySpecs ordered by name), one query."""
    rows = SchemaPropertyGroupProperty.objects.filter(property_group__team_id=team_id)
    if group_ids is not None:
        rows = rows.filter(property_group_id__in=group_ids)
    groups: dict = {}
    for group_id, group_name, name, property_type, is_required, optional_in_types, allowed in rows.order_by(
        "property_group_id", "name"
    ).values_list(
        "property_group_id", "property_group__name", "name", "property_type", "is_required", "is_optional_in_types",
        "allowed_values",
    ):
        spec = PropertySpec(
            name=name, property_type=property_type, is_required=is_required, is_optional_in_types=optional_in_types,
            allowed_values=None if allowed is None else tuple(allowed),
        )
        groups.setdefault(str(group_id), (group_name, []))[1].append(spec)
    return groups


def specs_by_key(*, links, groups: dict) -> dict:
    """key → PropertySpecs of the groups linked to it, from `(key, group id as text)` pairs.

    Keys with the same set of groups share one tuple (groups in name order), so the generators'
    per-property-set caches hit. Keys are event names or definition ids, never hashed UUIDs of
    10,000 rows (uuid.UUID hashing dominated the profile).
    """
    group_keys: dict = defaultdict(list)
    for key, group_id in links:
        if group_id in groups:
            group_keys[key].append(group_id)
    shared: dict = {}
    result = {}
    for key, group_ids in group_keys.items():
        ordered = tuple(group_ids) if len(group_ids) == 1 else tuple(sorted(group_ids, key=lambda g: (groups[g][0], g)))
        if ordered not in shared:
            shared[ordered] = tuple(spec for group_id in ordered for spec in groups[group_id][1])
        result[key] = shared[ordered]
    return result


def property_specs_by_definition(*, team_id: int, definition_ids: list) -> dict:
    """definition id → PropertySpecs of every group attached to it (two queries)."""
    links = [
        (definition_id, str(group_id))
        for definition_id, group_id in EventSchema.objects.filter(event_definition_id__in=definition_ids).values_list(
            "event_definition_id", "property_group_id"
        )
    ]
    groups = group_property_specs(team_id=team_id, group_ids={group_id for _, group_id in links})
    return specs_by_key(links=links, groups=groups)


def event_specs_for_team(*, team: Project) -> list[EventSpec]:
    """Every covered definition of the project, ordered by name, typed or not (two queries).
    Names are unique per project, so they key the links."""
    rows = list(
        EventDefinition.objects.filter(team=team)
        .filter(~Q(name__startswith="$") | Q(name__in=COVERED_SYSTEM_EVENTS))
        .annotate(group_key=Cast("schemas__property_group_id", output_field=TextField()))
        .order_by("name")
        .values_list("name", "group_key")
    )
    specs = specs_by_key(links=[row for row in rows if row[1] is not None], groups=group_property_specs(team_id=team.id))
    names = dict.fromkeys(name for name, _ in rows)
    return [EventSpec(name=name, properties=specs.get(name, ())) for name in names]

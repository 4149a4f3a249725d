"""Reads for the generators and enforcement: a project's covered events with their merged schema,
in a fixed number of queries whatever the number of events."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from event_definitions.models import EventDefinition
from posthog_core.models import Project
from schemas.generators import EventSpec, PropertySpec
from schemas.models import EventSchema, SchemaPropertyGroupProperty

# PostHog's generators cover custom events plus these three built-ins.
COVERED_SYSTEM_EVENTS = ("$pageview", "$pageleave", "$screen")


def group_property_specs(*, team_id: int, group_ids=None) -> dict:
    """group id → (group name, PropertySpecs ordered by name), one query."""
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
        groups.setdefault(group_id, (group_name, []))[1].append(spec)
    return groups


def specs_by_definition(*, links: list[tuple], groups: dict) -> dict:
    """definition id → one shared tuple of PropertySpecs per distinct set of groups (groups in
    name order), so events with the same groups share the object and the generators' caches."""
    group_ids_by_definition: dict = defaultdict(list)
    for definition_id, group_id in links:
        if group_id in groups:
            group_ids_by_definition[definition_id].append(group_id)
    shared: dict = {}
    result = {}
    for definition_id, group_ids in group_ids_by_definition.items():
        key = tuple(sorted(group_ids, key=lambda group_id: (groups[group_id][0], str(group_id))))
        if key not in shared:
            shared[key] = tuple(spec for group_id in key for spec in groups[group_id][1])
        result[definition_id] = shared[key]
    return result


def property_specs_by_definition(*, team_id: int, definition_ids: list) -> dict:
    """definition id → PropertySpecs of every group attached to it (two queries)."""
    links = list(
        EventSchema.objects.filter(event_definition_id__in=definition_ids).values_list(
            "event_definition_id", "property_group_id"
        )
    )
    groups = group_property_specs(team_id=team_id, group_ids={group_id for _, group_id in links})
    return specs_by_definition(links=links, groups=groups)


def event_specs_for_team(*, team: Project) -> list[EventSpec]:
    """Every covered definition of the project, ordered by name, typed or not (two queries)."""
    rows = list(
        EventDefinition.objects.filter(team=team)
        .filter(~Q(name__startswith="$") | Q(name__in=COVERED_SYSTEM_EVENTS))
        .order_by("name", "id")
        .values_list("id", "name", "schemas__property_group_id")
    )
    groups = group_property_specs(team_id=team.id)
    specs = specs_by_definition(links=[(row[0], row[2]) for row in rows if row[2] is not None], groups=groups)
    seen: set = set()
    events = []
    for definition_id, name, _ in rows:
        if definition_id not in seen:
            seen.add(definition_id)
            events.append(EventSpec(name=name, properties=specs.get(definition_id, ())))
    return events

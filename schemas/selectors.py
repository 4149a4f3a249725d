"""Reads for the generators and enforcement: a project's covered events with their merged schema,
in a fixed number of queries whatever the number of events."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q

from event_definitions.models import EventDefinition
from posthog_core.models import Project
from schemas.generators import EventSpec, PropertySpec
from schemas.models import SchemaPropertyGroupProperty

# PostHog's generators cover custom events plus these three built-ins.
COVERED_SYSTEM_EVENTS = ("$pageview", "$pageleave", "$screen")


def property_specs_by_definition(*, team_id: int, definition_ids: list | None = None) -> dict:
    """definition id → PropertySpecs of every group attached to it (one query)."""
    rows = SchemaPropertyGroupProperty.objects.filter(property_group__event_schemas__event_definition__team_id=team_id)
    if definition_ids is not None:
        rows = rows.filter(property_group__event_schemas__event_definition_id__in=definition_ids)
    rows = (
        rows.order_by("property_group__event_schemas__event_definition_id", "property_group__name", "name")
        .values_list(
            "property_group__event_schemas__event_definition_id",
            "name",
            "property_type",
            "is_required",
            "is_optional_in_types",
            "allowed_values",
        )
    )
    specs: dict = defaultdict(list)
    for definition_id, name, property_type, is_required, optional_in_types, allowed in rows:
        specs[definition_id].append(
            PropertySpec(
                name=name,
                property_type=property_type,
                is_required=is_required,
                is_optional_in_types=optional_in_types,
                allowed_values=None if allowed is None else tuple(allowed),
            )
        )
    return specs


def event_specs_for_team(*, team: Project) -> list[EventSpec]:
    """Every covered definition of the project, ordered by name, typed or not (two queries)."""
    definitions = (
        EventDefinition.objects.filter(team=team)
        .filter(~Q(name__startswith="$") | Q(name__in=COVERED_SYSTEM_EVENTS))
        .order_by("name")
        .values_list("id", "name")
    )
    specs = property_specs_by_definition(team_id=team.id)
    return [EventSpec(name=name, properties=tuple(specs.get(definition_id, ()))) for definition_id, name in definitions]

"""Property definition writes (update, delete) with their activity rows, in one transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from activity_logs.services import activity_log_create, change
from event_definitions.models import PropertyDefinition, Tag, TaggedItem
from event_definitions.services import apply_verification, definition_changes, definition_set_tags
from posthog_core.models import User

ACTIVITY_SCOPE = "PropertyDefinition"
UPDATABLE_FIELDS = ("description", "tags", "property_type", "verified", "hidden")
DELETED_FIELDS = ("name", "description", "tags", "property_type", "verified", "hidden")


def tag_names(definition: PropertyDefinition) -> list[str]:
    return sorted(TaggedItem.objects.filter(property_definition=definition).values_list("tag__name", flat=True))


def activity_value(definition: PropertyDefinition, field: str) -> Any:
    return tag_names(definition) if field == "tags" else getattr(definition, field)


@transaction.atomic
def property_definition_update(*, definition: PropertyDefinition, data: dict, user: User) -> PropertyDefinition:
    """Apply a validated PUT/PATCH. `property_type` also sets `is_numerical`. One `changed` activity
    listing the sent fields whose value changed (none: no activity row)."""
    sent = [field for field in UPDATABLE_FIELDS if field in data]
    before = {field: activity_value(definition, field) for field in sent}
    if "description" in data:
        definition.description = data["description"] or ""
    if "property_type" in data:
        definition.property_type = data["property_type"]
        definition.is_numerical = data["property_type"] == PropertyDefinition.PropertyType.NUMERIC
    apply_verification(definition, data=data, user=user)
    definition.updated_by, definition.updated_at = user, timezone.now()
    definition.save()
    if "tags" in data:
        definition_set_tags(definition=definition, names=data["tags"])
    after = {field: data["tags"] if field == "tags" else activity_value(definition, field) for field in sent}
    changes = definition_changes(scope=ACTIVITY_SCOPE, sent=sent, before=before, after=after)
    if changes:
        activity_log_create(
            team=definition.team, user=user, scope=ACTIVITY_SCOPE, activity="changed", item_id=definition.id,
            name=definition.name, detail_type=definition.get_type_display(), changes=changes,
        )
    return definition


@transaction.atomic
def property_definition_delete(*, definition: PropertyDefinition, user: User) -> None:
    """Delete the row (its tagged items cascade). Events and the event → property pairs stay, so the
    next capture of the property brings the definition back with `is_seen_on_filtered_events` intact."""
    changes = [
        change(scope=ACTIVITY_SCOPE, action="deleted", field=field, before=activity_value(definition, field))
        for field in DELETED_FIELDS
    ]
    item_id, team, kind = definition.id, definition.team, definition.get_type_display()
    definition.delete()
    Tag.objects.filter(team=team, tagged_items__isnull=True).delete()
    activity_log_create(
        team=team, user=user, scope=ACTIVITY_SCOPE, activity="deleted", item_id=item_id, name=definition.name,
        detail_type=kind, changes=changes,
    )

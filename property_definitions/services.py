"""Property definition writes (update, delete) with their activity rows, in one transaction each."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from activity_logs.services import activity_log_create, change
from event_definitions.models import PropertyDefinition, Tag, TaggedItem
from posthog_core.models import User

ACTIVITY_SCOPE = "PropertyDefinition"
UPDATABLE_FIELDS = ("description", "tags", "property_type", "verified", "hidden")
DELETED_FIELDS = ("name", "description", "tags", "property_type", "verified", "hidden")


def tag_names(definition: PropertyDefinition) -> list[str]:
    return sorted(TaggedItem.objects.filter(property_definition=definition).values_list("tag__name", flat=True))


def activity_value(definition: PropertyDefinition, field: str) -> Any:
    return tag_names(definition) if field == "tags" else getattr(definition, field)


def property_definition_set_tags(*, definition: PropertyDefinition, names: list[str]) -> None:
    """Replace the definition's tag set; tags no longer used anywhere in the project are deleted."""
    team_id = definition.team_id
    wanted = set(names)
    TaggedItem.objects.filter(property_definition=definition).exclude(tag__name__in=wanted).delete()
    if wanted:
        Tag.objects.bulk_create([Tag(team_id=team_id, name=name) for name in wanted], ignore_conflicts=True)
        tags = Tag.objects.filter(team_id=team_id, name__in=wanted)
        TaggedItem.objects.bulk_create(
            [TaggedItem(tag=tag, property_definition=definition) for tag in tags], ignore_conflicts=True
        )
    Tag.objects.filter(team_id=team_id, tagged_items__isnull=True).delete()


def apply_verification(definition: PropertyDefinition, *, data: dict, user: User) -> None:
    """PostHog's rules: hiding unverifies; verifying unhides and stamps who and when, only on the
    false → true transition (re-verifying keeps the first `verified_at`)."""
    if data.get("hidden"):
        definition.hidden, definition.verified = True, False
        definition.verified_by, definition.verified_at = None, None
        return
    if "hidden" in data:
        definition.hidden = False
    if "verified" not in data:
        return
    if data["verified"]:
        definition.hidden = False
        if not definition.verified:
            definition.verified, definition.verified_by, definition.verified_at = True, user, timezone.now()
    else:
        definition.verified, definition.verified_by, definition.verified_at = False, None, None


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
        property_definition_set_tags(definition=definition, names=data["tags"])
    after = {field: data["tags"] if field == "tags" else activity_value(definition, field) for field in sent}
    changes = [
        change(scope=ACTIVITY_SCOPE, action="changed", field=field, before=before[field], after=after[field])
        for field in sent
        if (sorted(before[field]) != sorted(after[field]) if field == "tags" else before[field] != after[field])
    ]
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

"""Event definition writes (create, update, delete, tags, bulk actions) and the query log.

Every write runs in one transaction and records its activity row in the same transaction, so the
log never shows a change that was rolled back.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from activity_logs.services import activity_log_create, change
from event_definitions.models import EventDefinition, PropertyDefinition, QueryLog, Tag, TaggedItem
from posthog_core.models import Project, User

ACTIVITY_SCOPE = "EventDefinition"
UNIQUE_NAME_CONSTRAINT = "unique_event_definition_team_name"
# Plain columns the API writes; their activity value is the stored value itself.
PLAIN_FIELDS = ("description", "hidden", "verified", "default_columns", "primary_property", "enforcement_mode")
DELETED_FIELDS = ("name", "description", "tags", "owner", "verified", "hidden", "enforcement_mode",
                  "primary_property", "default_columns")


def query_log_record(*, team: Project, event_names: list[str], source: str) -> None:
    """Record one query run that read `event_names` (deduplicated; nothing when empty).

    Outside a transaction the row is one statement that commits without waiting for its WAL flush.
    The log is usage telemetry (the metrics endpoint), not data: a crash may lose the last fraction
    of a second of rows, never corrupt anything, while waiting for the flush cost every query a disk
    flush (several milliseconds under load, more than a small trends query). `set_config(..., true)`
    lasts only for the statement's own implicit transaction, so later statements commit durably.
    Inside a caller's transaction the ordinary write is used: relaxing would reach the caller's writes.
    """
    names = sorted({name.replace("\x00", "") for name in event_names if isinstance(name, str) and name})
    if not names:
        return
    if connection.in_atomic_block:
        QueryLog.objects.create(team=team, event_names=names, source=source[:32])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {QueryLog._meta.db_table} (team_id, event_names, source, created_at) "
            "SELECT %s, %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed",
            [team.id, names, source[:32], timezone.now()],
        )


def tag_names(definition: EventDefinition) -> list[str]:
    return sorted(TaggedItem.objects.filter(event_definition=definition).values_list("tag__name", flat=True))


def activity_value(definition: EventDefinition, field: str) -> Any:
    if field == "tags":
        return tag_names(definition)
    if field == "owner":
        return definition.owner_id
    if field == "default_columns":
        return list(definition.default_columns or [])
    return getattr(definition, field)


def definition_set_tags(*, definition: EventDefinition | PropertyDefinition, names: list[str]) -> None:
    """Replace an event or property definition's tag set; tags no longer used anywhere in the
    project are deleted."""
    owner = "event_definition" if isinstance(definition, EventDefinition) else "property_definition"
    team_id = definition.team_id
    wanted = set(names)
    TaggedItem.objects.filter(**{owner: definition}).exclude(tag__name__in=wanted).delete()
    if wanted:
        Tag.objects.bulk_create([Tag(team_id=team_id, name=name) for name in wanted], ignore_conflicts=True)
        tags = Tag.objects.filter(team_id=team_id, name__in=wanted)
        TaggedItem.objects.bulk_create([TaggedItem(tag=tag, **{owner: definition}) for tag in tags],
                                       ignore_conflicts=True)
    Tag.objects.filter(team_id=team_id, tagged_items__isnull=True).delete()


def apply_verification(definition: EventDefinition | PropertyDefinition, *, data: dict, user: User) -> None:
    """PostHog's hidden/verified rules: hiding unverifies; verifying unhides and stamps who and when
    (only on the false → true transition, so re-verifying keeps the first `verified_at`)."""
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


def assign_fields(definition: EventDefinition, *, data: dict, user: User) -> None:
    if "owner" in data:
        definition.owner = data["owner"]
    if "description" in data:
        definition.description = data["description"] or ""
    for field in ("default_columns", "primary_property", "enforcement_mode"):
        if field in data:
            setattr(definition, field, data[field])
    apply_verification(definition, data=data, user=user)
    definition.updated_by = user


def event_definition_create(*, team: Project, user: User, data: dict) -> EventDefinition:
    """Create through the API: `last_seen_at` stays NULL (never ingested), `created_at` is now
    (DECISIONS.md). A duplicate name, even from a concurrent request, is a 400 on `name`."""
    name = data["name"]
    definition = EventDefinition(team=team, name=name, created_at=timezone.now(), last_seen_at=None)
    assign_fields(definition, data=data, user=user)
    try:
        with transaction.atomic():
            definition.save()
            if data.get("tags"):
                definition_set_tags(definition=definition, names=data["tags"])
            activity_log_create(
                team=team, user=user, scope=ACTIVITY_SCOPE, activity="created", item_id=definition.id, name=name,
                changes=[change(scope=ACTIVITY_SCOPE, action="created", field="name", after=name)],
            )
    except IntegrityError as error:
        if getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) != UNIQUE_NAME_CONSTRAINT:
            raise
        raise ValidationError({"name": [f"Event definition with name '{name}' already exists"]}, code="unique") from None
    return definition


def definition_changes(*, scope: str, sent: list[str], before: dict, after: dict) -> list:
    """The activity `changes` of an event or property definition update: the sent fields whose value
    changed (tags compared as sets)."""
    return [
        change(scope=scope, action="changed", field=field, before=before[field], after=after[field])
        for field in sent
        if (sorted(before[field]) != sorted(after[field]) if field == "tags" else before[field] != after[field])
    ]


@transaction.atomic
def event_definition_update(*, definition: EventDefinition, data: dict, user: User) -> EventDefinition:
    """Apply a validated PUT/PATCH; the activity lists only the sent fields whose value changed."""
    sent = [field for field in (*PLAIN_FIELDS, "owner", "tags") if field in data]
    before = {field: activity_value(definition, field) for field in sent}
    assign_fields(definition, data=data, user=user)
    definition.save()
    if "tags" in data:
        definition_set_tags(definition=definition, names=data["tags"])
    after = {field: data["tags"] if field == "tags" else activity_value(definition, field) for field in sent}
    changes = definition_changes(scope=ACTIVITY_SCOPE, sent=sent, before=before, after=after)
    if changes:
        activity_log_create(
            team=definition.team, user=user, scope=ACTIVITY_SCOPE, activity="changed", item_id=definition.id,
            name=definition.name, changes=changes,
        )
    return definition


@transaction.atomic
def event_definition_delete(*, definition: EventDefinition, user: User) -> None:
    """Delete the row (its tagged items cascade); events are untouched, so ingestion may recreate it."""
    changes = [
        change(scope=ACTIVITY_SCOPE, action="deleted", field=field, before=activity_value(definition, field))
        for field in DELETED_FIELDS
    ]
    item_id, team = definition.id, definition.team
    definition.delete()
    Tag.objects.filter(team=team, tagged_items__isnull=True).delete()
    activity_log_create(
        team=team, user=user, scope=ACTIVITY_SCOPE, activity="deleted", item_id=item_id, name=definition.name,
        changes=changes,
    )


def skipped(ids: list[UUID], found: set[UUID]) -> list[dict]:
    return [{"id": str(item_id), "reason": "Not found"} for item_id in dict.fromkeys(ids) if item_id not in found]


@transaction.atomic
def event_definitions_bulk_update_tags(
    *, team: Project, user: User, ids: list[UUID], action: str, tags: list[str]
) -> dict:
    """Add, remove or set tags on many definitions of `team`; ids of other projects are skipped.
    One `changed` activity per definition whose tag set actually changed."""
    definitions = list(EventDefinition.objects.filter(team=team, id__in=ids).select_for_update().order_by("id"))
    current: dict[UUID, set[str]] = {definition.id: set() for definition in definitions}
    for definition_id, name in TaggedItem.objects.filter(event_definition__in=definitions).values_list(
        "event_definition_id", "tag__name"
    ):
        current[definition_id].add(name)
    updated = []
    for definition in definitions:
        before = current[definition.id]
        after = before | set(tags) if action == "add" else before - set(tags) if action == "remove" else set(tags)
        if after != before:
            definition_set_tags(definition=definition, names=sorted(after))
            activity_log_create(
                team=team, user=user, scope=ACTIVITY_SCOPE, activity="changed", item_id=definition.id,
                name=definition.name,
                changes=[change(scope=ACTIVITY_SCOPE, action="changed", field="tags", before=sorted(before),
                                after=sorted(after))],
            )
        updated.append({"id": str(definition.id), "tags": sorted(after)})
    return {"updated": updated, "skipped": skipped(ids, set(current))}


@transaction.atomic
def event_definitions_bulk_update_verified(*, team: Project, user: User, ids: list[UUID], verified: bool) -> dict:
    """Verify or unverify many definitions with the PATCH rules; rows already in that state are skipped."""
    definitions = list(EventDefinition.objects.filter(team=team, id__in=ids).select_for_update().order_by("id"))
    found = {definition.id for definition in definitions}
    updated, already = [], []
    for definition in definitions:
        if definition.verified == verified:
            already.append({"id": str(definition.id), "reason": "Already verified" if verified else "Not verified"})
            continue
        event_definition_update(definition=definition, data={"verified": verified}, user=user)
        updated.append({"id": str(definition.id), "verified": verified})
    return {"updated": updated, "skipped": [*already, *skipped(ids, found)]}

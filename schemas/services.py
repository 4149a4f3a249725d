"""Writes to property groups and event-schema links. Every change bumps `schema_version` on the
event definitions it affects, so clients and caches see the schema moved."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework.exceptions import ValidationError

from event_definitions.models import EventDefinition
from posthog_core.models import Project, User
from schemas.generators import GENERATORS, GeneratedCode, schema_hash
from schemas.models import EventSchema, SchemaPropertyGroup, SchemaPropertyGroupProperty
from schemas.selectors import event_specs_for_team

GROUP_FIELDS = ("name", "description")


def schema_version_bump(*, definition_ids: Iterable) -> None:
    """One UPDATE; `updated_at` is left alone on purpose (a schema change is not a definition edit)."""
    ids = list(definition_ids)
    if ids:
        EventDefinition.objects.filter(id__in=ids).update(schema_version=F("schema_version") + 1)


def linked_definition_ids(*, group: SchemaPropertyGroup) -> list:
    return list(EventSchema.objects.filter(property_group=group).values_list("event_definition_id", flat=True))


def duplicate_name_error() -> ValidationError:
    return ValidationError({"name": ["A property group with this name already exists in this project."]}, code="unique")


def property_group_properties_replace(*, group: SchemaPropertyGroup, properties: list[dict]) -> None:
    group.properties.all().delete()
    SchemaPropertyGroupProperty.objects.bulk_create(
        [SchemaPropertyGroupProperty(property_group=group, **item) for item in properties]
    )


def property_group_create(*, team: Project, user: User | None, data: dict) -> SchemaPropertyGroup:
    """Create a group with its properties in one transaction; raises ValidationError on a
    duplicate group name (the database decides, not a pre-check)."""
    properties = data.get("properties", [])
    try:
        with transaction.atomic():
            group = SchemaPropertyGroup.objects.create(
                team=team, created_by=user if user and user.is_authenticated else None,
                **{key: data[key] for key in GROUP_FIELDS if key in data},
            )
            property_group_properties_replace(group=group, properties=properties)
    except IntegrityError as error:
        raise duplicate_name_error() from error
    return group


def property_group_update(*, group: SchemaPropertyGroup, data: dict) -> SchemaPropertyGroup:
    """Update fields; `properties`, when given, replaces the whole set. Bumps linked definitions."""
    try:
        with transaction.atomic():
            for key in GROUP_FIELDS:
                if key in data:
                    setattr(group, key, data[key])
            group.save()
            if "properties" in data:
                property_group_properties_replace(group=group, properties=data["properties"])
            schema_version_bump(definition_ids=linked_definition_ids(group=group))
    except IntegrityError as error:
        raise duplicate_name_error() from error
    return group


def property_group_delete(*, group: SchemaPropertyGroup) -> None:
    with transaction.atomic():
        schema_version_bump(definition_ids=linked_definition_ids(group=group))
        group.delete()


def event_schema_create(*, event_definition: EventDefinition, property_group: SchemaPropertyGroup) -> EventSchema:
    """Attach a group to a definition; raises ValidationError if it is already attached."""
    try:
        with transaction.atomic():
            link = EventSchema.objects.create(event_definition=event_definition, property_group=property_group)
            schema_version_bump(definition_ids=[event_definition.id])
    except IntegrityError as error:
        raise ValidationError(
            {"property_group_id": ["This property group is already attached to this event."]}, code="unique"
        ) from error
    return link


def event_schema_delete(*, link: EventSchema) -> None:
    with transaction.atomic():
        schema_version_bump(definition_ids=[link.event_definition_id])
        link.delete()


# (language, schema_hash) → GeneratedCode, most recent last. Content is a function of the hash
# alone (the ETag relies on the same fact), so an entry is never stale; a few entries per worker
# spare regenerating megabytes for clients that poll an unchanged schema without If-None-Match.
_GENERATED: OrderedDict[tuple[str, str], GeneratedCode] = OrderedDict()
GENERATED_CACHE_SIZE = 4


def schema_code_generate(
    *, team: Project, language: str, if_none_match: str | None = None, use_cache: bool = True
) -> tuple[str, GeneratedCode | None]:
    """The project's typed-capture code in `language`.

    Returns `(schema_hash, code)`; `code` is None when `if_none_match` already names the current
    hash (the caller answers 304 without generating anything).
    """
    generate, version = GENERATORS[language]
    events = event_specs_for_team(team=team)
    current = schema_hash(events, version)
    if if_none_match and current in etag_values(if_none_match):
        return current, None
    key = (language, current)
    code = _GENERATED.get(key) if use_cache else None
    if code is None:
        code = generate(events)
        _GENERATED[key] = code
        while len(_GENERATED) > GENERATED_CACHE_SIZE:
            _GENERATED.popitem(last=False)
    _GENERATED.move_to_end(key)
    return current, code


def etag_values(header: str) -> set[str]:
    """The entity tags of an If-None-Match header, without quotes or weak prefixes."""
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()}

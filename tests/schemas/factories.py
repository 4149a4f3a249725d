"""Factories for typed event schemas (and the definitions they attach to)."""

import factory

from schemas.models import EventSchema, SchemaPropertyGroup, SchemaPropertyGroupProperty
from tests.event_definitions.factories import EventDefinitionFactory as SchemaDefinitionFactory  # noqa: F401
from tests.factories import ProjectFactory


class SchemaPropertyGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchemaPropertyGroup

    team = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"group_{n}")
    description = ""


class SchemaPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchemaPropertyGroupProperty

    property_group = factory.SubFactory(SchemaPropertyGroupFactory)
    name = factory.Sequence(lambda n: f"property_{n}")
    property_type = "String"
    is_required = False


class EventSchemaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventSchema

    event_definition = factory.SubFactory(SchemaDefinitionFactory)
    property_group = factory.SubFactory(SchemaPropertyGroupFactory)


def typed_event(team, name, *properties, group_name=None):
    """A definition with one group holding `properties` = (name, type, required[, allowed]) tuples."""
    definition = SchemaDefinitionFactory(team=team, name=name)
    group = SchemaPropertyGroupFactory(team=team, name=group_name or f"{name} group")
    for prop in properties:
        SchemaPropertyFactory(
            property_group=group, name=prop[0], property_type=prop[1], is_required=prop[2],
            allowed_values=prop[3] if len(prop) > 3 else None,
        )
    EventSchemaFactory(event_definition=definition, property_group=group)
    return definition

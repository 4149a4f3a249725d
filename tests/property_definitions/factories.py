"""Factories for property definitions and the event → property pairs capture records."""

import factory

from event_definitions.models import EventProperty, PropertyDefinition, TaggedItem
from tests.event_definitions.factories import TagFactory
from tests.factories import ProjectFactory


class PropertyDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyDefinition

    team = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"property_{n}")


class EventPropertyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventProperty

    team = factory.SubFactory(ProjectFactory)
    event = "$pageview"
    property = factory.Sequence(lambda n: f"property_{n}")


def tag(definition: PropertyDefinition, *names: str) -> None:
    for name in names:
        TaggedItem.objects.create(property_definition=definition, tag=TagFactory(team=definition.team, name=name))


def names_of(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]

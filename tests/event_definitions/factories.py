"""Factories for event definitions, tags and the query log."""

import factory

from event_definitions.models import EventDefinition, PropertyDefinition, QueryLog, Tag, TaggedItem
from tests.factories import ProjectFactory


class EventDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventDefinition

    team = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"event_{n}")
    last_seen_at = None


class PropertyDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyDefinition

    team = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"property_{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("team", "name")

    team = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"tag_{n}")


class TaggedItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaggedItem

    event_definition = factory.SubFactory(EventDefinitionFactory)
    tag = factory.SubFactory(TagFactory, team=factory.SelfAttribute("..event_definition.team"))


class QueryLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueryLog

    team = factory.SubFactory(ProjectFactory)
    event_names = factory.LazyFunction(list)
    source = "query"


def tag(definition: EventDefinition, *names: str) -> None:
    for name in names:
        TaggedItemFactory(event_definition=definition, tag=TagFactory(team=definition.team, name=name))


def names_of(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]

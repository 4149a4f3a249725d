"""Capture payload builders and stored-event factories for the ingestion tests."""

import uuid

import factory

from ingestion.models import Event
from tests.factories import ProjectFactory


class CaptureEventFactory(factory.DictFactory):
    """One event as the SDKs send it (a dict, not a row)."""

    event = factory.Sequence(lambda n: f"event {n}")
    distinct_id = factory.Faker("uuid4")
    uuid = factory.LazyFunction(lambda: str(uuid.uuid4()))
    timestamp = "2026-01-02T03:04:05.678000+00:00"
    properties = factory.LazyFunction(lambda: {"plan": "free", "$lib": "posthog-python"})


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    uuid = factory.LazyFunction(uuid.uuid4)
    team = factory.SubFactory(ProjectFactory)
    event = "signed_up"
    distinct_id = factory.Faker("uuid4")
    timestamp = factory.Faker("date_time", tzinfo=__import__("datetime").UTC)
    properties = factory.LazyFunction(dict)

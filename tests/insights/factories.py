"""Factories for insights, dashboards, tiles and raw events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import factory

from ingestion.models import Event
from insights.models import Dashboard, DashboardTile, Insight

# The frozen "now" of the insight tests (tests/insights/conftest.py `frozen_now`).
NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
TRENDS_QUERY = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]}


class InsightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insight

    name = factory.Faker("sentence", nb_words=3)
    query = factory.LazyFunction(lambda: dict(TRENDS_QUERY))
    saved = True


class DashboardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dashboard

    name = factory.Faker("sentence", nb_words=2)


class DashboardTileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DashboardTile


def make_event(team, event: str, at: datetime | str, distinct_id: str = "user-1", **properties) -> Event:
    """One stored event; `at` is an aware datetime or an ISO string (UTC when it has no offset)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Event.objects.create(uuid=uuid.uuid4(), team=team, event=event, distinct_id=distinct_id, timestamp=at,
                                properties=properties)

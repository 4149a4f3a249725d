"""Factories for exports tests: exported assets, plus the insights, dashboards and events they read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import factory

from exports.models import ExportedAsset
from ingestion.models import Event
from insights.models import Dashboard, DashboardTile, Insight

TRENDS_QUERY = {
    "kind": "TrendsQuery",
    "series": [{"kind": "EventsNode", "event": "$pageview"}],
    "interval": "day",
    "dateRange": {"date_from": "2019-12-29", "date_to": "2020-01-01"},
}


class ExportInsightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Insight

    name = "example insight"
    query = factory.LazyFunction(lambda: dict(TRENDS_QUERY))
    saved = True


class ExportDashboardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dashboard

    name = "example dashboard"


class ExportTileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DashboardTile


class ExportedAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportedAsset

    export_format = "image/png"


def event_create(team, event: str, at: str, distinct_id: str = "user-1", **properties) -> Event:
    moment = datetime.fromisoformat(at)
    return Event.objects.create(uuid=uuid.uuid4(), team=team, event=event, distinct_id=distinct_id,
                                timestamp=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
                                properties=properties)

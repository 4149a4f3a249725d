"""Stored events: what capture accepts, and what insights and exports read."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Event(models.Model):
    """One row per captured event, in the monthly partitions of `ingestion_event` (ingestion.partitions).

    The database's primary key is `(id, timestamp)`, as a partitioned table's must include its
    partition key; `id` alone is unique by its sequence, so the ORM addresses rows by it. The
    `(team, uuid)` dedupe is a unique index per partition, made with each partition, so it is not
    declared here.
    """

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField()
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.CharField(max_length=400)
    distinct_id = models.CharField(max_length=400)
    timestamp = models.DateTimeField()
    properties = models.JSONField(default=dict)
    inserted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["team", "event", "timestamp"], name="event_team_event_ts"),
            models.Index(fields=["team", "timestamp", "uuid"], name="event_team_ts_uuid"),
        ]

"""Stored events: what capture accepts, and what insights and exports read."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Event(models.Model):
    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField()
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.CharField(max_length=400)
    distinct_id = models.CharField(max_length=400)
    timestamp = models.DateTimeField()
    properties = models.JSONField(default=dict)
    inserted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A retried batch carries the same SDK uuids: conflicts are ignored, never duplicated.
            models.UniqueConstraint(fields=["team", "uuid"], name="unique_event_team_uuid"),
        ]
        indexes = [
            models.Index(fields=["team", "event", "timestamp"], name="event_team_event_ts"),
            models.Index(fields=["team", "timestamp", "uuid"], name="event_team_ts_uuid"),
        ]

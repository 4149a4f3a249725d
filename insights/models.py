"""Saved insights (a query plus its cached result), dashboards, and the tiles that link them."""

from __future__ import annotations

import secrets
import string

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits


def generate_short_id() -> str:
    """PostHog's 8-character public insight id (the part of `/insights/<short_id>` URLs)."""
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(8))


class Insight(models.Model):
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="insights")
    short_id = models.CharField(max_length=12, default=generate_short_id)
    name = models.CharField(max_length=400, null=True, blank=True)
    derived_name = models.CharField(max_length=400, null=True, blank=True)
    description = models.CharField(max_length=400, null=True, blank=True)
    query = models.JSONField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    saved = models.BooleanField(default=False)
    favorited = models.BooleanField(default=False)
    # Normalised names (lowercase, unique, sorted). Kept on the row rather than in event_definitions'
    # Tag table: that app deletes every Tag no event definition uses.
    tags = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    created_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_modified_at = models.DateTimeField(default=timezone.now)
    last_modified_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    # The result of `query` as last computed; `cache_key` says which query/timezone it belongs to.
    last_refresh = models.DateTimeField(null=True, blank=True)
    cached_result = models.JSONField(null=True, blank=True)
    cache_key = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "short_id"], name="unique_insight_team_short_id"),
        ]
        indexes = [models.Index(fields=["team", "deleted", "-last_modified_at"], name="insight_team_recent")]

    def __str__(self) -> str:
        return self.name or self.derived_name or self.short_id

    # Both read `dashboard_tiles` (prefetch `dashboard_tiles__dashboard` to avoid a query each).
    @property
    def live_tiles(self) -> list[DashboardTile]:
        return sorted((tile for tile in self.dashboard_tiles.all() if not tile.deleted and not tile.dashboard.deleted),
                      key=lambda tile: tile.pk)

    @property
    def live_dashboards(self) -> list[Dashboard]:
        return [tile.dashboard for tile in self.live_tiles]


class Dashboard(models.Model):
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=400, null=True, blank=True)
    description = models.TextField(blank=True, default="")
    pinned = models.BooleanField(default=False)
    # `date_from` / `date_to` here override every tile's own date range.
    filters = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False)
    tags = ArrayField(models.CharField(max_length=255), default=list, blank=True)  # as Insight.tags
    created_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_accessed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "deleted"], name="dashboard_team_deleted")]

    def __str__(self) -> str:
        return self.name or f"Dashboard {self.pk}"

    @property
    def live_tiles(self) -> list[DashboardTile]:
        """Tiles whose insight still exists (prefetch `tiles__insight` to avoid a query each)."""
        return sorted((tile for tile in self.tiles.all() if not tile.deleted and tile.insight and not tile.insight.deleted),
                      key=lambda tile: tile.pk)


class DashboardTile(models.Model):
    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="tiles")
    insight = models.ForeignKey(Insight, on_delete=models.CASCADE, related_name="dashboard_tiles", null=True)
    layouts = models.JSONField(default=dict, blank=True)
    color = models.CharField(max_length=400, null=True, blank=True)
    deleted = models.BooleanField(default=False)
    # The insight's result under the dashboard's date filter (a different query from the insight's own).
    last_refresh = models.DateTimeField(null=True, blank=True)
    cached_result = models.JSONField(null=True, blank=True)
    cache_key = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dashboard", "insight"], condition=models.Q(deleted=False), name="unique_live_tile_per_insight"
            ),
        ]

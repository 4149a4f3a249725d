"""ExportedAsset (PostHog §3.5): one rendered export; its bytes live in Django's storage."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from exports.renderers.types import ExportFormat


class ExportedAssetQuerySet(models.QuerySet):
    def unexpired(self):
        return self.filter(models.Q(expires_after__isnull=True) | models.Q(expires_after__gte=timezone.now()))

    def expired(self):
        return self.filter(expires_after__lt=timezone.now())


class UnexpiredManager(models.Manager.from_queryset(ExportedAssetQuerySet)):
    """The default manager hides expired rows, so they answer 404 everywhere (as PostHog's does)."""

    def get_queryset(self):
        return super().get_queryset().unexpired()


class ExportedAsset(models.Model):
    class FailureType(models.TextChoices):
        USER = "user"
        SYSTEM = "system"

    id = models.AutoField(primary_key=True)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    dashboard = models.ForeignKey("insights.Dashboard", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    insight = models.ForeignKey("insights.Insight", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    export_format = models.CharField(max_length=100, choices=ExportFormat.choices)
    content_location = models.TextField(max_length=1000, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_after = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    export_context = models.JSONField(null=True, blank=True)
    exception = models.TextField(null=True, blank=True)
    exception_type = models.CharField(max_length=255, null=True, blank=True)
    failure_type = models.CharField(max_length=32, choices=FailureType.choices, null=True, blank=True)
    is_system = models.BooleanField(default=False)
    # Our additions (issue #8): how many rows the file holds, and whether the row cap cut it short.
    rows_exported = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)

    objects = UnexpiredManager()
    all_objects = models.Manager.from_queryset(ExportedAssetQuerySet)()

    class Meta:
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["team", "created_by", "-created_at"], name="export_team_user_created"),
            models.Index(fields=["expires_after"], name="export_expires_after"),
        ]

    @property
    def has_content(self) -> bool:
        return bool(self.content_location)

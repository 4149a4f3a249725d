"""The activity log (PostHog §1.4): who changed what, written by any app through one service."""

from django.db import models

from posthog_core.utils import uuid7


class ActivityLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    team = models.ForeignKey("posthog_core.Project", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey("posthog_core.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("posthog_core.User", on_delete=models.SET_NULL, null=True, related_name="+")
    was_impersonated = models.BooleanField(default=False)
    is_system = models.BooleanField(default=False)
    activity = models.CharField(max_length=79)
    scope = models.CharField(max_length=79)
    item_id = models.CharField(max_length=72, null=True)
    detail = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["team", "scope", "item_id", "-created_at"], name="activity_team_scope_item")]

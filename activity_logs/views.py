"""GET /api/projects/{id}/activity_log/: the project's activity, newest first."""

from rest_framework import mixins, viewsets

from activity_logs.filters import ActivityLogFilterSet
from activity_logs.models import ActivityLog
from activity_logs.serializers import ActivityLogSerializer
from posthog_core.viewsets import TeamScopedViewSetMixin


class ActivityLogViewSet(TeamScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_object = "activity_log"
    queryset = ActivityLog.objects.select_related("user").order_by("-created_at", "-id")
    serializer_class = ActivityLogSerializer
    filterset_class = ActivityLogFilterSet

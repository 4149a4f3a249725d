"""A URL conf for tests that need views the real API lacks: an action no scope covers, a
throttled view and a crashing view. It serves the real URLs too (loaded with
`@pytest.mark.urls("tests.posthog_core.probe_urls")`)."""

from django.urls import include, path
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from activity_logs.models import ActivityLog
from activity_logs.serializers import ActivityLogSerializer
from posthog_core.routers import OptionalSlashRouter
from posthog_core.urls import urlpatterns as real_urlpatterns
from posthog_core.viewsets import TeamScopedViewSetMixin


class AlwaysThrottled(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        return False

    def wait(self) -> float:
        return 42


class ProbeViewSet(TeamScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_object = "activity_log"
    queryset = ActivityLog.objects.all()
    serializer_class = ActivityLogSerializer

    @action(methods=["get"], detail=False)
    def undeclared(self, request, *args, **kwargs):
        return Response({"ok": True})

    @action(methods=["get"], detail=False, required_scopes=["insight:read"])
    def declared(self, request, *args, **kwargs):
        return Response({"ok": True})

    @action(methods=["get"], detail=False, throttle_classes=[AlwaysThrottled], required_scopes=["activity_log:read"])
    def rate_limited(self, request, *args, **kwargs):
        return Response({"ok": True})

    @action(methods=["get"], detail=False, required_scopes=["activity_log:read"])
    def crash(self, request, *args, **kwargs):
        raise RuntimeError("boom")


router = OptionalSlashRouter()
router.register("probe", ProbeViewSet, basename="probe")

urlpatterns = [path("api/projects/<str:project_id>/", include(router.urls)), *real_urlpatterns]
handler404 = "posthog_core.views.not_found"
handler500 = "posthog_core.views.server_error"

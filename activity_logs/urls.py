from activity_logs.views import ActivityLogViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("activity_log", ActivityLogViewSet, basename="activity_log")

urlpatterns = project_router.urls

"""Project routes: query, events, insights, dashboards."""

from insights.views import DashboardViewSet, EventViewSet, InsightViewSet, QueryViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("query", QueryViewSet, basename="query")
project_router.register("events", EventViewSet, basename="event")
project_router.register("insights", InsightViewSet, basename="insight")
project_router.register("dashboards", DashboardViewSet, basename="dashboard")

urlpatterns = project_router.urls

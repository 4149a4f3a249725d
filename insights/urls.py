"""Project routes: query, events, insights, dashboards."""

from rest_framework.routers import DefaultRouter

from insights.views import DashboardViewSet, EventViewSet, InsightViewSet, QueryViewSet

project_router = DefaultRouter(trailing_slash="/?")
project_router.include_root_view = False
project_router.register("query", QueryViewSet, basename="query")
project_router.register("events", EventViewSet, basename="event")
project_router.register("insights", InsightViewSet, basename="insight")
project_router.register("dashboards", DashboardViewSet, basename="dashboard")

urlpatterns = project_router.urls

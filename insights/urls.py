"""Project routes: query, events, insights, dashboards."""

import os

from django.urls import path

from insights.views import DashboardViewSet, EventViewSet, InsightViewSet, QueryViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("query", QueryViewSet, basename="query")
project_router.register("events", EventViewSet, basename="event")
project_router.register("insights", InsightViewSet, basename="insight")
project_router.register("dashboards", DashboardViewSet, basename="dashboard")

urlpatterns = project_router.urls

if os.environ.get("POSTHOG_CORE_BENCH") == "1":
    from insights.bench_views import bench_insights_sql

    urlpatterns.append(path("_bench/insights/<str:read>", bench_insights_sql))

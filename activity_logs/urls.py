from rest_framework.routers import DefaultRouter

from activity_logs.views import ActivityLogViewSet

project_router = DefaultRouter(trailing_slash="/?")
project_router.include_root_view = False
project_router.register("activity_log", ActivityLogViewSet, basename="activity_log")

urlpatterns = project_router.urls

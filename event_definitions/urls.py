from rest_framework.routers import DefaultRouter

from event_definitions.views import EventDefinitionViewSet

project_router = DefaultRouter(trailing_slash="/?")
project_router.include_root_view = False
project_router.register("event_definitions", EventDefinitionViewSet, basename="event_definition")

urlpatterns = project_router.urls

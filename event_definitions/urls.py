from event_definitions.views import EventDefinitionViewSet
from posthog_core.routers import OptionalSlashRouter

project_router = OptionalSlashRouter()
project_router.register("event_definitions", EventDefinitionViewSet, basename="event_definition")

urlpatterns = project_router.urls

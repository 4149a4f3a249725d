from posthog_core.routers import OptionalSlashRouter
from property_definitions.views import PropertyDefinitionViewSet

project_router = OptionalSlashRouter()
project_router.register("property_definitions", PropertyDefinitionViewSet, basename="property_definition")

urlpatterns = project_router.urls

from posthog_core.routers import OptionalSlashRouter
from schemas.views import (
    EventSchemaCodeViewSet,
    EventSchemaViewSet,
    RejectedEventViewSet,
    SchemaPropertyGroupViewSet,
)

project_router = OptionalSlashRouter()
project_router.register("schema_property_groups", SchemaPropertyGroupViewSet, basename="schema_property_group")
project_router.register("event_schemas", EventSchemaViewSet, basename="event_schema")
project_router.register("rejected_events", RejectedEventViewSet, basename="rejected_event")
project_router.register("event_definitions", EventSchemaCodeViewSet, basename="event_definition_code")

urlpatterns = project_router.urls

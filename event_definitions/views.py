"""`/api/projects/{id}/event_definitions/`: PostHog's event definition API (§5)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from event_definitions import selectors, services
from event_definitions.filters import ORDERING_CHOICES, EventDefinitionListQuery, clean_text, split_list
from event_definitions.models import EventDefinition
from event_definitions.pagination import EventDefinitionPagination
from event_definitions.serializers import (
    EnterpriseEventDefinitionSerializer,
    EventDefinitionBulkTagsResultSerializer,
    EventDefinitionBulkTagsSerializer,
    EventDefinitionBulkVerifiedResultSerializer,
    EventDefinitionBulkVerifiedSerializer,
    EventDefinitionMetricsSerializer,
    EventDefinitionUpdateSerializer,
    PrimaryPropertiesSerializer,
)
from posthog_core.db_routing import replica_read
from posthog_core.exceptions import PlainDetailError
from posthog_core.renderers import OrjsonRenderer
from posthog_core.schema import json_names_schema
from posthog_core.viewsets import TeamScopedViewSetMixin

LIST_PARAMETERS = [
    OpenApiParameter("search", str, description="Case-insensitive match on the event name. Every whitespace-separated term has to match."),
    OpenApiParameter("event_type", str, enum=["event", "event_custom", "event_posthog"],
                     description="`event_custom`: names without a `$` prefix; `event_posthog`: names with one. Default `event`."),
    OpenApiParameter("ordering", {"type": "array", "items": {"type": "string", "enum": ORDERING_CHOICES}},
                     description="Sort keys, `-` for descending. Default `-last_seen_at::date` then `name`. Repeated or comma-joined."),
    OpenApiParameter("verified", bool, description="True: verified events and core PostHog events. False: the rest."),
    OpenApiParameter("tags", str, description="JSON-encoded list of tag names. Keeps events that carry any of them."),
    OpenApiParameter("exclude_stale", bool, description="True: omit events last seen more than 30 days ago (never-seen ones stay)."),
    OpenApiParameter("exclude_hidden", bool, description="True: omit hidden events."),
    OpenApiParameter("names", {"type": "array", "items": {"type": "string"}},
                     description="Exact event names. Repeated or comma-separated values."),
    OpenApiParameter("excluded_properties", json_names_schema(),
                     description="JSON-encoded list of event names to omit, e.g. `[\"$pageview\"]`."),
]


@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS),
    update=extend_schema(request=EnterpriseEventDefinitionSerializer, responses=EnterpriseEventDefinitionSerializer),
    partial_update=extend_schema(request=EnterpriseEventDefinitionSerializer, responses=EnterpriseEventDefinitionSerializer),
)
class EventDefinitionViewSet(TeamScopedViewSetMixin, viewsets.ModelViewSet):
    scope_object = "event_definition"
    scope_object_read_actions = ("metrics",)  # DECISIONS.md: key-based clients may read usage
    scope_object_write_actions = ("bulk_update_tags", "bulk_update_verified")
    # PostHog answers by_name's missing name (400) and unknown name (404) with a bare {"detail": ...}.
    plain_detail_statuses = {"by_name": ("400", "404")}
    queryset = EventDefinition.objects.all()
    serializer_class = EnterpriseEventDefinitionSerializer
    filter_backends = []  # the list parses its own filters (EventDefinitionListQuery)
    pagination_class = EventDefinitionPagination
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]

    def safely_get_queryset(self, queryset):
        # The list reads its page through selectors.event_definition_page; one fetched definition
        # comes with its users and tags.
        if self.action in ("list", "destroy"):
            return queryset
        return selectors.event_definition_rows().filter(team=self.team)

    def get_serializer_class(self):
        return EventDefinitionUpdateSerializer if self.action in ("update", "partial_update") else super().get_serializer_class()

    @replica_read
    def list(self, request, *args, **kwargs):
        # Filters and ordering belong to the list only; a retrieve must not 400 on list parameters.
        page = self.paginate_queryset(EventDefinitionListQuery.parse(request.query_params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def reread(self, definition: EventDefinition) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=definition.pk)).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        definition = services.event_definition_create(team=self.team, user=request.user, data=serializer.validated_data)
        return Response(self.reread(definition), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        definition = services.event_definition_update(
            definition=serializer.instance, data=serializer.validated_data, user=request.user
        )
        return Response(self.reread(definition))

    def perform_destroy(self, instance: EventDefinition) -> None:
        services.event_definition_delete(definition=instance, user=self.request.user)

    @extend_schema(responses=EventDefinitionMetricsSerializer)
    @action(detail=True, methods=["get"])
    def metrics(self, request, *args, **kwargs):
        usage = selectors.event_definition_query_usage(definition=self.get_object())
        return Response(EventDefinitionMetricsSerializer({"query_usage_30_day": usage}).data)

    @extend_schema(
        description="Get event definition by exact name",
        parameters=[OpenApiParameter("name", {"type": "string", "minLength": 1}, required=True,
                                     description="The exact event name to look up (NUL characters are dropped).")],
        responses=EnterpriseEventDefinitionSerializer,
    )
    @action(detail=False, methods=["get"], required_scopes=["event_definition:read"])
    def by_name(self, request, *args, **kwargs):
        name = clean_text(request.query_params.get("name", ""))
        if not name:
            raise PlainDetailError("Query parameter 'name' is required")
        definition = self.get_queryset().filter(name=name).first()
        if definition is None:
            raise PlainDetailError(f"Event definition with name '{name}' not found", status.HTTP_404_NOT_FOUND)
        return Response(self.get_serializer(definition).data)

    @extend_schema(
        parameters=[OpenApiParameter("names", {"type": "array", "items": {"type": "string"}},
                                     description="Event names; every event with a primary property when omitted.")],
        responses=PrimaryPropertiesSerializer,
    )
    @action(detail=False, methods=["get"], required_scopes=["event_definition:read"])
    def primary_properties(self, request, *args, **kwargs):
        names = split_list(request.query_params.getlist("names"))
        found = selectors.event_definition_primary_properties(team=self.team, names=names)
        return Response({"primary_properties": found})

    @extend_schema(request=EventDefinitionBulkTagsSerializer, responses=EventDefinitionBulkTagsResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk_update_tags(self, request, *args, **kwargs):
        payload = EventDefinitionBulkTagsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.event_definitions_bulk_update_tags(team=self.team, user=request.user, **payload.validated_data)
        return Response(EventDefinitionBulkTagsResultSerializer(result).data)

    @extend_schema(request=EventDefinitionBulkVerifiedSerializer, responses=EventDefinitionBulkVerifiedResultSerializer)
    @action(detail=False, methods=["post"])
    def bulk_update_verified(self, request, *args, **kwargs):
        payload = EventDefinitionBulkVerifiedSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.event_definitions_bulk_update_verified(team=self.team, user=request.user, **payload.validated_data)
        return Response(EventDefinitionBulkVerifiedResultSerializer(result).data)

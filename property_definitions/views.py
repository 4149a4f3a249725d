"""`/api/projects/{id}/property_definitions/`: PostHog's property definition API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from event_definitions.models import PropertyDefinition
from posthog_core.pagination import LimitOffsetPagination
from posthog_core.renderers import OrjsonRenderer
from posthog_core.viewsets import TeamScopedViewSetMixin
from property_definitions import selectors, services
from property_definitions.filters import PropertyDefinitionListQuery, PropertyDefinitionListQuerySerializer
from property_definitions.serializers import PropertyDefinitionSerializer


class PropertyDefinitionPagination(LimitOffsetPagination):
    """Pages a PropertyDefinitionListQuery (the list's parsed parameters), not a queryset."""

    def paginate_queryset(self, query: PropertyDefinitionListQuery, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.count, page = selectors.property_definition_page(
            team=view.team, query=query, offset=self.offset, limit=self.limit
        )
        return page


@extend_schema_view(
    list=extend_schema(
        parameters=[PropertyDefinitionListQuerySerializer],
        description="Property definitions of one kind, those seen on `event_names` first, then verified ones, "
        "then by name.",
    ),
    retrieve=extend_schema(description="One property definition; `is_seen_on_filtered_events` is null here."),
    update=extend_schema(description="Replace the editable fields: `description`, `tags`, `property_type`, "
                         "`verified`, `hidden`."),
    partial_update=extend_schema(description="Change some of `description`, `tags`, `property_type`, `verified` "
                                 "(stamps `verified_at`/`verified_by`) and `hidden` (unverifies)."),
    destroy=extend_schema(description="Delete the definition; capture recreates it when the property comes again."),
)
class PropertyDefinitionViewSet(
    TeamScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_object = "property_definition"
    queryset = PropertyDefinition.objects.all()
    serializer_class = PropertyDefinitionSerializer
    filter_backends = []  # the list parses its own parameters (PropertyDefinitionListQuery)
    pagination_class = PropertyDefinitionPagination
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]

    def safely_get_queryset(self, queryset):
        if self.action == "destroy":
            return queryset
        return selectors.property_definition_rows().filter(team=self.team)

    def list(self, request, *args, **kwargs):
        # Parsed here, not in get_queryset: list parameters must not make a retrieve fail.
        page = self.paginate_queryset(PropertyDefinitionListQuery.parse(request.query_params))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def update(self, request, *args, **kwargs):
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        definition = services.property_definition_update(
            definition=serializer.instance, data=serializer.validated_data, user=request.user
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=definition.pk)).data)

    def perform_destroy(self, instance: PropertyDefinition) -> None:
        services.property_definition_delete(definition=instance, user=self.request.user)

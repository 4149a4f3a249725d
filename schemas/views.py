"""Property groups, event-schema links, the code generators and rejected events."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from event_definitions.models import EventDefinition
from posthog_core.viewsets import TeamScopedViewSetMixin
from schemas import services
from schemas.enforcement import enforcement_preview
from schemas.filters import EventSchemaFilterSet, RejectedEventFilterSet
from schemas.models import EventSchema, RejectedEvent, SchemaPropertyGroup
from schemas.serializers import (
    EnforcementPreviewSerializer,
    EventSchemaSerializer,
    GeneratedCodeSerializer,
    RejectedEventSerializer,
    SchemaPropertyGroupSerializer,
)

GROUP_PREFETCH = (
    "properties",
    Prefetch("event_schemas", queryset=EventSchema.objects.select_related("event_definition")),
)

# language → (download file name, content type)
DOWNLOADS = {
    "typescript": ("posthog-typed.ts", "text/x-typescript; charset=utf-8"),
    "python": ("posthog_typed.py", "text/x-python; charset=utf-8"),
    "golang": ("posthog_typed.go", "text/x-go; charset=utf-8"),
}


class SchemaPropertyGroupViewSet(TeamScopedViewSetMixin, viewsets.ModelViewSet):
    scope_object = "event_definition"
    queryset = SchemaPropertyGroup.objects.select_related("created_by").prefetch_related(*GROUP_PREFETCH).order_by("name")
    serializer_class = SchemaPropertyGroupSerializer

    def perform_create(self, serializer):
        serializer.instance = services.property_group_create(
            team=self.team, user=self.request.user, data=serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.property_group_update(group=serializer.instance, data=serializer.validated_data)
        # Drop the prefetched rows: the response must show the replaced set.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.property_group_delete(group=instance)


class EventSchemaViewSet(
    TeamScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_object = "event_definition"
    team_field = "event_definition__team"
    queryset = EventSchema.objects.select_related("property_group__created_by").prefetch_related(
        *(f"property_group__{item}" if isinstance(item, str) else Prefetch(
            f"property_group__{item.prefetch_through}", queryset=item.queryset) for item in GROUP_PREFETCH)
    ).order_by("created_at", "id")
    serializer_class = EventSchemaSerializer
    filterset_class = EventSchemaFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.event_schema_create(
            event_definition=serializer.validated_data["event_definition"],
            property_group=serializer.validated_data["property_group"],
        )

    def perform_destroy(self, instance):
        services.event_schema_delete(link=instance)


class RejectedEventViewSet(TeamScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_object = "event_definition"
    queryset = RejectedEvent.objects.order_by("-rejected_at", "-id")
    serializer_class = RejectedEventSerializer
    filterset_class = RejectedEventFilterSet


def generator_schema(language: str):
    return extend_schema(
        operation_id=f"event_definitions_{language}_retrieve",
        tags=["core", "event_definitions"],
        parameters=[
            OpenApiParameter(
                "download", OpenApiTypes.BOOL, description="Answer the source itself as an attachment (for `curl -o`)."
            ),
            OpenApiParameter(
                "If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER,
                description="A previous `schema_hash`: 304 when the schema has not changed.",
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(GeneratedCodeSerializer, description="The generated code."),
            (200, DOWNLOADS[language][1].split(";")[0]): OpenApiResponse(
                OpenApiTypes.STR, description="With download=true: the source file as an attachment."
            ),
            304: OpenApiResponse(description="Not modified: the schema still has this hash."),
        },
    )


class EventSchemaCodeViewSet(TeamScopedViewSetMixin, viewsets.GenericViewSet):
    """`event_definitions/{typescript,python,golang}/` and `event_definitions/{id}/enforcement_preview/`,
    routed before the event-definition router so these paths reach this view."""

    scope_object = "event_definition"
    scope_object_read_actions = ("typescript", "python", "golang", "enforcement_preview")
    queryset = EventDefinition.objects.all()
    lookup_value_regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def generated(self, request, language: str):
        schema_hash, code = services.schema_code_generate(
            team=self.team, language=language, if_none_match=request.headers.get("If-None-Match")
        )
        headers = {"ETag": f'"{schema_hash}"'}
        if code is None:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        if request.query_params.get("download", "").lower() in ("true", "1", "yes"):
            filename, content_type = DOWNLOADS[language]
            response = HttpResponse(code.content.encode("utf-8"), content_type=content_type, headers=headers)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        # NOTE: orjson bytes, not DRF's renderer: escaping a 10,000-event Go file with json.dumps
        # took a third of the request. Same JSON as GeneratedCodeSerializer describes.
        return HttpResponse(code.json, content_type="application/json", headers=headers)

    @generator_schema("typescript")
    @action(detail=False, methods=["get"])
    def typescript(self, request, *args, **kwargs):
        return self.generated(request, "typescript")

    @generator_schema("python")
    @action(detail=False, methods=["get"])
    def python(self, request, *args, **kwargs):
        return self.generated(request, "python")

    @generator_schema("golang")
    @action(detail=False, methods=["get"])
    def golang(self, request, *args, **kwargs):
        return self.generated(request, "golang")

    @extend_schema(
        operation_id="event_definitions_enforcement_preview_retrieve",
        tags=["core", "event_definitions"],
        responses=EnforcementPreviewSerializer,
    )
    @action(detail=True, methods=["get"])
    def enforcement_preview(self, request, *args, **kwargs):
        preview = enforcement_preview(definition=self.get_object())
        return Response(EnforcementPreviewSerializer(preview).data)

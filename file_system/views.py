"""`/file_system/` (entries, counts, move, link, view log) and `/file_system_shortcut/`."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from file_system import services
from file_system.filters import LIST_PARAMETERS, FileSystemListQuery
from file_system.models import FOLDER, FileSystem, FileSystemShortcut
from file_system.pagination import FileSystemPagination
from file_system.paths import path_normalize
from file_system.serializers import (
    PATH_SCHEMA,
    FileSystemCountSerializer,
    FileSystemLogViewSerializer,
    FileSystemMoveSerializer,
    FileSystemSerializer,
    FileSystemShortcutSerializer,
)
from insights.filing import file_entries_backfill
from posthog_core.db_routing import replica_read
from posthog_core.exceptions import PlainDetailError
from posthog_core.pagination import parse_non_negative
from posthog_core.renderers import OrjsonRenderer
from posthog_core.viewsets import UUID_LOOKUP_REGEX, TeamScopedViewSetMixin

COUNT_BY_PATH_MAX_LENGTH = 300  # 300 x 4 UTF-8 bytes x 3 (percent-encoded) + the URL < 4094 bytes


def _new_path(request) -> str:
    data = request.data if hasattr(request.data, "get") else {}
    value = data.get("new_path")
    if value is not None and not isinstance(value, str):
        raise PlainDetailError("new_path must be a string")
    return value or ""


@extend_schema_view(list=extend_schema(parameters=LIST_PARAMETERS))
class FileSystemViewSet(TeamScopedViewSetMixin, viewsets.ModelViewSet):
    scope_object = "file_system"
    scope_object_read_actions = ("count", "count_by_path")
    scope_object_write_actions = ("move", "link", "log_view")
    # PostHog answers these actions' own rules with a bare {"detail": ...} (DECISIONS.md).
    plain_detail_statuses = {"count": ("400",), "count_by_path": ("400",), "move": ("400",), "link": ("400",)}
    queryset = FileSystem.objects.all()
    serializer_class = FileSystemSerializer
    filter_backends = []  # the list parses its own filters (FileSystemListQuery)
    pagination_class = FileSystemPagination
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]
    lookup_value_regex = UUID_LOOKUP_REGEX

    @replica_read
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(FileSystemListQuery.parse(request.query_params, user=request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def perform_create(self, serializer):
        data = {"type": "", **serializer.validated_data}
        serializer.instance = services.file_system_create(team=self.team, user=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = services.file_system_update(entry=serializer.instance, data=serializer.validated_data)

    def perform_destroy(self, instance):
        services.file_system_delete(entry=instance)

    @extend_schema(request=None, responses=FileSystemCountSerializer,
                   description="Entries below a folder. Any other entry answers 400 "
                               "`{\"detail\": \"Count can only be called on folders\"}`.")
    @action(detail=True, methods=["post"])
    def count(self, request, **kwargs):
        entry = self.get_object()
        if entry.type != FOLDER:
            raise PlainDetailError("Count can only be called on folders")
        return Response(FileSystemCountSerializer(services.file_system_count(team=self.team, path=entry.path)).data)

    @extend_schema(
        request=None, responses=FileSystemCountSerializer,
        parameters=[OpenApiParameter("path", {**PATH_SCHEMA, "maxLength": COUNT_BY_PATH_MAX_LENGTH}, required=True,
                                     description="The folder path to count below. The server reads request lines "
                                                 "of up to 4094 bytes: at most 300 characters fit whatever their "
                                                 "UTF-8 size once percent-encoded.")],
    )
    @action(detail=False, methods=["post"])
    def count_by_path(self, request, **kwargs):
        path = path_normalize(request.query_params.get("path") or "")
        if not path.strip() or "\x00" in path:
            raise PlainDetailError("path parameter is required")
        return Response(FileSystemCountSerializer(services.file_system_count(team=self.team, path=path)).data)

    @extend_schema(request=FileSystemMoveSerializer, responses=FileSystemSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, **kwargs):
        entry = services.file_system_move(entry=self.get_object(), new_path=_new_path(request), user=request.user)
        return Response(FileSystemSerializer(entry).data)

    @extend_schema(request=FileSystemMoveSerializer, responses=FileSystemSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request, **kwargs):
        entry = services.file_system_link(entry=self.get_object(), new_path=_new_path(request), user=request.user)
        return Response(FileSystemSerializer(entry).data)

    @extend_schema(
        methods=["GET"], request=None, responses=FileSystemLogViewSerializer(many=True),
        parameters=[
            OpenApiParameter("type", OpenApiTypes.STR, description="Only views of this type."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many rows (default 100, max 1000)."),
        ],
    )
    @extend_schema(methods=["POST"], request=FileSystemLogViewSerializer, responses={204: None})
    @action(detail=False, methods=["get", "post"], pagination_class=None)
    def log_view(self, request, **kwargs):
        if request.method == "GET":
            limit = min(parse_non_negative(request.query_params.get("limit"), "limit", 100, 1), 1000)
            view_type = request.query_params.get("type", "").replace("\x00", "")
            views = services.file_system_recent_views(team=self.team, user=request.user, type=view_type, limit=limit)
            return Response(FileSystemLogViewSerializer(views, many=True).data)
        serializer = FileSystemLogViewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.file_system_log_view(team=self.team, user=request.user, **serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=inline_serializer("FileSystemUnfiledResponse", {"count": drf_serializers.IntegerField()}),
        parameters=[OpenApiParameter("type", OpenApiTypes.STR, description="Only objects of this type (insight, dashboard).")],
    )
    @action(detail=False, methods=["get"], pagination_class=None,
            required_scopes=["file_system:read"])  # PostHog lists unfiled as a read action (§2)
    def unfiled(self, request, **kwargs):
        # Backfills entries for insights and dashboards that have none (issue #7).
        object_type = request.query_params.get("type", "").replace("\x00", "") or None
        return Response({"count": file_entries_backfill(team=self.team, type=object_type)})


class FileSystemShortcutViewSet(TeamScopedViewSetMixin, viewsets.ModelViewSet):
    scope_object = "file_system_shortcut"
    queryset = FileSystemShortcut.objects.order_by("path", "created_at")
    serializer_class = FileSystemShortcutSerializer
    lookup_value_regex = UUID_LOOKUP_REGEX

    def safely_get_queryset(self, queryset):
        return queryset.filter(user_id=self.request.user.pk)

    def perform_create(self, serializer):
        serializer.save(team=self.team, user=self.request.user)

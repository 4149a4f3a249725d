"""`/api/projects/{id}/exports/`: list, create (rendered synchronously), retrieve and content.
No update or delete: PUT, PATCH and DELETE answer 405, as PostHog."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException

from exports.filters import ExportedAssetFilterSet
from exports.models import ExportedAsset
from exports.permissions import ExportCreateScopePermission
from exports.renderers import ExportFormat
from exports.serializers import ExportedAssetSerializer, asset_exception, export_filename
from exports.services import exported_asset_create, exported_asset_file
from posthog_core.viewsets import TeamScopedViewSetMixin


class ExportFailed(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "export_failed"
    default_detail = "Export failed."


class ExportNotReady(APIException):
    status_code = 425
    default_code = "export_not_ready"
    default_detail = "This export is still being generated. Please try again shortly."


class ExportedAssetViewSet(
    TeamScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Exports of insights, dashboards, queries and API lists: PNG, PDF, CSV, XLSX or JSON, rendered
    when created. Each user sees only their own exports."""

    scope_object = "export"
    scope_object_read_actions = ("content",)
    analytics_actions = ("create",)
    extra_permission_classes = (ExportCreateScopePermission,)
    # all_objects: the expiry cut-off must be computed per request, not when this class is built.
    queryset = ExportedAsset.all_objects.select_related("dashboard", "insight").order_by("-created_at", "-id")
    serializer_class = ExportedAssetSerializer
    filterset_class = ExportedAssetFilterSet

    def safely_get_queryset(self, queryset):
        # Only one's own exports, and none whose dashboard or insight has since been deleted.
        return queryset.unexpired().filter(created_by=self.request.user).exclude(dashboard__deleted=True).exclude(
            insight__deleted=True
        )

    def perform_create(self, serializer):
        serializer.instance = exported_asset_create(
            team=self.team, user=self.request.user, data=serializer.validated_data, auth=self.request.auth
        )

    @extend_schema(
        parameters=[OpenApiParameter("download", OpenApiTypes.BOOL, description="Send as an attachment.")],
        # application/octet-stream first: generated clients read the first media type, and a text
        # one (text/csv) would make them decode the bytes as text.
        responses={
            (200, export_format): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file; Content-Type is the export_format. X-Export-Rows and X-Export-Truncated "
                "say how many rows it holds and whether the row cap cut it short.",
            )
            for export_format in ["application/octet-stream", *ExportFormat.values]
        },
    )
    @action(detail=True, methods=["get"])
    def content(self, request, *args, **kwargs):
        asset = self.get_object()
        stored = exported_asset_file(asset=asset)
        if stored is None:
            message = asset_exception(asset)
            if message:
                raise ExportFailed(message)
            raise ExportNotReady()
        return content_response(asset=asset, stored=stored, download=request.query_params.get("download") in (
            "true", "1", "True"))


def content_response(*, asset: ExportedAsset, stored, download: bool) -> FileResponse:
    response = FileResponse(stored, content_type=asset.export_format)
    # FileResponse names the stored file inline; PostHog sends a disposition only for downloads,
    # built by Django so quotes and non-ASCII can't inject header text (RFC 6266/5987).
    if "Content-Disposition" in response:
        del response["Content-Disposition"]
    if download:
        response["Content-Disposition"] = content_disposition_header(True, export_filename(asset))
    response["X-Export-Rows"] = str(asset.rows_exported)
    response["X-Export-Truncated"] = "true" if asset.truncated else "false"
    if not settings.DEBUG:
        response["Cache-Control"] = "max-age=86400"
    return response



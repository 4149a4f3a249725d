"""ExportedAsset representation and create validation, in PostHog's order (§7.1) with its messages."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exports.models import ExportedAsset
from exports.paths import export_path_parse
from exports.renderers.types import FORMAT_EXTENSIONS, VIDEO_FORMATS, ExportFormat
from insights.models import Dashboard, Insight

STUCK_AFTER = timedelta(seconds=600 + 30)
STUCK_MESSAGE = (
    "Export failed without throwing an exception. Please try to rerun this export and contact support "
    "if it fails to complete multiple times."
)
_RECORDING_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def export_filename(asset: ExportedAsset) -> str:
    """§7.1: `export[-<dashboard or insight name>]-YYYY-MM-DD-HHMMSS.<ext>`, or the slugified
    `export_context.filename`. Slugify keeps only ASCII word characters and hyphens, so the name
    is always safe inside a Content-Disposition header."""
    context = asset.export_context if isinstance(asset.export_context, dict) else {}
    custom = context.get("filename")
    if isinstance(custom, str) and slugify(custom):
        name = slugify(custom)
    else:
        name = "export"
        if asset.dashboard_id and asset.dashboard is not None:
            name += f"-{slugify(asset.dashboard.name or '')}"
        elif asset.insight_id and asset.insight is not None:
            insight = asset.insight
            name += f"-{slugify(insight.name or insight.derived_name or 'insight')}"
    name = name.rstrip("-") + (asset.created_at or timezone.now()).strftime("-%Y-%m-%d-%H%M%S")
    return f"{name}.{FORMAT_EXTENSIONS.get(asset.export_format, 'bin')}"


def asset_exception(asset: ExportedAsset) -> str | None:
    """The stored exception, or PostHog's "stuck" message for an old asset with neither content nor
    exception (the database row is not changed)."""
    if asset.exception or asset.has_content:
        return asset.exception
    if asset.created_at and asset.created_at < timezone.now() - STUCK_AFTER:
        return STUCK_MESSAGE
    return None


class ExportedAssetSerializer(serializers.ModelSerializer):
    export_format = serializers.ChoiceField(choices=ExportFormat.choices)
    dashboard = serializers.PrimaryKeyRelatedField(
        queryset=Dashboard.objects.filter(deleted=False), required=False, allow_null=True
    )
    insight = serializers.PrimaryKeyRelatedField(
        queryset=Insight.objects.filter(deleted=False), required=False, allow_null=True
    )
    export_context = serializers.JSONField(required=False, allow_null=True)
    has_content = serializers.BooleanField(read_only=True)
    filename = serializers.SerializerMethodField()
    exception = serializers.SerializerMethodField()
    rows_exported = serializers.IntegerField(read_only=True, help_text="Rows written to the file (our addition).")
    truncated = serializers.BooleanField(
        read_only=True, help_text="True when the row cap (EXPORT_ROW_LIMIT) cut the export short (our addition)."
    )

    class Meta:
        model = ExportedAsset
        fields = [
            "id", "dashboard", "insight", "export_format", "created_at", "has_content", "export_context",
            "filename", "expires_after", "exception", "rows_exported", "truncated",
        ]
        read_only_fields = ["id", "created_at", "expires_after"]

    def get_filename(self, asset: ExportedAsset) -> str:
        return export_filename(asset)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_exception(self, asset: ExportedAsset) -> str | None:
        return asset_exception(asset)

    def validate(self, attrs: dict) -> dict:
        team = self.context["team"]
        dashboard, insight = attrs.get("dashboard"), attrs.get("insight")
        context = attrs.get("export_context")
        if not dashboard and not insight and not context:
            raise serializers.ValidationError("Either dashboard, insight or export_context is required for an export.")
        if dashboard and dashboard.team_id != team.id:
            raise serializers.ValidationError({"dashboard": ["This dashboard does not belong to your team."]})
        if insight and insight.team_id != team.id:
            raise serializers.ValidationError({"insight": ["This insight does not belong to your team."]})
        if context:
            self._validate_context(context, team)
        recording = context.get("session_recording_id") if isinstance(context, dict) else None
        if attrs["export_format"] in VIDEO_FORMATS and not recording:
            raise serializers.ValidationError({"export_format": ["Video export supports session recordings only."]})
        return attrs

    def _validate_context(self, context: object, team) -> None:
        def fail(detail: str):
            raise serializers.ValidationError({"export_context": [detail]})

        if not isinstance(context, dict):
            fail("export_context must be an object.")
        if "path" in context:
            if str(context.get("method") or "GET").upper() != "GET" or context.get("body") not in (None, "", {}):
                fail("export_context.path only supports GET requests without a body.")
            export_path_parse(raw=context["path"], team=team, user=self.context["request"].user)
        if "source" in context and not isinstance(context["source"], dict):
            fail("export_context.source must be a query object.")
        recording = context.get("session_recording_id")
        if recording is not None and not (isinstance(recording, str) and _RECORDING_ID.match(recording)):
            fail("export_context.session_recording_id is not a valid recording id.")
        columns = context.get("columns")
        if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
            fail("export_context.columns must be a list of column names.")
        if "filename" in context and not isinstance(context["filename"], str):
            fail("export_context.filename must be a string.")
        if "heatmap_url" in context:
            fail("Heatmap exports are not supported by this server.")

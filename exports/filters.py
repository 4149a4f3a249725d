"""List filters: `export_format` (ignored unless a supported format, as PostHog) and `context_path`."""

from __future__ import annotations

import django_filters

from exports.models import ExportedAsset
from exports.renderers import ExportFormat


class ExportedAssetFilterSet(django_filters.FilterSet):
    # A CharFilter, not a ChoiceFilter: an unsupported value is ignored rather than rejected.
    export_format = django_filters.CharFilter(method="filter_export_format", help_text="Only exports of this format.")
    context_path = django_filters.CharFilter(
        field_name="export_context__path", lookup_expr="icontains",
        help_text="Only exports whose export_context.path contains this text (case-insensitive).",
    )

    class Meta:
        model = ExportedAsset
        fields = ["export_format", "context_path"]

    def filter_export_format(self, queryset, name, value):
        return queryset.filter(export_format=value) if value in ExportFormat.values else queryset

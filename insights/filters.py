"""List filters for insights and dashboards."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from insights.models import Dashboard, Insight


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole-number id. NumberFilter's decimal field caps values at 1e50 and takes fractions, neither
    of which an id has; any integer is accepted, and one past the column's range simply matches nothing."""

    field_class = forms.IntegerField

    def get_max_validator(self):
        return None


class InsightFilterSet(django_filters.FilterSet):
    short_id = django_filters.CharFilter(help_text="Only the insight with this short id.")
    saved = django_filters.BooleanFilter()
    favorited = django_filters.BooleanFilter()
    created_by = IdFilter(field_name="created_by_id", help_text="Only insights of this user id.")
    search = django_filters.CharFilter(method="filter_search", help_text="Name, derived name or description contains.")

    class Meta:
        model = Insight
        fields = ["short_id", "saved", "favorited", "created_by", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(derived_name__icontains=value)
                               | Q(description__icontains=value))


class DashboardFilterSet(django_filters.FilterSet):
    pinned = django_filters.BooleanFilter()
    search = django_filters.CharFilter(method="filter_search", help_text="Name or description contains.")

    class Meta:
        model = Dashboard
        fields = ["pinned", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

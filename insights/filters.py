"""List filters for insights and dashboards."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from insights.models import Dashboard, Insight


class InsightFilterSet(django_filters.FilterSet):
    short_id = django_filters.CharFilter(help_text="Only the insight with this short id.")
    saved = django_filters.BooleanFilter()
    favorited = django_filters.BooleanFilter()
    created_by = django_filters.NumberFilter(field_name="created_by_id", help_text="Only insights of this user id.")
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

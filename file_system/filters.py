"""List filters and ordering for `GET /file_system/` (§8.2)."""

from __future__ import annotations

import django_filters
from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Lower

from file_system.models import FOLDER, FileSystem, FileSystemViewLog, path_below, path_is
from file_system.search import search_filter

PLAIN_ORDERINGS = frozenset({"path", "-path", "created_at", "-created_at"})
VIEW_ORDERINGS = frozenset({"last_viewed_at", "-last_viewed_at"})


def _as_int(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if -(2**31) <= value < 2**31 else None


class FileSystemFilterSet(django_filters.FilterSet):
    depth = django_filters.CharFilter(method="filter_depth", help_text="Only entries at this depth (ignored unless an integer).")
    path = django_filters.CharFilter(method="filter_path", help_text="Only the entry at exactly this path.")
    parent = django_filters.CharFilter(method="filter_parent", help_text="Every entry below this folder path (add `depth` for direct children).")
    type = django_filters.CharFilter(field_name="type", help_text="Only this type.")
    not_type = django_filters.CharFilter(field_name="type", exclude=True, help_text="Every type but this one.")
    type__startswith = django_filters.CharFilter(field_name="type", lookup_expr="startswith", help_text="Types starting with this prefix.")
    ref = django_filters.CharFilter(field_name="ref", help_text="Entries of this object id; originals before shortcuts.")
    created_at__gt = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gt")
    created_at__lt = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", help_text="Search: tokens, quotes, `-`/`!` negation, `path:`, `name:`, `user:`/`author:` (`me`), `type:`, `ref:`.")
    search_name_only = django_filters.BooleanFilter(method="filter_noop", help_text="Plain search tokens match the last path segment only.")
    order_by = django_filters.CharFilter(method="filter_noop", help_text="`path`, `-path`, `created_at`, `-created_at`, `last_viewed_at`, `-last_viewed_at`; anything else means `-created_at`.")

    class Meta:
        model = FileSystem
        fields: list[str] = []

    def filter_noop(self, queryset, name, value):
        return queryset  # applied in filter_queryset(), which sees the other parameters

    def filter_depth(self, queryset, name, value):
        depth = _as_int(value)
        return queryset if depth is None else queryset.filter(depth=depth)

    def filter_path(self, queryset, name, value):
        return queryset.filter(path_is(value))

    def filter_parent(self, queryset, name, value):
        parent = value.rstrip("/")
        return queryset.filter(path_below(parent)) if parent else queryset

    def filter_search(self, queryset, name, value):
        name_only = bool(self.form.cleaned_data.get("search_name_only"))
        return search_filter(queryset, value, user=getattr(self.request, "user", None), name_only=name_only)

    def filter_queryset(self, queryset):
        return self.order(super().filter_queryset(queryset))

    def order(self, queryset):
        data = self.form.cleaned_data
        order_by = data.get("order_by") or ""
        prefix = ("shortcut",) if data.get("ref") else ()
        if order_by in PLAIN_ORDERINGS:
            return queryset.order_by(*prefix, order_by, "id")
        if order_by in VIEW_ORDERINGS:
            return self.order_by_last_view(queryset, order_by, prefix)
        if order_by:
            return queryset.order_by(*prefix, "-created_at", "id")
        if _as_int(data.get("depth")) is not None:
            folders_first = Case(When(type=FOLDER, then=Value(0)), default=Value(1), output_field=IntegerField())
            return queryset.order_by(*prefix, folders_first, Lower("path"), "id")
        return queryset.order_by(*prefix, Lower("path"), "id")

    def order_by_last_view(self, queryset, order_by, prefix):
        user = getattr(self.request, "user", None)
        last_view = FileSystemViewLog.objects.filter(
            team_id=OuterRef("team_id"), user_id=getattr(user, "pk", None), type=OuterRef("type"), ref=OuterRef("ref")
        ).values("viewed_at")[:1]
        queryset = queryset.annotate(last_viewed_at=Subquery(last_view))
        column = F("last_viewed_at")
        ordering = column.desc(nulls_last=True) if order_by.startswith("-") else column.asc(nulls_last=True)
        return queryset.order_by(*prefix, ordering, "id")

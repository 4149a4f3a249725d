"""The event definition list's envelope: PostHog's `count_is_capped` on very large projects."""

from __future__ import annotations

from django.db.models import IntegerField
from django.db.models.expressions import RawSQL
from rest_framework.utils.urls import replace_query_param

from posthog_core.pagination import LimitOffsetPagination

# Counting every row of a huge project on each page view is wasted work; past this many matches
# without a selective filter the count is reported as CAPPED_COUNT with `count_is_capped: true`.
CAP_THRESHOLD = 50_000
CAPPED_COUNT = 10_000
SELECTIVE_PARAMS = ("search", "names", "tags")


class EventDefinitionPagination(LimitOffsetPagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        counted = self.counted(queryset, request)
        # The count rides along in the page query as an uncorrelated scalar subquery (evaluated
        # once): one round trip instead of two. An empty page has no row to carry it.
        count_sql, count_params = counted.query.sql_with_params()
        total = RawSQL(f"SELECT count(*) FROM ({count_sql}) AS counted", count_params, output_field=IntegerField())
        # Deferred join: the offset is walked over primary keys alone, and only the page's rows get
        # their users joined and tags aggregated (PostgreSQL would otherwise build every skipped row).
        page_keys = queryset.values("pk")[self.offset:self.offset + self.limit]
        page = list(queryset.filter(pk__in=page_keys).annotate(_total=total))
        found = page[0]._total if page else counted.count()
        self.count_is_capped = not self.selective and found > CAP_THRESHOLD
        self.count = CAPPED_COUNT if self.count_is_capped else found
        self.page_is_full = len(page) == self.limit
        return page

    def counted(self, queryset, request):
        """Only primary keys (the page's joined users and tag arrays have no place in a count), and
        at most CAP_THRESHOLD + 1 of them without a selective filter."""
        self.selective = any(request.query_params.get(param, "").strip() for param in SELECTIVE_PARAMS)
        keys = queryset.order_by().values("pk")
        return keys if self.selective else keys[: CAP_THRESHOLD + 1]

    def get_next_link(self):
        if not self.count_is_capped:
            return super().get_next_link()
        # The real total is unknown once capped: another page exists as long as this one is full.
        if not self.page_is_full:
            return None
        url = self.request.build_absolute_uri()
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def extra_response_data(self) -> dict:
        return {"count_is_capped": self.count_is_capped}

    def extra_response_schema(self) -> dict:
        return {"count_is_capped": {"type": "boolean", "description": "True when `count` stopped at 10,000."}}

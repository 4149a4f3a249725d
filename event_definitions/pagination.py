"""The event definition list's envelope: PostHog's `count_is_capped` on very large projects."""

from __future__ import annotations

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
        self.count, self.count_is_capped = self.capped_count(queryset, request)
        page = list(queryset[self.offset:self.offset + self.limit])
        self.page_is_full = len(page) == self.limit
        return page

    def capped_count(self, queryset, request) -> tuple[int, bool]:
        # Only the primary key: the page's joined users and aggregated tags have no place in a count.
        keys = queryset.order_by().values("pk")
        if any(request.query_params.get(param, "").strip() for param in SELECTIVE_PARAMS):
            return keys.count(), False
        bounded = keys[: CAP_THRESHOLD + 1].count()
        return (CAPPED_COUNT, True) if bounded > CAP_THRESHOLD else (bounded, False)

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

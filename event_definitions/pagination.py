"""The event definition list's envelope: PostHog's `count_is_capped` on very large projects."""

from __future__ import annotations

from rest_framework.utils.urls import replace_query_param

from event_definitions import selectors
from event_definitions.filters import EventDefinitionListQuery
from posthog_core.pagination import LimitOffsetPagination

# Counting every row of a huge project on each page view is wasted work; past this many matches
# without a selective filter the count is reported as CAPPED_COUNT with `count_is_capped: true`.
CAP_THRESHOLD = 50_000
CAPPED_COUNT = 10_000


class EventDefinitionPagination(LimitOffsetPagination):
    """Pages an EventDefinitionListQuery (the list's parsed filters), not a queryset."""

    def paginate_queryset(self, query: EventDefinitionListQuery, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        self.selective = query.selective
        # Without a selective filter at most CAP_THRESHOLD + 1 matches are counted.
        found, page = selectors.event_definition_page(
            team=view.team, query=query, offset=self.offset, limit=self.limit,
            count_cap=None if query.selective else CAP_THRESHOLD + 1,
        )
        self.count_is_capped = not self.selective and found > CAP_THRESHOLD
        self.count = CAPPED_COUNT if self.count_is_capped else found
        self.page_is_full = len(page) == self.limit
        return page

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

"""Limit/offset pagination with PostHog's envelope and strict, never-500 parameter parsing."""

from __future__ import annotations

import re

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

# PostgreSQL's bigint bound: larger values are clamped rather than rejected (PostHog does the same).
MAX_BIGINT = 2**63 - 1


def parse_non_negative(raw: str | None, name: str, default: int, minimum: int) -> int:
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise ValidationError({name: [f"A valid integer is required for '{name}'."]}, code="invalid")
    if len(text) > 25:
        value = -MAX_BIGINT if text.startswith("-") else MAX_BIGINT
    else:
        value = int(text)
    if value < minimum:
        raise ValidationError(
            {name: [f"Ensure '{name}' is greater than or equal to {minimum}."]}, code="min_value"
        )
    return min(value, MAX_BIGINT)


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` (default 100, at least 1, clamped to `max_limit`) and `offset` (at least 0).

    Subclasses add top-level fields (such as `count_is_capped` or `users`) through
    extra_response_data(), and describe them in extra_response_schema().
    """

    default_limit = 100
    max_limit = 10_000

    def get_limit(self, request) -> int:
        value = parse_non_negative(request.query_params.get(self.limit_query_param), "limit", self.default_limit, 1)
        return min(value, self.max_limit)

    def get_offset(self, request) -> int:
        return parse_non_negative(request.query_params.get(self.offset_query_param), "offset", 0, 0)

    def extra_response_data(self) -> dict:
        return {}

    def extra_response_schema(self) -> dict:
        return {}

    def get_paginated_response(self, data) -> Response:
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                **self.extra_response_data(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict) -> dict:
        base = super().get_paginated_response_schema(schema)
        base["required"] = ["count", "results"]
        base["properties"].update(self.extra_response_schema())
        return base

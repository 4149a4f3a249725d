"""DRF throttles with PostHog's personal-API-key limits, counted in the shared store (ratelimit.py).

A request is counted once per caller in a burst and a sustained window of its class: `crud` for
everything but the analytics actions a view lists in `analytics_actions` (queries, events, computed
insight and dashboard results, export renders), which count in `analytics` instead, as PostHog
keeps the two budgets apart. The caller is the personal API key (`key:<id>`) or, for a session,
the user (`user:<id>`); anonymous requests are not counted (they get 401 before, or are public).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from posthog_core.metrics import THROTTLE_REJECTIONS
from posthog_core.models import PersonalAPIKey
from posthog_core.ratelimit import Bucket, hit_or_none, parse_rate, wait_for


def caller_of(request) -> str | None:
    if isinstance(request.auth, PersonalAPIKey):
        return f"key:{request.auth.pk}"
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


class PersonalAPIRateThrottle(BaseThrottle):
    """Burst and sustained windows of `scope` (a key of `settings.RATE_LIMITS`), one round trip for both."""

    scope = ""

    def __init__(self):
        self._wait: float | None = None

    def buckets(self, caller: str) -> list[Bucket]:
        buckets = []
        for window, rate in zip(("burst", "sustained"), settings.RATE_LIMITS[self.scope], strict=True):
            limit, period = parse_rate(rate)
            buckets.append(Bucket(f"api:{self.scope}:{window}:{caller}", limit, period))
        return buckets

    def allow_request(self, request, view) -> bool:
        if not settings.RATE_LIMIT_ENABLED:
            return True
        caller = caller_of(request)
        if caller is None:
            return True
        counts = hit_or_none(self.buckets(caller))
        self._wait = wait_for(counts) if counts else None
        if self._wait is None:
            return True
        THROTTLE_REJECTIONS.labels(scope=self.scope).inc()
        return False

    def wait(self) -> float | None:
        return self._wait


class CrudRateThrottle(PersonalAPIRateThrottle):
    scope = "crud"


class AnalyticsRateThrottle(PersonalAPIRateThrottle):
    scope = "analytics"

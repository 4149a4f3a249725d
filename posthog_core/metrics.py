"""Prometheus metrics this service records (exported by the `/metrics` endpoint)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

EXPORT_RENDER_SECONDS = Histogram(
    "posthog_core_export_render_seconds",
    "Time to render one export inside POST /exports/, by export format.",
    ["format"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300),
)
EXPORT_SLOT_WAIT_SECONDS = Histogram(
    "posthog_core_export_slot_wait_seconds",
    "Time an export create waited for a render slot (EXPORT_CONCURRENCY), whether it got one or not.",
    buckets=(0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
)
EXPORT_SLOT_REJECTIONS = Counter(
    "posthog_core_export_slot_rejections_total",
    "Export creates answered 429 because no render slot freed up within EXPORT_SLOT_WAIT_SECONDS.",
)
DATABASE_ERRORS = Counter(
    "posthog_core_database_errors_total",
    "Requests that failed because the database was unreachable (answered 503), by kind of error.",
    ["kind"],
)

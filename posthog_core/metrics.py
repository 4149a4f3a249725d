"""Prometheus metrics (prometheus_client) and the `/metrics` exposition.

Under gunicorn every worker is its own process: gunicorn_conf.py points `PROMETHEUS_MULTIPROC_DIR`
at a folder under the data dir before any worker starts, prometheus_client then keeps each
worker's values in files there, and a scrape (served by whichever worker) adds them up. Without
that variable (tests, `manage.py runserver`) the values live in this process's default registry.
"""

from __future__ import annotations

import os
from importlib import import_module

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

REQUEST_SECONDS = Histogram(
    "posthog_core_request_seconds",
    "Time from the request reaching Django to its response, by URL pattern (not the raw path).",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
THROTTLE_REJECTIONS = Counter(
    "posthog_core_throttle_rejections_total",
    "Requests refused with 429 by a rate limit (crud, analytics) or the login lockout (login).",
    ["scope"],
)
DATABASE_ERRORS = Counter(
    "posthog_core_database_errors_total",
    "Database errors that reached a request's error handling, by exception class.",
    ["kind"],
)
EXPORT_RENDER_SECONDS = Histogram(
    "posthog_core_export_render_seconds",
    "Time to render one export, by format.",
    ["format"],
    buckets=LATENCY_BUCKETS,
)
EXPORT_SLOT_WAIT_SECONDS = Histogram(
    "posthog_core_export_slot_wait_seconds",
    "Time an export create waited for a render slot.",
    buckets=LATENCY_BUCKETS,
)
EXPORT_SLOT_REJECTIONS = Counter(
    "posthog_core_export_slot_rejections_total",
    "Export creates refused (429) because no render slot freed up in time.",
)


class SpoolDepthCollector(Collector):
    """Capture spool depth, read when scraped from `ingestion.spool.spool_depth() -> (batches, bytes)`.

    Imported lazily: the spool is optional to this module, and a gauge computed at scrape time needs
    no per-process file in multiprocess mode.
    """

    def describe(self):
        return []  # so registering does not call collect() (and import the spool) at start-up

    def collect(self):
        try:
            spool_depth = import_module("ingestion.spool").spool_depth
        except (ImportError, AttributeError):
            return
        batches, size = spool_depth()
        yield GaugeMetricFamily("posthog_core_capture_spool_batches", "Capture batches waiting in the spool.", batches)
        yield GaugeMetricFamily("posthog_core_capture_spool_bytes", "Bytes of capture batches in the spool.", size)


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    REGISTRY.register(SpoolDepthCollector())


def record_database_error(exc: BaseException) -> None:
    DATABASE_ERRORS.labels(kind=type(exc).__name__).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, summed over every worker when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(SpoolDepthCollector())
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST

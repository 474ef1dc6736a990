"""Prometheus metrics: one registry for the process, rendered at GET /api/metrics."""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "deltaplane_http_requests_total",
    "HTTP requests by method, route template and status",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "deltaplane_http_request_duration_seconds",
    "HTTP request latency by method and route template",
    ("method", "route"),
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
LOGIN_FAILURES = Counter("deltaplane_login_failures_total", "Failed login attempts", registry=REGISTRY)
RATE_LIMITED = Counter("deltaplane_rate_limited_total", "Requests refused by the per-IP limit", registry=REGISTRY)
WS_CONNECTIONS = Gauge("deltaplane_ws_connections", "Open WebSocket connections", registry=REGISTRY)


LOG_INGEST_LINES_PER_SECOND = Gauge(
    "deltaplane_log_ingest_lines_per_second", "Backend log lines stored per second (recent window)", registry=REGISTRY
)
LOG_INGEST_LAG_BYTES = Gauge("deltaplane_log_ingest_lag_bytes", "Bytes of backend.log not yet stored", registry=REGISTRY)
LOG_INGEST_LAG_SECONDS = Gauge(
    "deltaplane_log_ingest_lag_seconds", "Age of the newest stored line while ingestion is behind", registry=REGISTRY
)
LOG_INGEST_RUNNING = Gauge("deltaplane_log_ingest_running", "1 while the log tailer runs", registry=REGISTRY)


def render_metrics(log_ingest: dict[str, Any] | None = None) -> bytes:
    """The registry as Prometheus text; `log_ingest` is the tailer's stats() at scrape time."""
    if log_ingest is not None:
        LOG_INGEST_LINES_PER_SECOND.set(float(log_ingest.get("lines_per_second") or 0))
        LOG_INGEST_LAG_BYTES.set(float(log_ingest.get("lag_bytes") or 0))
        LOG_INGEST_LAG_SECONDS.set(float(log_ingest.get("lag_seconds") or 0))
        LOG_INGEST_RUNNING.set(1.0 if log_ingest.get("running") else 0.0)
    return generate_latest(REGISTRY)

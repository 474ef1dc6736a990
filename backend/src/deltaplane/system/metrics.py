"""Prometheus metrics: one registry for the process, rendered at GET /api/metrics."""

from __future__ import annotations

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


def render_metrics() -> bytes:
    return generate_latest(REGISTRY)

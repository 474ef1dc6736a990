"""Outermost ASGI layer: correlation IDs, request summary logs, metrics, per-IP limit, headers.

It wraps Litestar's own handler (not route middleware) so it also sees requests that never
reach a route (404, 405) and every error body carries the correlation ID.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable
from typing import Any

import msgspec

from deltaplane.core import context
from deltaplane.core.errors import error_body
from deltaplane.system.metrics import HTTP_LATENCY, HTTP_REQUESTS, RATE_LIMITED

logger = logging.getLogger("deltaplane.http")

_ID_OK = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # used with fullmatch: `$` would admit a final "\n"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
CSP = (
    b"default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data: blob:; font-src 'self' data:; script-src 'self'; object-src 'none'; "
    b"base-uri 'self'; frame-ancestors 'none'"
)


class FixedWindowLimiter:
    """Per-key request counter over fixed windows; cheap enough to run on every request."""

    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> float:
        """Count one request; return 0 when allowed, else seconds until the window resets."""
        now = self.clock()
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        count += 1
        self._windows[key] = (start, count)
        if len(self._windows) > 50_000:  # bound memory under address spraying
            self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window}
        if count > self.limit:
            return max(0.0, self.window - (now - start))
        return 0.0


def client_ip(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class RequestContextMiddleware:
    def __init__(self, app: Any, *, rate_limit_per_minute: int, exempt_prefixes: tuple[str, ...] = ("/api/health",)) -> None:
        self.app = app
        self.limiter = FixedWindowLimiter(rate_limit_per_minute, 60.0)
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-correlation-id") or _header(scope, b"x-request-id")
        correlation_id = incoming if incoming and _ID_OK.fullmatch(incoming) else context.new_id()
        request_id = context.new_id()
        tok_c = context.correlation_id_var.set(correlation_id)
        tok_r = context.request_id_var.set(request_id)
        tok_u = context.user_var.set(None)
        path = scope.get("path", "")
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send, correlation_id, request_id, path)
        finally:
            context.user_var.reset(tok_u)
            context.request_id_var.reset(tok_r)
            context.correlation_id_var.reset(tok_c)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any, correlation_id: str, request_id: str, path: str) -> None:
        started = time.perf_counter()
        status_holder = {"status": 500}
        extra_headers = [
            (b"x-correlation-id", correlation_id.encode()),
            (b"x-request-id", request_id.encode()),
            *SECURITY_HEADERS,
        ]
        if not path.startswith("/api/docs"):
            extra_headers.append((b"content-security-policy", CSP))

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in extra_headers if h[0] not in existing]
            await send(message)

        if path.startswith("/api") and not path.startswith(self.exempt_prefixes):
            retry_after = self.limiter.hit(client_ip(scope))
            if retry_after:
                RATE_LIMITED.inc()
                body = msgspec.json.encode(error_body(429, "rate limit exceeded for this client; retry later"))
                await send_wrapper(
                    {
                        "type": "http.response.start",
                        "status": 429,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"retry-after", str(math.ceil(retry_after)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                self._summarise(scope, 429, started)
                return
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._summarise(scope, status_holder["status"], started)

    def _summarise(self, scope: dict[str, Any], status: int, started: float) -> None:
        duration = time.perf_counter() - started
        route = scope.get("path_template") or "<unmatched>"
        method = scope.get("method", "")
        if route != "/api/metrics":
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(duration)
        path = scope.get("path", "")
        # Served SPA files (embedded mode; nginx serves them in production) would flood the Log
        # Viewer with one line per asset: only their failures are worth an INFO line.
        level = logging.WARNING if status >= 500 else logging.INFO if path.startswith("/api") or status >= 400 else logging.DEBUG
        logger.log(
            level,
            "%s %s -> %s in %.1f ms",
            method,
            scope.get("path", ""),
            status,
            duration * 1000,
            extra={
                "event": "http_request",
                "method": method,
                "path": scope.get("path", ""),
                "route": route,
                "status": status,
                "duration_ms": round(duration * 1000, 3),
                "client_ip": client_ip(scope),
                "user": context.user_var.get(),
            },
        )

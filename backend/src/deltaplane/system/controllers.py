"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac
import time

from litestar import Controller, Request, Response, get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy import text

from deltaplane import __version__
from deltaplane.auth.middleware import authenticate
from deltaplane.core.services import AppServices
from deltaplane.db.migrate import current_revisions, head_revisions
from deltaplane.system.metrics import render_metrics

_STARTED = time.time()


async def requires_metrics_access(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Prometheus scrapers send METRICS_TOKEN as a Bearer token; people need the admin role."""
    svc: AppServices = connection.app.state.services
    header = connection.headers.get("authorization", "")
    token = svc.settings.metrics_token
    if token and header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return
    result = await authenticate(connection)
    if result.user.role != "admin":
        raise PermissionDeniedException("metrics require the admin role or METRICS_TOKEN")


class SystemController(Controller):
    path = "/api"
    tags = ["system"]

    @get("/health", operation_id="health", exclude_from_auth=True, summary="Liveness: the process answers")
    async def health(self) -> dict[str, object]:
        return {"status": "ok", "version": __version__, "uptime_s": round(time.time() - _STARTED, 1)}

    @get("/health/ready", operation_id="readiness", exclude_from_auth=True, summary="Readiness: database, migrations and services")
    async def ready(self, request: Request) -> Response[dict[str, object]]:
        svc: AppServices = request.app.state.services
        checks: list[dict[str, object]] = []
        try:
            async with svc.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks.append({"name": "database", "ok": True})
            current, heads = await current_revisions(svc.engine), head_revisions()
            checks.append({"name": "migrations", "ok": current == heads, "current": sorted(current), "head": sorted(heads)})
        except Exception as exc:  # readiness must answer, whatever failed
            checks.append({"name": "database", "ok": False, "error": type(exc).__name__})
        for check in svc.readiness_checks:
            try:
                checks.append(await check())
            except Exception as exc:
                checks.append({"name": getattr(check, "__name__", "check"), "ok": False, "error": type(exc).__name__})
        ok = all(bool(c.get("ok")) for c in checks)
        return Response({"status": "ready" if ok else "not_ready", "checks": checks}, status_code=200 if ok else 503)

    @get(
        "/metrics",
        operation_id="metrics",
        exclude_from_auth=True,
        guards=[requires_metrics_access],
        media_type="text/plain; version=0.0.4",
        summary="Prometheus metrics (METRICS_TOKEN bearer or admin)",
    )
    async def metrics(self, request: Request) -> bytes:
        svc: AppServices = request.app.state.services
        tail = svc.extras.get("log_tail")
        enabled = svc.settings.backend_log_ingest_enabled
        return render_metrics(tail.stats() if tail is not None and enabled else None)



"""Shared helpers for the abuse / bad-input suite: the real app (logs API included) and shape checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar

from deltaplane.app import api_route_handlers, create_app
from tests.conftest import make_settings

ERROR_KEYS = {"error", "detail", "status_code", "correlation_id"}


def _logs_controller() -> list[Any]:
    """The logs API may not be registered in app.py yet: add it so its routes are attacked too."""
    try:
        from deltaplane.logs.controllers import LogsController
    except ImportError:  # pragma: no cover - the area is optional while it is being built
        return []
    return [] if LogsController in api_route_handlers() else [LogsController]


def hardening_app(tmp_path: Path, **overrides: Any) -> Litestar:
    return create_app(make_settings(tmp_path, **overrides), extra_route_handlers=_logs_controller())


def error_shape_problem(status: int, headers: Any, body: bytes) -> str | None:
    """None when a 4xx/5xx body is the one error shape, else what is wrong with it."""
    import json

    try:
        data = json.loads(body)
    except ValueError:
        return f"body is not JSON: {body[:120]!r}"
    if not isinstance(data, dict):
        return f"body is not an object: {data!r:.120}"
    missing = ERROR_KEYS - set(data)
    if missing:
        return f"missing {sorted(missing)} in {data!r:.200}"
    if data["status_code"] != status:
        return f"status_code {data['status_code']} != HTTP {status}"
    if not isinstance(data["detail"], str) or not data["detail"]:
        return "detail is empty"
    cid = headers.get("x-correlation-id")
    if cid and data["correlation_id"] != cid:
        return f"correlation_id {data['correlation_id']!r} != header {cid!r}"
    return None

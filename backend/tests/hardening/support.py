"""Shared helpers for the abuse / bad-input suite: the real app and error-shape checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar

from deltaplane.app import create_app
from tests.conftest import make_settings

ERROR_KEYS = {"error", "detail", "status_code", "correlation_id"}


def hardening_app(tmp_path: Path, **overrides: Any) -> Litestar:
    return create_app(make_settings(tmp_path, **overrides))


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

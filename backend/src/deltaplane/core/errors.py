"""One error shape for every 4xx/5xx: {error, detail, status_code, correlation_id, fields?}."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from deltaplane.core import context

logger = logging.getLogger("deltaplane.http")

_TITLES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


class ConflictError(HTTPException):
    status_code = 409


class StateConflict(HTTPException):
    """409 carrying the strategy's current state, so a client can show what actually is."""

    status_code = 409

    def __init__(self, detail: str, current_state: str) -> None:
        super().__init__(detail=detail, status_code=409, extra={"current_state": current_state})


class FieldError(HTTPException):
    """A 4xx naming the offending field (default 422)."""

    status_code = 422

    def __init__(self, field: str, message: str, status_code: int = 422) -> None:
        super().__init__(detail=f"{field}: {message}", status_code=status_code, extra=[{"field": field, "message": message}])


def _fields_from_extra(extra: Any) -> list[dict[str, str]] | None:
    if not extra:
        return None
    fields: list[dict[str, str]] = []
    if isinstance(extra, dict):
        extra = [extra]
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, dict):
                field = item.get("field") or item.get("key") or ""
                if isinstance(field, str) and field.startswith("$."):
                    field = field[2:]
                fields.append({"field": str(field), "message": str(item.get("message", ""))})
    return fields or None


def error_body(status_code: int, detail: str, fields: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": _TITLES.get(status_code, "error"),
        "detail": detail,
        "status_code": status_code,
        "correlation_id": context.correlation_id_var.get(),
    }
    if fields:
        body["fields"] = fields
    return body


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    fields = _fields_from_extra(exc.extra)
    detail = exc.detail or _TITLES.get(status, "error")
    if isinstance(exc, ValidationException):
        status = 422  # the body parsed but a field is wrong (or the JSON itself is malformed)
    if isinstance(exc, ValidationException) and fields and any(f["field"] == "data" for f in fields):
        # Litestar names the whole body "data": say what is wrong in the user's terms.
        fields = [
            {"field": "body", "message": "a JSON object is required" if f["message"].strip("'\"") in ("data", "") else f["message"]}
            if f["field"] == "data" else f
            for f in fields
        ]
    if isinstance(exc, ValidationException) and fields:
        # msgspec messages look like "Expected `int`, got `str` - at `$.quantity`": name the field first.
        detail = "; ".join(f"{f['field']}: {f['message'].split(' - at ')[0]}" if f["field"] else f["message"] for f in fields)
    headers = dict(exc.headers or {})
    if isinstance(exc, StateConflict):
        body = error_body(status, detail)
        body["current_state"] = exc.extra["current_state"]  # type: ignore[index]
        return Response(content=body, status_code=status, headers=headers)
    if isinstance(exc, NotAuthorizedException):
        headers.setdefault("WWW-Authenticate", "Bearer")
    if isinstance(exc, PermissionDeniedException) and not exc.detail:
        detail = "your role does not allow this action"
    return Response(content=error_body(status, detail, fields), status_code=status, headers=headers)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error", extra={"event": "unhandled_exception", "path": request.url.path})
    return Response(
        content=error_body(HTTP_500_INTERNAL_SERVER_ERROR, "internal server error; quote the correlation_id when reporting"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


def database_error_handler(request: Request, exc: Exception) -> Response:
    """SQLite's write lock not free within busy_timeout is a temporary condition, not a bug: 503."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "database is locked" in text or "database is busy" in text:
        logger.warning("database busy", extra={"event": "database_busy", "path": request.url.path})
        return Response(
            content=error_body(503, "the database is busy; retry in a moment"),
            status_code=503,
            headers={"Retry-After": "1"},
        )
    return internal_error_handler(request, exc)


def json_too_deep_handler(request: Request, exc: RecursionError) -> Response:
    """msgspec raises RecursionError for absurdly nested JSON; that is the client's input, not our bug."""
    return Response(content=error_body(400, "request body: JSON nested too deeply"), status_code=400)

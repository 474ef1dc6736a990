"""One error shape for every 4xx/5xx: {error, detail, status_code, correlation_id, fields?}."""

from __future__ import annotations

import logging
import re
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


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "decimal": "a number",
    "str": "text",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "empty",
    "datetime": "a date and time",
    "date": "a date",
    "time": "a time",
}
_EXPECTED_GOT = re.compile(r"Expected `(?P<want>[^`]+)`, got `(?P<got>[^`]+)`")
_LENGTH = re.compile(r"Expected `(?P<want>[^`]+)` of length (?P<op>>=|<=) (?P<n>\d+)")
_BOUND = re.compile(r"Expected `(?P<want>[^`]+)` (?P<op>>=|<=|>|<) (?P<n>-?[\d.]+(?:e-?\d+)?)")
_CHAR_CLASS = re.compile(r"Expected `str` matching regex '(?:\^|\\{1,2}A)\[(?P<chars>[^\]]+)\][+*](?:\$|\\{1,2}Z)'")
_REGEX = re.compile(r"Expected `str` matching regex '(?P<regex>.*)'")
_ENUM = re.compile(r"Invalid enum value (?P<value>.+)")
_BOUND_WORDS = {">=": "at least", "<=": "at most", ">": "greater than", "<": "less than"}


def _type_words(spec: str) -> str:
    words = [_TYPE_WORDS.get(part.strip(), f"`{part.strip()}`") for part in spec.split("|")]
    return " or ".join(words)


def _number(text: str) -> str:
    """'0.0' -> '0', '100' -> '100': bounds read as the user would write them."""
    return text[:-2] if text.endswith(".0") else text


def readable_validation_message(message: str) -> str:
    """msgspec's message for one bad field, in the user's terms ("Expected `int`, got `str`" ->
    "must be a whole number, got text"). Unknown shapes are returned unchanged. The field itself
    is named separately (`fields[].field`), so the trailing " - at `$.x`" is dropped."""
    text = message.split(" - at `")[0].strip()
    if m := _EXPECTED_GOT.fullmatch(text):
        return f"must be {_type_words(m['want'])}, got {_type_words(m['got'])}"
    if m := _LENGTH.fullmatch(text):
        if m["want"] == "str":
            return f"must be {_BOUND_WORDS[m['op']]} {m['n']} characters long"
        return f"must have {_BOUND_WORDS[m['op']]} {m['n']} item{'' if m['n'] == '1' else 's'}"
    if m := _BOUND.fullmatch(text):
        return f"must be {_BOUND_WORDS[m['op']]} {_number(m['n'])}"
    if m := _CHAR_CLASS.fullmatch(text):
        return f"may only contain these characters: {m['chars']}"
    if m := _REGEX.fullmatch(text):
        return f"does not have the expected format ({m['regex']})"
    if m := _ENUM.fullmatch(text):
        return f"{m['value']} is not one of the allowed values"
    if text == "Invalid decimal string":
        return "must be a number"
    if text.startswith("Invalid RFC3339 encoded "):
        kind = text.removeprefix("Invalid RFC3339 encoded ")
        example = {"datetime": "2026-01-31T09:30:00Z", "date": "2026-01-31", "time": "09:30:00"}.get(kind)
        return f"must be a valid {kind}" + (f" like {example}" if example else "")
    return text


_OBJECT_FIELD = re.compile(
    r"Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]+)`(?: - at `\$(?P<at>[^`]*)`)?"
)


def locate_body_error(field: str, message: str) -> tuple[str, str]:
    """msgspec reports a missing or unknown key against the object holding it ("body: Object
    missing required field `username`"); name the key itself instead ("username: is required").
    Other errors are returned unchanged."""
    m = _OBJECT_FIELD.fullmatch(message.strip())
    if m is None:
        return field, message
    at = (m["at"] or "").lstrip(".")
    if not at and field not in ("body", "data", ""):
        at = field.removeprefix("$").lstrip(".")
    name = f"{at}.{m['name']}" if at else m["name"]
    return name, "is required" if m["what"] == "missing required" else "is not a known field"


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
        fields = [dict(zip(("field", "message"), locate_body_error(f["field"], f["message"]), strict=True)) for f in fields]
    if isinstance(exc, ValidationException) and fields:
        # msgspec messages look like "Expected `int`, got `str` - at `$.quantity`": say it in the
        # user's terms and name the field first.
        fields = [{"field": f["field"], "message": readable_validation_message(f["message"])} for f in fields]
        detail = "; ".join(f"{f['field']}: {f['message']}" if f["field"] else f["message"] for f in fields)
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


def undecodable_body_handler(request: Request, exc: UnicodeDecodeError) -> Response:
    """Bytes that are not UTF-8 where text was expected: the client's input, not our bug."""
    message = f"must be UTF-8 encoded (byte {exc.start} is not UTF-8)"
    return Response(content=error_body(400, f"body: {message}", [{"field": "body", "message": message}]), status_code=400)

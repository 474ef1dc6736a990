"""Checks every request passes before its handler runs (the app's `before_request` hook).

Litestar parses ids with `int()` and bodies with msgspec; both are lenient or terse where a
trading API must be strict and say which field is wrong:

* `int()` reads "+1", "01", "1\\n" and "١" (an Arabic-Indic one) as 1, so
  `DELETE /api/strategies/1%0A` archived strategy 1. An id must be written as plain digits.
* A body that is not UTF-8 raised a UnicodeDecodeError (a 500); a body that is not JSON, is cut
  short or holds a number beyond what a 64-bit field can hold was answered with msgspec's own
  text ("Number out of range - at `$[...]`") and no field.
* A JSON route accepted a body sent as text/plain or a form: the client is confused about what
  it sends, so say so (415) rather than guess.

The rules are pure functions; `check_request` applies them.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException

from deltaplane.core.errors import FieldError

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DOUBLE_MAX = Decimal("1.7976931348623157e308")


def non_canonical_path_param(path: str, template: str, params: dict[str, Any]) -> str | None:
    """The name of the first integer path parameter not written as plain digits ("7", not "+7",
    "07", "7\\n" or "７"), or None. `path` is the decoded request path, `template` its route's
    "/api/strategies/{strategy_id}" form, `params` the values Litestar parsed from it."""
    segments = path.split("/")
    names = template.split("/")
    if len(segments) != len(names):
        return None  # a {path:path} route: no integer parameters to check
    for segment, name in zip(segments, names, strict=True):
        if not (name.startswith("{") and name.endswith("}")):
            continue
        key = name[1:-1].split(":")[0]
        value = params.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and segment != str(value):
            return key
    return None


def _out_of_range_path(value: Any, path: str = "") -> str | None:
    """Where in decoded JSON a number lies beyond a double, which msgspec cannot decode (None if
    nowhere). Integers of any size decode; their ranges are each field's own rule."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = _out_of_range_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _out_of_range_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif isinstance(value, Decimal) and value.is_finite() and abs(value) > _DOUBLE_MAX:
        return path or "body"
    return None


def json_body_problem(body: bytes) -> FieldError | None:
    """Why `body` cannot be a JSON request body, as a 400 naming the field (None if it can)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FieldError("body", f"must be UTF-8 encoded JSON (byte {exc.start} is not UTF-8)", 400)
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        message = str(exc).split(" - at `")[0]
        if message == "Input data was truncated":
            return FieldError("body", "is not valid JSON: it ends early (truncated)", 400)
        if message == "Number out of range":
            try:
                decoded = json.loads(text, parse_float=Decimal)
            except ValueError:
                decoded = None
            field = _out_of_range_path(decoded) or "body"
            return FieldError(field, "is a number too large to store", 400)
        if message.startswith("JSON is malformed: "):
            message = message.removeprefix("JSON is malformed: ")
        return FieldError("body", f"is not valid JSON: {message}", 400)
    except RecursionError:
        return None  # the app's RecursionError handler answers "nested too deeply"
    return None


def _takes_body(request: Request[Any, Any, Any]) -> bool:
    handler = request.scope.get("route_handler")
    signature = getattr(handler, "parsed_fn_signature", None)
    return signature is not None and "data" in signature.parameters


async def check_request(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook: canonical ids in the path, and a body a JSON handler can read."""
    template = request.scope.get("path_template")
    if template:
        bad = non_canonical_path_param(request.scope["path"], template, request.path_params)
        if bad is not None:
            raise FieldError(bad, "must be a whole number written with the digits 0-9 only, like 12", 400)
    if request.method not in _BODY_METHODS or not _takes_body(request):
        return None
    body = await request.body()
    if not body:
        return None  # Litestar reports a missing body against the handler's own schema
    media_type = request.content_type[0].lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            status_code=415,
            detail=f"the request body must be sent as Content-Type: application/json, not {media_type or 'no Content-Type'}",
        )
    problem = json_body_problem(body)
    if problem is not None:
        raise problem
    return None

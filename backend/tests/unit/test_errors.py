"""msgspec's validation messages, reworded for users (core.errors.readable_validation_message)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.core.errors import readable_validation_message


class Body(msgspec.Struct, forbid_unknown_fields=True):
    count: int | None = None
    password: Annotated[str, msgspec.Meta(min_length=12)] = "x" * 12
    label: Annotated[str, msgspec.Meta(max_length=4)] = "x"
    username: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_.@-]+$")] = "x"
    strict_name: Annotated[str, msgspec.Meta(pattern=r"\A[A-Za-z0-9_.@-]+\Z")] = "x"
    code: Annotated[str, msgspec.Meta(pattern="^[a-z]{3}-[0-9]{2}$")] = "abc-12"
    legs: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    rate: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    price: Decimal = Decimal(1)
    tags: Annotated[tuple[int, ...], msgspec.Meta(min_length=1)] = (1,)
    flag: bool = False
    side: Literal["buy", "sell"] = "buy"


def _message(data: dict[str, Any], kind: type = Body) -> str:
    try:
        msgspec.convert(data, kind, strict=False)
    except msgspec.ValidationError as exc:
        return str(exc)
    raise AssertionError(f"{data} was accepted")


@pytest.mark.parametrize(("data", "readable"), [
    ({"count": "x"}, "must be a whole number or empty, got text"),
    ({"flag": "yes"}, "must be true or false, got text"),
    ({"tags": {}}, "must be a list, got an object"),
    ({"password": "short"}, "must be at least 12 characters long"),
    ({"label": "toolong"}, "must be at most 4 characters long"),
    ({"tags": []}, "must have at least 1 item"),
    ({"username": "a b"}, "may only contain these characters: A-Za-z0-9_.@-"),
    ({"strict_name": "a b"}, "may only contain these characters: A-Za-z0-9_.@-"),
    ({"code": "nope"}, "does not have the expected format (^[a-z]{3}-[0-9]{2}$)"),
    ({"legs": 0}, "must be at least 1"),
    ({"legs": 101}, "must be at most 100"),
    ({"rate": 0}, "must be greater than 0"),
    ({"price": "abc"}, "must be a number"),
    ({"side": "hold"}, "'hold' is not one of the allowed values"),
])
def test_msgspec_messages_read_as_plain_words(data: dict[str, Any], readable: str) -> None:
    raw = _message(data)
    assert " - at `$." in raw  # the field is named separately; the path suffix must go
    assert readable_validation_message(raw) == readable


def test_dates_and_times_name_an_example() -> None:
    class When(msgspec.Struct):
        at: datetime
        on: date | None = None

    assert readable_validation_message(_message({"at": "yesterday"}, When)) == (
        "must be a valid datetime like 2026-01-31T09:30:00Z")
    assert readable_validation_message(_message({"at": "2026-01-01T00:00:00Z", "on": "2026-13-01"}, When)) == (
        "must be a valid date like 2026-01-31")


@given(st.text().filter(lambda m: not m.startswith(("Expected", "Invalid")) and " - at `" not in m))
def test_any_other_message_is_kept_as_is_without_the_path(message: str) -> None:
    assert readable_validation_message(f"{message} - at `$.x`") == message.strip()

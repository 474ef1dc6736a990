"""Column types. Money is stored as canonical decimal TEXT: SQLite has no decimal type and
would round Numeric through float, which a trading ledger must never do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

DECIMAL_TEXT_LENGTH = 40


def decimal_text(value: Decimal, max_length: int = DECIMAL_TEXT_LENGTH) -> str:
    """`value` in plain notation ("0.05", never "5E-2"); ValueError when it is not finite or needs
    more than `max_length` characters. The exponent is checked first: format() of 1E+9999999
    would build a 10 MB string only to refuse it."""
    if not value.is_finite():
        raise ValueError(f"refusing to store non-finite decimal {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    too_long = exponent < -max_length or (exponent > max_length and any(digits)) or len(digits) > max_length
    text = "" if too_long else format(value, "f")
    if too_long or len(text) > max_length:
        raise ValueError(f"refusing to store decimal {str(value)[:60]!r}: more than {max_length} characters in plain notation")
    return text


class DecimalText(TypeDecorator[Decimal]):
    # The last line of defence: the API bounds every amount, but a value too long for the declared
    # column (SQLite would store it anyway) is refused here rather than written.
    impl = String(DECIMAL_TEXT_LENGTH)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        return decimal_text(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)

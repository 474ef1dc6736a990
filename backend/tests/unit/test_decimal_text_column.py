"""DecimalText (String(40)) refuses what does not fit instead of storing megabytes of digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.db.types import DECIMAL_TEXT_LENGTH, DecimalText, decimal_text


@pytest.mark.parametrize(("value", "text"), [
    ("0.05", "0.05"), ("5E-2", "0.05"), ("1E+3", "1000"), ("-0.00150", "-0.00150"), ("0E+50", "0"), ("123.4500", "123.4500"),
])
def test_plain_notation(value: str, text: str) -> None:
    assert DecimalText().process_bind_param(Decimal(value), None) == text


@pytest.mark.parametrize("value", [
    "1E+9999999",  # the audit's risk limit: a 10,000,000-character string was stored
    "1E-999999",
    "1" * 41,
    "0." + "0" * 39 + "1",
    "0E-1000000",
])
def test_too_long_for_the_column_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="more than 40 characters"):
        DecimalText().process_bind_param(Decimal(value), None)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="non-finite"):
        DecimalText().process_bind_param(Decimal(value), None)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(lambda d: abs(d.as_tuple().exponent) < 200))
def test_stores_exactly_what_fits_and_refuses_the_rest(value: Decimal) -> None:
    plain = format(value, "f")
    if len(plain) <= DECIMAL_TEXT_LENGTH:
        stored = decimal_text(value)
        assert stored == plain and Decimal(stored) == value
    else:
        with pytest.raises(ValueError):
            decimal_text(value)

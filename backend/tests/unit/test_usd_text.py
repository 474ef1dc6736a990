"""Amounts in engine messages round half away from zero, as the UI rounds the same figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.strategy.engine import usd


@pytest.mark.parametrize(("amount", "dp", "text"), [
    ("-0.04105", 4, "-0.0411"),  # the review's case: format() gave -0.0410 (half-even), History -0.0411
    ("0.04105", 4, "0.0411"),
    ("0.04115", 4, "0.0412"),
    ("2.5", 0, "3"),
    ("-2.5", 0, "-3"),
    ("1.234", 2, "1.23"),
    ("0", 4, "0.0000"),
    ("12345.6", 2, "12345.60"),
])
def test_rounds_half_away_from_zero(amount: str, dp: int, text: str) -> None:
    assert usd(Decimal(amount), dp) == text


@given(st.decimals(min_value=-10**9, max_value=10**9, places=8, allow_nan=False, allow_infinity=False), st.integers(0, 6))
def test_is_within_half_a_unit_and_has_exactly_dp_places(amount: Decimal, dp: int) -> None:
    text = usd(amount, dp)
    assert abs(Decimal(text) - amount) <= Decimal(1).scaleb(-dp) / 2
    assert len(text.partition(".")[2]) == dp

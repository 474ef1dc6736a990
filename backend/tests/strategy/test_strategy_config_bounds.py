"""Every number in a strategy config has a range and a bounded number of decimal places; every
integer is range-checked whatever the mode; times are strictly HH:MM (pure rules)."""

from __future__ import annotations

from datetime import time
from decimal import Decimal as D
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategy_factories import cfg

from deltaplane.strategy.config import (
    DAILY_LOSS_LIMIT_RULE,
    DECIMAL_RULES,
    PREMIUM_RULE,
    ExecutionConfig,
    StrategyConfig,
    TrailingRule,
    decimal_from_text,
    decimal_places,
    decimal_problem,
    decimal_text_problems,
    normalize_config,
    validate_config,
)
from deltaplane.strategy.rules.local_time import is_valid_hhmm, parse_hhmm


def problems(c: StrategyConfig) -> dict[str, str]:
    return {p.field: p.message for p in validate_config(c, live_trading_enabled=False)}


HUGE = D("1E+999999999")  # the audit's premium_high: (low + high) / 2 overflowed on every preview


@pytest.mark.parametrize(("overrides", "field"), [
    ({"strike_mode": "premium", "premium_low": D(1), "premium_high": HUGE}, "premium_high"),
    ({"strike_mode": "premium", "premium_low": D(1), "premium_high": D("1000000.01")}, "premium_high"),
    ({"premium_low": HUGE}, "premium_low"),  # checked even when strike_mode does not use it
    ({"strike_mode": "premium", "premium_low": D("0.000000001"), "premium_high": D(5)}, "premium_low"),
    ({"daily_loss_limit_usd": D("1E+9999999")}, "daily_loss_limit_usd"),
    ({"daily_loss_limit_usd": D("1e-999999")}, "daily_loss_limit_usd"),
    ({"daily_loss_limit_usd": D("1000000000.01")}, "daily_loss_limit_usd"),
    ({"daily_loss_limit_usd": D("10.00001")}, "daily_loss_limit_usd"),
    ({"delta_low": D("1E-999999"), "delta_high": D("0.2")}, "delta_low"),
    ({"delta_low": D("0.123456")}, "delta_low"),
    ({"distance_pct": HUGE}, "distance_pct"),
    ({"distance_pct": D("2.000001")}, "distance_pct"),
    ({"max_loss_pct": D("1E+1000")}, "max_loss_pct"),
    ({"max_loss_pct": D("50.00001")}, "max_loss_pct"),
    ({"take_profit_pct": D("1e-99999")}, "take_profit_pct"),
    ({"leg_stop_loss_pct": D("1E+50")}, "leg_stop_loss_pct"),
    ({"execution": ExecutionConfig(max_slippage_pct=D("1.123456"))}, "execution.max_slippage_pct"),
    ({"execution": ExecutionConfig(max_slippage_pct=HUGE)}, "execution.max_slippage_pct"),
    ({"trailing_rules": (TrailingRule(trigger_pct=HUGE, lock_pct=D(0)),)}, "trailing_rules[0].trigger_pct"),
    ({"trailing_rules": (TrailingRule(trigger_pct=D(20), lock_pct=D("0.00001")),)}, "trailing_rules[0].lock_pct"),
])
def test_out_of_range_or_over_precise_decimals_name_their_field(overrides: dict[str, Any], field: str) -> None:
    found = problems(cfg(**overrides))
    assert field in found, found


def test_the_messages_state_the_bounds() -> None:
    found = problems(cfg(strike_mode="premium", premium_low=D("0.123456789"), premium_high=HUGE, daily_loss_limit_usd=D("1e10")))
    assert found["premium_high"] == "must be greater than 0 and at most 1,000,000 USD"
    assert found["premium_low"] == "must have at most 8 decimal places, got 9"
    assert found["daily_loss_limit_usd"] == "must be greater than 0 and at most 1,000,000,000 USD"


def test_bounds_a_trader_uses_are_accepted() -> None:
    c = cfg(strike_mode="premium", premium_low=D("0.00000001"), premium_high=D("1000000"), daily_loss_limit_usd=D("1000000000"),
            delta_low=D("0.0525"), delta_high=D("0.1575"), leg_stop_loss_pct=D("10000"), max_loss_pct=D("1000"),
            take_profit_pct=D("62.5"), distance_pct=D("7.25"), execution=ExecutionConfig(max_slippage_pct=D("0")))
    assert problems(c) == {}


def test_every_decimal_field_has_a_rule() -> None:
    def decimal_paths(info: Any, prefix: str = "") -> set[str]:
        paths = set()
        for f in info.fields:
            types = f.type.types if isinstance(f.type, msgspec.inspect.UnionType) else (f.type,)
            if any(isinstance(t, msgspec.inspect.DecimalType) for t in types):
                paths.add(prefix + f.name)
            if isinstance(f.type, msgspec.inspect.StructType):
                paths |= decimal_paths(f.type, f"{prefix}{f.name}.")
        return paths

    assert decimal_paths(msgspec.inspect.type_info(StrategyConfig)) == set(DECIMAL_RULES)  # trailing rules: own rules


_RULES = st.sampled_from([*DECIMAL_RULES.values(), PREMIUM_RULE, DAILY_LOSS_LIMIT_RULE])


@given(_RULES, st.decimals(allow_nan=False, allow_infinity=False))
def test_a_decimal_passes_exactly_when_in_range_with_few_enough_places(rule: Any, value: D) -> None:
    low_ok = value >= rule.low if rule.low_inclusive else value > rule.low
    high_ok = value <= rule.high if rule.high_inclusive else value < rule.high
    expected_ok = low_ok and high_ok and decimal_places(value) <= rule.places
    assert (decimal_problem(value, rule) is None) == expected_ok


@given(st.integers(min_value=-(10**9), max_value=10**9), st.integers(min_value=-(10**9), max_value=10**9))
def test_decimal_problem_never_raises_whatever_the_exponent(digits: int, exponent: int) -> None:
    value = D(f"{digits}E{exponent}")
    decimal_problem(value, PREMIUM_RULE)  # no Overflow/InvalidOperation: no arithmetic on the value


@pytest.mark.parametrize(("text", "places"), [("1", 0), ("1.50", 2), ("1E+5", 0), ("1E-8", 8), ("0.00000000", 8)])
def test_decimal_places_are_as_written(text: str, places: int) -> None:
    assert decimal_places(D(text)) == places


# -------------------------------------------------------------------------------------------------
# integers


@pytest.mark.parametrize("rule", ["next", "date", "offset_days"])
@pytest.mark.parametrize("days", [-1, 366, 10**12, 123456789012345678901234567890])
def test_expiry_offset_days_is_range_checked_whatever_the_rule(rule: str, days: int) -> None:
    found = problems(cfg(expiry_rule=rule, expiry_offset_days=days))
    assert found.get("expiry_offset_days") == "must be between 0 and 365 days"


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", 10**30), ("entry_window_minutes", 10**30), ("reentries", 10**30), ("expiry_approach_minutes", -(10**30)),
])
def test_other_integers_are_range_checked(field: str, value: int) -> None:
    assert field in problems(cfg(**{field: value}))


# -------------------------------------------------------------------------------------------------
# times


@pytest.mark.parametrize("text", ["09:30\n", "09:30\r\n", "\n09:30", "09:30 ", "0\u0669:30", "\u0660\u0669:\u0663\u0660"])
def test_hhmm_is_the_whole_string_in_ascii_digits(text: str) -> None:
    assert not is_valid_hhmm(text)
    assert "entry_time" in problems(cfg(entry_time=text))


def test_hhmm_still_reads_plain_times() -> None:
    assert parse_hhmm("09:30") == time(9, 30) and parse_hhmm("23:59") == time(23, 59)


# -------------------------------------------------------------------------------------------------
# raw number text


def test_underscored_and_lax_decimal_text_is_named_at_every_depth() -> None:
    raw = {
        "name": "x", "premium_low": "1_000", "premium_high": 5, "daily_loss_limit_usd": " 10",
        "execution": {"max_slippage_pct": "\u0665", "limit_attempts": "1_0"},  # an int field is msgspec's business
        "trailing_rules": [{"trigger_pct": "20", "lock_pct": "0"}, {"trigger_pct": "3_0", "lock_pct": "10"}],
        "entry_time": "1_0",  # not a Decimal field
    }
    found = {p.field: p.message for p in decimal_text_problems(raw)}
    assert set(found) == {"premium_low", "daily_loss_limit_usd", "execution.max_slippage_pct", "trailing_rules[1].trigger_pct"}
    assert "underscores" in found["premium_low"]


def test_plain_text_and_json_numbers_have_no_text_problem() -> None:
    assert decimal_text_problems({"name": "x", "premium_low": "0.5", "premium_high": 2.5, "delta_low": "1E-1",
                                  "trailing_rules": "not a list", "execution": None}) == []


@pytest.mark.parametrize(("text", "fragment"), [
    ("garbage", "plain decimal"), ("1_000", "underscores"), ("1E+9999999", "at most 1,000,000,000 USD"),
    ("1e-999999", "at most 4 decimal places, got 999999"), ("0.00001", "at most 4 decimal places"), ("1e99999999999999999999999", "too large"),
    ("-3", "greater than 0"), ("NaN", "plain decimal"),
])
def test_decimal_from_text_says_why_not(text: str, fragment: str) -> None:
    value, message = decimal_from_text(text, DAILY_LOSS_LIMIT_RULE)
    assert value is None and message is not None and fragment in message


def test_decimal_from_text_reads_a_good_amount() -> None:
    assert decimal_from_text("250.5", DAILY_LOSS_LIMIT_RULE) == (D("250.5"), None)


def test_normalize_config_canonicalises_the_name_only() -> None:
    c = cfg(name="  e\u0301te\u0301  ", quantity=3)
    assert normalize_config(c) == msgspec.structs.replace(c, name="\u00e9t\u00e9")

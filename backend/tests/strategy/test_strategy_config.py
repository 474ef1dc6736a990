from datetime import date
from decimal import Decimal as D

import msgspec
import pytest
from strategy_factories import cfg

from deltaplane.strategy.config import (
    DEFAULT_TRAILING_RULES,
    ExecutionConfig,
    StrategyConfig,
    TrailingRule,
    config_to_builtins,
    convert_config,
    minutes_between,
    validate_config,
)


def problems(c: StrategyConfig, *, live: bool = False, today: date | None = None) -> dict[str, str]:
    return {p.field: p.message for p in validate_config(c, live_trading_enabled=live, today=today)}


def test_defaults_are_valid_and_match_the_predecessor() -> None:
    c = cfg()
    assert problems(c) == {}
    assert (c.delta_low, c.delta_high) == (D("0.10"), D("0.15"))
    assert c.timezone == "Asia/Kolkata"
    assert [(r.trigger_pct, r.lock_pct) for r in c.trailing_rules] == [(20, 0), (30, 10), (40, 15), (50, 25)]
    assert c.on_leg_failure == "unwind"
    assert c.schedule_days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_round_trip_through_json() -> None:
    c = cfg(expiry_rule="date", expiry_date=date(2025, 2, 1), leg_stop_loss_pct=D("80"))
    raw = msgspec.json.encode(c)
    assert msgspec.json.decode(raw, type=StrategyConfig) == c
    built = config_to_builtins(c)
    assert built["delta_low"] == "0.10" and built["expiry_date"] == "2025-02-01"
    again, errs = convert_config(built)
    assert errs == [] and again == c


def test_convert_accepts_numbers_for_decimals() -> None:
    c, errs = convert_config({"name": "a", "delta_low": 0.11, "max_loss_pct": 40})
    assert errs == [] and c is not None
    assert c.delta_low == D("0.11") and c.max_loss_pct == D(40)


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "a", "execution": {"limit_attempts": "x"}}, "execution.limit_attempts"),
    ({"name": "a", "execution": {"nope": 1}}, "execution.nope"),
    ({"name": "a", "surprise": 1}, "surprise"),
    ({"name": "a", "trailing_rules": [{"trigger_pct": 10, "lock_pct": 0}, {"trigger_pct": 20}]},
     "trailing_rules[1].lock_pct"),
    ({"name": "a", "underlying": "DOGE"}, "underlying"),
    ({"name": "a", "schedule_days": ["mon", "funday"]}, "schedule_days[1]"),
    ({"underlying": "BTC"}, "name"),
    ({"name": "a", "delta_low": "abc"}, "delta_low"),
])
def test_convert_names_the_bad_field(data: dict, field: str) -> None:
    c, errs = convert_config(data)
    assert c is None
    assert [e.field for e in errs] == [field]


@pytest.mark.parametrize(("data", "fields"), [
    ({"name": "a", "delta_low": "NaN"}, ["delta_low"]),
    ({"name": "a", "premium_high": "Infinity", "max_loss_pct": "-Infinity"}, ["premium_high", "max_loss_pct"]),
    ({"name": "a", "execution": {"max_slippage_pct": "nan", "attempt_timeout_s": 1e999}},
     ["execution.attempt_timeout_s", "execution.max_slippage_pct"]),
    ({"name": "a", "trailing_rules": [{"trigger_pct": 10, "lock_pct": 0}, {"trigger_pct": "NaN", "lock_pct": 5}]},
     ["trailing_rules[1].trigger_pct"]),
])
def test_non_finite_numbers_are_refused_naming_every_field(data: dict, fields: list[str]) -> None:
    c, errs = convert_config(data)  # msgspec takes them: the rules must refuse them, not crash
    assert errs == [] and c is not None
    errs = validate_config(c, live_trading_enabled=False)
    assert [e.field for e in errs] == fields
    assert {e.message for e in errs} == {"must be a finite number"}


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "  "}, "name"),
    ({"delta_low": D("0.2"), "delta_high": D("0.15")}, "delta_high"),
    ({"delta_low": D("0.15"), "delta_high": D("0.15")}, "delta_high"),
    ({"delta_low": D("0"), "delta_high": D("0.15")}, "delta_low"),
    ({"delta_high": D("1")}, "delta_high"),
    ({"strike_mode": "premium"}, "premium_low"),
    ({"strike_mode": "premium", "premium_low": D(5)}, "premium_high"),
    ({"strike_mode": "premium", "premium_low": D(50), "premium_high": D(40)}, "premium_high"),
    ({"strike_mode": "premium", "premium_low": D(-1), "premium_high": D(40)}, "premium_low"),
    ({"strike_mode": "distance"}, "distance_pct"),
    ({"strike_mode": "distance", "distance_pct": D(0)}, "distance_pct"),
    ({"quantity": 0}, "quantity"),
    ({"entry_time": "9:30"}, "entry_time"),
    ({"entry_time": "24:00"}, "entry_time"),
    ({"exit_time": "15:60"}, "exit_time"),
    ({"exit_time": "09:30"}, "exit_time"),
    ({"entry_window_minutes": 0}, "entry_window_minutes"),
    ({"entry_time": "09:30", "exit_time": "09:40", "entry_window_minutes": 10}, "entry_window_minutes"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"max_loss_pct": D(0)}, "max_loss_pct"),
    ({"take_profit_pct": D(101)}, "take_profit_pct"),
    ({"leg_stop_loss_pct": D(0)}, "leg_stop_loss_pct"),
    ({"reentries": -1}, "reentries"),
    ({"schedule_days": ()}, "schedule_days"),
    ({"schedule_days": ("mon", "mon")}, "schedule_days"),
    ({"expiry_rule": "date"}, "expiry_date"),
    ({"expiry_rule": "offset_days"}, "expiry_offset_days"),
    ({"expiry_rule": "offset_days", "expiry_offset_days": -1}, "expiry_offset_days"),
    ({"execution": ExecutionConfig(limit_attempts=0)}, "execution.limit_attempts"),
    ({"execution": ExecutionConfig(attempt_timeout_s=0)}, "execution.attempt_timeout_s"),
    ({"execution": ExecutionConfig(max_slippage_pct=D(-1))}, "execution.max_slippage_pct"),
    ({"daily_loss_limit_usd": D(0)}, "daily_loss_limit_usd"),
    ({"expiry_approach_minutes": -5}, "expiry_approach_minutes"),
])
def test_rule_errors_name_their_field(overrides: dict, field: str) -> None:
    found = problems(cfg(**overrides))
    assert field in found, found
    assert found[field]


def test_live_mode_needs_the_deployment_switch() -> None:
    assert "mode" in problems(cfg(mode="live"), live=False)
    assert problems(cfg(mode="live"), live=True) == {}


def test_expiry_date_in_the_past_relative_to_injected_today() -> None:
    c = cfg(expiry_rule="date", expiry_date=date(2025, 1, 30))
    assert "expiry_date" in problems(c, today=date(2025, 1, 31))
    assert problems(c, today=date(2025, 1, 30)) == {}
    assert problems(c) == {}  # without today, the past check is skipped


def tr(*pairs: tuple[int, int]) -> tuple[TrailingRule, ...]:
    return tuple(TrailingRule(trigger_pct=D(t), lock_pct=D(lk)) for t, lk in pairs)


@pytest.mark.parametrize(("rules", "fields"), [
    (tr((20, 0), (30, 10)), set()),
    ((), set()),
    (tr((30, 10), (20, 0)), {"trailing_rules[1].trigger_pct", "trailing_rules[1].lock_pct"}),
    (tr((20, 0), (20, 10)), {"trailing_rules[1].trigger_pct"}),
    (tr((20, 10), (30, 10)), {"trailing_rules[1].lock_pct"}),
    (tr((20, 20),), {"trailing_rules[0].lock_pct"}),
    (tr((20, 0), (30, 10), (120, 15)), {"trailing_rules[2].trigger_pct"}),
    (tr((20, -1),), {"trailing_rules[0].lock_pct"}),
    (tr((0, 0),), {"trailing_rules[0].trigger_pct", "trailing_rules[0].lock_pct"}),
])
def test_trailing_rule_validation(rules: tuple[TrailingRule, ...], fields: set[str]) -> None:
    assert set(problems(cfg(trailing_rules=rules))) == fields


def test_default_trailing_rules_constant_is_valid() -> None:
    assert problems(cfg(trailing_rules=DEFAULT_TRAILING_RULES)) == {}


def test_session_crossing_midnight_is_valid() -> None:
    assert problems(cfg(entry_time="22:00", exit_time="02:00", entry_window_minutes=30)) == {}
    assert minutes_between("22:00", "02:00") == 240
    assert minutes_between("09:30", "09:30") == 0


def test_all_problems_reported_at_once() -> None:
    found = problems(cfg(quantity=0, timezone="Nowhere/Land", delta_low=D("0.5"), delta_high=D("0.2")))
    assert {"quantity", "timezone", "delta_high"} <= set(found)

"""Strategy configuration (DESIGN §6) and its pure validation.

Units, once for all:
- delta_low / delta_high are |delta| fractions (0.10 = a 10-delta option);
- premium_low / premium_high are option prices in USD per 1 unit of the underlying (how Delta
  quotes marks and bids), compared against the best bid we would sell at;
- every *_pct field is a percentage (50 = 50 %); max_loss_pct, take_profit_pct and the trailing
  rules are percentages of the credit received at entry, leg_stop_loss_pct of the leg's entry
  price, distance_pct of spot, max_slippage_pct of the initial touch price;
- times are HH:MM wall-clock times in `timezone`.

Decoding (`convert_config`) catches type errors with field paths; `validate_config` catches rule
errors (ranges, orderings, cross-field constraints). Both report `FieldProblem(field, message)`
with paths like `trailing_rules[2].lock_pct` or `execution.limit_attempts`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import msgspec

from deltaplane.strategy.rules.local_time import WEEKDAYS, is_valid_timezone, parse_hhmm

Underlying = Literal["BTC", "ETH"]
Mode = Literal["paper", "live"]
ExpiryRule = Literal["next", "date", "offset_days"]
StrikeMode = Literal["delta", "premium", "distance"]
# band_centre: the |delta| closest to the middle of the band; highest_in_band: the largest |delta|
# inside the band (more premium, closer to spot).
DeltaPick = Literal["band_centre", "highest_in_band"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# unwind: close the filled leg at once (default, never leaves a naked leg);
# retry_then_unwind: retry the failed leg once with the normal execution, unwind if it still fails.
LegFailurePolicy = Literal["unwind", "retry_then_unwind"]


class TrailingRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Once profit has reached `trigger_pct` % of credit, exit if it falls back to `lock_pct` %."""

    trigger_pct: Decimal
    lock_pct: Decimal


DEFAULT_TRAILING_RULES: tuple[TrailingRule, ...] = (
    TrailingRule(trigger_pct=Decimal(20), lock_pct=Decimal(0)),
    TrailingRule(trigger_pct=Decimal(30), lock_pct=Decimal(10)),
    TrailingRule(trigger_pct=Decimal(40), lock_pct=Decimal(15)),
    TrailingRule(trigger_pct=Decimal(50), lock_pct=Decimal(25)),
)


class ExecutionConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    limit_attempts: int = 3  # marketable limit orders, each walking further from the touch
    attempt_timeout_s: float = 5.0  # how long each limit attempt may rest before it is cancelled
    max_slippage_pct: Decimal = Decimal(5)  # the walk never goes beyond this % from the initial touch
    market_fallback: bool = True  # after the last limit attempt, send an IOC market order


class StrategyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    underlying: Underlying = "BTC"
    mode: Mode = "paper"
    expiry_rule: ExpiryRule = "next"
    expiry_date: date | None = None  # required for expiry_rule=date (the expiry's UTC date)
    expiry_offset_days: int | None = None  # required for expiry_rule=offset_days (0 = today's)
    strike_mode: StrikeMode = "delta"
    delta_pick: DeltaPick = "band_centre"
    delta_low: Decimal = Decimal("0.10")
    delta_high: Decimal = Decimal("0.15")
    premium_low: Decimal | None = None
    premium_high: Decimal | None = None
    distance_pct: Decimal | None = None
    quantity: int = 1  # contracts per leg
    entry_time: str = "09:30"
    entry_window_minutes: int = 5
    exit_time: str = "15:30"
    timezone: str = "Asia/Kolkata"
    max_loss_pct: Decimal = Decimal(50)
    take_profit_pct: Decimal = Decimal(60)
    leg_stop_loss_pct: Decimal | None = None
    trailing_rules: tuple[TrailingRule, ...] = DEFAULT_TRAILING_RULES
    reentries: int = 0  # extra entries per trading day after a stop-out
    schedule_days: tuple[Weekday, ...] = WEEKDAYS  # type: ignore[assignment]
    expiry_approach_minutes: int = 30  # exit this long before the options expire
    daily_loss_limit_usd: Decimal | None = None  # realized+open loss per trading day that ends the day
    execution: ExecutionConfig = ExecutionConfig()
    on_leg_failure: LegFailurePolicy = "unwind"


class FieldProblem(msgspec.Struct, frozen=True, kw_only=True):
    field: str
    message: str


# -------------------------------------------------------------------------------------------------
# decoding


_PATH_SUFFIX = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<name>[^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `(?P<name>[^`]+)`")


def _problem_from_validation_error(exc: msgspec.ValidationError) -> FieldProblem:
    match = _PATH_SUFFIX.match(str(exc))
    message = match.group("msg") if match else str(exc)
    path = (match.group("path") or "") if match else ""
    path = path.lstrip(".")
    unknown = _UNKNOWN_FIELD.search(message)
    if unknown:  # name the offending field itself, not its parent object
        path = f"{path}.{unknown.group('name')}" if path else unknown.group("name")
        message = "unknown field"
    missing = _MISSING_FIELD.search(message)
    if missing:
        path = f"{path}.{missing.group('name')}" if path else missing.group("name")
        message = "is required"
    return FieldProblem(field=path or "$", message=message)


def convert_config(data: Mapping[str, Any]) -> tuple[StrategyConfig | None, list[FieldProblem]]:
    """Decode a JSON-like mapping into a StrategyConfig; on a type error, (None, [problem]).

    Only type/shape errors are reported here (msgspec stops at the first); call
    `validate_config` on the result for the rules.
    """
    try:
        return msgspec.convert(data, StrategyConfig), []
    except msgspec.ValidationError as exc:
        return None, [_problem_from_validation_error(exc)]


def _non_finite_fields(value: Any, path: str = "") -> list[str]:
    """Dotted paths (as the problems name them) of every NaN/Infinity number inside `value`."""
    if isinstance(value, Decimal):
        return [] if value.is_finite() else [path]
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, msgspec.Struct):
        return [p for name in value.__struct_fields__
                for p in _non_finite_fields(getattr(value, name), f"{path}.{name}" if path else name)]
    if isinstance(value, tuple | list):
        return [p for i, item in enumerate(value) for p in _non_finite_fields(item, f"{path}[{i}]")]
    return []


def config_to_builtins(cfg: StrategyConfig) -> dict[str, Any]:
    """JSON-ready dict (Decimals as strings, dates ISO) for persistence and API responses."""
    return msgspec.to_builtins(cfg)


# -------------------------------------------------------------------------------------------------
# validation


def minutes_between(start_hhmm: str, end_hhmm: str) -> int:
    """Minutes from start to the next occurrence of end on a 24 h wall clock (0 when equal)."""
    start, end = parse_hhmm(start_hhmm), parse_hhmm(end_hhmm)
    return ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % (24 * 60)


MAX_QUANTITY = 100_000
MAX_REENTRIES = 20
MAX_LIMIT_ATTEMPTS = 20


def validate_config(cfg: StrategyConfig, *, live_trading_enabled: bool,
                    today: date | None = None) -> list[FieldProblem]:
    """Every rule problem of `cfg`, each naming its field; empty when the config is usable.

    `today` is the current UTC date (expiries are dated in UTC); when given, an explicit
    expiry_date before it is rejected. `live_trading_enabled` is the deployment's switch: a
    live-mode config is refused while it is off.
    """
    # msgspec decodes "NaN" and "Infinity" into Decimals (and 1e999 into an infinite float); the
    # rules below compare numbers and a NaN Decimal raises on comparison, so these come first.
    non_finite = _non_finite_fields(cfg)
    if non_finite:
        return [FieldProblem(field=path, message="must be a finite number") for path in non_finite]
    problems: list[FieldProblem] = []

    def bad(field: str, message: str) -> None:
        problems.append(FieldProblem(field=field, message=message))

    if not cfg.name.strip():
        bad("name", "must not be empty")
    elif len(cfg.name) > 100:
        bad("name", "must be at most 100 characters")

    if cfg.mode == "live" and not live_trading_enabled:
        bad("mode", "live trading is disabled on this deployment; use mode=paper")

    # expiry
    if cfg.expiry_rule == "date":
        if cfg.expiry_date is None:
            bad("expiry_date", "is required when expiry_rule is 'date'")
        elif today is not None and cfg.expiry_date < today:
            bad("expiry_date", f"{cfg.expiry_date.isoformat()} is in the past (today is {today.isoformat()})")
    if cfg.expiry_rule == "offset_days":
        if cfg.expiry_offset_days is None:
            bad("expiry_offset_days", "is required when expiry_rule is 'offset_days'")
        elif not 0 <= cfg.expiry_offset_days <= 365:
            bad("expiry_offset_days", "must be between 0 and 365")
    elif cfg.expiry_offset_days is not None and cfg.expiry_offset_days < 0:
        bad("expiry_offset_days", "must not be negative")

    # strikes
    if not (Decimal(0) < cfg.delta_low < Decimal(1)):
        bad("delta_low", "must be strictly between 0 and 1")
    if not (Decimal(0) < cfg.delta_high < Decimal(1)):
        bad("delta_high", "must be strictly between 0 and 1")
    if cfg.delta_low >= cfg.delta_high:
        bad("delta_high", f"must be greater than delta_low ({cfg.delta_low})")
    if cfg.strike_mode == "premium":
        if cfg.premium_low is None:
            bad("premium_low", "is required when strike_mode is 'premium'")
        if cfg.premium_high is None:
            bad("premium_high", "is required when strike_mode is 'premium'")
    if cfg.premium_low is not None and cfg.premium_low <= 0:
        bad("premium_low", "must be greater than 0")
    if cfg.premium_high is not None and cfg.premium_high <= 0:
        bad("premium_high", "must be greater than 0")
    if (cfg.premium_low is not None and cfg.premium_high is not None
            and cfg.premium_low >= cfg.premium_high):
        bad("premium_high", f"must be greater than premium_low ({cfg.premium_low})")
    if cfg.strike_mode == "distance" and cfg.distance_pct is None:
        bad("distance_pct", "is required when strike_mode is 'distance'")
    if cfg.distance_pct is not None and not (Decimal(0) < cfg.distance_pct < Decimal(100)):
        bad("distance_pct", "must be greater than 0 and less than 100")

    if not 1 <= cfg.quantity <= MAX_QUANTITY:
        bad("quantity", f"must be between 1 and {MAX_QUANTITY} contracts")

    # schedule
    times_ok = True
    for field in ("entry_time", "exit_time"):
        try:
            parse_hhmm(getattr(cfg, field))
        except ValueError:
            times_ok = False
            bad(field, f"must be a 24-hour HH:MM time, got {getattr(cfg, field)!r}")
    if not 1 <= cfg.entry_window_minutes <= 720:
        bad("entry_window_minutes", "must be between 1 and 720")
    if times_ok:
        span = minutes_between(cfg.entry_time, cfg.exit_time)
        if span == 0:
            bad("exit_time", "must differ from entry_time")
        elif cfg.entry_window_minutes >= span:
            # otherwise an entry late in the window could land after the exit time
            bad("entry_window_minutes", f"must be shorter than the {span} minutes from entry_time to exit_time")
    if not is_valid_timezone(cfg.timezone):
        bad("timezone", f"unknown IANA timezone {cfg.timezone!r} (e.g. Asia/Kolkata, America/New_York)")
    if not cfg.schedule_days:
        bad("schedule_days", "must name at least one day")
    elif len(set(cfg.schedule_days)) != len(cfg.schedule_days):
        bad("schedule_days", "must not repeat a day")
    if not 0 <= cfg.reentries <= MAX_REENTRIES:
        bad("reentries", f"must be between 0 and {MAX_REENTRIES}")
    if not 0 <= cfg.expiry_approach_minutes <= 24 * 60:
        bad("expiry_approach_minutes", "must be between 0 and 1440")

    # exits
    if not (Decimal(0) < cfg.max_loss_pct <= Decimal(1000)):
        bad("max_loss_pct", "must be greater than 0 and at most 1000 (% of credit)")
    if not (Decimal(0) < cfg.take_profit_pct <= Decimal(100)):
        bad("take_profit_pct", "must be greater than 0 and at most 100 (% of credit)")
    if cfg.leg_stop_loss_pct is not None and not (Decimal(0) < cfg.leg_stop_loss_pct <= Decimal(10000)):
        bad("leg_stop_loss_pct", "must be greater than 0 and at most 10000 (% of the leg's entry price)")
    if cfg.daily_loss_limit_usd is not None and cfg.daily_loss_limit_usd <= 0:
        bad("daily_loss_limit_usd", "must be greater than 0")
    _validate_trailing(cfg.trailing_rules, bad)

    # execution
    ex = cfg.execution
    if not 1 <= ex.limit_attempts <= MAX_LIMIT_ATTEMPTS:
        bad("execution.limit_attempts", f"must be between 1 and {MAX_LIMIT_ATTEMPTS}")
    if not 0.1 <= ex.attempt_timeout_s <= 600:
        bad("execution.attempt_timeout_s", "must be between 0.1 and 600 seconds")
    if not (Decimal(0) <= ex.max_slippage_pct <= Decimal(50)):
        bad("execution.max_slippage_pct", "must be between 0 and 50")
    return problems


def _validate_trailing(rules: tuple[TrailingRule, ...], bad: Any) -> None:
    previous: TrailingRule | None = None
    for i, rule in enumerate(rules):
        where = f"trailing_rules[{i}]"
        if not (Decimal(0) < rule.trigger_pct <= Decimal(100)):
            bad(f"{where}.trigger_pct", "must be greater than 0 and at most 100 (% of credit)")
        if not (Decimal(0) <= rule.lock_pct < Decimal(100)):
            bad(f"{where}.lock_pct", "must be between 0 and 100 (% of credit)")
        if rule.lock_pct >= rule.trigger_pct:
            bad(f"{where}.lock_pct", f"must be below its trigger_pct ({rule.trigger_pct})")
        if previous is not None:
            if rule.trigger_pct <= previous.trigger_pct:
                bad(f"{where}.trigger_pct",
                    f"rules must be sorted by strictly increasing trigger_pct (previous is {previous.trigger_pct})")
            if rule.lock_pct <= previous.lock_pct:
                bad(f"{where}.lock_pct",
                    f"locks must strictly increase with the trigger (previous is {previous.lock_pct})")
        previous = rule


def expiry_min_buffer(cfg: StrategyConfig) -> timedelta:
    """Shortest time-to-expiry worth entering: more than the expiry-approach exit plus a margin."""
    return timedelta(minutes=cfg.expiry_approach_minutes + 15)


def utc_today(now: datetime) -> date:
    """The UTC date of `now`: what validate_config's `today` is compared against."""
    return now.astimezone(UTC).date()

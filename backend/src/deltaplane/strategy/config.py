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
errors (ranges, orderings, cross-field constraints); `decimal_text_problems` catches numbers
written in a form Decimal reads but nobody means ("1_000"), which only the raw JSON still shows.
All report `FieldProblem(field, message)` with paths like `trailing_rules[2].lock_pct` or
`execution.limit_attempts`.

Every number has a range and every decimal a bounded number of places (see `DECIMAL_RULES`): an
unbounded one either overflows the arithmetic later (a 500 on every preview, an engine error) or
is stored as a megabyte of digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, NamedTuple

import msgspec
import msgspec.inspect

from deltaplane.core.text import name_problem, normalize_name, plain_decimal_problem
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


_PATH_SUFFIX = re.compile(r"(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.S)  # used with fullmatch
_UNKNOWN_FIELD = re.compile(r"unknown field `(?P<name>[^`]+)`")
_MISSING_FIELD = re.compile(r"missing required field `(?P<name>[^`]+)`")


def _problem_from_validation_error(exc: msgspec.ValidationError) -> FieldProblem:
    match = _PATH_SUFFIX.fullmatch(str(exc))
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


def normalize_config(cfg: StrategyConfig) -> StrategyConfig:
    """`cfg` as it is stored: the name in its canonical form (NFC, stripped; see core.text)."""
    return msgspec.structs.replace(cfg, name=normalize_name(cfg.name))


def decimal_text_problems(raw: Any, struct_type: type[msgspec.Struct] = StrategyConfig) -> list[FieldProblem]:
    """A problem for every Decimal field of `struct_type` that `raw` (the decoded request JSON)
    writes as text other than a plain number: "1_000", " 5", Arabic-Indic digits. Decimal reads
    them all, so only the raw JSON still shows them; JSON numbers are plain by construction."""
    return [FieldProblem(field=path, message=message)
            for path, message in _decimal_texts(raw, msgspec.inspect.type_info(struct_type), "")]


def _decimal_texts(raw: Any, info: msgspec.inspect.Type, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(info, msgspec.inspect.DecimalType):
        message = plain_decimal_problem(raw) if isinstance(raw, str) else None
        if message:
            yield path, message
    elif isinstance(info, msgspec.inspect.UnionType):  # Decimal | None
        for member in info.types:
            yield from _decimal_texts(raw, member, path)
    elif isinstance(info, msgspec.inspect.StructType) and isinstance(raw, dict):
        for f in info.fields:
            if f.encode_name in raw:
                yield from _decimal_texts(raw[f.encode_name], f.type, f"{path}.{f.name}" if path else f.name)
    elif isinstance(info, msgspec.inspect.CollectionType) and isinstance(raw, list):
        for i, item in enumerate(raw):
            yield from _decimal_texts(item, info.item_type, f"{path}[{i}]")


# -------------------------------------------------------------------------------------------------
# validation


def minutes_between(start_hhmm: str, end_hhmm: str) -> int:
    """Minutes from start to the next occurrence of end on a 24 h wall clock (0 when equal)."""
    start, end = parse_hhmm(start_hhmm), parse_hhmm(end_hhmm)
    return ((end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)) % (24 * 60)


MAX_QUANTITY = 100_000
MAX_REENTRIES = 20
MAX_LIMIT_ATTEMPTS = 20
MAX_EXPIRY_OFFSET_DAYS = 365
NAME_MAX_LENGTH = 100  # the strategies.name column


class DecimalRule(NamedTuple):
    """Where a Decimal may lie and how many decimal places it may be written with."""

    low: Decimal
    high: Decimal
    places: int
    low_inclusive: bool = False
    high_inclusive: bool = True
    unit: str = ""  # appended to the range in the message, e.g. " USD"


def decimal_places(value: Decimal) -> int:
    """Decimal places as written ("1.50" has 2), read off the exponent: no arithmetic, so safe
    for any finite Decimal however large its exponent."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int), "finite decimals only"
    return max(0, -exponent)


def decimal_problem(value: Decimal, rule: DecimalRule) -> str | None:
    """Why `value` breaks `rule` (range first, then places), or None."""
    if not value.is_finite():
        return "must be a finite number"
    above = value >= rule.low if rule.low_inclusive else value > rule.low
    below = value <= rule.high if rule.high_inclusive else value < rule.high
    if not (above and below):
        return (f"must be {'at least' if rule.low_inclusive else 'greater than'} {rule.low:,} and "
                f"{'at most' if rule.high_inclusive else 'less than'} {rule.high:,}{rule.unit}")
    places = decimal_places(value)
    if places > rule.places:
        return f"must have at most {rule.places} decimal places, got {places}"
    return None


_PCT_OF_CREDIT = " (% of credit)"
PREMIUM_RULE = DecimalRule(Decimal(0), Decimal(1_000_000), 8, unit=" USD")  # per unit of the underlying
DAILY_LOSS_LIMIT_RULE = DecimalRule(Decimal(0), Decimal(1_000_000_000), 4, unit=" USD")  # 4 dp, as Live Control shows USD
TRAILING_TRIGGER_RULE = DecimalRule(Decimal(0), Decimal(100), 4, unit=_PCT_OF_CREDIT)
TRAILING_LOCK_RULE = DecimalRule(Decimal(0), Decimal(100), 4, low_inclusive=True, high_inclusive=False, unit=_PCT_OF_CREDIT)

#: every Decimal field of a StrategyConfig (trailing rules: the two TRAILING_* rules per item)
DECIMAL_RULES: dict[str, DecimalRule] = {
    "delta_low": DecimalRule(Decimal(0), Decimal(1), 4, high_inclusive=False, unit=" (|delta|)"),
    "delta_high": DecimalRule(Decimal(0), Decimal(1), 4, high_inclusive=False, unit=" (|delta|)"),
    "premium_low": PREMIUM_RULE,
    "premium_high": PREMIUM_RULE,
    "distance_pct": DecimalRule(Decimal(0), Decimal(100), 4, high_inclusive=False, unit=" (% of spot)"),
    "max_loss_pct": DecimalRule(Decimal(0), Decimal(1000), 4, unit=_PCT_OF_CREDIT),
    "take_profit_pct": DecimalRule(Decimal(0), Decimal(100), 4, unit=_PCT_OF_CREDIT),
    "leg_stop_loss_pct": DecimalRule(Decimal(0), Decimal(10000), 4, unit=" (% of the leg's entry price)"),
    "daily_loss_limit_usd": DAILY_LOSS_LIMIT_RULE,
    "execution.max_slippage_pct": DecimalRule(Decimal(0), Decimal(50), 4, low_inclusive=True, unit=" (% from the touch)"),
}


def decimal_from_text(text: str, rule: DecimalRule) -> tuple[Decimal | None, str | None]:
    """`text` (a number sent as a JSON string) read as a Decimal within `rule`: (value, None), or
    (None, why not)."""
    message = plain_decimal_problem(text)
    if message:
        return None, message
    try:
        value = Decimal(text)
    except InvalidOperation:  # plain syntax, but an exponent beyond what Decimal can hold
        return None, "is too large or too small a number"
    message = decimal_problem(value, rule)
    return (None, message) if message else (value, None)


def _field_value(cfg: StrategyConfig, path: str) -> Any:
    value: Any = cfg
    for part in path.split("."):
        value = getattr(value, part)
    return value


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

    name_message = name_problem(cfg.name, max_length=NAME_MAX_LENGTH)
    if name_message:
        bad("name", name_message)

    if cfg.mode == "live" and not live_trading_enabled:
        bad("mode", "live trading is disabled on this deployment; use mode=paper")

    # expiry
    if cfg.expiry_rule == "date":
        if cfg.expiry_date is None:
            bad("expiry_date", "is required when expiry_rule is 'date'")
        elif today is not None and cfg.expiry_date < today:
            bad("expiry_date", f"{cfg.expiry_date.isoformat()} is in the past (today is {today.isoformat()})")
    if cfg.expiry_rule == "offset_days" and cfg.expiry_offset_days is None:
        bad("expiry_offset_days", "is required when expiry_rule is 'offset_days'")
    # checked whatever the rule: a field that is stored is a field that must make sense
    if cfg.expiry_offset_days is not None and not 0 <= cfg.expiry_offset_days <= MAX_EXPIRY_OFFSET_DAYS:
        bad("expiry_offset_days", f"must be between 0 and {MAX_EXPIRY_OFFSET_DAYS} days")

    # every Decimal against its range and places, whatever the strike mode (so the orderings and
    # the arithmetic below and in the engine only ever see sane magnitudes)
    for path, rule in DECIMAL_RULES.items():
        value = _field_value(cfg, path)
        message = None if value is None else decimal_problem(value, rule)
        if message:
            bad(path, message)

    # strikes
    if cfg.delta_low >= cfg.delta_high:
        bad("delta_high", f"must be greater than delta_low ({cfg.delta_low})")
    if cfg.strike_mode == "premium":
        if cfg.premium_low is None:
            bad("premium_low", "is required when strike_mode is 'premium'")
        if cfg.premium_high is None:
            bad("premium_high", "is required when strike_mode is 'premium'")
    if (cfg.premium_low is not None and cfg.premium_high is not None
            and cfg.premium_low >= cfg.premium_high):
        bad("premium_high", f"must be greater than premium_low ({cfg.premium_low})")
    if cfg.strike_mode == "distance" and cfg.distance_pct is None:
        bad("distance_pct", "is required when strike_mode is 'distance'")

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

    # exits (their ranges are in DECIMAL_RULES)
    _validate_trailing(cfg.trailing_rules, bad)

    # execution
    ex = cfg.execution
    if not 1 <= ex.limit_attempts <= MAX_LIMIT_ATTEMPTS:
        bad("execution.limit_attempts", f"must be between 1 and {MAX_LIMIT_ATTEMPTS}")
    if not 0.1 <= ex.attempt_timeout_s <= 600:
        bad("execution.attempt_timeout_s", "must be between 0.1 and 600 seconds")
    return problems


def _validate_trailing(rules: tuple[TrailingRule, ...], bad: Any) -> None:
    previous: TrailingRule | None = None
    for i, rule in enumerate(rules):
        where = f"trailing_rules[{i}]"
        for field, value, limits in (("trigger_pct", rule.trigger_pct, TRAILING_TRIGGER_RULE),
                                     ("lock_pct", rule.lock_pct, TRAILING_LOCK_RULE)):
            message = decimal_problem(value, limits)
            if message:
                bad(f"{where}.{field}", message)
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

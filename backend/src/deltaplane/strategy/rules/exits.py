"""When to close an open strangle (pure; evaluated on every tick).

Money: prices are USD per underlying unit; `credit` = call entry + put entry (per unit);
`cost to close` = call mark + put mark; profit % = (credit - cost) / credit x 100 (negative = loss).

Rules, checked in this priority order (the first that fires is the decision's `reason`; every rule
that fired is listed in `triggered`):
1. expiry_approach  now >= expiry - expiry_approach_minutes           (time is absolute)
2. exit_time        now >= the session's exit deadline (UTC, fixed at entry)
3. max_loss         loss % of credit >= max_loss_pct
4. daily_loss_limit the trading day's realized PnL + this session's open PnL <= -limit (USD)
5. leg_stop_loss    a leg's mark >= its entry price x (1 + leg_stop_loss_pct %)
6. take_profit      profit % >= take_profit_pct
7. trailing_stop    profit % <= the lock of the highest trailing rule whose trigger the peak
                    profit % has reached
Time rules come first because they are unconditional; among price rules losses win over profits
so the reported reason is the conservative one. `manual_stop`, `flatten` and `kill_switch` are
operator reasons the engine attaches itself (see state_machine); they are never produced here.

Evaluation is pure: (position, market, cfg, now) -> ExitEvaluation(decision | None, new trailing
state, pnl snapshot). The engine persists `trailing` and passes it back on the next tick; the
peak, and so the lock, never decrease.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from deltaplane.strategy.config import StrategyConfig, TrailingRule
from deltaplane.strategy.rules.local_time import as_zone, local_to_utc, parse_hhmm, require_aware

HUNDRED = Decimal(100)
ZERO = Decimal(0)

ExitReason = Literal[
    "expiry_approach", "exit_time", "max_loss", "daily_loss_limit", "leg_stop_loss", "take_profit",
    "trailing_stop", "manual_stop", "flatten", "kill_switch",
]
# order in which automatic rules win when several fire at once
EXIT_PRIORITY: tuple[ExitReason, ...] = (
    "expiry_approach", "exit_time", "max_loss", "daily_loss_limit", "leg_stop_loss", "take_profit",
    "trailing_stop",
)
# how the engine should execute each exit: "market" = no limit walk
ExitUrgency = Literal["normal", "market"]
EXIT_URGENCY: dict[ExitReason, ExitUrgency] = {
    "expiry_approach": "normal", "exit_time": "normal", "max_loss": "normal",
    "daily_loss_limit": "normal", "leg_stop_loss": "normal", "take_profit": "normal",
    "trailing_stop": "normal", "manual_stop": "normal", "flatten": "market", "kill_switch": "market",
}


class TrailingState(msgspec.Struct, frozen=True, kw_only=True):
    peak_profit_pct: Decimal = ZERO  # highest profit % of credit seen since entry (never below 0)
    lock_pct: Decimal | None = None  # profit % at which a trailing exit fires; None = not armed


class PositionState(msgspec.Struct, frozen=True, kw_only=True):
    call_entry_price: Decimal  # average sell fill, USD per underlying unit
    put_entry_price: Decimal
    quantity: int  # contracts per leg
    contract_value: Decimal
    entered_at: datetime
    expiry: datetime
    exit_deadline: datetime  # from compute_exit_deadline at entry; persisted with the session
    trailing: TrailingState = TrailingState()
    day_realized_pnl: Decimal = ZERO  # USD, earlier sessions of the same trading day (for daily_loss_limit)

    @property
    def credit_per_unit(self) -> Decimal:
        return self.call_entry_price + self.put_entry_price


class MarketState(msgspec.Struct, frozen=True, kw_only=True):
    call_mark: Decimal  # USD per underlying unit
    put_mark: Decimal


class PnlSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    credit_per_unit: Decimal
    cost_to_close_per_unit: Decimal
    pnl_usd: Decimal  # open PnL of the strangle (positive = profit)
    profit_pct: Decimal  # % of credit; loss % = -profit_pct
    call_move_pct: Decimal  # leg mark vs entry, % (positive = the leg costs more to buy back)
    put_move_pct: Decimal


class ExitDecision(msgspec.Struct, frozen=True, kw_only=True):
    reason: ExitReason
    urgency: ExitUrgency
    message: str
    triggered: tuple[ExitReason, ...]  # every rule that fired, in priority order


class ExitEvaluation(msgspec.Struct, frozen=True, kw_only=True):
    decision: ExitDecision | None
    trailing: TrailingState  # persist this; pass it back in PositionState.trailing next tick
    pnl: PnlSnapshot


def compute_exit_deadline(entry_at: datetime, exit_time: str | time, tz: str | ZoneInfo) -> datetime:
    """The first instant strictly after `entry_at` at which the wall clock in `tz` reads exit_time.

    A session entered at 22:00 with exit_time 02:00 exits at 02:00 the next day. Pass the entry
    window's start for `entry_at` so every entry of a trading day shares one deadline (config
    validation guarantees the window ends before the exit time). DST: see local_time.
    """
    require_aware(entry_at, "entry_at")
    zi = as_zone(tz)
    wall = parse_hhmm(exit_time) if isinstance(exit_time, str) else exit_time
    day = entry_at.astimezone(zi).date()
    for offset in range(3):  # 2 days always suffices; 3 guards odd zones
        candidate = local_to_utc(day + timedelta(days=offset), wall, zi)
        if candidate > entry_at:
            return candidate
    raise AssertionError("unreachable: an exit time always recurs within two days")  # pragma: no cover


def trailing_lock_for_peak(peak_profit_pct: Decimal, rules: tuple[TrailingRule, ...]) -> Decimal | None:
    """The highest lock among rules whose trigger the peak reached (None if none reached)."""
    locks = [r.lock_pct for r in rules if peak_profit_pct >= r.trigger_pct]
    return max(locks) if locks else None


def update_trailing(state: TrailingState, profit_pct: Decimal, rules: tuple[TrailingRule, ...]) -> TrailingState:
    peak = max(state.peak_profit_pct, profit_pct, ZERO)
    lock = trailing_lock_for_peak(peak, rules)
    if state.lock_pct is not None and (lock is None or lock < state.lock_pct):
        lock = state.lock_pct  # a lock once armed never loosens, even if the rules were edited
    if peak == state.peak_profit_pct and lock == state.lock_pct:
        return state
    return TrailingState(peak_profit_pct=peak, lock_pct=lock)


def pnl_snapshot(position: PositionState, market: MarketState) -> PnlSnapshot:
    credit = position.credit_per_unit
    cost = market.call_mark + market.put_mark
    pnl_per_unit = credit - cost
    return PnlSnapshot(
        credit_per_unit=credit,
        cost_to_close_per_unit=cost,
        pnl_usd=pnl_per_unit * position.contract_value * position.quantity,
        profit_pct=(pnl_per_unit / credit * HUNDRED) if credit > 0 else ZERO,
        call_move_pct=_move_pct(position.call_entry_price, market.call_mark),
        put_move_pct=_move_pct(position.put_entry_price, market.put_mark),
    )


def _move_pct(entry: Decimal, mark: Decimal) -> Decimal:
    return (mark - entry) / entry * HUNDRED if entry > 0 else ZERO


def evaluate_exit(position: PositionState, market: MarketState, cfg: StrategyConfig,
                  now: datetime) -> ExitEvaluation:
    """Decide whether to exit now; always returns the updated trailing state and the PnL."""
    pnl = pnl_snapshot(position, market)
    has_credit = pnl.credit_per_unit > 0
    trailing = update_trailing(position.trailing, pnl.profit_pct, cfg.trailing_rules) if has_credit \
        else position.trailing
    profit = pnl.profit_pct
    fired: list[tuple[ExitReason, str]] = []

    approach_at = position.expiry - timedelta(minutes=cfg.expiry_approach_minutes)
    if now >= approach_at:
        fired.append(("expiry_approach",
                      f"{cfg.expiry_approach_minutes} min or less to expiry {position.expiry.astimezone(UTC):%Y-%m-%d %H:%M}Z"))
    if now >= position.exit_deadline:
        fired.append(("exit_time", f"exit time {cfg.exit_time} {cfg.timezone} reached"))
    if has_credit:
        if -profit >= cfg.max_loss_pct:
            fired.append(("max_loss", f"loss {_fmt(-profit)}% of credit >= max_loss_pct {cfg.max_loss_pct}%"))
        if cfg.daily_loss_limit_usd is not None:
            day_pnl = position.day_realized_pnl + pnl.pnl_usd
            if day_pnl <= -cfg.daily_loss_limit_usd:
                fired.append(("daily_loss_limit",
                              f"day PnL {_fmt(day_pnl)} USD <= -{cfg.daily_loss_limit_usd} USD"))
        if cfg.leg_stop_loss_pct is not None:
            legs = [(name, move) for name, move in (("call", pnl.call_move_pct), ("put", pnl.put_move_pct))
                    if move >= cfg.leg_stop_loss_pct]
            if legs:
                what = ", ".join(f"{name} +{_fmt(move)}%" for name, move in legs)
                fired.append(("leg_stop_loss", f"{what} >= leg_stop_loss_pct {cfg.leg_stop_loss_pct}%"))
        if profit >= cfg.take_profit_pct:
            fired.append(("take_profit", f"profit {_fmt(profit)}% of credit >= take_profit_pct {cfg.take_profit_pct}%"))
        if trailing.lock_pct is not None and profit <= trailing.lock_pct:
            fired.append(("trailing_stop", f"profit {_fmt(profit)}% fell to the trailing lock {trailing.lock_pct}% "
                                           f"(peak {_fmt(trailing.peak_profit_pct)}%)"))

    decision = None
    if fired:
        reason, message = fired[0]  # appended in EXIT_PRIORITY order
        decision = ExitDecision(reason=reason, urgency=EXIT_URGENCY[reason], message=message,
                                triggered=tuple(r for r, _ in fired))
    return ExitEvaluation(decision=decision, trailing=trailing, pnl=pnl)


def _fmt(value: Decimal) -> str:
    return f"{value:.2f}"


# -------------------------------------------------------------------------------------------------
# levels for the UI


class ExitLevel(msgspec.Struct, frozen=True, kw_only=True):
    name: str  # max_loss | take_profit | trailing_stop | next_trailing_trigger
    profit_pct: Decimal  # the profit % of credit at which it fires
    combined_premium: Decimal  # call + put mark (per unit) at which it fires
    distance_pct: Decimal  # how far (in profit-% points) the current profit is from the level


class LegStopLevel(msgspec.Struct, frozen=True, kw_only=True):
    leg: Literal["call", "put"]
    stop_price: Decimal
    mark: Decimal
    distance_pct: Decimal  # % the mark must still rise to hit the stop (<= 0: hit)


class ExitLevels(msgspec.Struct, frozen=True, kw_only=True):
    profit_pct: Decimal
    max_loss: ExitLevel | None
    take_profit: ExitLevel | None
    trailing_stop: ExitLevel | None  # armed lock, if any
    next_trailing_trigger: ExitLevel | None  # the next rule that would arm or raise the lock
    leg_stops: tuple[LegStopLevel, ...]
    exit_deadline: datetime
    seconds_to_exit_deadline: float
    expiry_approach_at: datetime
    seconds_to_expiry_approach: float


def trailing_levels(position: PositionState, market: MarketState, cfg: StrategyConfig,
                    now: datetime) -> ExitLevels:
    """Stop / take-profit / trailing levels and the distance to each, for the runtime view."""
    pnl = pnl_snapshot(position, market)
    credit = pnl.credit_per_unit
    profit = pnl.profit_pct
    trailing = update_trailing(position.trailing, profit, cfg.trailing_rules) if credit > 0 else position.trailing

    def level(name: str, at_profit_pct: Decimal, above: bool) -> ExitLevel:
        # above=True: fires when profit rises to the level; False: when it falls to it
        return ExitLevel(name=name, profit_pct=at_profit_pct,
                         combined_premium=credit * (1 - at_profit_pct / HUNDRED),
                         distance_pct=(at_profit_pct - profit) if above else (profit - at_profit_pct))

    max_loss = take_profit = trail = nxt = None
    if credit > 0:
        max_loss = level("max_loss", -cfg.max_loss_pct, above=False)
        take_profit = level("take_profit", cfg.take_profit_pct, above=True)
        if trailing.lock_pct is not None:
            trail = level("trailing_stop", trailing.lock_pct, above=False)
        upcoming = [r for r in cfg.trailing_rules if r.trigger_pct > trailing.peak_profit_pct
                    and (trailing.lock_pct is None or r.lock_pct > trailing.lock_pct)]
        if upcoming:
            nxt = level("next_trailing_trigger", min(upcoming, key=lambda r: r.trigger_pct).trigger_pct, above=True)
    leg_stops: list[LegStopLevel] = []
    if cfg.leg_stop_loss_pct is not None:
        factor = 1 + cfg.leg_stop_loss_pct / HUNDRED
        for leg, entry, mark in (("call", position.call_entry_price, market.call_mark),
                                 ("put", position.put_entry_price, market.put_mark)):
            stop = entry * factor
            leg_stops.append(LegStopLevel(leg=leg, stop_price=stop, mark=mark,
                                          distance_pct=((stop - mark) / mark * HUNDRED) if mark > 0 else ZERO))
    approach_at = position.expiry - timedelta(minutes=cfg.expiry_approach_minutes)
    return ExitLevels(
        profit_pct=profit, max_loss=max_loss, take_profit=take_profit, trailing_stop=trail,
        next_trailing_trigger=nxt, leg_stops=tuple(leg_stops),
        exit_deadline=position.exit_deadline,
        seconds_to_exit_deadline=(position.exit_deadline - now).total_seconds(),
        expiry_approach_at=approach_at,
        seconds_to_expiry_approach=(approach_at - now).total_seconds(),
    )

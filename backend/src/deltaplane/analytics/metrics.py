"""Pure performance metrics and chart series over closed trades.

Definitions (also in docs/analytics-csv.md):
- A trade is one closed session. It belongs to the range and to the calendar day (in the user's
  timezone) of its ``closed_at``. Trades are ordered by ``(closed_at, session_id)``.
- ``net = gross - fees`` comes from the record (one ledger); nothing here subtracts fees again.
- win: net > 0, loss: net < 0, breakeven: net == 0. ``win_rate = wins / trades`` (breakevens count
  in the denominator) and is ``None`` when there are no trades (no trades is not a 0 % win rate).
- Equity = starting capital + cumulative net PnL after each trade close. Drawdown = running peak
  of equity (the starting capital counts as the first peak) minus equity, always >= 0. Drawdown %
  is drawdown / peak * 100 and only defined where the peak is > 0.
- Daily PnL: calendar days in the user's timezone; every day from the first to the last trading
  day is present, days without trades as zero rows (so the chart has no gaps and Sharpe/Sortino
  see idle days as the 0 % return days they are). Days outside that span are omitted.
- Daily return = day net PnL / starting capital (fixed capital, not compounded). Sharpe and
  Sortino are annualised with sqrt(365) because crypto options trade every calendar day; all of
  Sharpe, Sortino and Calmar are ``None`` when starting capital is <= 0.
- Ratios are floats; money is Decimal (JSON-encoded as strings by msgspec).
"""

from __future__ import annotations

import math
import operator
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import MAX_PREC, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, getcontext, localcontext
from itertools import accumulate
from zoneinfo import ZoneInfo

import msgspec

from deltaplane.analytics.ranges import resolve_timezone
from deltaplane.analytics.records import OpenPosition, TradeRecord

__all__ = [
    "DEFAULT_ROLLING_WINDOW",
    "TRADING_DAYS_PER_YEAR",
    "BreakdownRow",
    "DailyPnl",
    "DrawdownPoint",
    "DrawdownStats",
    "EquityPoint",
    "HistogramBin",
    "History",
    "RollingWinRatePoint",
    "StreakStats",
    "Summary",
    "TradeList",
    "TradeWindow",
    "UnrealizedStats",
    "average_holding_seconds",
    "average_loss",
    "annualized_return_pct",
    "average_win",
    "breakdown_by",
    "calmar_ratio",
    "compute_history",
    "compute_summary",
    "count_outcomes",
    "daily_pnl",
    "daily_returns",
    "drawdown_series",
    "drawdown_stats",
    "equity_curve",
    "expectancy",
    "filter_trades",
    "largest_loss",
    "largest_win",
    "leg_stats",
    "pnl_histogram",
    "premium_stats",
    "profit_factor",
    "rolling_win_rate",
    "sharpe_ratio",
    "sortino_ratio",
    "streaks",
    "unrealized_stats",
    "win_rate",
]

ZERO = Decimal(0)
#: crypto trades every calendar day, so a year of daily returns is 365 observations
TRADING_DAYS_PER_YEAR = 365
DEFAULT_ROLLING_WINDOW = 10
#: derived money (averages) is rounded to this; sums stay exact
MONEY_QUANTUM = Decimal("0.00000001")


def _q(value: Decimal) -> Decimal:
    """Round derived money to 8 dp and drop trailing zeros ("44.33333333", "-33", not "-33.00000000")."""
    value = value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


# --- structs -------------------------------------------------------------------------------------


class DrawdownStats(msgspec.Struct, frozen=True, kw_only=True):
    max_drawdown: Decimal  # largest peak-to-trough fall of equity, >= 0
    max_drawdown_pct: float | None  # largest drawdown / peak * 100 (peak > 0 only)
    max_drawdown_start: datetime | None  # when equity was last at the peak before the worst trough
    max_drawdown_end: datetime | None  # the trough (close of the trade that reached it)
    current_drawdown: Decimal
    current_drawdown_pct: float | None
    peak_equity: Decimal
    final_equity: Decimal


class StreakStats(msgspec.Struct, frozen=True, kw_only=True):
    longest_win_streak: int
    longest_loss_streak: int
    current_streak: int  # +n = n wins in a row, -n = n losses, 0 after a breakeven / no trades


class BreakdownRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    trade_count: int
    wins: int
    losses: int
    win_rate: float | None
    gross_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    premium_kept: Decimal


class UnrealizedStats(msgspec.Struct, frozen=True, kw_only=True):
    open_sessions: int
    credit: Decimal
    unrealized_pnl: Decimal | None  # before fees; None when no marks are known (API without marks)
    fees: Decimal
    net_unrealized_pnl: Decimal | None


class DailyPnl(msgspec.Struct, frozen=True, kw_only=True):
    date: date  # calendar day in the user's timezone
    trade_count: int
    gross_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    cumulative_net_pnl: Decimal


class EquityPoint(msgspec.Struct, frozen=True, kw_only=True):
    timestamp: datetime
    session_id: str
    net_pnl: Decimal  # this trade
    equity: Decimal  # starting capital + cumulative net after this trade


class DrawdownPoint(msgspec.Struct, frozen=True, kw_only=True):
    timestamp: datetime
    drawdown: Decimal  # >= 0
    drawdown_pct: float | None


class RollingWinRatePoint(msgspec.Struct, frozen=True, kw_only=True):
    timestamp: datetime
    session_id: str
    trades_in_window: int  # < window for the first trades
    win_rate: float


class HistogramBin(msgspec.Struct, frozen=True, kw_only=True):
    lower: Decimal  # inclusive
    upper: Decimal  # exclusive
    count: int


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    # range
    start: datetime | None
    end: datetime | None
    timezone: str
    starting_capital: Decimal
    # totals (one ledger: net = gross - fees)
    trade_count: int
    gross_pnl: Decimal
    fees: Decimal
    net_pnl: Decimal
    average_fee: Decimal | None
    # outcomes
    wins: int
    losses: int
    breakeven: int
    win_rate: float | None
    average_trade: Decimal | None
    average_win: Decimal | None
    average_loss: Decimal | None
    largest_win: Decimal | None
    largest_loss: Decimal | None
    profit_factor: float | None
    expectancy: Decimal | None
    # legs
    leg_count: int
    leg_wins: int
    leg_win_rate: float | None
    # risk
    drawdown: DrawdownStats
    sharpe_ratio: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    annualized_return_pct: float | None
    streaks: StreakStats
    # days
    calendar_days: int
    trading_days: int
    profitable_days: int
    losing_days: int
    best_day: date | None
    best_day_pnl: Decimal | None
    worst_day: date | None
    worst_day_pnl: Decimal | None
    # time & premium
    average_holding_seconds: float | None
    credit: Decimal
    debit: Decimal
    premium_kept: Decimal
    premium_capture_pct: float | None
    # breakdowns
    by_exit_reason: tuple[BreakdownRow, ...]
    by_underlying: tuple[BreakdownRow, ...]
    by_strategy: tuple[BreakdownRow, ...]
    # open sessions, never mixed into the realised figures above
    unrealized: UnrealizedStats


class History(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None
    end: datetime | None
    timezone: str
    starting_capital: Decimal
    equity_curve: tuple[EquityPoint, ...]
    drawdown: tuple[DrawdownPoint, ...]
    daily_pnl: tuple[DailyPnl, ...]
    rolling_win_rate: tuple[RollingWinRatePoint, ...]
    rolling_window: int
    pnl_histogram: tuple[HistogramBin, ...]


# --- selection -----------------------------------------------------------------------------------


def filter_trades(
    trades: Iterable[TradeRecord],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    strategy_id: str | None = None,
) -> list[TradeRecord]:
    """Trades closed in ``[start, end)`` (None = unbounded), sorted by ``(closed_at, session_id)``."""
    selected = [
        t
        for t in trades
        if (start is None or t.closed_at >= start)
        and (end is None or t.closed_at < end)
        and (strategy_id is None or t.strategy_id == strategy_id)
    ]
    selected.sort(key=lambda t: (t.closed_at, t.session_id))
    return selected


# --- outcome metrics (each takes the trades' net PnLs or the trades themselves) ------------------


def count_outcomes(nets: Sequence[Decimal]) -> tuple[int, int, int]:
    """(wins, losses, breakeven) with breakeven meaning net == 0 exactly."""
    wins = sum(1 for n in nets if n > 0)
    losses = sum(1 for n in nets if n < 0)
    return wins, losses, len(nets) - wins - losses


def win_rate(nets: Sequence[Decimal]) -> float | None:
    """Share of trades with net > 0, in [0, 1]; None when there are no trades."""
    if not nets:
        return None
    return sum(1 for n in nets if n > 0) / len(nets)


def average_win(nets: Sequence[Decimal]) -> Decimal | None:
    wins = [n for n in nets if n > 0]
    return _q(sum(wins, ZERO) / len(wins)) if wins else None


def average_loss(nets: Sequence[Decimal]) -> Decimal | None:
    """Mean of losing trades' net PnL (a negative number); None without losses."""
    losses = [n for n in nets if n < 0]
    return _q(sum(losses, ZERO) / len(losses)) if losses else None


def largest_win(nets: Sequence[Decimal]) -> Decimal | None:
    best = max(nets, default=None)
    return best if best is not None and best > 0 else None


def largest_loss(nets: Sequence[Decimal]) -> Decimal | None:
    worst = min(nets, default=None)
    return worst if worst is not None and worst < 0 else None


def profit_factor(nets: Sequence[Decimal]) -> float | None:
    """Sum of winning nets / |sum of losing nets|; None when there are no losses (undefined)."""
    lost = -sum((n for n in nets if n < 0), ZERO)
    if lost == 0:
        return None
    return float(sum((n for n in nets if n > 0), ZERO) / lost)


def expectancy(nets: Sequence[Decimal]) -> Decimal | None:
    """Expected net PnL per trade: P(win)·avg win + P(loss)·avg loss, which equals net / trades."""
    if not nets:
        return None
    return _q(sum(nets, ZERO) / len(nets))


def streaks(nets: Sequence[Decimal]) -> StreakStats:
    """Longest runs of consecutive wins / losses in close order; a breakeven ends either run."""
    best_win = best_loss = run = 0
    for n in nets:
        if n > 0:
            run = run + 1 if run > 0 else 1
            best_win = max(best_win, run)
        elif n < 0:
            run = run - 1 if run < 0 else -1
            best_loss = max(best_loss, -run)
        else:
            run = 0
    return StreakStats(longest_win_streak=best_win, longest_loss_streak=best_loss, current_streak=run)


def leg_stats(trades: Sequence[TradeRecord]) -> tuple[int, int, float | None]:
    """(leg count, legs with net > 0, leg win rate or None without legs)."""
    count = wins = 0
    for t in trades:
        for leg in t.legs:
            count += 1
            wins += leg.net_pnl > 0
    return count, wins, (wins / count if count else None)


def average_holding_seconds(trades: Sequence[TradeRecord]) -> float | None:
    if not trades:
        return None
    total = sum(((t.closed_at - t.opened_at) for t in trades), timedelta(0))
    return total.total_seconds() / len(trades)


def premium_stats(trades: Sequence[TradeRecord]) -> tuple[Decimal, Decimal, Decimal, float | None]:
    """(credit, debit, kept = credit - debit, capture % = kept / credit * 100 or None if no credit)."""
    credit = sum((t.credit for t in trades), ZERO)
    debit = sum((t.debit for t in trades), ZERO)
    kept = credit - debit
    return credit, debit, kept, (float(kept / credit * 100) if credit else None)


def breakdown_by(
    trades: Sequence[TradeRecord], attribute: str, nets: Sequence[Decimal] | None = None
) -> tuple[BreakdownRow, ...]:
    """Per-key totals (e.g. ``exit_reason``, ``underlying``), most trades first, then by key.
    ``nets`` may pass the trades' net PnLs when the caller already has them (one pass, no lists)."""
    if nets is None:
        nets = [t.net_pnl for t in trades]
    # key -> [count, wins, losses, gross, fees, net, kept]
    groups: dict[str, list] = {}
    for t, net in zip(trades, nets, strict=True):
        key = str(getattr(t, attribute)) or "unknown"
        g = groups.get(key)
        if g is None:
            g = groups[key] = [0, 0, 0, ZERO, ZERO, ZERO, ZERO]
        g[0] += 1
        if net > 0:
            g[1] += 1
        elif net < 0:
            g[2] += 1
        g[3] += t.gross_pnl
        g[4] += t.fees
        g[5] += net
        g[6] += t.credit - t.debit
    rows = [
        BreakdownRow(
            key=key,
            trade_count=count,
            wins=wins,
            losses=losses,
            win_rate=wins / count,
            gross_pnl=gross,
            fees=fees,
            net_pnl=net,
            premium_kept=kept,
        )
        for key, (count, wins, losses, gross, fees, net, kept) in groups.items()
    ]
    rows.sort(key=lambda r: (-r.trade_count, r.key))
    return tuple(rows)


def unrealized_stats(
    open_positions: Iterable[OpenPosition], strategy_id: str | None = None
) -> UnrealizedStats:
    positions = [p for p in open_positions if strategy_id is None or p.strategy_id == strategy_id]
    gross = sum((p.unrealized_pnl for p in positions), ZERO)
    fees = sum((p.fees for p in positions), ZERO)
    return UnrealizedStats(
        open_sessions=len(positions),
        credit=sum((p.credit for p in positions), ZERO),
        unrealized_pnl=gross,
        fees=fees,
        net_unrealized_pnl=gross - fees,
    )


# --- equity & drawdown ---------------------------------------------------------------------------


def equity_curve(trades: Sequence[TradeRecord], starting_capital: Decimal = ZERO) -> list[EquityPoint]:
    """Equity after each trade close (trades already sorted); last point = capital + total net."""
    points = []
    equity = starting_capital
    for t in trades:
        net = t.net_pnl
        equity += net
        points.append(EquityPoint(timestamp=t.closed_at, session_id=t.session_id, net_pnl=net, equity=equity))
    return points


def _pct(drawdown: Decimal, peak: Decimal) -> float | None:
    return float(drawdown / peak * 100) if peak > 0 else None


def drawdown_series(curve: Sequence[EquityPoint], starting_capital: Decimal = ZERO) -> list[DrawdownPoint]:
    peak = starting_capital
    out = []
    for p in curve:
        peak = max(peak, p.equity)
        dd = peak - p.equity
        out.append(DrawdownPoint(timestamp=p.timestamp, drawdown=dd, drawdown_pct=_pct(dd, peak)))
    return out


def drawdown_stats(
    curve: Sequence[EquityPoint],
    starting_capital: Decimal = ZERO,
    first_opened_at: datetime | None = None,
) -> DrawdownStats:
    """Max and current drawdown. Peak starts at the starting capital; while equity is still at that
    initial peak, the drawdown "start" is ``first_opened_at`` (equity was at its peak then)."""
    peak = starting_capital
    peak_at = first_opened_at
    max_dd = ZERO
    max_pct: float | None = None
    max_start = max_end = None
    for p in curve:
        if p.equity > peak:
            peak, peak_at = p.equity, p.timestamp
        dd = peak - p.equity
        if dd > max_dd:
            max_dd, max_start, max_end = dd, peak_at, p.timestamp
        if dd > 0 and peak > 0:  # the % can only exceed the best so far while under water
            pct = float(dd / peak * 100)
            if max_pct is None or pct > max_pct:
                max_pct = pct
        elif max_pct is None and peak > 0:
            max_pct = 0.0
    final = curve[-1].equity if curve else starting_capital
    current = peak - final
    return DrawdownStats(
        max_drawdown=max_dd,
        max_drawdown_pct=max_pct,
        max_drawdown_start=max_start,
        max_drawdown_end=max_end,
        current_drawdown=current,
        current_drawdown_pct=_pct(current, peak),
        peak_equity=peak,
        final_equity=final,
    )


# --- days & returns ------------------------------------------------------------------------------


def daily_pnl(trades: Sequence[TradeRecord], tz: str | tzinfo = "UTC") -> list[DailyPnl]:
    """Per calendar day of ``closed_at`` in ``tz``; zero rows fill the gaps between the first and
    the last trading day; the sum of ``net_pnl`` equals the trades' total net PnL."""
    zone = resolve_timezone(tz)
    buckets: dict[date, list[Decimal]] = {}  # day -> [count, gross, fees]
    for t in trades:
        day = t.closed_at.astimezone(zone).date()
        b = buckets.get(day)
        if b is None:
            buckets[day] = [Decimal(1), t.gross_pnl, t.fees]
        else:
            b[0] += 1
            b[1] += t.gross_pnl
            b[2] += t.fees
    if not buckets:
        return []
    first, last = min(buckets), max(buckets)
    out = []
    cumulative = ZERO
    empty = [ZERO, ZERO, ZERO]
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        count, gross, fees = buckets.get(day, empty)
        net = gross - fees
        cumulative += net
        out.append(
            DailyPnl(
                date=day,
                trade_count=int(count),
                gross_pnl=gross,
                fees=fees,
                net_pnl=net,
                cumulative_net_pnl=cumulative,
            )
        )
    return out


def daily_returns(days: Sequence[DailyPnl], starting_capital: Decimal) -> list[float] | None:
    """Day net PnL / starting capital; None when capital <= 0 (returns are undefined)."""
    if starting_capital <= 0:
        return None
    return [float(d.net_pnl / starting_capital) for d in days]


def sharpe_ratio(returns: Sequence[float] | None) -> float | None:
    """mean / sample stdev of daily returns × sqrt(365) (crypto trades every day); risk-free = 0.
    None with fewer than two days or zero variance."""
    if not returns or len(returns) < 2:
        return None
    mean = math.fsum(returns) / len(returns)
    var = math.fsum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(TRADING_DAYS_PER_YEAR)


def sortino_ratio(returns: Sequence[float] | None) -> float | None:
    """mean daily return / downside deviation × sqrt(365); downside deviation =
    sqrt(mean(min(r, 0)²)) over all days (target 0). None with < 2 days or no losing day."""
    if not returns or len(returns) < 2:
        return None
    downside = math.fsum(min(r, 0.0) ** 2 for r in returns) / len(returns)
    if downside <= 0:
        return None
    return (math.fsum(returns) / len(returns)) / math.sqrt(downside) * math.sqrt(TRADING_DAYS_PER_YEAR)


def annualized_return_pct(returns: Sequence[float] | None) -> float | None:
    """Mean daily return × 365 × 100 (simple, on fixed starting capital)."""
    if not returns:
        return None
    return math.fsum(returns) / len(returns) * TRADING_DAYS_PER_YEAR * 100


def calmar_ratio(annual_return_pct: float | None, max_drawdown_pct: float | None) -> float | None:
    """Annualised return % / max drawdown %; None when either is undefined or there was no drawdown."""
    if annual_return_pct is None or not max_drawdown_pct:
        return None
    return annual_return_pct / max_drawdown_pct


# --- series --------------------------------------------------------------------------------------


def rolling_win_rate(
    trades: Sequence[TradeRecord], window: int = DEFAULT_ROLLING_WINDOW
) -> list[RollingWinRatePoint]:
    """Win rate over the last ``window`` trades at each close; the first points use the trades so
    far (``trades_in_window`` says how many)."""
    if window < 1:
        raise ValueError("window must be >= 1")
    out = []
    flags: list[int] = []
    wins = 0
    for i, t in enumerate(trades):
        flag = 1 if t.net_pnl > 0 else 0
        flags.append(flag)
        wins += flag
        if i >= window:
            wins -= flags[i - window]
        n = min(i + 1, window)
        out.append(
            RollingWinRatePoint(
                timestamp=t.closed_at, session_id=t.session_id, trades_in_window=n, win_rate=wins / n
            )
        )
    return out


def _nice_width(raw: Decimal) -> Decimal:
    """Round a bin width up to 1, 2 or 5 × 10^k so edges are readable."""
    exponent = raw.adjusted()
    base = Decimal(1).scaleb(exponent)
    for step in (1, 2, 5, 10):
        width = base * step
        if width >= raw:
            return width
    return base * 10  # pragma: no cover - the loop always returns


def pnl_histogram(nets: Sequence[Decimal], max_bins: int = 30) -> list[HistogramBin]:
    """Histogram of trade net PnL: about sqrt(n) bins (5..max_bins) of a "nice" width, with edges on
    multiples of the width so 0 is always an edge (wins and losses never share a bin)."""
    if not nets:
        return []
    lo, hi = min(nets), max(nets)
    target = min(max_bins, max(5, math.isqrt(len(nets))))
    span = hi - lo
    raw = span / target if span > 0 else max(abs(lo), Decimal(1)) / target
    width = _nice_width(raw)
    first = (lo / width).to_integral_value(rounding=ROUND_FLOOR) * width
    count = int(((hi - first) / width).to_integral_value(rounding=ROUND_FLOOR)) + 1
    counts = [0] * count
    for n in nets:
        counts[min(int(((n - first) / width).to_integral_value(rounding=ROUND_FLOOR)), count - 1)] += 1
    # normalize() drops trailing zeros; "+ ZERO" turns 1E+2 back into plain 100
    return [
        HistogramBin(
            lower=(first + width * i).normalize() + ZERO,
            upper=(first + width * (i + 1)).normalize() + ZERO,
            count=c,
        )
        for i, c in enumerate(counts)
    ]


# --- entry points --------------------------------------------------------------------------------


def _zone_name(tz: str | tzinfo) -> tuple[ZoneInfo, str]:
    zone = resolve_timezone(tz)
    return zone, zone.key


def _select(
    trades: Iterable[TradeRecord],
    start: datetime | None,
    end: datetime | None,
    strategy_id: str | None,
    presorted: bool,
) -> Sequence[TradeRecord]:
    if presorted:
        return trades if isinstance(trades, Sequence) else list(trades)
    return filter_trades(trades, start=start, end=end, strategy_id=strategy_id)


def compute_summary(
    trades: Iterable[TradeRecord],
    open_positions: Iterable[OpenPosition] = (),
    *,
    tz: str | tzinfo = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    starting_capital: Decimal = ZERO,
    strategy_id: str | None = None,
    presorted: bool = False,
) -> Summary:
    """Every headline metric for trades closed in ``[start, end)``; open sessions reported apart.

    ``presorted=True`` promises ``trades`` is already exactly the selection, sorted by
    ``(closed_at, session_id)`` (the API's cached ledger slice): no filtering or sorting is redone."""
    zone, zone_name = _zone_name(tz)
    selected = _select(trades, start, end, strategy_id, presorted)
    cols, lo, hi = _columns_for(selected)
    if cols.usable(starting_capital):
        return _fast_summary(cols, lo, hi, zone, zone_name, start, end, starting_capital, open_positions, strategy_id)
    return _plain_summary(selected, open_positions, zone, zone_name, start, end, starting_capital, strategy_id)


def _plain_summary(
    selected: Sequence[TradeRecord],
    open_positions: Iterable[OpenPosition],
    zone: ZoneInfo,
    zone_name: str,
    start: datetime | None,
    end: datetime | None,
    starting_capital: Decimal,
    strategy_id: str | None,
) -> Summary:
    """compute_summary over Decimal objects: the path for inputs the columns cannot mirror exactly."""
    nets = [t.net_pnl for t in selected]
    n = len(selected)
    gross = sum((t.gross_pnl for t in selected), ZERO)
    fees = sum((t.fees for t in selected), ZERO)
    wins, losses, breakeven = count_outcomes(nets)
    legs, leg_wins, leg_rate = leg_stats(selected)

    curve = equity_curve(selected, starting_capital)
    dd = drawdown_stats(curve, starting_capital, selected[0].opened_at if selected else None)
    days = daily_pnl(selected, zone)
    returns = daily_returns(days, starting_capital)
    annual = annualized_return_pct(returns)
    trading_days = [d for d in days if d.trade_count]
    best = max(trading_days, key=lambda d: (d.net_pnl, d.date), default=None)
    worst = min(trading_days, key=lambda d: (d.net_pnl, d.date), default=None)
    credit, debit, kept, capture = premium_stats(selected)

    return Summary(
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        timezone=zone_name,
        starting_capital=starting_capital,
        trade_count=n,
        gross_pnl=gross,
        fees=fees,
        net_pnl=gross - fees,
        average_fee=_q(fees / n) if n else None,
        wins=wins,
        losses=losses,
        breakeven=breakeven,
        win_rate=win_rate(nets),
        average_trade=expectancy(nets),
        average_win=average_win(nets),
        average_loss=average_loss(nets),
        largest_win=largest_win(nets),
        largest_loss=largest_loss(nets),
        profit_factor=profit_factor(nets),
        expectancy=expectancy(nets),
        leg_count=legs,
        leg_wins=leg_wins,
        leg_win_rate=leg_rate,
        drawdown=dd,
        sharpe_ratio=sharpe_ratio(returns),
        sortino_ratio=sortino_ratio(returns),
        calmar_ratio=calmar_ratio(annual, dd.max_drawdown_pct),
        annualized_return_pct=annual,
        streaks=streaks(nets),
        calendar_days=len(days),
        trading_days=len(trading_days),
        profitable_days=sum(1 for d in trading_days if d.net_pnl > 0),
        losing_days=sum(1 for d in trading_days if d.net_pnl < 0),
        best_day=best.date if best else None,
        best_day_pnl=best.net_pnl if best else None,
        worst_day=worst.date if worst else None,
        worst_day_pnl=worst.net_pnl if worst else None,
        average_holding_seconds=average_holding_seconds(selected),
        credit=credit,
        debit=debit,
        premium_kept=kept,
        premium_capture_pct=capture,
        by_exit_reason=breakdown_by(selected, "exit_reason", nets),
        by_underlying=breakdown_by(selected, "underlying", nets),
        by_strategy=breakdown_by(selected, "strategy_id", nets),
        unrealized=unrealized_stats(open_positions, strategy_id),
    )


def compute_history(
    trades: Iterable[TradeRecord],
    *,
    tz: str | tzinfo = "UTC",
    start: datetime | None = None,
    end: datetime | None = None,
    starting_capital: Decimal = ZERO,
    strategy_id: str | None = None,
    rolling_window: int = DEFAULT_ROLLING_WINDOW,
    presorted: bool = False,
) -> History:
    """Chart series for trades closed in ``[start, end)`` (``presorted`` as in compute_summary)."""
    zone, zone_name = _zone_name(tz)
    selected = _select(trades, start, end, strategy_id, presorted)
    curve = equity_curve(selected, starting_capital)
    return History(
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        timezone=zone_name,
        starting_capital=starting_capital,
        equity_curve=tuple(curve),
        drawdown=tuple(drawdown_series(curve, starting_capital)),
        daily_pnl=tuple(daily_pnl(selected, zone)),
        rolling_win_rate=tuple(rolling_win_rate(selected, rolling_window)),
        rolling_window=rolling_window,
        pnl_histogram=tuple(pnl_histogram([t.net_pnl for t in selected])),
    )


# --- columnar fast path --------------------------------------------------------------------------
#
# compute_summary answers a range from per-ledger precomputed columns instead of walking Decimal
# objects: money is held as exact integers at one common scale (10^-K) with prefix sums, so range
# totals are O(1); every Decimal that reaches the result is rebuilt with the exponent plain Decimal
# arithmetic would have given it (the minimum exponent of the summed terms, found per range), so
# the output is identical, digit for digit, to summing the Decimals. Anything the integer model
# cannot mirror exactly (non-finite or negative-zero values, sums beyond the context precision, a
# non-default rounding context) takes the plain Decimal path instead.


class _ExpIndex:
    """Range minimum of small integers (Decimal exponents) over global positions: per distinct
    value, the sorted positions holding it; a query tries values from the smallest up."""

    __slots__ = ("_by_value",)

    def __init__(self, positions: Sequence[int], values: Sequence[int]) -> None:
        by_value: dict[int, list[int]] = {}
        for p, v in zip(positions, values, strict=True):
            lst = by_value.get(v)
            if lst is None:
                by_value[v] = [p]
            else:
                lst.append(p)
        self._by_value = sorted((v, array("l", ps)) for v, ps in by_value.items())

    def min(self, lo: int, hi: int) -> int | None:
        """Smallest value at a position in ``[lo, hi)``; None when there is none."""
        for v, ps in self._by_value:
            i = bisect_left(ps, lo)
            if i < len(ps) and ps[i] < hi:
                return v
        return None


def _packed(values: list[int]) -> Sequence[int]:
    """Compact int64 storage when every value fits (prefix sums of 100k trades), else the list."""
    if values and -(2**62) < min(values) and max(values) < 2**62:
        return array("q", values)
    return values


def _prefix(values: Iterable[int]) -> Sequence[int]:
    return _packed(list(accumulate(values, initial=0)))


class _Group:
    """One (exit_reason, underlying, strategy) combination: its positions and prefix sums."""

    __slots__ = ("keys", "pos", "wins", "losses", "gross", "fees", "credit", "debit", "exps")

    def __init__(self, keys: tuple[str, str, str], pos: list[int], cols: _Columns) -> None:
        self.keys = keys
        self.pos = array("l", pos)
        net = cols.net
        self.wins = _prefix(1 if net[p] > 0 else 0 for p in pos)
        self.losses = _prefix(1 if net[p] < 0 else 0 for p in pos)
        self.gross = _prefix(cols.gross[p] for p in pos)
        self.fees = _prefix(cols.fee[p] for p in pos)
        self.credit = _prefix(cols.credit[p] for p in pos)
        self.debit = _prefix(cols.debit[p] for p in pos)
        self.exps = tuple(_ExpIndex(pos, [e[p] for p in pos]) for e in cols.raw_exps)


class _DayRuns:
    """Trades grouped into runs of consecutive trades on the same local calendar day (one tz)."""

    __slots__ = ("starts", "days", "monotonic")

    def __init__(self, closed: Sequence[datetime], zone: ZoneInfo) -> None:
        starts: list[int] = []
        days: list[int] = []
        last = None
        if zone.key == "UTC":
            ordinals: Iterable[int] = (c.toordinal() if c.tzinfo is UTC else c.astimezone(UTC).toordinal() for c in closed)
        else:
            ordinals = (c.astimezone(zone).toordinal() for c in closed)
        for i, day in enumerate(ordinals):
            if day != last:
                starts.append(i)
                days.append(day)
                last = day
        self.starts = array("l", starts)
        self.days = days
        self.monotonic = all(a < b for a, b in zip(days, days[1:], strict=False))


_MAX_GROUPS = 256


class _Columns:
    """Exact integer columns and prefix sums of a sorted list of trades (built once per ledger)."""

    def __init__(self, trades: Sequence[TradeRecord]) -> None:
        self.trades = trades
        self.n = n = len(trades)
        self.ok = True
        raw: list[list[Decimal]] = [[], [], [], []]
        for t in trades:
            raw[0].append(t.gross_pnl)
            raw[1].append(t.fees)
            raw[2].append(t.credit)
            raw[3].append(t.debit)
        exps: list[list[int]] = []
        for column in raw:
            col_exps = []
            for d in column:
                sign, _digits, e = d.as_tuple()
                if not isinstance(e, int) or (sign and not d):  # NaN/inf, or -0 (its sign propagates)
                    self.ok = False
                    return
                col_exps.append(e)
            exps.append(col_exps)
        self.raw_exps = exps
        lowest = min((min(e) for e in exps if e), default=0)
        self.scale = k = max(0, -lowest)
        with localcontext(Context(prec=MAX_PREC)):
            ints = [[int(d.scaleb(k)) for d in column] for column in raw]
        self.gross, self.fee, self.credit, self.debit = ints
        self.bound = sum(sum(map(abs, column)) for column in ints)
        self.net = net = list(map(operator.sub, self.gross, self.fee))
        self.p_gross = _prefix(self.gross)
        self.p_fee = _prefix(self.fee)
        self.p_credit = _prefix(self.credit)
        self.p_debit = _prefix(self.debit)
        self.p_net = _prefix(net)
        self.p_wins = _prefix(1 if x > 0 else 0 for x in net)
        self.p_losses = _prefix(1 if x < 0 else 0 for x in net)
        self.p_win_sum = _prefix(x if x > 0 else 0 for x in net)
        self.p_loss_sum = _prefix(x if x < 0 else 0 for x in net)
        self.closed = [t.closed_at for t in trades]
        self.p_hold = _prefix(_micros(t.closed_at - t.opened_at) for t in trades)
        legs = [len(t.legs) for t in trades]
        self.p_legs = _prefix(legs)
        self.p_leg_wins = _prefix(sum(1 for leg in t.legs if leg.net_pnl > 0) if t.legs else 0 for t in trades)
        positions = range(n)
        self.exp_gross, self.exp_fee, self.exp_credit, self.exp_debit = (_ExpIndex(positions, e) for e in exps)
        self.exp_net = _ExpIndex(positions, list(map(min, exps[0], exps[1])))
        # streak runs: maximal runs of equal outcome sign
        signs = [(x > 0) - (x < 0) for x in net]
        run_starts: list[int] = []
        run_signs: list[int] = []
        last = None
        for i, s in enumerate(signs):
            if s != last:
                run_starts.append(i)
                run_signs.append(s)
                last = s
        self.signs = signs
        self.run_starts = array("l", run_starts)
        ends = [*run_starts[1:], n] if run_starts else []
        self.run_win_len = [e - s if sg > 0 else 0 for s, e, sg in zip(run_starts, ends, run_signs, strict=True)]
        self.run_loss_len = [e - s if sg < 0 else 0 for s, e, sg in zip(run_starts, ends, run_signs, strict=True)]
        # breakdown groups
        members: dict[tuple[str, str, str], list[int]] = {}
        for i, t in enumerate(trades):
            key = (str(t.exit_reason) or "unknown", str(t.underlying) or "unknown", str(t.strategy_id) or "unknown")
            lst = members.get(key)
            if lst is None:
                members[key] = [i]
            else:
                lst.append(i)
        self.groups = [_Group(key, pos, self) for key, pos in members.items()] if len(members) <= _MAX_GROUPS else None
        self._days: dict[str, _DayRuns] = {}

    def days(self, zone: ZoneInfo) -> _DayRuns:
        runs = self._days.get(zone.key)
        if runs is None:
            runs = self._days[zone.key] = _DayRuns(self.closed, zone)
        return runs

    def usable(self, capital: Decimal) -> bool:
        """The integer model mirrors Decimal exactly only within the context precision."""
        ctx = getcontext()
        if not self.ok or ctx.rounding != ROUND_HALF_EVEN or not capital.is_finite():
            return False
        sign, _digits, e = capital.as_tuple()
        if (sign and not capital) or not isinstance(e, int):
            return False
        cap = int(capital.scaleb(self.scale, Context(prec=MAX_PREC))) if -e <= self.scale else None
        if cap is None:
            return False
        return self.bound + abs(cap) < 10 ** (ctx.prec - 1)

    def dec(self, value: int, exponent: int) -> Decimal:
        """The Decimal with scaled integer ``value`` written with ``exponent`` (>= -scale)."""
        shift = self.scale + exponent
        coefficient = value // 10**shift if value >= 0 else -((-value) // 10**shift)
        return Decimal(coefficient).scaleb(exponent)


def _micros(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


class TradeList(list):
    """A ledger's sorted trades; slicing it yields a :class:`TradeWindow` that lets
    compute_summary reuse the ledger's precomputed columns. Treat it as immutable."""

    _columns: _Columns | None = None

    def columns(self) -> _Columns:
        cols = self._columns
        if cols is None or cols.n != len(self):
            cols = self._columns = _Columns(self)
        return cols

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        items = super().__getitem__(key)
        if isinstance(key, slice):
            lo, hi, step = key.indices(len(self))
            if step == 1:
                window = TradeWindow(items)
                window.source, window.lo, window.hi = self, lo, max(lo, hi)
                return window
        return items


class TradeWindow(list):
    """``TradeList[lo:hi]``: a plain list of the trades that remembers where it came from."""

    source: TradeList
    lo: int
    hi: int


def _columns_for(trades: Sequence[TradeRecord]) -> tuple[_Columns, int, int]:
    if isinstance(trades, TradeWindow) and len(trades) == trades.hi - trades.lo:
        return trades.source.columns(), trades.lo, trades.hi
    cols = _Columns(trades)
    return cols, 0, len(trades)


def _range_exp(index: _ExpIndex, lo: int, hi: int, start: int | None) -> int:
    """Exponent of ``start + sum(terms in [lo, hi))`` (start None: the first term starts the sum)."""
    e = index.min(lo, hi)
    if e is None:
        return 0 if start is None else start
    return e if start is None else min(start, e)


def _fast_drawdown(
    cols: _Columns, lo: int, hi: int, capital: Decimal, cap: int, first_opened_at: datetime
) -> DrawdownStats:
    equity = list(accumulate(cols.net[lo:hi], initial=cap))  # equity[0] = starting capital
    peaks = list(accumulate(equity, max))
    dd = list(map(operator.sub, peaks, equity))
    cap_exp = capital.as_tuple().exponent
    closed = cols.closed

    def equity_at(k: int) -> Decimal:  # k >= 1: equity after the k-th trade of the range
        return cols.dec(equity[k], min(cap_exp, cols.exp_net.min(lo, lo + k)))  # type: ignore[type-var]

    def peak_of(k: int) -> tuple[Decimal, datetime]:
        j = equity.index(peaks[k])
        if j == 0:
            return capital, first_opened_at
        return equity_at(j), closed[lo + j - 1]

    worst = max(dd)
    if worst > 0:
        i = dd.index(worst)
        peak, max_start = peak_of(i)
        max_dd = peak - equity_at(i)
        max_end = closed[lo + i - 1]
    else:
        max_dd, max_start, max_end = ZERO, None, None
    m = len(equity) - 1
    max_pct: float | None = None
    if peaks[m] > 0:
        k0 = max(1, bisect_right(peaks, 0))
        ratios = list(map(operator.truediv, dd[k0:], peaks[k0:]))  # correctly rounded, monotone
        best = max(ratios)
        max_pct = 0.0
        if best > 0:
            k = ratios.index(best)
            while True:  # every point whose float ratio ties: the exact Decimal figure decides
                pct = float(Decimal(dd[k0 + k]) / Decimal(peaks[k0 + k]) * 100)
                max_pct = max(max_pct, pct)
                try:
                    k = ratios.index(best, k + 1)
                except ValueError:
                    break
    peak, _ = peak_of(m)
    final = equity_at(m)
    current = peak - final
    return DrawdownStats(
        max_drawdown=max_dd,
        max_drawdown_pct=max_pct,
        max_drawdown_start=max_start,
        max_drawdown_end=max_end,
        current_drawdown=current,
        current_drawdown_pct=_pct(current, peak),
        peak_equity=peak,
        final_equity=final,
    )


def _fast_streaks(cols: _Columns, lo: int, hi: int) -> StreakStats:
    starts = cols.run_starts
    r0 = bisect_right(starts, lo) - 1
    r1 = bisect_right(starts, hi - 1) - 1
    signs = cols.signs
    if r0 == r1:
        length = hi - lo
        s = signs[lo]
        win = length if s > 0 else 0
        loss = length if s < 0 else 0
        return StreakStats(longest_win_streak=win, longest_loss_streak=loss, current_streak=s * length)
    first_len = (starts[r0 + 1]) - lo
    last_len = hi - starts[r1]
    win = max(cols.run_win_len[r0 + 1 : r1], default=0)
    loss = max(cols.run_loss_len[r0 + 1 : r1], default=0)
    for s, length in ((signs[lo], first_len), (signs[hi - 1], last_len)):
        if s > 0:
            win = max(win, length)
        elif s < 0:
            loss = max(loss, length)
    return StreakStats(longest_win_streak=win, longest_loss_streak=loss, current_streak=signs[hi - 1] * last_len)


def _fast_days(cols: _Columns, lo: int, hi: int, zone: ZoneInfo) -> list[tuple[int, int, int, int]]:
    """(day ordinal, trade count, first position, end position) per run of the range, by day; a day
    split over several runs (only with a backwards DST jump across midnight) appears as several."""
    runs = cols.days(zone)
    starts = runs.starts
    r0 = bisect_right(starts, lo) - 1
    r1 = bisect_right(starts, hi - 1)
    out = []
    for r in range(r0, r1):
        a = max(lo, starts[r])
        b = min(hi, starts[r + 1]) if r + 1 < len(starts) else hi
        out.append((runs.days[r], b - a, a, b))
    if not runs.monotonic:
        out.sort(key=lambda x: x[0])
    return out


def _fast_breakdowns(cols: _Columns, lo: int, hi: int) -> tuple[tuple[BreakdownRow, ...], ...]:
    # per attribute: key -> [count, wins, losses, gross, fees, credit, debit, e_gross, e_fees, e_credit, e_debit]
    acc: tuple[dict[str, list], ...] = ({}, {}, {})
    assert cols.groups is not None
    for g in cols.groups:
        a = bisect_left(g.pos, lo)
        b = bisect_left(g.pos, hi)
        if a == b:
            continue
        p_lo, p_hi = g.pos[a], g.pos[b - 1] + 1
        stats = (
            b - a,
            g.wins[b] - g.wins[a],
            g.losses[b] - g.losses[a],
            g.gross[b] - g.gross[a],
            g.fees[b] - g.fees[a],
            g.credit[b] - g.credit[a],
            g.debit[b] - g.debit[a],
            *(ix.min(p_lo, p_hi) for ix in g.exps),
        )
        for attr, key in enumerate(g.keys):
            row = acc[attr].get(key)
            if row is None:
                acc[attr][key] = list(stats)
            else:
                for j in range(7):
                    row[j] += stats[j]
                for j in range(7, 11):
                    row[j] = min(row[j], stats[j])
    out = []
    for rows_by_key in acc:
        rows = []
        for key, (count, wins, losses, gross, fees, credit, debit, eg, ef, ec, ed) in rows_by_key.items():
            rows.append(
                BreakdownRow(
                    key=key,
                    trade_count=count,
                    wins=wins,
                    losses=losses,
                    win_rate=wins / count,
                    gross_pnl=cols.dec(gross, min(0, eg)),
                    fees=cols.dec(fees, min(0, ef)),
                    net_pnl=cols.dec(gross - fees, min(0, eg, ef)),
                    premium_kept=cols.dec(credit - debit, min(0, ec, ed)),
                )
            )
        rows.sort(key=lambda r: (-r.trade_count, r.key))
        out.append(tuple(rows))
    return tuple(out)


def _fast_summary(
    cols: _Columns,
    lo: int,
    hi: int,
    zone: ZoneInfo,
    zone_name: str,
    start: datetime | None,
    end: datetime | None,
    capital: Decimal,
    open_positions: Iterable[OpenPosition],
    strategy_id: str | None,
) -> Summary:
    n = hi - lo
    k = cols.scale
    cap = int(capital.scaleb(k, Context(prec=MAX_PREC)))
    gross = cols.dec(cols.p_gross[hi] - cols.p_gross[lo], _range_exp(cols.exp_gross, lo, hi, 0))
    fees = cols.dec(cols.p_fee[hi] - cols.p_fee[lo], _range_exp(cols.exp_fee, lo, hi, 0))
    credit = cols.dec(cols.p_credit[hi] - cols.p_credit[lo], _range_exp(cols.exp_credit, lo, hi, 0))
    debit = cols.dec(cols.p_debit[hi] - cols.p_debit[lo], _range_exp(cols.exp_debit, lo, hi, 0))
    kept = credit - debit
    net_value = cols.dec(cols.p_net[hi] - cols.p_net[lo], -k)  # value only (averages are rounded)
    wins = cols.p_wins[hi] - cols.p_wins[lo]
    losses = cols.p_losses[hi] - cols.p_losses[lo]
    win_sum = cols.dec(cols.p_win_sum[hi] - cols.p_win_sum[lo], -k)
    loss_sum = cols.dec(cols.p_loss_sum[hi] - cols.p_loss_sum[lo], -k)
    legs = cols.p_legs[hi] - cols.p_legs[lo]
    leg_wins = cols.p_leg_wins[hi] - cols.p_leg_wins[lo]
    trades = cols.trades

    if n:
        window = cols.net[lo:hi]
        best_i = lo + window.index(max(window))
        worst_i = lo + window.index(min(window))
        largest_win_ = trades[best_i].net_pnl if cols.net[best_i] > 0 else None
        largest_loss_ = trades[worst_i].net_pnl if cols.net[worst_i] < 0 else None
        dd = _fast_drawdown(cols, lo, hi, capital, cap, trades[lo].opened_at)
        streak = _fast_streaks(cols, lo, hi)
        holding: float | None = timedelta(microseconds=cols.p_hold[hi] - cols.p_hold[lo]).total_seconds() / n
        expect = _q(net_value / n)
    else:
        largest_win_ = largest_loss_ = None
        dd = drawdown_stats([], capital, None)
        streak = StreakStats(longest_win_streak=0, longest_loss_streak=0, current_streak=0)
        holding = expect = None

    # days
    day_runs = _fast_days(cols, lo, hi, zone) if n else []
    p_net = cols.p_net
    day_net: dict[int, int] = {}
    for day, _count, a, b in day_runs:
        day_net[day] = day_net.get(day, 0) + p_net[b] - p_net[a]
    calendar_days = (day_runs[-1][0] - day_runs[0][0] + 1) if day_runs else 0
    profitable_days = sum(1 for v in day_net.values() if v > 0)
    losing_days = sum(1 for v in day_net.values() if v < 0)
    best_day = max(day_net, key=lambda d: (day_net[d], d), default=None)
    worst_day = min(day_net, key=lambda d: (day_net[d], d), default=None)

    def day_pnl(day: int) -> Decimal:
        e_gross = min(cols.exp_gross.min(a, b) for d, _c, a, b in day_runs if d == day)  # type: ignore[type-var]
        e_fee = min(cols.exp_fee.min(a, b) for d, _c, a, b in day_runs if d == day)  # type: ignore[type-var]
        g = sum(cols.p_gross[b] - cols.p_gross[a] for d, _c, a, b in day_runs if d == day)
        f = sum(cols.p_fee[b] - cols.p_fee[a] for d, _c, a, b in day_runs if d == day)
        return cols.dec(g, e_gross) - cols.dec(f, e_fee)

    returns: list[float] | None = None
    if capital > 0:
        returns = [0.0] * calendar_days
        if day_runs:
            first = day_runs[0][0]
            scaled_capital = Decimal(cap)
            for day, v in day_net.items():
                if v:
                    returns[day - first] = float(Decimal(v) / scaled_capital)
    annual = annualized_return_pct(returns)

    if cols.groups is not None:
        by_exit, by_underlying, by_strategy = _fast_breakdowns(cols, lo, hi)
    else:
        selected = trades[lo:hi]
        nets = [t.net_pnl for t in selected]
        by_exit = breakdown_by(selected, "exit_reason", nets)
        by_underlying = breakdown_by(selected, "underlying", nets)
        by_strategy = breakdown_by(selected, "strategy_id", nets)

    return Summary(
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        timezone=zone_name,
        starting_capital=capital,
        trade_count=n,
        gross_pnl=gross,
        fees=fees,
        net_pnl=gross - fees,
        average_fee=_q(fees / n) if n else None,
        wins=wins,
        losses=losses,
        breakeven=n - wins - losses,
        win_rate=wins / n if n else None,
        average_trade=expect,
        average_win=_q(win_sum / wins) if wins else None,
        average_loss=_q(loss_sum / losses) if losses else None,
        largest_win=largest_win_,
        largest_loss=largest_loss_,
        profit_factor=float(win_sum / -loss_sum) if loss_sum else None,
        expectancy=expect,
        leg_count=legs,
        leg_wins=leg_wins,
        leg_win_rate=leg_wins / legs if legs else None,
        drawdown=dd,
        sharpe_ratio=sharpe_ratio(returns),
        sortino_ratio=sortino_ratio(returns),
        calmar_ratio=calmar_ratio(annual, dd.max_drawdown_pct),
        annualized_return_pct=annual,
        streaks=streak,
        calendar_days=calendar_days,
        trading_days=len(day_net),
        profitable_days=profitable_days,
        losing_days=losing_days,
        best_day=date.fromordinal(best_day) if best_day is not None else None,
        best_day_pnl=day_pnl(best_day) if best_day is not None else None,
        worst_day=date.fromordinal(worst_day) if worst_day is not None else None,
        worst_day_pnl=day_pnl(worst_day) if worst_day is not None else None,
        average_holding_seconds=holding,
        credit=credit,
        debit=debit,
        premium_kept=kept,
        premium_capture_pct=float(kept / credit * 100) if credit else None,
        by_exit_reason=by_exit,
        by_underlying=by_underlying,
        by_strategy=by_strategy,
        unrealized=unrealized_stats(open_positions, strategy_id),
    )

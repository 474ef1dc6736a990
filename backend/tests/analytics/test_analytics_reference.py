"""The columnar compute_summary must equal, byte for byte once JSON-encoded, the straightforward
Decimal implementation it replaced (kept below as the reference), on random data and on random
windows of a ledger-style TradeList."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deltaplane.analytics import metrics as m
from deltaplane.analytics.records import LegRecord, TradeRecord

ZERO = Decimal(0)


def reference_summary(trades, open_positions=(), *, tz="UTC", start=None, end=None, starting_capital=ZERO):
    """The pre-optimisation compute_summary, verbatim in substance."""
    zone = m.resolve_timezone(tz)
    selected = m.filter_trades(trades, start=start, end=end)
    nets = [t.net_pnl for t in selected]
    n = len(selected)
    gross = sum((t.gross_pnl for t in selected), ZERO)
    fees = sum((t.fees for t in selected), ZERO)
    wins, losses, breakeven = m.count_outcomes(nets)
    legs, leg_wins, leg_rate = m.leg_stats(selected)
    curve = m.equity_curve(selected, starting_capital)
    dd = m.drawdown_stats(curve, starting_capital, selected[0].opened_at if selected else None)
    days = m.daily_pnl(selected, zone)
    returns = m.daily_returns(days, starting_capital)
    annual = m.annualized_return_pct(returns)
    trading_days = [d for d in days if d.trade_count]
    best = max(trading_days, key=lambda d: (d.net_pnl, d.date), default=None)
    worst = min(trading_days, key=lambda d: (d.net_pnl, d.date), default=None)
    credit, debit, kept, capture = m.premium_stats(selected)
    return m.Summary(
        start=start.astimezone(UTC) if start else None,
        end=end.astimezone(UTC) if end else None,
        timezone=zone.key,
        starting_capital=starting_capital,
        trade_count=n,
        gross_pnl=gross,
        fees=fees,
        net_pnl=gross - fees,
        average_fee=m._q(fees / n) if n else None,
        wins=wins,
        losses=losses,
        breakeven=breakeven,
        win_rate=m.win_rate(nets),
        average_trade=m.expectancy(nets),
        average_win=m.average_win(nets),
        average_loss=m.average_loss(nets),
        largest_win=m.largest_win(nets),
        largest_loss=m.largest_loss(nets),
        profit_factor=m.profit_factor(nets),
        expectancy=m.expectancy(nets),
        leg_count=legs,
        leg_wins=leg_wins,
        leg_win_rate=leg_rate,
        drawdown=dd,
        sharpe_ratio=m.sharpe_ratio(returns),
        sortino_ratio=m.sortino_ratio(returns),
        calmar_ratio=m.calmar_ratio(annual, dd.max_drawdown_pct),
        annualized_return_pct=annual,
        streaks=m.streaks(nets),
        calendar_days=len(days),
        trading_days=len(trading_days),
        profitable_days=sum(1 for d in trading_days if d.net_pnl > 0),
        losing_days=sum(1 for d in trading_days if d.net_pnl < 0),
        best_day=best.date if best else None,
        best_day_pnl=best.net_pnl if best else None,
        worst_day=worst.date if worst else None,
        worst_day_pnl=worst.net_pnl if worst else None,
        average_holding_seconds=m.average_holding_seconds(selected),
        credit=credit,
        debit=debit,
        premium_kept=kept,
        premium_capture_pct=capture,
        by_exit_reason=m.breakdown_by(selected, "exit_reason", nets),
        by_underlying=m.breakdown_by(selected, "underlying", nets),
        by_strategy=m.breakdown_by(selected, "strategy_id", nets),
        unrealized=m.unrealized_stats(open_positions),
    )


def _money(places: int, lo: int, hi: int):
    return st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False, allow_infinity=False)


# mixed exponents on purpose: "3", "3.5", "3.50", "3.50000000", "1E+2" all sum differently as text
mixed = st.one_of(_money(0, -3000, 3000), _money(1, -300, 300), _money(2, -3000, 3000), _money(8, -50, 50)).map(
    lambda d: d + ZERO if d else abs(d)
) | st.sampled_from([Decimal("1E+2"), Decimal("-2E+1"), Decimal("0.00"), Decimal("0")])
small_fees = st.one_of(_money(0, 0, 5), _money(2, 0, 40), _money(8, 0, 3)).map(abs)
capital = st.sampled_from([Decimal(0), Decimal(1000), Decimal("25000.50"), Decimal("1E+3"), Decimal("0.00"), Decimal("7.123")])
zones = st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York", "Pacific/Kiritimati", "America/Sao_Paulo"])
BASE = datetime(2024, 10, 1, tzinfo=UTC)


@st.composite
def trades(draw, max_size=60):
    n = draw(st.integers(min_value=0, max_value=max_size))
    out = []
    for i in range(n):
        closed = BASE + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 200)))
        legs = ()
        if draw(st.booleans()):
            legs = tuple(
                LegRecord(symbol="x", kind="call", strike=Decimal(1), quantity=Decimal(1), entry_price=Decimal(1),
                          exit_price=None, gross_pnl=draw(mixed), fees=draw(small_fees))
                for _ in range(draw(st.integers(min_value=1, max_value=2)))
            )  # fmt: skip
        out.append(
            TradeRecord(
                session_id=f"s{i:03d}",
                strategy_id=draw(st.sampled_from(["1", "2", ""])),
                strategy_name="s",
                underlying=draw(st.sampled_from(["BTC", "ETH"])),
                opened_at=closed - timedelta(seconds=draw(st.integers(min_value=0, max_value=90_000))),
                closed_at=closed,
                credit=abs(draw(mixed)),
                debit=abs(draw(mixed)),
                gross_pnl=draw(st.one_of(mixed, st.just(Decimal(0)))),
                fees=draw(small_fees),
                exit_reason=draw(st.sampled_from(["take_profit", "max_loss", ""])),
                legs=legs,
            )
        )
    return out


def _same(a: m.Summary, b: m.Summary) -> None:
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
    assert a == b


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trades(), zones, capital)
def test_fast_summary_matches_reference(records, tz, cap) -> None:
    _same(m.compute_summary(records, tz=tz, starting_capital=cap), reference_summary(records, tz=tz, starting_capital=cap))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trades(), zones, capital, st.data())
def test_ledger_windows_match_reference(records, tz, cap, data) -> None:
    ordered = m.TradeList(sorted(records, key=lambda t: (t.closed_at, t.session_id)))
    for _ in range(3):
        lo = data.draw(st.integers(min_value=0, max_value=len(ordered)))
        hi = data.draw(st.integers(min_value=lo, max_value=len(ordered)))
        window = ordered[lo:hi]
        assert isinstance(window, m.TradeWindow) and list(window) == list(ordered)[lo:hi]
        fast = m.compute_summary(window, tz=tz, starting_capital=cap, presorted=True)
        _same(fast, reference_summary(list(window), tz=tz, starting_capital=cap))


def test_negative_zero_and_odd_values_take_the_decimal_path() -> None:
    t = TradeRecord(session_id="a", strategy_id="1", strategy_name="s", underlying="BTC", opened_at=BASE,
                    closed_at=BASE, credit=ZERO, debit=ZERO, gross_pnl=Decimal("-0.00"), fees=ZERO, exit_reason="x")  # fmt: skip
    _same(m.compute_summary([t], starting_capital=Decimal(5)), reference_summary([t], starting_capital=Decimal(5)))

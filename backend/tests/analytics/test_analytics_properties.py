"""Invariants over arbitrary trade sets (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from deltaplane.analytics import metrics as m
from deltaplane.analytics.records import TradeRecord

money = st.decimals(min_value=-5000, max_value=5000, places=2, allow_nan=False, allow_infinity=False)
fees = st.decimals(min_value=0, max_value=50, places=2, allow_nan=False, allow_infinity=False)
capital = st.sampled_from([Decimal(0), Decimal(1000), Decimal("25000.50")])
zones = st.sampled_from(["UTC", "Asia/Kolkata", "America/New_York", "Pacific/Kiritimati"])


@st.composite
def trade_records(draw, max_size=40):
    n = draw(st.integers(min_value=0, max_value=max_size))
    base = datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        closed = base + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 60)))
        out.append(
            TradeRecord(
                session_id=f"s{i}",
                strategy_id="x",
                strategy_name="x",
                underlying=draw(st.sampled_from(["BTC", "ETH"])),
                opened_at=closed - timedelta(minutes=draw(st.integers(min_value=0, max_value=600))),
                closed_at=closed,
                credit=draw(fees),
                debit=draw(fees),
                gross_pnl=draw(money),
                fees=draw(fees),
                exit_reason=draw(st.sampled_from(["take_profit", "max_loss", "exit_time"])),
            )
        )
    return out


@settings(max_examples=60, deadline=None)
@given(trade_records(), capital, zones)
def test_summary_invariants(trades, starting_capital, tz):
    s = m.compute_summary(trades, tz=tz, starting_capital=starting_capital)
    assert s.net_pnl == s.gross_pnl - s.fees
    assert s.net_pnl == sum((t.gross_pnl - t.fees for t in trades), Decimal(0))
    assert s.wins + s.losses + s.breakeven == s.trade_count == len(trades)
    assert s.drawdown.max_drawdown >= 0 and s.drawdown.current_drawdown >= 0
    assert s.drawdown.current_drawdown <= s.drawdown.max_drawdown
    if s.win_rate is not None:
        assert 0 <= s.win_rate <= 1
    else:
        assert s.trade_count == 0
    assert s.profitable_days + s.losing_days <= s.trading_days <= s.calendar_days
    assert sum(r.net_pnl for r in s.by_exit_reason) == s.net_pnl
    assert sum(r.trade_count for r in s.by_underlying) == s.trade_count
    if s.drawdown.max_drawdown_pct is not None:
        assert s.drawdown.max_drawdown_pct >= 0


@settings(max_examples=60, deadline=None)
@given(trade_records(), capital, zones)
def test_history_invariants(trades, starting_capital, tz):
    h = m.compute_history(trades, tz=tz, starting_capital=starting_capital)
    net = sum((t.net_pnl for t in trades), Decimal(0))
    assert sum((d.net_pnl for d in h.daily_pnl), Decimal(0)) == net
    if trades:
        assert h.equity_curve[-1].equity == starting_capital + net
        assert h.daily_pnl[-1].cumulative_net_pnl == net
    else:
        assert h.equity_curve == () and h.daily_pnl == ()
    assert all(p.drawdown >= 0 for p in h.drawdown)
    assert all(0 <= p.win_rate <= 1 for p in h.rolling_win_rate)
    assert sum(b.count for b in h.pnl_histogram) == len(trades)
    assert all(b.lower < b.upper for b in h.pnl_histogram)
    for b in h.pnl_histogram:  # every bin holds exactly the nets in [lower, upper) (last bin incl. max)
        assert b.count == sum(1 for t in trades if b.lower <= t.net_pnl < b.upper)
    days = [d.date for d in h.daily_pnl]
    assert days == sorted(days) and len(set(days)) == len(days)
    assert all((b - a).days == 1 for a, b in zip(days, days[1:], strict=False))  # no gaps


@settings(max_examples=40, deadline=None)
@given(trade_records(), zones)
def test_range_split_is_additive(trades, tz):
    # [a, mid) + [mid, b) == [a, b): no trade lost or double counted at a boundary
    mid = datetime(2025, 1, 31, tzinfo=UTC)
    whole = m.compute_summary(trades, tz=tz)
    left = m.compute_summary(trades, tz=tz, end=mid)
    right = m.compute_summary(trades, tz=tz, start=mid)
    assert left.trade_count + right.trade_count == whole.trade_count
    assert left.net_pnl + right.net_pnl == whole.net_pnl

"""Records: one ledger (net = gross - fees, derived once) and aware timestamps."""

from __future__ import annotations

from datetime import datetime

import pytest
from analytics_factories import D, leg, trade, utc

from deltaplane.analytics.records import LegRecord, OpenPosition, TradeRecord


def test_trade_net_is_gross_minus_fees():
    t = trade("a", utc(2025, 1, 1), "10.5", "1.25")
    assert t.net_pnl == D("9.25")  # 10.5 - 1.25, fees taken once


def test_leg_net_is_gross_minus_fees():
    assert leg("call", "-3", "0.5").net_pnl == D("-3.5")


def test_from_legs_sums_the_leg_ledger():
    legs = [leg("call", "30", "1.5"), leg("put", "-10", "0.5")]
    t = TradeRecord.from_legs(
        legs,
        session_id="s",
        strategy_id="x",
        strategy_name="x",
        underlying="BTC",
        opened_at=utc(2025, 1, 1),
        closed_at=utc(2025, 1, 1, 1),
        credit=D(100),
        debit=D(80),
        exit_reason="manual",
    )
    # gross 30-10 = 20, fees 1.5+0.5 = 2, net 18 == sum of leg nets 28.5 + (-10.5)
    assert (t.gross_pnl, t.fees, t.net_pnl) == (D(20), D(2), D(18))
    assert t.net_pnl == sum(leg.net_pnl for leg in t.legs)
    assert t.premium_kept == D(20)
    assert isinstance(t.legs[0], LegRecord)


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="closed_at"):
        TradeRecord(
            session_id="s",
            strategy_id="x",
            strategy_name="x",
            underlying="BTC",
            opened_at=utc(2025, 1, 1),
            closed_at=datetime(2025, 1, 1, 1),
            credit=D(0),
            debit=D(0),
            gross_pnl=D(0),
            fees=D(0),
            exit_reason="manual",
        )


def test_close_before_open_is_rejected():
    with pytest.raises(ValueError, match="closed_at"):
        trade("a", utc(2025, 1, 1), "0", "0", held=-(utc(2025, 1, 2) - utc(2025, 1, 1)))


def test_open_position_net_unrealized():
    p = OpenPosition(
        session_id="s",
        strategy_id="x",
        strategy_name="x",
        underlying="ETH",
        opened_at=utc(2025, 1, 1),
        credit=D(50),
        unrealized_pnl=D(-5),
        fees=D("0.75"),
    )
    assert p.net_unrealized_pnl == D("-5.75")

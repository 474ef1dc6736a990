"""Builders and the hand-computed fixture shared by the analytics tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from deltaplane.analytics.records import LegRecord, TradeRecord

D = Decimal


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def trade(
    session_id: str,
    closed_at: datetime,
    gross: str,
    fees: str,
    *,
    credit: str = "0",
    debit: str = "0",
    exit_reason: str = "exit_time",
    underlying: str = "BTC",
    strategy_id: str = "strat-1",
    held: timedelta = timedelta(hours=1),
) -> TradeRecord:
    return TradeRecord(
        session_id=session_id,
        strategy_id=strategy_id,
        strategy_name="BTC daily strangle",
        underlying=underlying,
        opened_at=closed_at - held,
        closed_at=closed_at,
        credit=D(credit),
        debit=D(debit),
        gross_pnl=D(gross),
        fees=D(fees),
        exit_reason=exit_reason,
    )


def leg(kind: str, gross: str, fees: str) -> LegRecord:
    return LegRecord(
        symbol=f"{'C' if kind == 'call' else 'P'}-BTC-90000-310125",
        kind=kind,  # type: ignore[arg-type]
        strike=D(90000),
        quantity=D(1),
        entry_price=D(100),
        exit_price=D(50),
        gross_pnl=D(gross),
        fees=D(fees),
    )


STARTING_CAPITAL = D(1000)


def hand_fixture() -> list[TradeRecord]:
    """Six trades, UTC, starting capital 1000. Every expected number in the tests derives from this.

    id  closed (UTC)      gross  fees  net   credit debit  exit         underlying  equity
    t1  01-01 10:00        50     2    +48   100    50     take_profit  BTC         1048
    t2  01-01 14:00       -20     2    -22    80   100     max_loss     BTC         1026
    t3  01-02 10:00         2     2      0    50    48     exit_time    BTC         1026
    t4  01-04 10:00       -40     4    -44    60   100     max_loss     ETH          982
    t5  01-04 12:00        30     2    +28    70    40     take_profit  ETH         1010
    t6  01-05 10:00        60     3    +57    90    30     take_profit  ETH         1067
    totals: gross 82, fees 15, net 67; held 1 h each except t6 (3 h).
    t1 and t2 carry legs (t1: call 30/1 + put 20/1; t2: call -30/1 + put 10/1).
    """
    t1 = TradeRecord.from_legs(
        [leg("call", "30", "1"), leg("put", "20", "1")],
        session_id="t1",
        strategy_id="strat-1",
        strategy_name="BTC daily strangle",
        underlying="BTC",
        opened_at=utc(2025, 1, 1, 9),
        closed_at=utc(2025, 1, 1, 10),
        credit=D(100),
        debit=D(50),
        exit_reason="take_profit",
    )
    t2 = TradeRecord.from_legs(
        [leg("call", "-30", "1"), leg("put", "10", "1")],
        session_id="t2",
        strategy_id="strat-1",
        strategy_name="BTC daily strangle",
        underlying="BTC",
        opened_at=utc(2025, 1, 1, 13),
        closed_at=utc(2025, 1, 1, 14),
        credit=D(80),
        debit=D(100),
        exit_reason="max_loss",
    )
    return [
        t1,
        t2,
        trade("t3", utc(2025, 1, 2, 10), "2", "2", credit="50", debit="48", exit_reason="exit_time"),
        trade(
            "t4",
            utc(2025, 1, 4, 10),
            "-40",
            "4",
            credit="60",
            debit="100",
            exit_reason="max_loss",
            underlying="ETH",
        ),
        trade(
            "t5",
            utc(2025, 1, 4, 12),
            "30",
            "2",
            credit="70",
            debit="40",
            exit_reason="take_profit",
            underlying="ETH",
        ),
        trade(
            "t6",
            utc(2025, 1, 5, 10),
            "60",
            "3",
            credit="90",
            debit="30",
            exit_reason="take_profit",
            underlying="ETH",
            held=timedelta(hours=3),
        ),
    ]

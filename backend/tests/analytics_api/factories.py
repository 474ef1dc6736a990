"""Insert strategies/sessions/legs/orders/fills/events straight through the models (no engine)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from deltaplane.strategy.models import EngineFill, EngineOrder, Leg, SessionEvent, Strategy, TradingSession

D = Decimal
_ids = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def add_strategy(db: AsyncSession, name: str = "BTC strangle") -> Strategy:
    s = Strategy(name=name, version=1, config_json="{}", created_at=utc(2025, 1, 1), updated_at=utc(2025, 1, 1))
    db.add(s)
    await db.flush()
    return s


async def add_session(
    db: AsyncSession,
    strategy: Strategy,
    *,
    closed_at: datetime | None,
    gross: str = "0",
    fees: str = "0",
    credit: str = "0",
    debit: str = "0",
    status: str | None = None,
    exit_reason: str | None = "exit_time",
    underlying: str = "BTC",
    mode: str = "paper",
    held: timedelta = timedelta(hours=6),
    created_at: datetime | None = None,
    session_id: str | None = None,
    with_legs: bool = True,
    events: int = 1,
    config_json: str = "{}",
) -> TradingSession:
    sid = session_id or f"s{next(_ids):06d}"
    opened = (closed_at or utc(2025, 6, 1)) - held
    s = TradingSession(
        id=sid,
        strategy_id=strategy.id,
        strategy_version=1,
        config_json=config_json,
        mode=mode,
        underlying=underlying,
        status=status or ("closed" if closed_at else "open"),
        trading_day=opened.date() if closed_at else date(2025, 6, 1),
        expiry=opened + timedelta(days=1),
        exit_deadline=opened + timedelta(hours=8),
        entry_started_at=opened,
        opened_at=opened,
        closed_at=closed_at,
        exit_reason=exit_reason if closed_at else None,
        credit=D(credit),
        debit=D(debit),
        fees=D(fees),
        gross_pnl=D(gross),
        net_pnl=D(gross) - D(fees),
        created_at=created_at or opened,
    )
    db.add(s)
    await db.flush()
    if with_legs:
        half_fee = D(fees) / 2
        for kind, strike in (("call", D(100000)), ("put", D(80000))):
            symbol = f"{kind[0].upper()}-{underlying}-{strike}-010725"
            # leg gross = (entry - exit) x qty x cv: split the session's credit/debit over the legs
            leg = Leg(session_id=sid, kind=kind, symbol=symbol, strike=strike, contract_value=D(1), target_qty=1,
                      entry_qty=1, entry_price=D(credit) / 2, exit_qty=1 if closed_at else 0,
                      exit_price=D(debit) / 2 if closed_at else None, fees=half_fee,
                      status="closed" if closed_at else "open")  # fmt: skip
            db.add(leg)
            await db.flush()
            order = EngineOrder(session_id=sid, leg_id=leg.id, client_order_id=f"{sid}-{kind}-e", purpose="entry",
                                symbol=symbol, side="sell", order_type="limit", time_in_force="gtc",
                                limit_price=D(credit) / 2, size=1, filled_size=1, avg_fill_price=D(credit) / 2,
                                fees=half_fee, state="closed", created_at=opened, updated_at=opened)  # fmt: skip
            db.add(order)
            await db.flush()
            db.add(EngineFill(order_id=order.id, session_id=sid, exchange_fill_id=f"f-{sid}-{kind}", symbol=symbol,
                              side="sell", size=1, price=D(credit) / 2, fee=half_fee, created_at=opened))  # fmt: skip
    for i in range(events):
        db.add(SessionEvent(strategy_id=strategy.id, session_id=sid, timestamp=opened + timedelta(seconds=i),
                            kind="session_note", level="info", message=f"event {i}", data_json=f'{{"i": {i}}}'))  # fmt: skip
    if closed_at:
        db.add(SessionEvent(strategy_id=strategy.id, session_id=sid, timestamp=closed_at, kind="session_closed",
                            level="info", message=f"closed ({exit_reason})",
                            data_json=f'{{"net_pnl": "{D(gross) - D(fees)}"}}'))  # fmt: skip
    await db.flush()
    return s

"""Seed closed trading sessions for the analytics e2e (run with ../backend/.venv/bin/python).

Usage: seed_sessions.py DATABASE_URL   (the e2e backend's sqlite+aiosqlite URL; the schema must
exist, i.e. the backend has started once, or pass --migrate). Rows are inserted through the
backend's models, like backend/tests/analytics_api/factories.py, for one dedicated strategy
named "E2E analytics seed". Prints {"strategy_id", "net_pnl", "trade_count"} as JSON.

Sessions close 1-4 days before today (12:00 UTC), so "Today" stays empty and 7D/30D contain them
in any timezone. Net = gross - fees: 26 + (-53) + 75 + 19.25 = 67.25.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from deltaplane.strategy.config import StrategyConfig
from deltaplane.strategy.engine import dump_config
from deltaplane.strategy.models import EngineFill, EngineOrder, Leg, SessionEvent, Strategy, StrategyVersion, TradingSession

STRATEGY_NAME = "E2E analytics seed"
D = Decimal

# (days before today, gross, fees, credit, debit, exit_reason, underlying)
ROWS = [
    (4, "30", "4", "60", "30", "take_profit", "BTC"),
    (3, "-50", "3", "55", "105", "stop_loss", "BTC"),
    (2, "80", "5", "90", "10", "exit_time", "ETH"),
    (1, "20.5", "1.25", "40.5", "20", "exit_time", "BTC"),
]


async def seed(url: str) -> dict[str, object]:
    engine = create_async_engine(url, connect_args={"timeout": 15})
    maker = async_sessionmaker(engine, expire_on_commit=False)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    net_total = D(0)
    async with maker() as db, db.begin():
        config = dump_config(StrategyConfig(name=STRATEGY_NAME))  # a valid config: GET /api/strategies parses it
        created = today - timedelta(days=10)
        strategy = Strategy(name=STRATEGY_NAME, version=1, config_json=config, created_at=created, updated_at=created)
        db.add(strategy)
        await db.flush()
        db.add(StrategyVersion(strategy_id=strategy.id, version=1, config_json=config, created_at=created, created_by="e2e-seed"))
        for n, (days, gross, fees, credit, debit, reason, underlying) in enumerate(ROWS, start=1):
            closed = today - timedelta(days=days) + timedelta(hours=12)
            opened = closed - timedelta(hours=6)
            sid = f"e2e-seed-{strategy.id}-{n}"
            net = D(gross) - D(fees)
            net_total += net
            db.add(TradingSession(
                id=sid, strategy_id=strategy.id, strategy_version=1, config_json=config, mode="paper",
                underlying=underlying, status="closed", trading_day=opened.date(), expiry=opened + timedelta(days=1),
                exit_deadline=opened + timedelta(hours=8), entry_started_at=opened, opened_at=opened,
                closed_at=closed, exit_reason=reason, credit=D(credit), debit=D(debit), fees=D(fees),
                gross_pnl=D(gross), net_pnl=net, created_at=opened,
            ))  # fmt: skip
            await db.flush()
            half_fee = D(fees) / 2
            for kind, strike in (("call", D(100000)), ("put", D(80000))):
                symbol = f"{kind[0].upper()}-{underlying}-{strike}-E2E"
                leg = Leg(session_id=sid, kind=kind, symbol=symbol, strike=strike, contract_value=D(1), target_qty=1,
                          entry_qty=1, entry_price=D(credit) / 2, exit_qty=1, exit_price=D(debit) / 2, fees=half_fee,
                          status="closed")  # fmt: skip
                db.add(leg)
                await db.flush()
                order = EngineOrder(session_id=sid, leg_id=leg.id, client_order_id=f"{sid}-{kind}"[-32:], purpose="entry",
                                    symbol=symbol, side="sell", order_type="limit", time_in_force="gtc",
                                    limit_price=D(credit) / 2, size=1, filled_size=1, avg_fill_price=D(credit) / 2,
                                    fees=half_fee, state="closed", created_at=opened, updated_at=opened)  # fmt: skip
                db.add(order)
                await db.flush()
                db.add(EngineFill(order_id=order.id, session_id=sid, exchange_fill_id=f"f-{sid}-{kind}", symbol=symbol,
                                  side="sell", size=1, price=D(credit) / 2, fee=half_fee, created_at=opened))  # fmt: skip
            db.add(SessionEvent(strategy_id=strategy.id, session_id=sid, timestamp=closed, kind="session_closed",
                                level="info", message=f"closed ({reason})", data_json=json.dumps({"net_pnl": str(net)})))  # fmt: skip
        strategy_id = strategy.id
    await engine.dispose()
    return {"strategy_id": strategy_id, "net_pnl": str(net_total), "trade_count": len(ROWS)}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit("usage: seed_sessions.py [--migrate] DATABASE_URL")
    url = args[0]
    if "--migrate" in sys.argv:
        from deltaplane.db.migrate import upgrade_database

        upgrade_database(url)
    print(json.dumps(asyncio.run(seed(url))))


if __name__ == "__main__":
    main()

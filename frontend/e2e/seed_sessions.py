"""Seed closed trading sessions for the analytics e2e (run with ../backend/.venv/bin/python).

Usage: seed_sessions.py DATABASE_URL   (the e2e backend's sqlite+aiosqlite URL; the schema must
exist, i.e. the backend has started once, or pass --migrate). Rows are inserted through the
backend tests' factory (backend/tests/analytics_api/factories.py), for one dedicated strategy
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

from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "backend"))

from deltaplane.strategy.config import StrategyConfig  # noqa: E402
from deltaplane.strategy.engine import dump_config  # noqa: E402
from deltaplane.strategy.models import Strategy, StrategyVersion  # noqa: E402
from tests.analytics_api.factories import add_session  # noqa: E402  (the backend tests' own factory)

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
            net_total += D(gross) - D(fees)
            await add_session(db, strategy, closed_at=closed, gross=gross, fees=fees, credit=credit, debit=debit,
                              exit_reason=reason, underlying=underlying, session_id=f"e2e-seed-{strategy.id}-{n}",
                              events=0, config_json=config)  # fmt: skip
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

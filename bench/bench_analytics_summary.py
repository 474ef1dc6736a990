"""Summary endpoint latency over 100k sessions in a real SQLite file.

Run from the repo root:  backend/.venv/bin/python bench/bench_analytics_summary.py [--sessions N] [--runs N]

Seeds N closed sessions (+2 legs each) into a fresh SQLite file, then calls
GET /api/analytics/summary through the real app (auth, middleware, msgspec encoding):
- cold: first call (ledger load from SQLite + compute)
- recompute: the ledger cached but the summary memo cleared before every call (a new range)
- polling: a moving preset (the dashboard refresh case) — fingerprint query + bisection + memo
The last line is the key figure.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "backend"))  # for tests.conftest helpers

from litestar.testing import AsyncTestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from deltaplane.analytics.controllers import CLOCK_KEY  # noqa: E402
from deltaplane.analytics.queries import ledger_cache  # noqa: E402
from deltaplane.app import create_app  # noqa: E402
from deltaplane.strategy.models import Leg, Strategy, TradingSession  # noqa: E402
from tests.conftest import login, make_settings  # noqa: E402

BASE = datetime(2020, 1, 1, tzinfo=UTC)
NOW = BASE + timedelta(days=2000)


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(0.95 * len(values)) - 1)]


async def seed(app, n: int) -> None:
    maker = app.state.services.sessionmaker
    async with maker() as db:
        for i in range(3):
            db.add(Strategy(name=f"strangle {i}", version=1, config_json="{}"))
        await db.flush()
        batch = 10_000
        for lo in range(0, n, batch):
            sessions, legs = [], []
            for i in range(lo, min(n, lo + batch)):
                closed = BASE + timedelta(minutes=28 * i)
                opened = closed - timedelta(hours=6)
                credit = Decimal(40 + i % 50)
                debit = Decimal(i % 97) / 2
                fees = Decimal("0.70")
                gross = credit - debit
                sid = f"s{i:07d}"
                sessions.append(dict(
                    id=sid, strategy_id=1 + i % 3, strategy_version=1, config_json="{}", mode="paper",
                    underlying="BTC" if i % 2 else "ETH", status="closed", trading_day=date(2020, 1, 1),
                    expiry=closed, exit_deadline=closed, entry_started_at=opened, opened_at=opened, closed_at=closed,
                    exit_reason=("take_profit", "max_loss", "exit_time", "trailing")[i % 4], credit=credit,
                    debit=debit, fees=fees, gross_pnl=gross, net_pnl=gross - fees, created_at=opened,
                ))  # fmt: skip
                for kind in ("call", "put"):
                    legs.append(dict(
                        session_id=sid, kind=kind, symbol=f"{kind}-{i}", strike=Decimal(90000), contract_value=Decimal(1),
                        target_qty=1, entry_qty=1, entry_price=credit / 2, exit_qty=1, exit_price=debit / 2,
                        fees=fees / 2, status="closed",
                    ))  # fmt: skip
            await db.execute(insert(TradingSession), sessions)
            await db.execute(insert(Leg), legs)
        await db.commit()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings(Path(tmp), log_level="WARNING"))  # analytics + sessions routes are built in
        async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
            client.headers.update(await login(client))
            t0 = time.perf_counter()
            await seed(app, args.sessions)
            print(f"seeded {args.sessions:,} sessions + {2 * args.sessions:,} legs in {time.perf_counter() - t0:.1f} s")
            clock = {"now": NOW}
            app.state.services.extras[CLOCK_KEY] = lambda: clock["now"]
            params = {"preset": "all", "tz": "Asia/Kolkata", "starting_capital": "100000"}

            t0 = time.perf_counter()
            r = await client.get("/api/analytics/summary", params=params)
            cold = time.perf_counter() - t0
            assert r.status_code == 200 and r.json()["summary"]["trade_count"] == args.sessions, r.text[:300]
            print(f"cold (ledger load + compute): {cold * 1000:.0f} ms")

            cache = ledger_cache(app.state.services.extras)
            recompute = []
            for _ in range(max(5, args.runs // 4)):
                (await cache.get(app.state.services.read_sessionmaker)).memo.clear()
                t0 = time.perf_counter()
                r = await client.get("/api/analytics/summary", params=params)
                recompute.append(time.perf_counter() - t0)
            print(f"recompute (cached ledger, new range) over {args.sessions:,}: median "
                  f"{statistics.median(recompute) * 1000:.0f} ms, p95 {p95(recompute) * 1000:.0f} ms")  # fmt: skip

            loads_before = cache.loads  # the start-up warm-up may have loaded an earlier ledger already
            polling = []
            for i in range(args.runs):
                clock["now"] = NOW + timedelta(seconds=5 * i)  # the preset end moves every call
                t0 = time.perf_counter()
                r = await client.get("/api/analytics/summary", params=params)
                polling.append(time.perf_counter() - t0)
                assert r.status_code == 200
            assert cache.loads == loads_before, "the ledger was reloaded while nothing changed"
            print(f"SUMMARY ENDPOINT p95 {p95(polling) * 1000:.1f} ms (median {statistics.median(polling) * 1000:.1f} ms, "
                  f"{args.runs} runs, moving preset, {args.sessions:,} sessions; target < 100 ms)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

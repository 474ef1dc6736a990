"""Engine capacity: tick-to-exit-decision latency inside the running engine, and how many paper
strategies one process sustains at 10 ticks/s each.

For N strategies (all entered, legs open) the paper exchange emits 10 ticks/s per symbol on a
real clock; every tick makes the runner evaluate its exit rules (a DB read of the session, the
pure rules, a runtime push). We time each evaluation and count evaluations/s against the
offered rate. "Sustained" = at least 95 % of the offered ticks evaluated and p99 under 100 ms.

Usage: backend/.venv/bin/python bench/bench_engine_capacity.py [--levels 5,10,20,40] [--seconds 8]
Prints the figures per level; the last line is the key figure.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend"))

import httpx  # noqa: E402

from benchlib import pct  # noqa: E402
from deltaplane.app import create_app  # noqa: E402
from deltaplane.exchange.clock import RealClock  # noqa: E402
from deltaplane.settings import Settings  # noqa: E402
from deltaplane.strategy import engine as engine_mod  # noqa: E402


async def run_level(n: int, seconds: float) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="dp-bench-engine-"))
    settings = Settings(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp / 'b.db'}", log_dir=str(tmp / "logs"),
        log_to_stdout=False, serve_spa=False, jwt_secret="b" * 48, initial_admin_password="bench-password-1",
        backend_log_ingest_enabled=False, rate_limit_per_minute=1_000_000, paper_tick_interval=0.1, log_level="WARNING",
    )
    app = create_app(settings)
    app.state.services.extras["clock"] = RealClock(time_scale=1.0)
    durations: list[float] = []
    original = engine_mod.StrategyRunner._evaluate

    async def timed(self, session_id, cfg):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return await original(self, session_id, cfg)
        finally:
            durations.append(time.perf_counter() - started)

    engine_mod.StrategyRunner._evaluate = timed  # type: ignore[method-assign]
    try:
        async with app.lifespan():
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
            async with httpx.AsyncClient(transport=transport, base_url="http://x") as c:
                token = (await c.post("/api/auth/login", json={"username": "admin", "password": "bench-password-1"})).json()["access_token"]
                h = {"Authorization": f"Bearer {token}"}
                await c.put("/api/engine/risk", json={"max_running_strategies": 1000, "max_open_legs": 10_000}, headers=h)
                now = datetime.now(UTC)
                entry = (now + timedelta(minutes=1)).strftime("%H:%M")
                exit_ = (now + timedelta(hours=3)).strftime("%H:%M")
                ids = []
                for i in range(n):
                    body = {"name": f"bench {i}", "underlying": "BTC" if i % 2 else "ETH", "timezone": "UTC", "entry_time": entry,
                            "entry_window_minutes": 30, "exit_time": exit_, "max_loss_pct": "500", "take_profit_pct": "99",
                            "trailing_rules": []}
                    r = await c.post("/api/strategies", json=body, headers=h)
                    ids.append(r.json()["id"])
                # Jump the paper clock to the entry window.
                clock = app.state.services.extras["clock"]
                clock._anchor_sim = clock.now() + timedelta(seconds=61)  # noqa: SLF001 - bench only
                for sid in ids:
                    await c.post(f"/api/strategies/{sid}/actions", json={"action": "start"}, headers=h)
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    states = [(await c.get(f"/api/strategies/{sid}", headers=h)).json()["state"] for sid in ids]
                    if all(s == "open" for s in states):
                        break
                    await asyncio.sleep(0.5)
                final = [(await c.get(f"/api/strategies/{sid}", headers=h)).json()["state"] for sid in ids]
                open_count = sum(1 for s in final if s == "open")
                durations.clear()
                await asyncio.sleep(seconds)
                measured = list(durations)
    finally:
        engine_mod.StrategyRunner._evaluate = original  # type: ignore[method-assign]
    offered = open_count * 2 * 10 * seconds  # two legs, 10 ticks/s each
    return {
        "strategies": n,
        "open": open_count,
        "evaluations": len(measured),
        "offered": offered,
        "ratio": len(measured) / offered if offered else 0.0,
        "p50_ms": pct(measured, 50) * 1000,
        "p99_ms": pct(measured, 99) * 1000,
        "mean_ms": statistics.fmean(measured) * 1000 if measured else float("nan"),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--levels", default="5,10,20,40")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    sustained = 0
    last_ok: dict[str, float] | None = None
    for n in (int(x) for x in args.levels.split(",")):
        r = await run_level(n, args.seconds)
        ok = r["open"] == n and r["ratio"] >= 0.95 and r["p99_ms"] < 100
        print(f"{n:>3} strategies: open {r['open']}, evaluated {r['evaluations']}/{r['offered']:.0f} ticks "
              f"({r['ratio']:.0%}), tick-to-decision p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms -> {'sustained' if ok else 'NOT sustained'}",
              flush=True)
        if ok:
            sustained, last_ok = n, r
        else:
            break
    p99 = last_ok["p99_ms"] if last_ok else float("nan")
    print(f"KEY: sustains {sustained} strategies at 10 ticks/s per leg; in-engine tick-to-decision p99 {p99:.2f} ms (target < 5 ms)")


if __name__ == "__main__":
    asyncio.run(main())

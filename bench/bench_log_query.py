"""Benchmark: log query p95 over N rows (default 5M) for level+time, correlation_id, full-text.

    backend/.venv/bin/python bench/bench_log_query.py [--rows 5000000] [--runs 50]

Rows are generated with sqlite3 executemany (FTS maintained the same way the tailer does);
queries go through deltaplane.logs.query.fetch_page on the app's async engine. The key figure
(worst p95 in ms) is printed LAST.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

from deltaplane.db.engine import create_engine
from deltaplane.db.migrate import upgrade_database
from deltaplane.logs.query import build_filter, fetch_page
from deltaplane.logs.store import SqliteLogWriter

BASE = datetime(2026, 1, 1, tzinfo=UTC)
LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR")


def generate(db: Path, rows: int, span_days: int = 7) -> None:
    writer = SqliteLogWriter(str(db))
    step = span_days * 86400 / rows
    batch = []
    for i in range(rows):
        ts = BASE + timedelta(seconds=i * step)
        batch.append({
            "timestamp": ts, "level": LEVELS[i % 6], "logger": f"deltaplane.{('engine', 'http', 'market')[i % 3]}",
            "event": ("order_placed", "quote", "http_request")[i % 3],
            "message": f"order {i} leg {'CP'[i % 2]} strike {90000 + i % 40 * 500}" + (" margin_rejected" if i % 5000 == 0 else ""),
            "correlation_id": f"{i // 20:016x}", "request_id": None, "strategy_id": str(i % 3) if i % 2 else None,
            "session_id": None, "source": "backend", "payload": f'{{"qty":{i % 7}}}', "ingested_at": ts,
        })  # fmt: skip
        if len(batch) == 20_000:
            writer.insert(batch)
            batch = []
    if batch:
        writer.insert(batch)
    writer.conn.execute("PRAGMA optimize")
    writer.close()


async def measure(db_url: str, rows: int, runs: int) -> dict[str, float]:
    engine = create_engine(db_url)
    rng = random.Random(1)
    span = timedelta(days=7)
    cases = {
        "level+time (ERROR, 1h window)": lambda: build_filter(
            level=["ERROR"], start=(s := BASE + span * rng.random()).isoformat(), end=(s + timedelta(hours=1)).isoformat()
        ),
        "correlation_id": lambda: build_filter(correlation_id=f"{rng.randrange(rows // 20):016x}"),
        "full-text term": lambda: build_filter(q="margin_rejected"),
    }
    out = {}
    ro = engine.execution_options(readonly=True)
    for name, make in cases.items():
        times = []
        for _ in range(runs):
            f = make()
            t0 = time.perf_counter()
            async with ro.connect() as conn:
                await fetch_page(conn, f, limit=200)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = statistics.quantiles(times, n=20)[18]
        print(f"{name}: p50 {statistics.median(times):.2f} ms, p95 {out[name]:.2f} ms")
    await engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{db}"
        upgrade_database(url)
        t0 = time.perf_counter()
        generate(db, args.rows)
        print(f"generated {args.rows} rows in {time.perf_counter() - t0:.1f}s")
        p95 = asyncio.run(measure(url, args.rows, args.runs))
        print(f"worst query p95 ms {max(p95.values()):.2f}")


if __name__ == "__main__":
    main()

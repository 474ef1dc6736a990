"""Benchmark: tail a JSON-lines log file into SQLite (FTS5 on) with BackendLogTailService.

    backend/.venv/bin/python bench/bench_log_ingest.py [--lines 1000000] [--batch-size 2000]

Writes realistic lines (the shape core/logging.py emits) to a temp file, builds the schema with
Alembic, ingests the file with poll_once() until caught up, verifies the row count and prints
figures; the key figure, lines/s, is printed LAST.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

import msgspec
from deltaplane.db.migrate import upgrade_database
from deltaplane.logs.tail import BackendLogTailService

LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR")
EVENTS = ("order_placed", "order_filled", "quote_received", "leg_checked", "http_request", "trail_updated")


def write_log(path: Path, lines: int) -> int:
    enc = msgspec.json.Encoder()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    written = 0
    with open(path, "wb", buffering=8 * 1024 * 1024) as fh:
        for i in range(lines):
            ts = (base + timedelta(microseconds=i * 1500)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            rec = {
                "timestamp": ts,
                "level": LEVELS[i % len(LEVELS)],
                "logger": f"deltaplane.engine.{('runner', 'orders', 'market', 'http')[i % 4]}",
                "event": EVENTS[i % len(EVENTS)],
                "message": f"order {i} BTC-{90000 + (i % 40) * 500}-C qty {i % 7 + 1} at {100 + i % 250}.5",
                "correlation_id": f"{i // 20:032x}",
                "request_id": None,
                "strategy_id": str(i % 3 + 1) if i % 2 else None,
                "session_id": f"s{i // 5000}" if i % 2 else None,
                "symbol": f"C-BTC-{90000 + (i % 40) * 500}",
                "qty": i % 7 + 1,
            }
            if i % 997 == 0:
                fh.write(b"Traceback (most recent call last): not json at all\n")
            else:
                fh.write(enc.encode(rec) + b"\n")
            written += 1
    return written


async def ingest(log: Path, db_url: str, batch_size: int) -> tuple[int, float]:
    tail = BackendLogTailService(path=log, database_url=db_url, batch_size=batch_size, max_batches_per_poll=10_000)
    t0 = time.perf_counter()
    total = 0
    for _ in range(1_000_000):
        n = await tail.poll_once()
        total += n
        if n == 0:
            break
    elapsed = time.perf_counter() - t0
    await tail.stop()
    return total, elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        log = Path(tmp) / "backend.log"
        db = Path(tmp) / "bench.db"
        db_url = f"sqlite+aiosqlite:///{db}"
        t0 = time.perf_counter()
        upgrade_database(db_url)
        n = write_log(log, args.lines)
        size = log.stat().st_size
        print(f"generated {n} lines, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f}s")
        total, elapsed = asyncio.run(ingest(log, db_url, args.batch_size))
        rows = sqlite3.connect(db).execute("SELECT count(*) FROM backend_logs").fetchone()[0]
        fts = sqlite3.connect(db).execute("SELECT count(*) FROM backend_logs_fts WHERE backend_logs_fts MATCH 'order'").fetchone()[0]
        assert rows == n == total, (rows, n, total)
        print(f"rows stored {rows} (fts rows matching 'order': {fts}), batch size {args.batch_size}")
        print(f"ingest time {elapsed:.2f}s, {size / 1e6 / elapsed:.1f} MB/s")
        print(f"lines/s {total / elapsed:,.0f}")


if __name__ == "__main__":
    main()

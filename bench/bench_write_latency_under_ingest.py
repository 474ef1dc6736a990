"""Benchmark: how long an app write (a trading write) waits while logs are ingested flat out.

    backend/.venv/bin/python bench/bench_write_latency_under_ingest.py [--lines 400000] [--seconds 8]

SQLite has one write lock. The ingest child (logs/ingest_process.py, the production path) holds
it for one batch at a time; an app write goes through the app's real engine (db/engine.py:
BEGIN IMMEDIATE behind WRITER_PRIORITY) at 100 writes/s, each a one-row UPDATE, and its latency
is measured from `engine.begin()` to the end of COMMIT. Three runs on fresh copies of the same
database and the same log file:

  idle          nothing to ingest: the baseline;
  busy handler  ingesting, the app writer does not wait on the tailer's `holder` flag
                (HANDOFF_TIMEOUT_S = 0): it sleeps through SQLite's busy-handler back-off,
                which is how it worked before the flag;
  hand-off      ingesting, as shipped: the app writer polls the flag and goes for the lock as
                the tailer's batch commits.

Only writes made while the tailer is behind count. The key figure, app write p99 during
full-speed ingestion with the hand-off, is printed LAST.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

import sqlalchemy as sa
from bench_log_ingest import write_log
from benchlib import pct
from deltaplane.db.engine import WriterPriority, create_engine, create_sessionmaker
from deltaplane.db.migrate import upgrade_database
from deltaplane.logs.ingest_process import LogIngestProcess, TailerConfig

WRITE_INTERVAL_S = 0.01


async def measure(db: Path, log: Path | None, seconds: float) -> tuple[list[float], float]:
    """App write latencies (s) while `log` is ingested (None: nothing to ingest), and lines/s."""
    url = f"sqlite+aiosqlite:///{db}"
    engine = create_engine(url)
    handle = None
    if log is not None:
        config = TailerConfig(
            path=str(log), database_url=url, batch_size=500, poll_interval=0.05, busy_timeout_ms=5000,
            log_level="WARNING", log_file=str(db.parent / "child.log"), log_to_stdout=False,
        )  # fmt: skip
        handle = LogIngestProcess(config, create_sessionmaker(engine, readonly=True))
        await handle.start()
        deadline = time.monotonic() + 60
        while not handle.stats().get("lines_ingested") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # polling the child's stats until it is under way
    latencies: list[float] = []
    started = time.monotonic()
    lines_at_start = handle.stats()["lines_ingested"] if handle else 0
    try:
        while time.monotonic() - started < seconds:
            if handle is not None and handle.stats()["lag_bytes"] == 0:
                break  # caught up: later writes would not be "during ingestion"
            t0 = time.perf_counter()
            async with engine.begin() as conn:
                await conn.execute(sa.text("UPDATE bench_k SET v = v + 1 WHERE id = 1"))
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(WRITE_INTERVAL_S)  # the write rate, not synchronisation
        elapsed = time.monotonic() - started
        rate = ((handle.stats()["lines_ingested"] - lines_at_start) / elapsed) if handle else 0.0
    finally:
        if handle is not None:
            await handle.stop()
        await engine.dispose()
    return latencies, rate


def report(name: str, latencies: list[float], rate: float) -> float:
    ms = [x * 1000 for x in latencies]
    p99 = pct(ms, 99)
    print(
        f"{name:13s} writes {len(ms):4d}  p50 {pct(ms, 50):5.1f} ms  p99 {p99:5.1f} ms  max {max(ms):5.1f} ms"
        + (f"  ingesting {rate:,.0f} lines/s" if rate else ""),
        flush=True,
    )
    return p99


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=400_000)
    ap.add_argument("--seconds", type=float, default=8.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        template = tmp / "template.db"
        upgrade_database(f"sqlite+aiosqlite:///{template}")
        conn = sqlite3.connect(template, isolation_level=None)
        conn.execute("CREATE TABLE bench_k (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        conn.execute("INSERT INTO bench_k VALUES (1, 0)")
        conn.close()  # the last connection: checkpoints the WAL, so copying the file copies it all
        log = tmp / "backend.log"
        write_log(log, args.lines)
        figures = {}
        handoff = WriterPriority.HANDOFF_TIMEOUT_S
        for name, ingest, timeout in (("idle", False, handoff), ("busy handler", True, 0.0), ("hand-off", True, handoff)):
            run_dir = tmp / name.replace(" ", "-")
            run_dir.mkdir()
            db = run_dir / "app.db"
            shutil.copy(template, db)
            run_log = None
            if ingest:
                run_log = run_dir / "backend.log"
                shutil.copy(log, run_log)
            WriterPriority.HANDOFF_TIMEOUT_S = timeout
            latencies, rate = asyncio.run(measure(db, run_log, args.seconds))
            figures[name] = report(name, latencies, rate)
        WriterPriority.HANDOFF_TIMEOUT_S = handoff
        print(
            f"app write p99 during full-speed ingestion: {figures['hand-off']:.1f} ms "
            f"(busy handler alone {figures['busy handler']:.1f} ms, idle {figures['idle']:.1f} ms)"
        )


if __name__ == "__main__":
    main()

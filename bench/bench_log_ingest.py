"""Benchmark: tail a JSON-lines log file into SQLite (FTS5 on) with BackendLogTailService.

    backend/.venv/bin/python bench/bench_log_ingest.py [--lines 1000000] [--batch-size 2000]

Writes realistic lines (the shape core/logging.py emits) to a temp file, builds the schema with
Alembic, ingests the file with poll_once() until caught up, verifies the row count and prints
figures; the key figure, lines/s, is printed LAST.

Before that it prints where the time goes, measured on the same lines in the same run:

* parsing alone (`parsing.line_values`);
* the SQLite writer alone (`SqliteLogWriter.insert` of already parsed rows into a fresh
  database, with and without the FTS index);
* SQLite's own floor: the same rows moved by `INSERT ... SELECT` from an in-memory staging
  table into the migrated schema, so no Python runs per row. At the tailer's batch size it is
  measured three times (table only, + the eight indexes, + FTS5) to show what each part costs,
  with CPU time next to wall time (equal: the disk is not the limit). It is also measured at
  20,000 rows per transaction (fewer page rewrites per row; the best case, though it would hold
  the write lock far too long for trading writes);
* SQLite's floor when the indexes are not maintained row by row but built in bulk after the rows
  are in (`CREATE INDEX` and an FTS `rebuild`), which is what a store of immutable segments
  indexed once full would pay at best;
* two bounds that follow. The ideal one: every core doing nothing but parsing and SQLite's
  20,000-row floor, with no Python binding, no file reading and no API; no arrangement of
  processes or database files can ingest faster with this schema on this machine. The practical
  one: every core running our parser and writer at the tailer's batch size, which is what a
  store split over one database file per core would get at most.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


def staged_writer(values: list[tuple], db: Path, *, indexes: bool, fts: bool) -> tuple[Any, list[str]]:
    """A migrated database with the tailer's connection settings (WAL, cache, ...), without the
    eight indexes or the FTS index when asked, and `values` staged in an attached in-memory table
    `staging.rows` (not timed). Returns the writer and the dropped indexes' CREATE statements."""
    from deltaplane.logs.store import COLUMNS, SqliteLogWriter

    upgrade_database(f"sqlite+aiosqlite:///{db}")
    writer = SqliteLogWriter(str(db))
    conn = writer.conn
    if not fts:
        drop_fts(conn)
    dropped: list[str] = []
    if not indexes:
        found = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'backend_logs' AND sql IS NOT NULL"
        for name, sql in conn.execute(found).fetchall():
            conn.execute(f"DROP INDEX {name}")
            dropped.append(sql)
    cols = ", ".join(COLUMNS)
    conn.execute("ATTACH ':memory:' AS staging")
    conn.execute(f"CREATE TABLE staging.rows (id INTEGER PRIMARY KEY, {cols})")
    conn.executemany(f"INSERT INTO staging.rows ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})", values)
    return writer, dropped


def sqlite_floor(values: list[tuple], tmp: Path, batch_size: int, *, indexes: bool = True, fts: bool = True) -> tuple[float, float]:
    """(wall, CPU) seconds per row SQLite itself spends storing `values` (table, + the eight
    indexes, + FTS5), with no Python per row: rows are staged in an attached in-memory table
    first (not timed). CPU close to wall means the disk is not what limits it."""
    from deltaplane.logs.store import _FTS_SQL, COLUMNS

    writer, _ = staged_writer(values, tmp / f"floor-{batch_size}-{indexes}-{fts}.db", indexes=indexes, fts=fts)
    conn = writer.conn
    cols = ", ".join(COLUMNS)
    t0, c0 = time.perf_counter(), time.process_time()
    for first in range(1, len(values) + 1, batch_size):
        last = min(first + batch_size - 1, len(values))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"INSERT INTO main.backend_logs (id, {cols}) SELECT id, {cols} FROM staging.rows WHERE id BETWEEN ? AND ?",
            (first, last),
        )
        if fts:
            conn.execute(_FTS_SQL, (first, last))
        conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    stored = conn.execute("SELECT count(*) FROM main.backend_logs").fetchone()[0]
    writer.close()
    assert stored == len(values), (stored, len(values))
    return elapsed / len(values), cpu / len(values)


def bulk_build_floor(values: list[tuple], tmp: Path) -> float:
    """Seconds of CPU per row to store `values` in the migrated table without its indexes, then
    build the eight indexes and the FTS index in one go (no Python per row: staged first)."""
    from deltaplane.logs.store import COLUMNS

    writer, index_sql = staged_writer(values, tmp / "bulk.db", indexes=False, fts=True)
    conn = writer.conn
    cols = ", ".join(COLUMNS)
    c0 = time.process_time()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(f"INSERT INTO main.backend_logs (id, {cols}) SELECT id, {cols} FROM staging.rows")
    for sql in index_sql:
        conn.execute(sql)
    conn.execute("INSERT INTO backend_logs_fts (backend_logs_fts) VALUES ('rebuild')")
    conn.execute("COMMIT")
    cpu = time.process_time() - c0
    assert len(index_sql) == 8, index_sql
    writer.close()
    return cpu / len(values)


def drop_fts(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE backend_logs_fts")
    conn.execute("DROP TRIGGER IF EXISTS backend_logs_ad")
    conn.execute("DROP TRIGGER IF EXISTS backend_logs_au")


def stage_rates(log: Path, tmp: Path, batch_size: int) -> None:
    """Parse-only, writer-only and SQLite-floor rates over (a prefix of) the same lines."""
    from deltaplane.logs.parsing import db_timestamp, line_values
    from deltaplane.logs.store import SqliteLogWriter

    lines = log.read_bytes().split(b"\n")[:200_000]
    lines = [line for line in lines if line.strip()]
    now = datetime.now(UTC)
    ingested = db_timestamp(now)
    t0 = time.perf_counter()
    values = [line_values(line, now, ingested) for line in lines]
    parse = len(lines) / (time.perf_counter() - t0)
    rates = {}
    for fts in (False, True):
        db = tmp / f"stage-{fts}.db"
        upgrade_database(f"sqlite+aiosqlite:///{db}")
        writer = SqliteLogWriter(str(db))
        if not fts:
            drop_fts(writer.conn)
            writer.has_fts = False
        t0 = time.perf_counter()
        for start in range(0, len(values), batch_size):
            writer.insert(values[start : start + batch_size])
        rates[fts] = len(values) / (time.perf_counter() - t0)
        writer.close()
    print(f"stage: parse only {parse:,.0f} lines/s ({1e6 / parse:.1f} us/line)")
    print(f"stage: SQLite writer only, table + 8 indexes {rates[False]:,.0f} rows/s ({1e6 / rates[False]:.1f} us/row)")
    print(f"stage: SQLite writer only, + FTS5 {rates[True]:,.0f} rows/s ({1e6 / rates[True]:.1f} us/row)")
    parts = {"table only": (False, False), "+ 8 indexes": (True, False), "+ FTS5": (True, True)}
    for label, (indexes, fts) in parts.items():
        wall, cpu = sqlite_floor(values, tmp, batch_size, indexes=indexes, fts=fts)
        print(f"stage: SQLite's own floor, {batch_size} rows per transaction, {label}: "
              f"{1 / wall:,.0f} rows/s ({wall * 1e6:.1f} us/row wall, {cpu * 1e6:.1f} us/row CPU)")
    big, _ = sqlite_floor(values, tmp, 20_000)
    print(f"stage: SQLite's own floor, 20000 rows per transaction (holds the write lock ~{big * 20_000 * 1e3:.0f} ms): "
          f"{1 / big:,.0f} rows/s ({big * 1e6:.1f} us/row)")
    bulk = bulk_build_floor(values, tmp)
    print(f"stage: SQLite's own floor, rows first then the 8 indexes + FTS5 built in bulk: "
          f"{1 / bulk:,.0f} rows/s ({bulk * 1e6:.1f} us/row CPU)")
    cores = len(os.sched_getaffinity(0))
    ideal = 1 / parse + big
    ours = 1 / parse + 1 / rates[True]
    print(f"bound: {cores} cores doing only parsing + SQLite's 20000-row floor ({ideal * 1e6:.1f} us/line of CPU): "
          f"{cores / ideal:,.0f} lines/s, with no Python binding and no CPU left for anything else")
    print(f"bound: {cores} cores each running this parser + writer at {batch_size} rows per transaction, e.g. one "
          f"process per database file ({ours * 1e6:.1f} us/line): {cores / ours:,.0f} lines/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=500)
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
        stage_rates(log, Path(tmp), args.batch_size)
        total, elapsed = asyncio.run(ingest(log, db_url, args.batch_size))
        rows = sqlite3.connect(db).execute("SELECT count(*) FROM backend_logs").fetchone()[0]
        fts = sqlite3.connect(db).execute("SELECT count(*) FROM backend_logs_fts WHERE backend_logs_fts MATCH 'order'").fetchone()[0]
        assert rows == n == total, (rows, n, total)
        print(f"rows stored {rows} (fts rows matching 'order': {fts}), batch size {args.batch_size}")
        print(f"ingest time {elapsed:.2f}s, {size / 1e6 / elapsed:.1f} MB/s")
        print(f"lines/s {total / elapsed:,.0f}")


if __name__ == "__main__":
    main()

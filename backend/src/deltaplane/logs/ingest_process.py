"""Run the log tailer in a child process (the default on SQLite).

Why: tailing at full speed is CPU-bound Python (read, parse) plus SQLite inserts. In the API's
process it competes with request handling and the strategy engine for the GIL, and the API's
p99 latency grew several-fold while a backlog was ingested (bench/bench_log_ingest_api.py). In a
child process it runs on its own core and the API only pays for SQLite's write lock, which the
tailer yields to the app's writers (db.engine.WRITER_PRIORITY lives in shared memory: the app's
writers go first, and one arriving mid-batch takes the lock as soon as the batch commits).

What stays the same: `BackendLogTailService` does the work, with its exactly-once checkpoint;
the parent keeps the same surface (`listeners`, `publish`, `stats`, `start`, `stop`) so the API,
the live tail and readiness do not care where ingestion runs.

Protocol (child -> parent, one pipe): `("batch", first_id, count)` after every commit and
`("stats", {...})` at most every STATS_INTERVAL s. The parent fetches committed rows by id only
while someone watches the live tail. The child dies with the parent (PR_SET_PDEATHSIG), so a
kill -9 of the API never leaves an orphan tailer behind; if one survived anyway, the checkpoint
compare-and-set in SqliteLogWriter keeps the two from storing a line twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from deltaplane.core.logging import configure_logging
from deltaplane.db.engine import WRITER_PRIORITY, WriterPriority
from deltaplane.logs.fanout import RowFanout
from deltaplane.logs.parsing import row_for_api
from deltaplane.logs.store import backend_logs
from deltaplane.logs.tail import BackendLogTailService

logger = logging.getLogger("deltaplane.logs.ingest")

STATS_INTERVAL = 0.25
RESTART_DELAY = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class TailerConfig:
    path: str
    database_url: str
    batch_size: int
    poll_interval: float
    busy_timeout_ms: int
    log_level: str
    log_file: str
    log_to_stdout: bool


# -- child ----------------------------------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def child_main(config: TailerConfig, conn: Connection, stop: Any, parent_pid: int, priority: tuple[Any, Any]) -> None:
    """Entry point of the ingest process (multiprocessing 'spawn')."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops us
    configure_logging(level=config.log_level, log_file=Path(config.log_file), to_stdout=config.log_to_stdout)
    asyncio.run(_child_loop(config, conn, stop, parent_pid, WriterPriority(*priority)))


async def _child_loop(config: TailerConfig, conn: Connection, stop: Any, parent_pid: int, priority: WriterPriority) -> None:
    tail = BackendLogTailService(
        path=config.path,
        database_url=config.database_url,
        batch_size=config.batch_size,
        poll_interval=config.poll_interval,
        busy_timeout_ms=config.busy_timeout_ms,
        use_sqlite_fast_path=True,
        writer_priority=priority,
    )
    last_stats = 0.0

    def send(message: tuple[Any, ...]) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, OSError):
            os._exit(0)  # the parent is gone

    def send_stats(force: bool = False) -> None:
        nonlocal last_stats
        now = time.monotonic()
        if force or now - last_stats >= STATS_INTERVAL:
            last_stats = now
            send(("stats", tail.stats()))

    def on_commit(first_id: int, count: int) -> None:
        send(("batch", first_id, count))
        send_stats()

    tail.on_commit = on_commit
    await tail.start()
    try:
        while not stop.is_set() and os.getppid() == parent_pid:
            send_stats(force=True)
            await asyncio.sleep(STATS_INTERVAL)  # a heartbeat timer; the tailer runs on its own task
    finally:
        await tail.stop()
        with contextlib.suppress(Exception):
            send(("stats", tail.stats()))


# -- parent ---------------------------------------------------------------------------------------
class LogIngestProcess(RowFanout):
    """The API-side handle of the ingest process: same surface as BackendLogTailService."""

    def __init__(self, config: TailerConfig, read_sessionmaker: async_sessionmaker) -> None:
        super().__init__()
        self.config = config
        self.path = config.path
        self.read_sessionmaker = read_sessionmaker
        self._ctx = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._conn: Connection | None = None
        self._stop = self._ctx.Event()
        self._stopping = False
        self._stats: dict[str, Any] = {}
        self._fetches: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
        self._fetcher: asyncio.Task[None] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._exited: asyncio.Event | None = None
        self.restarts = 0
        self.last_exit: str | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def start(self) -> None:
        self._stopping = False
        self._stop.clear()
        self._fetcher = asyncio.create_task(self._fetch_loop(), name="log-ingest-fetch")
        self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(), name="log-ingest-supervisor")

    def _spawn(self) -> None:
        reader, writer = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=child_main,
            args=(self.config, writer, self._stop, os.getpid(), WRITER_PRIORITY.shared()), name="deltaplane-log-ingest", daemon=True
        )
        process.start()
        writer.close()  # the child holds the write end; EOF here means it is gone
        self._process, self._conn = process, reader
        self._exited = asyncio.Event()
        asyncio.get_running_loop().add_reader(reader.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while conn.poll():
                message = conn.recv()
                if message[0] == "batch":
                    self._on_batch(message[1], message[2])
                elif message[0] == "stats":
                    self._stats = message[1]
        except (EOFError, OSError):
            self._detach()

    def _detach(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._conn.fileno())
            self._conn.close()
            self._conn = None
        if self._exited is not None:
            self._exited.set()

    def _on_batch(self, first_id: int, count: int) -> None:
        if self.listeners:
            self._fetches.put_nowait((first_id, count))

    async def _fetch_loop(self) -> None:
        """Rows for the live tail, in commit order, read back only if someone is watching."""
        while True:
            first_id, count = await self._fetches.get()
            try:
                rows: list[dict[str, Any]] = []
                if any(self._listener_wants(listener) for listener in self.listeners):
                    async with self.read_sessionmaker() as session:
                        result = await session.execute(
                            sa.select(*backend_logs.c)
                            .where(backend_logs.c.id.between(first_id, first_id + count - 1))
                            .order_by(backend_logs.c.id)
                        )
                        rows = [row_for_api(dict(r._mapping)) for r in result]
                self.publish(lambda rows=rows: rows, count)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("live tail fetch failed", extra={"event": "log_ingest_fetch_failed"})

    async def _supervise(self) -> None:
        """Restart the child if it dies while the app runs (a crash must not end ingestion)."""
        while not self._stopping:
            assert self._exited is not None
            await self._exited.wait()
            process = self._process
            await asyncio.to_thread(process.join, 5)
            WRITER_PRIORITY.release_dead_holder(process.pid)  # killed mid-batch: app writers must not wait on it
            if self._stopping:
                return
            self.restarts += 1
            self.last_exit = f"ingest process exited with code {process.exitcode}"
            logger.error(
                "log ingest process exited; restarting it",
                extra={"event": "log_ingest_process_exited", "exitcode": process.exitcode, "restarts": self.restarts},
            )
            await asyncio.sleep(RESTART_DELAY)  # back-off before restarting, not synchronisation
            if not self._stopping:
                self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        process = self._process
        if process is not None:
            await asyncio.to_thread(process.join, 30)
            if process.is_alive():
                process.kill()
                await asyncio.to_thread(process.join, 5)
            WRITER_PRIORITY.release_dead_holder(process.pid)
        if self._conn is not None:
            self._on_readable_final()
        if self._fetcher is not None:
            self._fetcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetcher

    def _on_readable_final(self) -> None:
        conn = self._conn
        with contextlib.suppress(Exception):
            while conn is not None and conn.poll():
                message = conn.recv()
                if message[0] == "stats":
                    self._stats = message[1]
        self._detach()

    def stats(self) -> dict[str, Any]:
        stats = {
            "path": self.path,
            "lines_ingested": 0,
            "lines_per_second": 0.0,
            "lag_bytes": 0,
            "lag_seconds": 0.0,
            "offset": 0,
            "last_line_timestamp": None,
            "last_error": None,
            **self._stats,
        }
        stats["running"] = self.running
        stats["pid"] = self.pid
        stats["restarts"] = self.restarts
        if not self.running and not self._stopping:
            stats["last_error"] = stats.get("last_error") or self.last_exit or "ingest process is not running"
        return stats


__all__ = ["LogIngestProcess", "TailerConfig", "child_main"]

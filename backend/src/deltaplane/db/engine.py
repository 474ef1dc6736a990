"""Database engine construction.

SQLite is the embedded default, so the engine is tuned for a single process with
several concurrent writers (request handlers, the strategy engine, the log tailer):
WAL for readers-don't-block-writers, busy_timeout so a writer waits instead of failing,
foreign keys on, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front
(a deferred read->write upgrade fails at once with SQLITE_BUSY, ignoring busy_timeout).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


class WriterPriority:
    """Writers that serve users or trade go before the log tailer.

    SQLite has one write lock and no queue: a writer that finds it taken sleeps in the busy
    handler (1, 2, 5, 10 ... 100 ms) and retries, so a tailer committing batch after batch would
    keep winning and a trading write could wait hundreds of ms. Two flags in shared memory fix
    the order instead:

    * `waiting`: app writers waiting for the lock. Every `BEGIN IMMEDIATE` of the app's engine
      counts itself in; the tailer checks before each batch and holds back (bounded, so ingestion
      is never starved) while anyone waits.
    * `holder`: the pid of the tailer while it holds the write lock (cleared just before its
      COMMIT). An app writer that arrives mid-batch polls it and goes for the lock as the batch
      commits, rather than sleeping through SQLite's back-off steps (1, 3, 8, 18, 33, 53 ms
      cumulated). Behind full-speed ingestion an app write's p99 went from 35 to 29 ms
      (bench/bench_write_latency_under_ingest.py; idle: 2 ms).

    Each flag has one writing process (`waiting` the app, behind a thread lock; `holder` the
    tailer, and the supervisor clears it when the tailer dies), and waiting is by polling, so no
    lock is shared across processes: a tailer killed at any instant cannot leave the app's
    writers blocked. A lost race only means both go to SQLite's busy handler, as without this.

    The ingest child gets `shared()` and rebuilds it there with `WriterPriority(*shared)`.
    """

    #: longest an app writer waits for the tailer's batch before leaving it to the busy handler
    HANDOFF_TIMEOUT_S = 0.25
    _POLL_S = 0.0005

    def __init__(self, waiting: Any = None, holder: Any = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._waiting = waiting if waiting is not None else ctx.RawValue("i", 0)
        self._holder = holder if holder is not None else ctx.RawValue("i", 0)
        self._local = threading.Lock()  # the app's threads update `waiting` one at a time

    def shared(self) -> tuple[Any, Any]:
        return self._waiting, self._holder

    @property
    def waiting(self) -> int:
        return int(self._waiting.value)

    @property
    def holder(self) -> int:
        return int(self._holder.value)

    @contextmanager
    def waiting_for_lock(self) -> Iterator[None]:
        """App side, around `BEGIN IMMEDIATE`."""
        with self._local:
            self._waiting.value += 1
        try:
            self._wait_for(lambda: not self._holder.value, self.HANDOFF_TIMEOUT_S)
            yield
        finally:
            with self._local:
                self._waiting.value -= 1

    def wait_until_clear(self, timeout: float) -> bool:
        """Tailer side, before a batch: block until no app writer waits (True) or `timeout` passes."""
        return self._wait_for(lambda: not self._waiting.value, timeout)

    @contextmanager
    def holding_lock(self) -> Iterator[None]:
        """Tailer side, from the moment it holds the write lock until just before COMMIT (or the failure)."""
        self._holder.value = os.getpid()
        try:
            yield
        finally:
            self._holder.value = 0

    def release_dead_holder(self, pid: int | None) -> None:
        """The tailer process `pid` is gone: it holds nothing any more."""
        if pid and self._holder.value == pid:
            self._holder.value = 0

    @classmethod
    def _wait_for(cls, done: Callable[[], bool], timeout: float) -> bool:
        if done():  # the common case: nobody in the way
            return True
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() >= deadline:
                return False
            time.sleep(cls._POLL_S)
        return True


#: one per process: the app's engines and the log tailer's sqlite3 connection share it.
WRITER_PRIORITY = WriterPriority()


def install_sqlite_pragmas(sync_engine: Any, busy_timeout_ms: int = 5000) -> None:
    """Attach the connect/begin hooks that give SQLite the behaviour described above."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from the driver so our BEGIN is the one used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Read-only work (engine.execution_options(readonly=True)) keeps a deferred BEGIN so
        # readers never queue behind the write lock; everything else locks up front.
        if conn.get_execution_options().get("readonly"):
            conn.exec_driver_sql("BEGIN")
            return
        with WRITER_PRIORITY.waiting_for_lock():
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(database_url: str, *, busy_timeout_ms: int = 5000, echo: bool = False) -> AsyncEngine:
    ensure_sqlite_dir(database_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if database_url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000}
    engine = create_async_engine(database_url, **kwargs)
    if engine.dialect.name == "sqlite":
        install_sqlite_pragmas(engine.sync_engine, busy_timeout_ms)
    return engine


def create_sessionmaker(engine: AsyncEngine, *, readonly: bool = False) -> async_sessionmaker:
    bind = engine.execution_options(readonly=True) if readonly else engine
    return async_sessionmaker(bind, expire_on_commit=False)

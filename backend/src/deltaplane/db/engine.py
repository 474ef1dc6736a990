"""Database engine construction.

SQLite is the embedded default, so the engine is tuned for a single process with
several concurrent writers (request handlers, the strategy engine, the log tailer):
WAL for readers-don't-block-writers, busy_timeout so a writer waits instead of failing,
foreign keys on, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front
(a deferred read->write upgrade fails at once with SQLITE_BUSY, ignoring busy_timeout).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
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
    keep winning and a trading write could wait hundreds of ms. Every `BEGIN IMMEDIATE` of the
    app's engine registers here while it waits for the lock; the tailer checks before each batch
    and holds back (bounded, so ingestion is never starved) while anyone is waiting.

    Built on multiprocessing primitives so the ingest child process can share it: pass
    `shared()` to the child and rebuild it there with `WriterPriority(*shared)`.
    """

    def __init__(self, cond: Any = None, waiting: Any = None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._cond = cond if cond is not None else ctx.Condition()
        self._waiting = waiting if waiting is not None else ctx.RawValue("i", 0)

    def shared(self) -> tuple[Any, Any]:
        return self._cond, self._waiting

    @contextmanager
    def waiting_for_lock(self) -> Iterator[None]:
        with self._cond:
            self._waiting.value += 1
        try:
            yield
        finally:
            with self._cond:
                self._waiting.value -= 1
                if not self._waiting.value:
                    self._cond.notify_all()

    @property
    def waiting(self) -> int:
        return int(self._waiting.value)

    def wait_until_clear(self, timeout: float) -> bool:
        """Block until no writer waits (True) or `timeout` seconds pass (False)."""
        if not self._waiting.value:  # the common case: no lock round-trip
            return True
        with self._cond:
            return bool(self._cond.wait_for(lambda: not self._waiting.value, timeout))


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

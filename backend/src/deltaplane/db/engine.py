"""Database engine construction.

SQLite is the embedded default, so the engine is tuned for a single process with
several concurrent writers (request handlers, the strategy engine, the log tailer):
WAL for readers-don't-block-writers, busy_timeout so a writer waits instead of failing,
foreign keys on, and `BEGIN IMMEDIATE` so a transaction takes the write lock up front
(a deferred read->write upgrade fails at once with SQLITE_BUSY, ignoring busy_timeout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def ensure_sqlite_dir(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


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
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")


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

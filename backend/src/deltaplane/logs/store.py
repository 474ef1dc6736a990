"""Table definitions and the two write paths for `backend_logs`.

* `SqliteLogWriter`: a dedicated sync `sqlite3` connection (used from one worker thread at a
  time) doing `executemany` — the fast path the tailer uses on SQLite.
* `insert_rows_async`: SQLAlchemy core on an AsyncConnection, for other dialects and for the
  HTTP batch endpoint.

On SQLite the FTS5 index is maintained explicitly by both paths (no AFTER INSERT trigger: see
migration 0002); rows and their FTS entries are written in the same transaction, and the
tailer's checkpoint is written in that transaction too (exactly-once ingestion).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from deltaplane.db.engine import WRITER_PRIORITY, WriterPriority
from deltaplane.logs.parsing import ROW_FIELDS, db_timestamp

metadata = sa.MetaData()

backend_logs = sa.Table(
    "backend_logs",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("timestamp", DateTimeUTC(timezone=True), nullable=False),
    sa.Column("level", sa.String(16), nullable=False),
    sa.Column("logger", sa.String(200), nullable=False),
    sa.Column("event", sa.String(200), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("correlation_id", sa.String(128)),
    sa.Column("request_id", sa.String(128)),
    sa.Column("strategy_id", sa.String(64)),
    sa.Column("session_id", sa.String(64)),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("ingested_at", DateTimeUTC(timezone=True), nullable=False),
)

log_ingest_checkpoints = sa.Table(
    "log_ingest_checkpoints",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("path", sa.String(1024), nullable=False, unique=True),
    sa.Column("file_id", sa.String(128), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("offset", sa.BigInteger(), nullable=False),
    sa.Column("lines", sa.BigInteger(), nullable=False),
    sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
)

COLUMNS = ROW_FIELDS
_INSERT_SQL = f"INSERT INTO backend_logs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
# Index the rows just inserted straight from the table: no second binding of the texts in Python.
_FTS_SQL = (
    "INSERT INTO backend_logs_fts (rowid, message, payload) "
    "SELECT id, message, payload FROM backend_logs WHERE id BETWEEN ? AND ?"
)
_CHECKPOINT_SQL = (
    'INSERT INTO log_ingest_checkpoints (path, file_id, fingerprint, "offset", lines, updated_at) '
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET file_id = excluded.file_id, "
    'fingerprint = excluded.fingerprint, "offset" = excluded."offset", lines = excluded.lines, '
    "updated_at = excluded.updated_at"
)


@dataclass(frozen=True)
class Checkpoint:
    """Where ingestion of `path` stands: file identity (dev:inode), fingerprint, byte offset."""

    path: str
    file_id: str = ""
    fingerprint: str = ""
    offset: int = 0
    lines: int = 0


def sqlite_path(database_url: str) -> str | None:
    """The file behind an SQLite URL, or None for other dialects / in-memory databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return str(Path(url.database))


#: `SqliteLogWriter.insert(expected=...)` default: do not compare checkpoints.
ANY_CHECKPOINT = object()


class CheckpointMoved(RuntimeError):
    """The stored checkpoint is not the one this tailer committed: another tailer is at work."""


def _position(checkpoint: Checkpoint | None) -> tuple[str, int, int] | None:
    return None if checkpoint is None else (checkpoint.file_id, checkpoint.offset, checkpoint.lines)


class SqliteLogWriter:
    """Sync writer on its own sqlite3 connection. Not thread-safe: call from one thread at a time."""

    #: how long a batch holds back for the app's writers (WRITER_PRIORITY) before going anyway
    YIELD_TIMEOUT_S = 0.25

    def __init__(self, db_file: str, *, busy_timeout_ms: int = 5000, priority: WriterPriority = WRITER_PRIORITY) -> None:
        self.db_file = db_file
        self.priority = priority
        self.conn = sqlite3.connect(
            db_file, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA cache_size=-32768")  # 32 MiB: indexes + FTS segments stay hot
        self.has_fts = bool(
            self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'backend_logs_fts'").fetchone()
        )
        #: test hook: called inside the transaction, after the inserts, before COMMIT.
        self.before_commit: Callable[[], None] | None = None

    def close(self) -> None:
        self.conn.close()

    def load_checkpoint(self, path: str) -> Checkpoint | None:
        row = self.conn.execute(
            'SELECT file_id, fingerprint, "offset", lines FROM log_ingest_checkpoints WHERE path = ?', (path,)
        ).fetchone()
        if row is None:
            return None
        return Checkpoint(path=path, file_id=row[0], fingerprint=row[1], offset=int(row[2]), lines=int(row[3]))

    def insert(
        self,
        tuples: Sequence[tuple[Any, ...]],
        checkpoint: Checkpoint | None = None,
        *,
        expected: Checkpoint | None | object = ANY_CHECKPOINT,
    ) -> int:
        """Insert rows given as `parsing.row_values` tuples (+FTS, +checkpoint) in one IMMEDIATE
        transaction; returns the first new id.

        `expected` is the checkpoint the caller last committed (None: none yet). If the stored one
        differs, someone else ingested this file meanwhile (a second API process, a tailer left
        over from a previous one): nothing is written and CheckpointMoved is raised, so the caller
        reloads instead of inserting the same lines twice."""
        conn = self.conn
        first_id = 0
        self.priority.wait_until_clear(self.YIELD_TIMEOUT_S)
        conn.execute("BEGIN IMMEDIATE")
        try:
            with self.priority.holding_lock():  # app writers arriving now wait for our COMMIT
                if checkpoint is not None and expected is not ANY_CHECKPOINT:
                    stored = self.load_checkpoint(checkpoint.path)
                    if _position(stored) != _position(expected):  # type: ignore[arg-type]
                        raise CheckpointMoved(f"{checkpoint.path}: stored checkpoint {stored} is not {expected}")
                if tuples:
                    conn.executemany(_INSERT_SQL, tuples)
                    last_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                    first_id = last_id - len(tuples) + 1  # contiguous: we hold the write lock
                    if self.has_fts:
                        conn.execute(_FTS_SQL, (first_id, last_id))
                if checkpoint is not None:
                    conn.execute(
                        _CHECKPOINT_SQL,
                        (
                            checkpoint.path,
                            checkpoint.file_id,
                            checkpoint.fingerprint,
                            checkpoint.offset,
                            checkpoint.lines,
                            db_timestamp(datetime.now(UTC)),
                        ),
                    )
                if self.before_commit is not None:
                    self.before_commit()
            # The flag clears just before COMMIT: a waiting app writer goes to BEGIN IMMEDIATE and
            # gets the lock as soon as COMMIT releases it, not after the WAL auto-checkpoint that
            # COMMIT runs (without the lock) before it returns.
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return first_id


async def has_fts(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "sqlite":
        return False
    result = await conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'backend_logs_fts'"))
    return result.first() is not None


async def insert_rows_async(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]], checkpoint: Checkpoint | None = None
) -> list[int]:
    """SQLAlchemy-core insert inside the caller's transaction; returns the new ids in order."""
    ids: list[int] = []
    if rows:
        values = [{c: r[c] for c in COLUMNS} for r in rows]
        result = await conn.execute(
            sa.insert(backend_logs).returning(backend_logs.c.id, sort_by_parameter_order=True), values
        )
        ids = [int(r[0]) for r in result]
        if await has_fts(conn):
            await conn.execute(
                sa.text("INSERT INTO backend_logs_fts (rowid, message, payload) VALUES (:id, :message, :payload)"),
                [{"id": i, "message": r["message"], "payload": r["payload"]} for i, r in zip(ids, rows, strict=True)],
            )
    if checkpoint is not None:
        await upsert_checkpoint_async(conn, checkpoint)
    return ids


async def load_checkpoint_async(conn: AsyncConnection, path: str) -> Checkpoint | None:
    t = log_ingest_checkpoints
    row = (
        await conn.execute(sa.select(t.c.file_id, t.c.fingerprint, t.c.offset, t.c.lines).where(t.c.path == path))
    ).first()
    if row is None:
        return None
    return Checkpoint(path=path, file_id=row[0], fingerprint=row[1], offset=int(row[2]), lines=int(row[3]))


async def upsert_checkpoint_async(conn: AsyncConnection, checkpoint: Checkpoint) -> None:
    t = log_ingest_checkpoints
    values = {
        "file_id": checkpoint.file_id,
        "fingerprint": checkpoint.fingerprint,
        "offset": checkpoint.offset,
        "lines": checkpoint.lines,
        "updated_at": datetime.now(UTC),
    }
    updated = await conn.execute(sa.update(t).where(t.c.path == checkpoint.path).values(**values))
    if updated.rowcount == 0:
        await conn.execute(sa.insert(t).values(path=checkpoint.path, **values))

"""Log pipeline: backend_logs (+ FTS5 on SQLite) and the tailer's checkpoint.

Revision ID: 0002_backend_logs
Revises: 0001_initial
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "0002_backend_logs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backend_logs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("timestamp", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("logger", sa.String(200), nullable=False, server_default=""),
        sa.Column("event", sa.String(200), nullable=False, server_default=""),
        sa.Column("message", sa.Text(), nullable=False, server_default=""),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("strategy_id", sa.String(64), nullable=True),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False, server_default="backend"),
        sa.Column("payload", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("ingested_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backend_logs"),
    )
    # The id is the rowid, so every index below ends in id: (timestamp, id) keyset pages walk them.
    op.create_index("ix_backend_logs_timestamp", "backend_logs", ["timestamp"])
    op.create_index("ix_backend_logs_level_timestamp", "backend_logs", ["level", "timestamp"])
    op.create_index("ix_backend_logs_logger_timestamp", "backend_logs", ["logger", "timestamp"])
    op.create_index("ix_backend_logs_event_timestamp", "backend_logs", ["event", "timestamp"])
    # Most lines carry no request/strategy/session id: partial indexes skip them (cheaper inserts);
    # `col = ?` implies `col IS NOT NULL`, so SQLite still uses them for the filters.
    for column in ("correlation_id", "request_id", "strategy_id", "session_id"):
        op.create_index(
            f"ix_backend_logs_{column}_timestamp",
            "backend_logs",
            [column, "timestamp"],
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )
    op.create_table(
        "log_ingest_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("file_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("fingerprint", sa.String(64), nullable=False, server_default=""),
        sa.Column("offset", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("lines", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", DateTimeUTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_log_ingest_checkpoints"),
        sa.UniqueConstraint("path", name="uq_log_ingest_checkpoints_path"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # External-content FTS5 index over message + payload. Inserts maintain it explicitly
        # (deltaplane.logs.store inserts the FTS rows with executemany in the same transaction:
        # a per-row AFTER INSERT trigger into FTS5 measured 4x slower, 34k vs 139k rows/s).
        # Deletes (retention) keep a trigger so no path can leave stale index entries behind.
        op.execute(
            "CREATE VIRTUAL TABLE backend_logs_fts USING fts5("
            "message, payload, content='backend_logs', content_rowid='id', tokenize='unicode61')"
        )
        op.execute(
            "CREATE TRIGGER backend_logs_ad AFTER DELETE ON backend_logs BEGIN "
            "INSERT INTO backend_logs_fts(backend_logs_fts, rowid, message, payload) "
            "VALUES ('delete', old.id, old.message, old.payload); END"
        )
        op.execute(
            "CREATE TRIGGER backend_logs_au AFTER UPDATE OF message, payload ON backend_logs BEGIN "
            "INSERT INTO backend_logs_fts(backend_logs_fts, rowid, message, payload) "
            "VALUES ('delete', old.id, old.message, old.payload); "
            "INSERT INTO backend_logs_fts(rowid, message, payload) VALUES (new.id, new.message, new.payload); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS backend_logs_ad")
        op.execute("DROP TRIGGER IF EXISTS backend_logs_au")
        op.execute("DROP TABLE IF EXISTS backend_logs_fts")
    op.drop_table("log_ingest_checkpoints")
    op.drop_table("backend_logs")

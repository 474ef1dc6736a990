"""Log search index without token positions: FTS5 `detail=none, columnsize=0`.

Revision ID: 0006_logs_fts_detail_none
Revises: 0005_ledger_version
Create Date: 2026-11-28

The search box ANDs single-token terms (logs/query.py `fts_query`): it never needs phrase or
NEAR queries, so the index does not need token positions or column sizes. Without them each
row costs about half as much to index and the index is about a quarter of the size, which is
what lets ingestion keep up with a busy log (bench/bench_log_ingest.py). The index is rebuilt
from `backend_logs` here: expect about a minute per few million rows on upgrade.
"""

from __future__ import annotations

from alembic import op

revision = "0006_logs_fts_detail_none"
down_revision = "0005_ledger_version"
branch_labels = None
depends_on = None

_TRIGGERS = (
    "CREATE TRIGGER backend_logs_ad AFTER DELETE ON backend_logs BEGIN "
    "INSERT INTO backend_logs_fts(backend_logs_fts, rowid, message, payload) "
    "VALUES ('delete', old.id, old.message, old.payload); END",
    "CREATE TRIGGER backend_logs_au AFTER UPDATE OF message, payload ON backend_logs BEGIN "
    "INSERT INTO backend_logs_fts(backend_logs_fts, rowid, message, payload) "
    "VALUES ('delete', old.id, old.message, old.payload); "
    "INSERT INTO backend_logs_fts(rowid, message, payload) VALUES (new.id, new.message, new.payload); END",
)


def _recreate(options: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS backend_logs_ad")
    op.execute("DROP TRIGGER IF EXISTS backend_logs_au")
    op.execute("DROP TABLE IF EXISTS backend_logs_fts")
    op.execute(
        "CREATE VIRTUAL TABLE backend_logs_fts USING fts5("
        f"message, payload, content='backend_logs', content_rowid='id', tokenize='unicode61'{options})"
    )
    op.execute("INSERT INTO backend_logs_fts(backend_logs_fts) VALUES ('rebuild')")
    for trigger in _TRIGGERS:
        op.execute(trigger)


def upgrade() -> None:
    _recreate(", detail=none, columnsize=0")


def downgrade() -> None:
    _recreate("")

"""The migrations build exactly the schema the models describe (no create_all anywhere)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from deltaplane.db.migrate import head_revisions, upgrade_database
from deltaplane.db.models import metadata

# Tables the models do not own: the log pipeline and FTS5 shadow tables use raw SQL.
UNMODELLED = ("backend_logs", "log_ingest_checkpoints", "alembic_version", "analytics_ledger_version")


def test_upgrade_to_head_matches_the_models(tmp_path) -> None:
    db = tmp_path / "m.db"
    upgrade_database(f"sqlite+aiosqlite:///{db}")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert set(ctx.get_current_heads()) == head_revisions()
        diff = [d for d in compare_metadata(ctx, metadata) if not any(name in repr(d) for name in UNMODELLED)]
    engine.dispose()
    assert diff == [], diff


def test_downgrade_and_upgrade_round_trip(tmp_path) -> None:
    from alembic import command

    from deltaplane.db.migrate import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "base")
    upgrade_database(url)


def test_ledger_version_moves_only_when_closed_trades_change(tmp_path) -> None:
    import sqlite3

    db = tmp_path / "v.db"
    upgrade_database(f"sqlite+aiosqlite:///{db}")
    con = sqlite3.connect(db)
    version = lambda: con.execute("SELECT version FROM analytics_ledger_version").fetchone()[0]  # noqa: E731
    con.execute("INSERT INTO strategies (id, name, version, config_json, run_status, state, state_detail, created_at, updated_at) "
                "VALUES (1, 's', 1, '{}', 'idle', 'idle', '', '2026-01-01', '2026-01-01')")
    cols = ("id, strategy_id, strategy_version, config_json, mode, underlying, status, trading_day, expiry, exit_deadline, "
            "entry_started_at, credit, debit, fees, gross_pnl, net_pnl, peak_profit_pct, created_at")
    con.execute(f"INSERT INTO trading_sessions ({cols}) VALUES ('a', 1, 1, '{{}}', 'paper', 'BTC', 'open', '2026-01-01', "
                "'2026-01-02', '2026-01-01', '2026-01-01', '1', '0', '0', '0', '0', '0', '2026-01-01')")
    con.commit()
    v0 = version()
    con.execute("UPDATE trading_sessions SET peak_profit_pct = '12' WHERE id = 'a'")  # an open session's tick state
    assert version() == v0
    con.execute("UPDATE trading_sessions SET status = 'closed', closed_at = '2026-01-01 10:00:00' WHERE id = 'a'")
    assert version() == v0 + 1
    con.execute("UPDATE trading_sessions SET fees = '3' WHERE id = 'a'")  # amending a closed trade
    assert version() == v0 + 2
    con.execute("UPDATE strategies SET name = 'renamed' WHERE id = 1")
    assert version() == v0 + 3
    con.close()

"""Money of a session that is still open, as History and Analytics show it.

The real app and the real engine on a simulated clock over a real SQLite file (tests/engine/harness):
a paper strangle is entered, and while its legs are open

- the session row (list, detail, CSV export) carries the entry fees already paid, equal to the sum
  of its fill fees, and no realised gross/net (null: nothing is booked until the close);
- an open leg has no realised gross/net either (the old figure was entry credit minus fees, as if
  the options had expired worthless);
- the Analytics open-sessions panel reports those fees.

Once the session closes, every figure is the ledger booked at close, exactly as before.
Also: a session left open by the previous engine (fees only ever written at close) is repaired by
migration 0007 from its legs, and closed sessions are left untouched by it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from deltaplane.db.migrate import alembic_config, upgrade_database
from deltaplane.strategy.models import EngineFill, Leg, TradingSession
from tests.engine.harness import Harness

D = Decimal


async def _latest(h: Harness, sid: int) -> tuple[TradingSession, list[Leg], list[EngineFill]]:
    async with h.app.state.services.sessionmaker() as db:
        session = await db.scalar(
            select(TradingSession).where(TradingSession.strategy_id == sid).order_by(TradingSession.created_at.desc())
        )
        assert session is not None
        legs = list((await db.scalars(select(Leg).where(Leg.session_id == session.id).order_by(Leg.id))).all())
        fills = list((await db.scalars(select(EngineFill).where(EngineFill.session_id == session.id))).all())
        return session, legs, fills


async def _get(h: Harness, path: str, **params: Any) -> Any:
    r = await h.api("GET", path, params=params)
    assert r.status_code == 200, r.text
    return r


async def test_open_session_shows_entry_fees_and_no_fake_realised_pnl(tmp_path: Path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(exit_time="04:00")
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        session, legs, fills = await _latest(h, sid)
        assert session.status == "open" and len(fills) == 2 and all(f.side == "sell" for f in fills)
        entry_fees = sum((f.fee for f in fills), D(0))
        assert entry_fees > 0
        credit = sum(((leg.entry_price or D(0)) * leg.contract_value * leg.entry_qty for leg in legs), D(0))

        # the database row itself carries what has been paid and received so far
        assert session.fees == entry_fees and session.credit == credit and session.debit == 0
        assert session.gross_pnl == 0 and session.net_pnl == 0  # booked only at close

        # History list
        row = next(x for x in (await _get(h, "/api/sessions")).json()["items"] if x["id"] == session.id)
        assert D(row["fees"]) == entry_fees
        assert D(row["credit"]) == credit and D(row["debit"]) == 0
        assert row["gross_pnl"] is None and row["net_pnl"] is None

        # History drawer
        d = (await _get(h, f"/api/sessions/{session.id}")).json()
        assert D(d["session"]["fees"]) == entry_fees == D(d["fills_fees"])  # like with like: no mismatch
        assert d["session"]["gross_pnl"] is None and d["session"]["net_pnl"] is None
        assert [leg["status"] for leg in d["legs"]] == ["open", "open"]
        assert all(leg["gross_pnl"] is None and leg["net_pnl"] is None for leg in d["legs"])
        assert sum((D(leg["fees"]) for leg in d["legs"]), D(0)) == entry_fees

        # CSV export: fees paid so far, realised columns empty
        text = (await _get(h, "/api/sessions/export")).text
        exported = next(x for x in csv.DictReader(io.StringIO(text)) if x["id"] == session.id)
        assert D(exported["fees"]) == entry_fees and exported["gross_pnl"] == "" and exported["net_pnl"] == ""

        # Analytics: open-sessions panel
        body = (await _get(h, "/api/analytics/summary", preset="all")).json()
        assert body["open_sessions"]["open_sessions"] == 1
        assert D(body["open_sessions"]["fees"]) == entry_fees and D(body["open_sessions"]["credit"]) == credit
        assert D(body["summary"]["unrealized"]["fees"]) == entry_fees
        assert body["summary"]["trade_count"] == 0

        # ... and after the close, the ledger booked at close, exactly
        await h.drive(h.state_is(sid, "waiting", "closed"), step=30)
        session, legs, fills = await _latest(h, sid)
        assert session.status == "closed"
        credit = sum((f.price * D("0.001") * f.size for f in fills if f.side == "sell"), D(0))
        debit = sum((f.price * D("0.001") * f.size for f in fills if f.side == "buy"), D(0))
        fees = sum((f.fee for f in fills), D(0))
        assert fees > entry_fees  # exit fees were added
        assert (session.credit, session.debit, session.fees) == (credit, debit, fees)
        assert session.net_pnl == session.gross_pnl - session.fees == credit - debit - fees
        row = next(x for x in (await _get(h, "/api/sessions")).json()["items"] if x["id"] == session.id)
        assert (D(row["credit"]), D(row["debit"]), D(row["fees"])) == (credit, debit, fees)
        assert (D(row["gross_pnl"]), D(row["net_pnl"])) == (credit - debit, credit - debit - fees)
        d = (await _get(h, f"/api/sessions/{session.id}")).json()
        assert D(d["session"]["net_pnl"]) == credit - debit - fees and D(d["fills_fees"]) == fees
        assert sum((D(leg["net_pnl"]) for leg in d["legs"]), D(0)) == credit - debit - fees
        body = (await _get(h, "/api/analytics/summary", preset="all")).json()
        assert body["open_sessions"]["open_sessions"] == 0 and D(body["open_sessions"]["fees"]) == 0
        assert body["summary"]["trade_count"] == 1 and D(body["summary"]["fees"]) == fees
        assert D(body["summary"]["net_pnl"]) == credit - debit - fees


# --- sessions written by the previous engine ------------------------------------------------------

_SESSION_COLS = (
    "id, strategy_id, strategy_version, config_json, mode, underlying, status, trading_day, expiry, exit_deadline, "
    "entry_started_at, opened_at, closed_at, exit_reason, credit, debit, fees, gross_pnl, net_pnl, peak_profit_pct, created_at"
)
_LEG_COLS = "session_id, kind, symbol, strike, contract_value, target_qty, entry_qty, entry_price, exit_qty, exit_price, fees, status"


def _old_engine_rows(db: Path) -> None:
    """What the engine before the fix left behind: an open session whose row has no fees yet (they
    were written only at close), an exiting one half bought back, and a closed one."""
    con = sqlite3.connect(db)
    con.execute("INSERT INTO strategies (id, name, version, config_json, run_status, state, state_detail, created_at, updated_at) "
                "VALUES (1, 's', 1, '{}', 'idle', 'idle', '', '2026-03-02 03:00:00', '2026-03-02 03:00:00')")  # fmt: skip
    base = "1, 1, '{}', 'paper', 'BTC', ?, '2026-03-02', '2026-03-03 12:00:00', '2026-03-02 09:00:00', '2026-03-02 03:05:00', "
    con.execute(f"INSERT INTO trading_sessions ({_SESSION_COLS}) VALUES ('open1', {base}"
                "'2026-03-02 03:06:00', NULL, NULL, '0.7025', '0', '0', '0', '0', '0', '2026-03-02 03:05:00')", ("open",))  # fmt: skip
    con.execute(f"INSERT INTO trading_sessions ({_SESSION_COLS}) VALUES ('exit1', {base}"
                "'2026-03-02 03:06:00', NULL, 'take_profit', '0.7025', '0', '0', '0', '0', '0', '2026-03-02 03:04:00')", ("exiting",))  # fmt: skip
    con.execute(f"INSERT INTO trading_sessions ({_SESSION_COLS}) VALUES ('done1', {base}"
                "'2026-03-02 03:06:00', '2026-03-02 04:00:00', 'exit_time', '0.7025', '0.1', '0.05', '0.6025', '0.5525', '0', "
                "'2026-03-02 03:03:00')", ("closed",))  # fmt: skip
    legs = [
        ("open1", "call", "C-BTC-90000-030326", "90000", "0.001", 1, 1, "356.2", 0, None, "0.0126", "open"),
        ("open1", "put", "P-BTC-80000-030326", "80000", "0.001", 1, 1, "346.3", 0, None, "0.0127", "open"),
        ("exit1", "call", "C-BTC-90000-030326", "90000", "0.001", 2, 2, "356.2", 2, "20.5", "0.0301", "closing"),
        ("exit1", "put", "P-BTC-80000-030326", "80000", "0.001", 2, 2, "346.3", 1, "40", "0.0222", "closing"),
        # a closed session's legs are never used to rewrite its booked figures
        ("done1", "call", "C-BTC-90000-030326", "90000", "0.001", 1, 1, "356.2", 1, "50", "0.9", "closed"),
        ("done1", "put", "P-BTC-80000-030326", "80000", "0.001", 1, 1, "346.3", 1, "50", "0.9", "closed"),
    ]
    con.executemany(f"INSERT INTO legs ({_LEG_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", legs)
    con.commit()
    con.close()


async def test_migration_repairs_sessions_left_open_by_the_previous_engine(tmp_path: Path) -> None:
    from alembic import command

    db = tmp_path / "deltaplane.db"
    url = f"sqlite+aiosqlite:///{db}"
    # alembic runs its own event loop: off this test's loop
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0006_logs_fts_detail_none")
    _old_engine_rows(db)
    con = sqlite3.connect(db)
    ledger_version = con.execute("SELECT version FROM analytics_ledger_version").fetchone()[0]
    con.close()
    await asyncio.to_thread(upgrade_database, url)
    con = sqlite3.connect(db)
    text = {r[0]: r[1:] for r in con.execute("SELECT id, credit, debit, fees, gross_pnl, net_pnl FROM trading_sessions")}
    money = {sid: tuple(D(v) for v in values) for sid, values in text.items()}
    assert con.execute("SELECT version FROM analytics_ledger_version").fetchone()[0] == ledger_version  # no closed trade touched
    con.close()
    assert money["open1"] == (D("0.7025"), 0, D("0.0253"), 0, 0)
    # 2 x 356.2 x 0.001 + 2 x 346.3 x 0.001 = 1.405; 2 x 20.5 x 0.001 + 1 x 40 x 0.001 = 0.081
    assert money["exit1"] == (D("1.405"), D("0.081"), D("0.0523"), 0, 0)
    assert text["done1"] == ("0.7025", "0.1", "0.05", "0.6025", "0.5525")  # booked at close: untouched, to the digit

    async with Harness(tmp_path, database_url=url) as h:
        items = {x["id"]: x for x in (await _get(h, "/api/sessions")).json()["items"]}
        assert (items["open1"]["fees"], items["open1"]["net_pnl"]) == ("0.0253", None)
        assert (items["done1"]["fees"], items["done1"]["gross_pnl"], items["done1"]["net_pnl"]) == ("0.05", "0.6025", "0.5525")
        d = (await _get(h, "/api/sessions/open1")).json()
        assert d["session"]["fees"] == "0.0253" and [leg["net_pnl"] for leg in d["legs"]] == [None, None]
        d = (await _get(h, "/api/sessions/done1")).json()
        assert [leg["net_pnl"] for leg in d["legs"]] == ["-0.5938", "-0.6037"]  # (356.2 - 50) x 0.001 - 0.9, as before


async def test_exiting_session_a_flat_leg_is_realised_and_an_open_leg_is_not(api, db) -> None:
    """Half way through an exit: the leg bought back has its realised PnL, the other is still open."""
    from tests.analytics_api.factories import add_session, add_strategy

    async with db() as s:
        strat = await add_strategy(s)
        session = await add_session(s, strat, session_id="s-exiting", closed_at=None, status="exiting", credit="0.8", fees="0.02")
        call, put = (await s.scalars(select(Leg).where(Leg.session_id == session.id).order_by(Leg.id))).all()
        call.exit_qty, call.exit_price, call.fees, call.status = 1, D("0.1"), D("0.015"), "closed"
        put.status = "closing"
    d = (await api.get("/api/sessions/s-exiting")).json()
    assert d["session"]["gross_pnl"] is None and d["session"]["net_pnl"] is None
    call_read, put_read = d["legs"]
    assert (call_read["gross_pnl"], call_read["net_pnl"]) == ("0.3", "0.285")  # (0.4 - 0.1) x 1 - 0.015
    assert (put_read["gross_pnl"], put_read["net_pnl"]) == (None, None)

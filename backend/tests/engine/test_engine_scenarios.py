"""Engine scenarios on the simulated clock: entry, exits, unwind, controls, restart, kill switch."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import select

from deltaplane.strategy.models import EngineFill, EngineOrder, Leg, TradingSession
from tests.engine.harness import Harness, at


async def _session(h: Harness, sid: int) -> TradingSession:
    async with h.app.state.services.sessionmaker() as db:
        return await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid).order_by(TradingSession.created_at.desc()))


async def _rows(h: Harness, model, **where):
    async with h.app.state.services.sessionmaker() as db:
        stmt = select(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return list((await db.scalars(stmt)).all())


async def _positions(h: Harness) -> dict[str, int]:
    return {p.symbol: p.size for p in await h.exchange.positions() if p.size}


def _no_duplicate_orders(h: Harness) -> None:
    ids = Counter(o.client_order_id for o in h.exchange.orders.values())
    assert all(n == 1 for n in ids.values()), ids


async def test_entry_then_exit_time_is_enforced_and_ledger_is_exact(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(exit_time="04:00")
        assert (await h.action(sid, "start")).json()["state"] == "waiting"
        await h.drive(h.state_is(sid, "open"), step=30)
        rt = await h.runtime(sid)
        assert rt["countdowns"]["to_exit_s"] > 0 and len(rt["legs"]) == 2
        session = await _session(h, sid)
        assert session.status == "open" and session.credit > 0
        assert set((await _positions(h)).values()) == {-1}
        await h.drive(h.state_is(sid, "waiting", "closed"), step=30)
        session = await _session(h, sid)
        assert session.status == "closed" and session.exit_reason == "exit_time"
        assert session.closed_at >= at(4, 0) and (session.closed_at - at(4, 0)).total_seconds() <= 60
        # One ledger: net = gross - fees, and the sums match the fills.
        fills = await _rows(h, EngineFill, session_id=session.id)
        credit = sum(f.price * Decimal("0.001") * f.size for f in fills if f.side == "sell")
        debit = sum(f.price * Decimal("0.001") * f.size for f in fills if f.side == "buy")
        fees = sum(f.fee for f in fills)
        assert session.credit == credit and session.debit == debit and session.fees == fees
        assert session.net_pnl == session.gross_pnl - session.fees == credit - debit - fees
        assert await _positions(h) == {}
        orders = await _rows(h, EngineOrder, session_id=session.id)
        assert all(o.reduce_only for o in orders if o.side == "buy")
        _no_duplicate_orders(h)


async def test_trailing_stop_fires_after_profit_retraces(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        h.exchange.mark_factor = Decimal("0.55")  # premium collapses: ~45 % profit -> lock 15 %
        await h.drive(lambda: _lock_armed(h, sid), step=1, max_steps=20)
        h.exchange.mark_factor = Decimal("0.95")  # retraces to ~5 % profit: below the lock
        await h.drive(h.state_is(sid, "waiting", "closed"), step=1, max_steps=60)
        session = await _session(h, sid)
        assert session.exit_reason == "trailing_stop"
        assert session.trailing_lock_pct == Decimal(15)
        assert await _positions(h) == {}


async def _lock_armed(h: Harness, sid: int) -> bool:
    s = await _session(h, sid)
    return s is not None and s.trailing_lock_pct is not None


async def test_one_leg_rejected_unwinds_the_filled_leg(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        h.exchange.reject_symbols = {"P-"}
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(lambda: _closed_session(h, sid), step=5, max_steps=200)
        session = await _session(h, sid)
        assert session.exit_reason == "entry_failed"
        legs = {leg.kind: leg for leg in await _rows(h, Leg, session_id=session.id)}
        assert legs["call"].entry_qty == legs["call"].exit_qty == 1  # sold, then bought back
        assert legs["put"].entry_qty == 0
        assert await _positions(h) == {}  # never a naked leg
        events = [e["kind"] for e in (await h.runtime(sid))["events"]]
        assert "unwind_started" in events and "order_rejected" in events


async def _closed_session(h: Harness, sid: int) -> bool:
    s = await _session(h, sid)
    return s is not None and s.status == "closed"


async def test_controls_pause_resume_stop_and_illegal_transitions(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        r = await h.action(sid, "resume")
        assert r.status_code == 409 and r.json()["current_state"] == "idle"
        await h.action(sid, "start")
        again = await h.action(sid, "start")
        assert again.status_code == 409 and again.json()["current_state"] == "waiting"
        await h.drive(h.state_is(sid, "open"), step=30)
        assert (await h.action(sid, "pause")).json()["state"] == "paused"
        await h.settle()
        assert await _positions(h)  # pause keeps the legs
        assert (await h.action(sid, "resume")).json()["state"] == "open"
        assert (await h.action(sid, "stop")).json()["state"] == "exiting"
        await h.drive(h.state_is(sid, "closed"), step=1, max_steps=100)
        assert (await _session(h, sid)).exit_reason == "manual_stop"
        assert await _positions(h) == {}
        r = await h.action(sid, "stop")
        assert r.status_code == 409 and r.json()["current_state"] == "closed"


async def test_flatten_exits_at_market_and_stops(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        await h.action(sid, "flatten")
        await h.drive(h.state_is(sid, "closed"), step=1, max_steps=50)
        session = await _session(h, sid)
        assert session.exit_reason == "flatten"
        exits = [o for o in await _rows(h, EngineOrder, session_id=session.id) if o.purpose == "exit"]
        assert exits and all(o.order_type == "market" for o in exits)


async def test_kill_switch_flattens_everything_and_blocks_starts_until_rearmed(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        a = await h.create(name="A")
        b = await h.create(name="B", underlying="ETH")
        await h.action(a, "start")
        await h.action(b, "start")
        await h.drive(h.state_is(a, "open"), step=30)
        await h.drive(h.state_is(b, "open"), step=30)
        r = await h.api("POST", "/api/engine/kill")
        assert r.status_code == 200 and sorted(r.json()["flattened"]) == sorted([a, b])
        await h.drive(lambda: _all_closed(h, a, b), step=1, max_steps=60)
        assert await _positions(h) == {}
        blocked = await h.action(a, "start")
        assert blocked.status_code == 409 and "kill switch" in blocked.json()["detail"]
        await h.api("POST", "/api/engine/rearm")
        assert (await h.action(a, "start")).status_code == 200


async def _all_closed(h: Harness, *sids: int) -> bool:
    states = [await h.state(s) for s in sids]
    return all(state == "closed" for state in states)


async def test_viewer_cannot_act_and_live_mode_is_refused_without_the_switch(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        r = await h.api("POST", "/api/strategies", json={**_body(), "mode": "live"})
        assert r.status_code == 422 and r.json()["fields"][0]["field"] == "mode"
        await h.api("POST", "/api/users", json={"username": "watcher", "password": "watcher-pass-1", "role": "viewer"})
        tok = (await h.client.post("/api/auth/login", json={"username": "watcher", "password": "watcher-pass-1"})).json()["access_token"]
        sid = await h.create()
        r = await h.client.post(f"/api/strategies/{sid}/actions", json={"action": "start"}, headers={"Authorization": f"Bearer {tok}"})
        assert r.status_code == 403
        assert (await h.client.get(f"/api/strategies/{sid}/runtime", headers={"Authorization": f"Bearer {tok}"})).status_code == 200


def _body() -> dict:
    from tests.engine.harness import strategy_body

    return strategy_body()


async def test_bad_config_is_422_naming_the_field_and_nothing_is_written(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        cases = [
            ({"delta_low": "0.3", "delta_high": "0.2"}, "delta_high"),
            ({"timezone": "Mars/Olympus"}, "timezone"),
            ({"quantity": 0}, "quantity"),
            ({"entry_time": "25:00"}, "entry_time"),
            ({"trailing_rules": [{"trigger_pct": "40", "lock_pct": "10"}, {"trigger_pct": "20", "lock_pct": "5"}]}, "trailing_rules"),
            ({"delta_low": "NaN"}, "delta_low"),  # was a 500: a NaN Decimal raises on comparison
            ({"execution": {"max_slippage_pct": "-Infinity"}}, "execution.max_slippage_pct"),
        ]
        for override, field in cases:
            r = await h.api("POST", "/api/strategies", json={**_body(), **override})
            assert r.status_code == 422, (override, r.text)
            assert any(f["field"].startswith(field) for f in r.json()["fields"]), (field, r.json())
        assert (await h.api("GET", "/api/strategies")).json() == []


async def test_editing_a_running_strategy_keeps_the_session_snapshot(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        r = await h.api("PUT", f"/api/strategies/{sid}", json={**_body(), "take_profit_pct": "10"})
        assert r.status_code == 200 and r.json()["applies_from"] == "next_entry"
        assert r.json()["strategy"]["state"] == "open" and r.json()["strategy"]["version"] == 2
        session = await _session(h, sid)
        assert '"take_profit_pct":"90"' in session.config_json.replace(" ", "")
        r = await h.api("PUT", f"/api/strategies/{sid}", json={**_body(), "underlying": "ETH"})
        assert r.status_code == 409 and r.json()["current_state"] == "open"
        assert (await h.api("DELETE", f"/api/strategies/{sid}")).status_code == 409


async def test_operator_actions_are_logged_with_their_strategy(tmp_path, caplog) -> None:
    # The Log Viewer finds a strategy's start/pause/resume/stop by its ID (they used to be only in
    # the strategy's own events).
    async with Harness(tmp_path) as h:
        sid = await h.create()
        caplog.set_level("INFO", logger="deltaplane.engine")
        assert (await h.action(sid, "start")).status_code == 200
        await h.drive(h.state_is(sid, "open"), step=30)
        assert (await h.action(sid, "pause")).status_code == 200
        actions = [r for r in caplog.records if getattr(r, "event", None) == "strategy_action"]
        assert [(r.action, r.strategy_id, r.previous_state, r.new_state) for r in actions] == [
            ("start", str(sid), "idle", "waiting"), ("pause", str(sid), "open", "paused")]
        assert all(r.user == "admin" for r in actions)

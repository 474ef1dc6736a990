"""More scenarios: re-entry after a stop-out, expiry-approach exit, partial fills, risk limits."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from deltaplane.strategy.models import EngineOrder, Leg, TradingSession
from tests.engine.harness import Harness


async def _sessions(h: Harness, sid: int) -> list[TradingSession]:
    async with h.app.state.services.sessionmaker() as db:
        return list((await db.scalars(select(TradingSession).where(TradingSession.strategy_id == sid).order_by(TradingSession.created_at))).all())


async def _count_closed(h: Harness, sid: int, n: int) -> bool:
    return sum(1 for s in await _sessions(h, sid) if s.status == "closed") >= n


async def test_reentry_after_a_max_loss_stop_out_then_no_more(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(max_loss_pct="30", reentries=1, entry_window_minutes=30)
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        h.exchange.mark_factor = Decimal("1.6")  # premiums up 60 %: loss beyond 30 % of credit
        await h.drive(lambda: _count_closed(h, sid, 1), step=1, max_steps=30)
        first = (await _sessions(h, sid))[0]
        assert first.exit_reason == "max_loss"
        await h.drive(h.state_is(sid, "open"), step=30, max_steps=100)  # re-entered within the window
        h.exchange.mark_factor = Decimal("2.6")  # the new (higher) premiums rise another 60 %
        await h.drive(lambda: _count_closed(h, sid, 2), step=1, max_steps=30)
        for _ in range(20):  # the rest of the window: re-entries are exhausted
            h.clock.advance(60)
            await h.settle()
        sessions = await _sessions(h, sid)
        assert len(sessions) == 2 and all(s.exit_reason == "max_loss" for s in sessions)
        rt = await h.runtime(sid)
        assert any("reentries" in e["kind"] or "skipped" in e["kind"] for e in rt["events"]), [e["kind"] for e in rt["events"]]


async def test_expiry_approach_exits_before_the_options_expire(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        # Entry 03:05 UTC, expiry 12:00 UTC the same day, exit time 11:30: the 60-min expiry approach (11:00) comes first.
        sid = await h.create(exit_time="11:30", expiry_approach_minutes=60, take_profit_pct="99.9", trailing_rules=[], max_loss_pct="500")
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        session = (await _sessions(h, sid))[0]
        await h.drive(h.state_is(sid, "waiting", "closed"), step=60, max_steps=1000)
        session = (await _sessions(h, sid))[0]
        assert session.exit_reason == "expiry_approach"
        assert session.closed_at <= session.expiry


async def test_partial_entry_fill_keeps_the_strangle_balanced(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(quantity=3, execution={"limit_attempts": 1, "attempt_timeout_s": 1, "max_slippage_pct": "5", "market_fallback": False})
        h.exchange.force_partial_fill(1)  # the first leg's order fills 1 of 3; nothing else rests into a fill
        await h.action(sid, "start")
        await h.drive(lambda: _settled_entry(h, sid), step=5, max_steps=300)
        session = (await _sessions(h, sid))[0]
        async with h.app.state.services.sessionmaker() as db:
            legs = list((await db.scalars(select(Leg).where(Leg.session_id == session.id))).all())
            orders = list((await db.scalars(select(EngineOrder).where(EngineOrder.session_id == session.id))).all())
        open_qty = {leg.kind: leg.entry_qty - leg.exit_qty for leg in legs}
        assert open_qty["call"] == open_qty["put"]  # never more of one side than the other
        positions = {p.symbol: p.size for p in await h.exchange.positions() if p.size}
        assert sorted(positions.values()) == sorted(-q for q in open_qty.values() if q)
        assert all(o.client_order_id for o in orders)


async def _settled_entry(h: Harness, sid: int) -> bool:
    sessions = await _sessions(h, sid)
    return bool(sessions) and sessions[0].status in ("open", "closed")


async def test_risk_limits_refuse_starts_and_oversized_quantities(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        r = await h.api("PUT", "/api/engine/risk", json={"max_running_strategies": 1, "max_contracts_per_leg": 2})
        assert r.status_code == 200
        assert (await h.api("PUT", "/api/engine/risk", json={"max_open_legs": 0})).json()["fields"][0]["field"] == "max_open_legs"
        a = await h.create(name="A")
        b = await h.create(name="B")
        big = await h.create(name="Big", quantity=5)
        assert (await h.action(a, "start")).status_code == 200
        refused = await h.action(b, "start")
        assert refused.status_code == 409 and "at most 1 running" in refused.json()["detail"]
        await h.action(a, "stop")
        await h.settle()
        too_big = await h.action(big, "start")
        assert too_big.status_code == 409 and "exceeds max 2 contracts" in too_big.json()["detail"]


async def test_preview_shows_the_strikes_credit_breakevens_and_max_loss_level(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(quantity=2)
        p = (await h.api("GET", f"/api/strategies/{sid}/preview")).json()
        assert p["ok"] is True and p["call"]["kind"] == "call" and p["put"]["kind"] == "put"
        assert 0.10 <= abs(p["call"]["delta"]) <= 0.15 and 0.10 <= abs(p["put"]["delta"]) <= 0.15
        per_unit = Decimal(p["call"]["best_bid"]) + Decimal(p["put"]["best_bid"])
        assert Decimal(p["credit_per_unit"]) == per_unit
        assert Decimal(p["credit"]) == per_unit * Decimal("0.001") * 2
        assert Decimal(p["breakeven_upper"]) == Decimal(p["call"]["strike"]) + per_unit
        assert Decimal(p["breakeven_lower"]) == Decimal(p["put"]["strike"]) - per_unit
        assert Decimal(p["max_loss_premium"]) == per_unit * Decimal("1.8")  # max_loss_pct 80 in the fixture
        # An unsaved config: a premium band nothing sits in says why there is no trade.
        from tests.engine.harness import strategy_body

        none = (await h.api("POST", "/api/strategies/preview", json={**strategy_body(), "strike_mode": "premium",
                                                                          "premium_low": "90000", "premium_high": "90001"})).json()
        assert none["ok"] is False and none["message"]


async def test_max_open_legs_blocks_a_new_entry_with_an_event(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        await h.api("PUT", "/api/engine/risk", json={"max_open_legs": 2})
        a = await h.create(name="A")
        b = await h.create(name="B")
        await h.action(a, "start")
        await h.drive(h.state_is(a, "open"), step=30)
        await h.action(b, "start")
        for _ in range(5):
            h.clock.advance(30)
            await h.settle()
        rt = await h.runtime(b)
        assert rt["state"] == "waiting" and any(e["kind"] == "entry_refused_risk" for e in rt["events"]), (h.clock.now(), rt["events"], rt["detail"])
        assert len(await _sessions(h, b)) == 0

"""Crash safety: stop the app mid-entry / mid-exit (the database keeps exactly what a kill -9
would leave: every decision is committed before it is acted on), start a new app on the same
database and the same exchange, and check the reconciled state."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from deltaplane.exchange.protocol import OrderRequest
from deltaplane.strategy.models import EngineOrder, SessionEvent, TradingSession
from tests.engine.harness import Harness


async def _session(h: Harness, sid: int) -> TradingSession:
    async with h.app.state.services.sessionmaker() as db:
        return await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid).order_by(TradingSession.created_at.desc()))


async def _orders(h: Harness) -> list[EngineOrder]:
    async with h.app.state.services.sessionmaker() as db:
        return list((await db.scalars(select(EngineOrder).order_by(EngineOrder.id))).all())


def _exchange_orders_unique(h: Harness) -> Counter:
    ids = Counter(o.client_order_id for o in h.exchange.orders.values())
    assert all(n == 1 for n in ids.values()), ids
    return ids


async def _wait_stalled(h: Harness) -> None:
    for _ in range(400):
        if h.exchange.stalled.is_set():
            return
        if all(r.done or r.idle.is_set() for r in h.engine.runners.values()):
            h.clock.advance(30)
        await asyncio.sleep(0.005)  # the runner may be mid-I/O in a worker thread
    raise AssertionError("never stalled")


async def _restart(tmp_path, h: Harness) -> Harness:
    """A new process: same database file, same exchange (it lives outside our process)."""
    h.exchange.stall_after_place.clear()
    h.exchange.stall_before_place.clear()
    h.exchange.stalled = asyncio.Event()
    return Harness(tmp_path, clock=h.clock, exchange=h.exchange)


async def test_crash_after_put_was_placed_but_before_we_heard_back(tmp_path) -> None:
    h = Harness(tmp_path)
    async with h:
        sid = await h.create()
        h.exchange.stall_after_place = {"P-"}
        await h.action(sid, "start")
        await _wait_stalled(h)
        assert (await _session(h, sid)).status == "entering"
        intents = [o for o in await _orders(h) if o.symbol.startswith("P-")]
        assert intents and intents[0].state == "intent"  # written before it was sent
    h2 = await _restart(tmp_path, h)
    async with h2:
        await h2.drive(h2.state_is(sid, "open"), step=1, max_steps=50)
        session = await _session(h2, sid)
        assert session.status == "open"
        ids = _exchange_orders_unique(h2)
        assert len(ids) == 2  # one sell per leg: the lost response did not cause a second order
        put_row = next(o for o in await _orders(h2) if o.symbol.startswith("P-"))
        assert put_row.state == "closed" and put_row.filled_size == 1 and put_row.exchange_order_id is not None
        positions = {p.symbol: p.size for p in await h2.exchange.positions() if p.size}
        assert sorted(positions.values()) == [-1, -1]
        async with h2.app.state.services.sessionmaker() as db:
            kinds = [e.kind for e in (await db.scalars(select(SessionEvent).where(SessionEvent.strategy_id == sid))).all()]
        assert "engine_recovered" in kinds and "reconciled" in kinds


async def test_crash_before_the_put_reached_the_exchange_unwinds_the_call(tmp_path) -> None:
    h = Harness(tmp_path)
    async with h:
        sid = await h.create()
        h.exchange.stall_before_place = {"P-"}
        await h.action(sid, "start")
        await _wait_stalled(h)
    h2 = await _restart(tmp_path, h)
    async with h2:
        await h2.drive(lambda: _closed(h2, sid), step=1, max_steps=80)
        session = await _session(h2, sid)
        assert session.exit_reason == "entry_failed"
        put_row = next(o for o in await _orders(h2) if o.symbol.startswith("P-"))
        assert put_row.state == "cancelled" and "never reached" in (put_row.error or "")
        assert {p.symbol: p.size for p in await h2.exchange.positions() if p.size} == {}
        _exchange_orders_unique(h2)


async def _closed(h: Harness, sid: int) -> bool:
    s = await _session(h, sid)
    return s is not None and s.status == "closed"


async def test_crash_mid_exit_finishes_the_exit_without_duplicates(tmp_path) -> None:
    h = Harness(tmp_path)
    async with h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        h.exchange.stall_after_place = {"C-"}
        await h.action(sid, "stop")
        await _wait_stalled(h)
        assert (await _session(h, sid)).status == "exiting"
    h2 = await _restart(tmp_path, h)
    async with h2:
        await h2.drive(h2.state_is(sid, "closed"), step=1, max_steps=80)
        session = await _session(h2, sid)
        assert session.status == "closed" and session.exit_reason == "manual_stop"
        assert session.net_pnl == session.gross_pnl - session.fees
        assert {p.symbol: p.size for p in await h2.exchange.positions() if p.size} == {}
        ids = _exchange_orders_unique(h2)
        assert len(ids) == 4  # two sells, two buy-backs


async def test_foreign_positions_are_never_adopted_and_a_mismatch_is_an_error(tmp_path) -> None:
    h = Harness(tmp_path)
    async with h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        session = await _session(h, sid)
        async with h.app.state.services.sessionmaker() as db:
            call_symbol = (await db.scalars(select(EngineOrder.symbol).where(EngineOrder.session_id == session.id))).first()
    # Someone trades the same contract by hand while the engine is down.
    await h.exchange.place_order(OrderRequest(symbol=call_symbol, side="sell", size=2, order_type="market", time_in_force="ioc",
                                              client_order_id="manual-trade-1"))
    h2 = await _restart(tmp_path, h)
    async with h2:
        await h2.drive(h2.state_is(sid, "error"), step=1, max_steps=20)
        rt = await h2.runtime(sid)
        assert "mismatch" in rt["detail"]
        # Nothing was bought or sold to "fix" it: the engine placed no order after the restart.
        assert len(h2.exchange.orders) == 3
        assert {p.symbol: p.size for p in await h2.exchange.positions()}[call_symbol] == -3

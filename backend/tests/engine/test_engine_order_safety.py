"""Order safety when the exchange cannot confirm what happened to a working order.

An order whose cancel is never confirmed (or whose status cannot be read) may still fill: the engine
must neither place another order for that leg nor close the session around it, and an operator
action arriving while an order is being polled must not turn the poll into a busy loop."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from sqlalchemy import select

from deltaplane.exchange.errors import RateLimitError, Unavailable
from deltaplane.exchange.paper.market import PaperConfig
from deltaplane.exchange.protocol import Order, OrderRequest, Ticker
from deltaplane.strategy.models import EngineOrder, TradingSession
from tests.engine.harness import Harness, ScriptedPaperExchange


class StubbornExchange(ScriptedPaperExchange):
    """Levers: a symbol prefix with no bids/asks (its orders rest), cancels that fail, lookups that fail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.no_bid: set[str] = set()  # sells of these rest
        self.no_ask: set[str] = set()  # buys of these rest
        self.cancel_fails: set[str] = set()
        self.lookup_errors = 0  # the next N order lookups fail with a client-side 429 (no I/O)
        self.double_placed: list[tuple[str, str]] = []  # (symbol, side) placed while another of ours worked
        self.lookups_without_yield = 0
        self.max_lookups_without_yield = 0

    def ticker_now(self, symbol: str) -> Ticker:
        t = super().ticker_now(symbol)
        if any(symbol.startswith(p) for p in self.no_bid):
            t = msgspec.structs.replace(t, best_bid=None, bid_size=0)
        if any(symbol.startswith(p) for p in self.no_ask):
            t = msgspec.structs.replace(t, best_ask=None, ask_size=0)
        return t

    async def place_order(self, req: OrderRequest) -> Order:
        if any(o.symbol == req.symbol and o.state == "open" for o in self.orders.values()):
            self.double_placed.append((req.symbol, req.side))
        return await super().place_order(req)

    async def cancel_order(self, *, client_order_id: str | None = None, order_id: int | None = None,
                           symbol: str | None = None) -> Order:
        if symbol is not None and any(symbol.startswith(p) for p in self.cancel_fails):
            raise Unavailable("cancel: 503", code="unavailable")
        return await super().cancel_order(client_order_id=client_order_id, order_id=order_id, symbol=symbol)

    async def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        self.lookups_without_yield += 1
        self.max_lookups_without_yield = max(self.max_lookups_without_yield, self.lookups_without_yield)
        if self.lookup_errors > 0:
            self.lookup_errors -= 1
            raise RateLimitError("client-side rate budget exhausted", reset_after_s=0.01, code="client_rate_budget")
        return await super().get_order_by_client_id(client_order_id)


async def _heartbeat(ex: StubbornExchange) -> None:
    while True:
        ex.lookups_without_yield = 0
        await asyncio.sleep(0)


async def _session(h: Harness, sid: int) -> TradingSession:
    async with h.app.state.services.sessionmaker() as db:
        return await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid).order_by(TradingSession.created_at.desc()))


async def _working(h: Harness) -> list[Order]:
    return [o for o in h.exchange.orders.values() if o.state in ("open", "pending")]


async def _positions(h: Harness) -> dict[str, int]:
    return {p.symbol: p.size for p in await h.exchange.positions() if p.size}


def _entry_over(h: Harness, sid: int) -> Any:
    async def check() -> bool:
        session = await _session(h, sid)
        return session is not None and (session.status != "entering" or await h.state(sid) == "error")
    return check


def _harness(tmp_path) -> Harness:
    h = Harness(tmp_path)
    h.exchange = StubbornExchange(PaperConfig(seed=11), clock=h.clock)
    h.app.state.services.extras["exchanges"] = {"paper": h.exchange}
    return h


async def test_unconfirmed_cancel_at_entry_never_closes_the_session_around_a_working_order(tmp_path) -> None:
    async with _harness(tmp_path) as h:
        ex: StubbornExchange = h.exchange  # type: ignore[assignment]
        ex.no_bid.add("P-")  # the put sell rests
        ex.cancel_fails.add("P-")  # and its cancel is never confirmed
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(_entry_over(h, sid), step=5, max_steps=400)
        working = await _working(h)
        session = await _session(h, sid)
        assert working and all(o.symbol.startswith("P-") and o.side == "sell" for o in working)
        # the put sell may still fill: the session must stay tracked (not closed as entry_failed)
        assert session.status != "closed", session.exit_reason
        assert await h.state(sid) == "error"
        assert not ex.double_placed, ex.double_placed
        async with h.app.state.services.sessionmaker() as db:
            rows = (await db.scalars(select(EngineOrder).where(EngineOrder.session_id == session.id))).all()
        assert any(r.client_order_id == working[0].client_order_id and r.state == "open" for r in rows)

        # Operator stop while the cancel still fails: reconciliation must not take the failure for success.
        assert (await h.action(sid, "stop")).status_code == 200
        await h.drive(h.state_is(sid, "error", "closed"), step=5, max_steps=400)
        assert (await _session(h, sid)).status != "closed"
        assert await _working(h), "nothing cancelled it"
        assert not ex.double_placed, ex.double_placed

        # The exchange answers again: the next stop settles the order and unwinds cleanly.
        ex.cancel_fails.clear()
        ex.no_bid.clear()
        assert (await h.action(sid, "stop")).status_code == 200
        await h.drive(h.state_is(sid, "closed", "error"), step=5, max_steps=400)
        assert await h.state(sid) == "closed", (await h.runtime(sid))["detail"]
        assert await _working(h) == [] and await _positions(h) == {}
        assert not ex.double_placed, ex.double_placed


async def test_unconfirmed_cancel_at_exit_never_places_a_second_order_for_the_leg(tmp_path) -> None:
    async with _harness(tmp_path) as h:
        ex: StubbornExchange = h.exchange  # type: ignore[assignment]
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        ex.no_ask.add("P-")  # the put buy-back rests
        ex.cancel_fails.add("P-")
        await h.action(sid, "stop")
        await h.drive(h.state_is(sid, "error", "closed"), step=5, max_steps=400)
        assert not ex.double_placed, ex.double_placed
        positions = await _positions(h)
        assert not any(s.startswith("C-") for s in positions)  # the other leg still exits
        assert any(s.startswith("P-") for s in positions) and await h.state(sid) == "error"

        ex.cancel_fails.clear()
        ex.no_ask.clear()
        assert (await h.action(sid, "flatten")).status_code == 200
        await h.drive(h.state_is(sid, "closed", "error"), step=5, max_steps=400)
        assert await h.state(sid) == "closed", (await h.runtime(sid))["detail"]
        assert await _working(h) == [] and await _positions(h) == {}
        assert not ex.double_placed, ex.double_placed


async def test_an_operator_action_during_order_polling_does_not_busy_loop(tmp_path) -> None:
    async with _harness(tmp_path) as h:
        ex: StubbornExchange = h.exchange  # type: ignore[assignment]
        ex.no_bid.add("P-")  # the put sell rests, so the engine polls it
        beat = asyncio.get_running_loop().create_task(_heartbeat(ex))
        try:
            sid = await h.create()
            await h.action(sid, "start")

            async def put_resting() -> bool:
                return any(o.symbol.startswith("P-") for o in await _working(h))
            await h.drive(put_resting, step=5, max_steps=400)
            await h.settle()
            polls_before = len(ex.placed)
            ex.lookup_errors = 4  # a rate-limit burst on the status reads (fewer than the cancel retries)
            await h.action(sid, "stop")  # leaves the runner's wake flag set while it polls
            await h.drive(h.state_is(sid, "closed", "error"), step=1, max_steps=400)
        finally:
            beat.cancel()
        # polling waits between reads whatever the operator does; it never spins without yielding
        assert ex.max_lookups_without_yield <= 3, ex.max_lookups_without_yield
        assert len(ex.placed) >= polls_before
        assert await _working(h) == [] and await _positions(h) == {}
        assert not ex.double_placed, ex.double_placed



async def test_kill_switch_also_flattens_a_strategy_in_error_that_holds_legs(tmp_path) -> None:
    async with _harness(tmp_path) as h:
        ex: StubbornExchange = h.exchange  # type: ignore[assignment]
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        ex.no_ask.add("P-")  # the put buy-back rests and its cancel is never confirmed:
        ex.cancel_fails.add("P-")  # the strategy ends in error still short the put
        await h.action(sid, "stop")
        await h.drive(h.state_is(sid, "error", "closed"), step=5, max_steps=400)
        assert await h.state(sid) == "error" and any(s.startswith("P-") for s in await _positions(h))

        ex.cancel_fails.clear()
        ex.no_ask.clear()
        r = await h.api("POST", "/api/engine/kill")
        assert r.status_code == 200 and sid in r.json()["flattened"], r.text
        await h.drive(h.state_is(sid, "closed"), step=5, max_steps=400)
        assert await _working(h) == [] and await _positions(h) == {}
        assert not ex.double_placed, ex.double_placed

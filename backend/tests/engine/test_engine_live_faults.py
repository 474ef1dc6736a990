"""Live sessions against the fake Delta server on loopback through each fault class: a 429 storm,
a 5xx burst, ticker socket drops, expired signatures. After each the books agree with the exchange
(no duplicate or untracked orders, every leg's quantity equals its fills, positions match), exits
still happen, and the trouble is visible: exchange health in the runtime payload, on the
`exchange` topic and in the session timeline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.delta.exchange import DeltaExchange
from deltaplane.exchange.fake_delta.server import FakeDeltaServer
from deltaplane.exchange.health import ExchangeHealth
from deltaplane.exchange.paper.market import PaperConfig
from deltaplane.strategy.models import EngineOrder, Leg, SessionEvent, TradingSession
from tests.engine.harness import START, Harness, ScriptedPaperExchange, make_exchange


async def short_wall_sleep(seconds: float) -> None:
    """The adapter's own waits (rate-limit resets, the signature-window settle after an unknown
    order outcome: tests/exchange covers their lengths) shortened to wall milliseconds: the engine
    here runs on a simulated clock and the harness expects it to settle quickly."""
    await asyncio.sleep(min(seconds, 0.05))


@contextlib.asynccontextmanager
async def live_session_env(tmp_path) -> AsyncIterator[tuple[Harness, FakeDeltaServer, DeltaExchange]]:
    clock = SimulatedClock(START)
    server = FakeDeltaServer(paper=ScriptedPaperExchange(PaperConfig(seed=5), clock=clock))
    async with server:
        h = Harness(tmp_path, clock=clock, exchange=make_exchange(clock), live_trading_enabled=True)
        live = DeltaExchange.create(
            "india-testnet", api_key="test-key", api_secret="test-secret", base_url=server.base_url, ws_url=server.ws_url,
            timeout_s=2.0, health=ExchangeHealth(hold_s=0.05), sleep=short_wall_sleep,
            stream_options={"poll_interval_s": 0.05, "backoff_initial_s": 0.02, "backoff_max_s": 0.1})
        h.app.state.services.extras["exchanges"] = {"paper": h.exchange, "live": live}
        try:
            async with h:
                yield h, server, live
        finally:
            await live.close()


async def start_open(h: Harness) -> int:
    sid = await h.create(mode="live")
    assert (await h.action(sid, "start")).status_code == 200
    await h.drive(h.state_is(sid, "open", "error"), step=5, max_steps=400)
    assert await h.state(sid) == "open", (await h.runtime(sid))["detail"]
    return sid


async def stop_closed(h: Harness, sid: int) -> None:
    await h.action(sid, "stop")
    await h.drive(h.state_is(sid, "closed", "error"), step=1, max_steps=600)
    assert await h.state(sid) == "closed", (await h.runtime(sid))["detail"]


async def event_kinds(h: Harness, sid: int) -> list[str]:
    async with h.app.state.services.sessionmaker() as db:
        return list((await db.scalars(select(SessionEvent.kind).where(SessionEvent.strategy_id == sid).order_by(SessionEvent.id))).all())


def has_events(h: Harness, sid: int, *kinds: str):
    async def check() -> bool:
        seen = await event_kinds(h, sid)
        return all(k in seen for k in kinds)
    return check


async def assert_books_agree(h: Harness, server: FakeDeltaServer, sid: int) -> None:
    """Every exchange order is one of ours, once; nothing is left working; legs equal their fills;
    the exchange holds exactly what the strategy's active sessions hold."""
    async with h.app.state.services.sessionmaker() as db:
        sessions = (await db.scalars(select(TradingSession).where(TradingSession.strategy_id == sid))).all()
        ids = [s.id for s in sessions]
        rows = (await db.scalars(select(EngineOrder).where(EngineOrder.session_id.in_(ids)))).all()
        legs = (await db.scalars(select(Leg).where(Leg.session_id.in_(ids)))).all()
    ours = {r.client_order_id: r for r in rows}
    theirs = list(server.paper.orders.values())
    cids = [o.client_order_id for o in theirs]
    assert len(cids) == len(set(cids)), "an order was placed twice"
    assert set(cids) <= set(ours), f"orders the engine does not track: {set(cids) - set(ours)}"
    for order in theirs:
        row = ours[order.client_order_id]
        assert order.state not in ("open", "pending"), f"{order.client_order_id} left working"
        assert row.exchange_order_id == order.id and row.filled_size == order.filled_size and row.state == order.state
    for cid, row in ours.items():
        if cid not in cids:
            assert row.state in ("cancelled", "rejected") and row.filled_size == 0, (cid, row.state, row.error)
    for leg in legs:
        filled = [r for r in rows if r.leg_id == leg.id]
        assert leg.entry_qty == sum(r.filled_size for r in filled if r.side == "sell")
        assert leg.exit_qty == sum(r.filled_size for r in filled if r.side == "buy")
    active = {s.id for s in sessions if s.status in ("entering", "open", "exiting", "error")}
    expected: dict[str, int] = {}
    for leg in legs:
        if leg.session_id in active and leg.entry_qty != leg.exit_qty:
            expected[leg.symbol] = expected.get(leg.symbol, 0) - (leg.entry_qty - leg.exit_qty)
    assert {p.symbol: p.size for p in await server.paper.positions() if p.size} == expected
    assert h.exchange.orders == {}  # live never falls back to paper


async def test_429_storm_at_entry_is_waited_out_pushed_and_recorded(tmp_path) -> None:
    async with live_session_env(tmp_path) as (h, server, live):
        hub = h.engine.hub
        sub = hub.connect("test")
        await hub.subscribe(sub, "exchange")
        # more 429s on order placement than a leg has attempts (2 limit + market): the engine must wait
        # them out instead of spending its attempts (each refusal also blocks every request for 0.3 s)
        server.faults.queue("rate_limit", match="POST /v2/orders", count=7, reset_ms=300)
        sid = await start_open(h)
        assert not server.faults.pending and len(server.faults.fired) == 7
        await h.drive(has_events(h, sid, "exchange_rate_limited", "exchange_recovered"), step=1, max_steps=100)
        rt = await h.runtime(sid)
        assert rt["exchange"]["state"] == "ok" and rt["exchange"]["exchange"] == "delta"
        pushed = []
        while not sub.queue.empty():
            message = sub.queue.get_nowait()
            if message["type"] == "event":
                pushed.append(message["data"]["health"])
        limited = [p for p in pushed if p["state"] == "rate_limited"]
        assert limited and limited[0]["retry_at"] and limited[0]["retry_in_s"] is not None
        assert pushed[-1]["state"] == "ok"
        status = (await h.api("GET", "/api/exchange/status")).json()
        assert status["health"]["state"] == "ok" and status["health"]["last_error"].startswith(("rate_limited", "client_rate_budget"))
        await assert_books_agree(h, server, sid)
        await stop_closed(h, sid)
        await assert_books_agree(h, server, sid)


async def test_5xx_burst_and_429_storm_during_the_exit_still_exit_without_duplicates(tmp_path) -> None:
    async with live_session_env(tmp_path) as (h, server, live):
        sid = await start_open(h)
        await assert_books_agree(h, server, sid)
        # quotes for the exit fail for longer than the read retries last, then orders meet 5xx, a lost
        # answer (processed, then a 500) and a 429 storm: the exit rounds must not all burn at once
        server.faults.queue("server_error", match="GET /v2/tickers/", count=12, status=503)
        server.faults.queue("server_error", match="POST /v2/orders", count=2, status=502)
        server.faults.queue("server_error_after", match="POST /v2/orders", count=1)
        server.faults.queue("rate_limit", match="POST /v2/orders", count=14, reset_ms=200)
        await stop_closed(h, sid)
        assert not server.faults.pending, server.faults.pending
        kinds = await event_kinds(h, sid)
        assert "exchange_degraded" in kinds and "exchange_rate_limited" in kinds
        async with h.app.state.services.sessionmaker() as db:
            session = await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid))
            degraded = await db.scalar(select(SessionEvent).where(SessionEvent.kind == "exchange_degraded"))
        assert session.exit_reason == "manual_stop" and session.status == "closed"
        assert degraded is not None and degraded.session_id == session.id and degraded.level == "warning"
        await assert_books_agree(h, server, sid)
        assert {p.symbol: p.size for p in await server.paper.positions() if p.size} == {}


async def test_ticker_socket_drops_fall_back_to_polling_and_the_exit_still_happens(tmp_path) -> None:
    async with live_session_env(tmp_path) as (h, server, live):
        sid = await start_open(h)
        await h.drive(lambda: _true(server.ws_connects >= 1), step=1, max_steps=50)
        server.refuse_sockets(1_000_000)
        await server.drop_sockets()

        async def reconnecting() -> bool:
            await asyncio.sleep(0.01)  # let the stream notice the drop (wall time)
            return (await h.runtime(sid))["exchange"]["state"] == "reconnecting"
        await h.drive(reconnecting, step=0.1, max_steps=300)
        rt = await h.runtime(sid)
        assert rt["exchange"]["ticker"] == "reconnecting" and "REST polling" in rt["exchange"]["message"]
        polls_before = len([r for r in server.requests if r.path.startswith("/v2/tickers/")])
        server.paper.mark_factor = Decimal("0.05")  # premiums collapse: take profit, seen only through REST
        await h.drive(h.state_is(sid, "waiting", "closed", "error"), step=1, max_steps=300)
        assert len([r for r in server.requests if r.path.startswith("/v2/tickers/")]) > polls_before
        async with h.app.state.services.sessionmaker() as db:
            session = await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid))
        assert session.status == "closed" and session.exit_reason == "take_profit"
        # the monitoring stream is gone with the session: nothing is reconnecting any more
        await h.drive(has_events(h, sid, "exchange_reconnecting", "exchange_recovered"), step=1, max_steps=50)
        assert live.health.snapshot().state == "ok"
        await assert_books_agree(h, server, sid)
        assert {p.symbol: p.size for p in await server.paper.positions() if p.size} == {}


async def test_expired_signatures_and_a_skewed_server_clock_are_survived(tmp_path) -> None:
    async with live_session_env(tmp_path) as (h, server, live):
        server.clock_skew_s = 30.0  # every signature looks 30 s old: learned from the first refusal
        server.faults.queue("expired_signature_string", match="POST /v2/orders", count=6)  # no server time to learn from
        sid = await start_open(h)
        await h.drive(has_events(h, sid, "exchange_auth_error", "exchange_recovered"), step=1, max_steps=100)
        rt = await h.runtime(sid)
        assert rt["exchange"]["state"] == "ok" and 29 <= rt["exchange"]["clock_offset_s"] <= 31
        async with h.app.state.services.sessionmaker() as db:
            refused = (await db.scalars(select(EngineOrder).where(EngineOrder.exchange_order_id.is_(None)))).all()
            auth = await db.scalar(select(SessionEvent).where(SessionEvent.kind == "exchange_auth_error"))
        assert len(refused) == 6 and all("not placed" in (r.error or "") for r in refused)
        assert auth is not None and auth.level == "error" and "clock" in auth.message
        assert server.order_posts and all(n == 1 for n in server.order_posts.values() if n)
        await assert_books_agree(h, server, sid)
        await stop_closed(h, sid)
        await assert_books_agree(h, server, sid)


async def _true(value: Any) -> bool:
    return bool(value)

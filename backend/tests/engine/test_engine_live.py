"""Live mode end to end against the fake Delta server on loopback (signed REST, faults injected)."""

from __future__ import annotations

from sqlalchemy import select

from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.delta.exchange import DeltaExchange
from deltaplane.exchange.fake_delta.server import FakeDeltaServer
from deltaplane.exchange.paper.exchange import PaperExchange
from deltaplane.exchange.paper.market import PaperConfig
from deltaplane.strategy.models import TradingSession
from tests.engine.harness import START, Harness, make_exchange


def _live_harness(tmp_path, server: FakeDeltaServer, clock: SimulatedClock) -> Harness:
    h = Harness(tmp_path, clock=clock, exchange=make_exchange(clock), live_trading_enabled=True)
    live = DeltaExchange.create("india-testnet", api_key="test-key", api_secret="test-secret", base_url=server.base_url,
                                ws_url=server.ws_url, timeout_s=2.0)
    h.app.state.services.extras["exchanges"] = {"paper": h.exchange, "live": live}
    return h


async def _session(h: Harness, sid: int) -> TradingSession:
    async with h.app.state.services.sessionmaker() as db:
        return await db.scalar(select(TradingSession).where(TradingSession.strategy_id == sid))


async def test_live_session_survives_429_and_lost_order_responses_without_duplicates(tmp_path) -> None:
    clock = SimulatedClock(START)
    server = FakeDeltaServer(paper=PaperExchange(PaperConfig(seed=5), clock=clock))
    async with server:
        h = _live_harness(tmp_path, server, clock)
        async with h:
            sid = await h.create(mode="live")
            server.faults.queue("rate_limit", match="POST /v2/orders", count=1)
            server.faults.queue("lost_response", match="POST /v2/orders", count=1)
            assert (await h.action(sid, "start")).status_code == 200
            await h.drive(h.state_is(sid, "open", "error"), step=30, max_steps=400)
            assert await h.state(sid) == "open"
            assert all(n == 1 for n in server.order_posts.values() if n), server.order_posts  # retries never re-posted an order
            assert len(server.paper.orders) == 2
            assert h.exchange.orders == {}  # live never falls back to paper
            await h.action(sid, "stop")
            await h.drive(h.state_is(sid, "closed", "error"), step=1, max_steps=200)
            assert await h.state(sid) == "closed"
            session = await _session(h, sid)
            assert session.mode == "live" and session.exit_reason == "manual_stop"
            assert {p.symbol: p.size for p in await server.paper.positions() if p.size} == {}
            assert len(server.paper.orders) == 4


async def test_live_strategy_refuses_to_start_when_live_trading_is_disabled(tmp_path) -> None:
    clock = SimulatedClock(START)
    server = FakeDeltaServer(paper=PaperExchange(PaperConfig(seed=5), clock=clock))
    async with server:
        h = _live_harness(tmp_path, server, clock)
        async with h:
            sid = await h.create(mode="live")
            h.engine.live_trading_enabled = False  # the operator turned the switch off after creating it
            r = await h.action(sid, "start")
            assert r.status_code == 409 and "live trading is disabled" in r.json()["detail"]
            assert await h.state(sid) == "idle"


async def test_unreachable_live_exchange_is_an_error_never_a_paper_fallback(tmp_path) -> None:
    clock = SimulatedClock(START)
    server = FakeDeltaServer(paper=PaperExchange(PaperConfig(seed=5), clock=clock))
    async with server:
        h = _live_harness(tmp_path, server, clock)
    async with h:  # the server is gone now
        sid = await h.create(mode="live")
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "error"), step=30, max_steps=400)
        rt = await h.runtime(sid)
        assert "engine error" in rt["detail"]
        assert h.exchange.orders == {}


async def test_exchange_status_and_test_connection_never_reveal_secrets(tmp_path) -> None:
    clock = SimulatedClock(START)
    server = FakeDeltaServer(paper=PaperExchange(PaperConfig(seed=5), clock=clock))
    async with server:
        h = _live_harness(tmp_path, server, clock)
        async with h:
            status = (await h.api("GET", "/api/exchange/status")).json()
            assert status["live_configured"] is True and status["live_trading_enabled"] is True
            r = await h.api("POST", "/api/exchange/test")
            body = r.json()
            assert r.status_code == 200 and body["ok"] is True and body["auth_ok"] is True and body["exchange"] == "delta"
            assert "test-secret" not in r.text and "test-secret" not in (await h.api("GET", "/api/exchange/status")).text
            server.api_keys = {"test-key": "rotated-secret"}  # our key no longer matches: auth fails
            bad = (await h.api("POST", "/api/exchange/test")).json()
            assert bad["ok"] is False


async def test_paper_only_deployment_reports_paper(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        status = (await h.api("GET", "/api/exchange/status")).json()
        assert status["live_configured"] is False and status["credentials_present"] is False
        body = (await h.api("POST", "/api/exchange/test")).json()
        assert body["ok"] is True and body["exchange"] == "paper"

"""Exchange health of the live adapter against the fake Delta server: each fault class shows as what
it is (rate limited with a retry time, degraded, reconnecting ticker, auth/clock skew) and clears."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest

from deltaplane.exchange.errors import AuthError, RateLimitError, Unavailable
from deltaplane.exchange.fake_delta import FakeDeltaServer
from deltaplane.exchange.health import ExchangeHealth, ExchangeHealthRead
from tests.exchange.conftest import make_adapter


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


def recorder(health: ExchangeHealth) -> list[ExchangeHealthRead]:
    seen: list[ExchangeHealthRead] = []
    health.subscribe(lambda current, _previous: seen.append(current))
    return seen


async def test_rate_limit_shows_retry_time_then_clears(server: FakeDeltaServer) -> None:
    adapter = make_adapter(server, health=ExchangeHealth(hold_s=0.05), read_retries=0)
    seen = recorder(adapter.health)
    try:
        server.faults.queue("rate_limit", match="GET /v2/wallet/balances", reset_ms=400)
        with pytest.raises(RateLimitError):
            await adapter.balances()
        snap = adapter.health.snapshot()
        assert snap.state == "rate_limited" and snap.rest == "rate_limited"
        assert snap.retry_at is not None and 0.2 < (snap.retry_in_s or 0) <= 0.4
        assert "429" in snap.message and snap.since is not None
        # while blocked, our own budget refuses before sending: still rate limited, nothing reaches the server
        sent = len(server.requests)
        with pytest.raises(RateLimitError):
            await adapter.balances()
        assert len(server.requests) == sent and adapter.health.snapshot().state == "rate_limited"
        await asyncio.sleep(0.45)
        await adapter.balances()
        await until(lambda: adapter.health.snapshot().state == "ok")
        assert [s.state for s in seen][0] == "rate_limited" and seen[-1].state == "ok"
        assert seen[-1].retry_at is None
    finally:
        await adapter.close()


async def test_5xx_burst_degrades_and_recovers_after_the_hold(server: FakeDeltaServer) -> None:
    adapter = make_adapter(server, health=ExchangeHealth(hold_s=0.2), read_retries=0)
    try:
        server.faults.queue("server_error", match="GET /v2/wallet/balances", count=3, status=503)
        for _ in range(3):
            with pytest.raises(Unavailable):
                await adapter.balances()
        snap = adapter.health.snapshot()
        assert snap.state == "degraded" and snap.last_error is not None and "unavailable" in snap.last_error
        await adapter.balances()  # the burst is over; ok only once the hold since the last error passed
        assert adapter.health.snapshot().state == "degraded"
        await until(lambda: adapter.health.snapshot().state == "ok")
        # a business answer (order not found) is a healthy exchange, not an error
        assert await adapter.get_order_by_client_id("never-placed") is None
        assert adapter.health.snapshot().state == "ok"
    finally:
        await adapter.close()


async def test_expired_signature_without_server_time_is_an_auth_error(server: FakeDeltaServer) -> None:
    adapter = make_adapter(server, health=ExchangeHealth(hold_s=0.05))
    try:
        server.faults.queue("expired_signature_string", match="GET /v2/wallet/balances")
        with pytest.raises(AuthError):
            await adapter.balances()
        snap = adapter.health.snapshot()
        assert snap.state == "auth_error" and "clock skew" in snap.message and "NTP" in snap.message
        await adapter.balances()
        await until(lambda: adapter.health.snapshot().state == "ok")
    finally:
        await adapter.close()


async def test_real_clock_skew_is_corrected_and_reported_without_an_error_state(server: FakeDeltaServer) -> None:
    server.clock_skew_s = 40.0
    adapter = make_adapter(server)
    seen = recorder(adapter.health)
    try:
        await adapter.balances()  # 401 expired_signature with server_time -> offset learned, re-signed once
        snap = adapter.health.snapshot()
        assert snap.state == "ok" and snap.clock_offset_s is not None and 39 < snap.clock_offset_s < 41
        assert "clock offset" in snap.message
        assert all(s.state == "ok" for s in seen)
    finally:
        await adapter.close()


async def test_ticker_socket_drop_shows_reconnecting_until_the_socket_is_back(adapter, server: FakeDeltaServer) -> None:
    stream = adapter.ticker_stream(["C-BTC-90000-310125"])
    assert adapter.health.snapshot().ticker == "idle"
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), 5)
        assert adapter.health.snapshot().ticker == "ok"
        server.refuse_sockets(1_000_000)
        await server.drop_sockets()
        await until(lambda: adapter.health.snapshot().state == "reconnecting")
        snap = adapter.health.snapshot()
        assert snap.ticker_failures >= 1 and "REST polling" in snap.message and snap.since is not None
        server.refuse_sockets(0)
        await until(lambda: adapter.health.snapshot().state == "ok")
        assert adapter.health.snapshot().ticker == "ok"
    finally:
        await stream.stop()
    assert adapter.health.snapshot().ticker == "idle"


async def test_health_probe_notices_an_outage_and_its_end_with_no_other_traffic(server: FakeDeltaServer) -> None:
    adapter = make_adapter(server, health=ExchangeHealth(hold_s=0.05))
    try:
        server.faults.queue("server_error", match="GET /v2/wallet/balances", count=2, status=502)
        adapter.start_health_probe(0.05)
        await until(lambda: adapter.health.snapshot().state == "degraded")
        await until(lambda: adapter.health.snapshot().state == "ok")
        assert not server.faults.pending
    finally:
        await adapter.close()
    assert adapter._probe_task is None


async def test_control_api_injects_faults_and_reports_state() -> None:
    server = FakeDeltaServer(control=True)
    async with server:
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            r = await http.post("/_control/faults", json=[{"kind": "server_error", "match": "GET /v2/wallet", "count": 2,
                                                           "params": {"status": 502}}])
            assert r.json() == {"queued": 1, "pending": 1}
            assert (await http.post("/_control/faults", json={"kind": "nope"})).status_code == 400
            assert (await http.post("/_control/sockets", json={"refuse": 2, "drop": True})).json()["refusing"] == 2
            assert (await http.post("/_control/clock_skew", json={"seconds": 3})).json() == {"clock_skew_s": 3.0}
            state = (await http.get("/_control/state")).json()
            assert state["pending"] == [{"kind": "server_error", "match": "GET /v2/wallet", "count": 2}]
            assert state["orders"] == [] and state["positions"] == {}
            assert (await http.delete("/_control/faults")).json() == {"pending": 0}
    async with FakeDeltaServer() as plain, httpx.AsyncClient(base_url=plain.base_url,
                                                             headers={"User-Agent": "t"}) as http:
        r = await http.get("/_control/state")  # off unless asked for: just another unknown, signed-only path
        assert r.status_code == 401 and "pending" not in r.text


def test_health_rules_worst_state_wins_and_an_expired_rate_limit_gives_way() -> None:
    now = [1000.0]
    health = ExchangeHealth(time_fn=lambda: now[0], hold_s=0.0)
    seen = recorder(health)
    health.stream_up(1)
    health.stream_down(1, "ConnectionClosedError", 1)
    assert health.snapshot().state == "reconnecting"
    health.rest_error(Unavailable("boom", code="unavailable"))
    assert health.snapshot().state == "degraded" and health.snapshot().ticker == "reconnecting"  # REST trouble first
    health.rest_error(RateLimitError(reset_after_s=5.0))
    snap = health.snapshot()
    assert snap.state == "rate_limited" and snap.retry_in_s == 5.0 and snap.since is not None
    health.rest_error(Unavailable("boom", code="unavailable"))  # inside the 429 window: still rate limited
    assert health.snapshot().state == "rate_limited"
    now[0] += 6
    health.rest_error(Unavailable("boom", code="unavailable"))  # the window is over: degraded is the news
    assert health.snapshot().state == "degraded" and health.snapshot().retry_at is None
    health.rest_error(AuthError("expired", code="expired_signature"))
    assert health.snapshot().state == "auth_error"
    health.rest_ok()  # hold 0: recovered at once; the ticker is still down
    assert health.snapshot().state == "reconnecting"
    health.stream_up(1)
    assert health.snapshot().state == "ok"
    assert [s.state for s in seen] == ["ok", "reconnecting", "degraded", "rate_limited", "degraded", "auth_error",
                                       "reconnecting", "ok"]

"""The live adapter against the fake Delta server on a real loopback socket."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from deltaplane.exchange.delta import DeltaExchange, RateBudget
from deltaplane.exchange.delta.rest import classify_error
from deltaplane.exchange.delta.wire import Envelope, ErrorBody
from deltaplane.exchange.errors import (
    AuthError,
    NotFound,
    OrderRejected,
    OrderStatusUnknown,
    RateLimitError,
    Timeout,
    Unavailable,
)
from deltaplane.exchange.protocol import Exchange, OrderRequest, parse_option_symbol

from .conftest import make_adapter


async def pick(adapter: DeltaExchange, kind: str = "call"):
    expiry = (await adapter.expiries("BTC"))[0]
    chain = await adapter.chain("BTC", expiry)
    spot = chain[0].spot
    return min((t for t in chain if t.symbol.startswith("C" if kind == "call" else "P")),
               key=lambda t: abs(parse_option_symbol(t.symbol)[2] - spot))


def order(t, cid, side="sell", size=2, **kw):
    price = kw.pop("price", t.best_bid if side == "sell" else t.best_ask)
    return OrderRequest(symbol=t.symbol, side=side, size=size, limit_price=price, client_order_id=cid, **kw)


def orders_with(server, cid):
    return [o for o in server.paper.orders.values() if o.client_order_id == cid]


async def test_adapter_satisfies_protocol(adapter):
    assert isinstance(adapter, Exchange)


async def test_market_data_endpoints(adapter, server):
    expiries = await adapter.expiries("BTC")
    assert expiries == await server.paper.expiries("BTC")
    instruments = await adapter.instruments("BTC", expiries[0])
    assert instruments and {i.contract_value for i in instruments} == {Decimal("0.001")}
    assert {i.tick_size for i in instruments} == {Decimal("0.1")}  # read from /v2/products at run time
    chain = await adapter.chain("BTC", expiries[0])
    paper_chain = await server.paper.chain("BTC", expiries[0])
    assert [t.symbol for t in chain] == [t.symbol for t in paper_chain]
    assert [(t.best_bid, t.best_ask, t.bid_size) for t in chain] == [
        (t.best_bid, t.best_ask, t.bid_size) for t in paper_chain]  # read from `quotes`
    one = await adapter.ticker(chain[3].symbol)
    assert one.mark == paper_chain[3].mark
    assert one.product_id == {i.symbol: i.product_id for i in instruments}[one.symbol]
    assert await adapter.spot("BTC") == await server.paper.spot("BTC")
    with pytest.raises(NotFound):
        await adapter.ticker("C-BTC-1-010101")


async def test_order_lifecycle_endpoints(adapter, server):
    t = await pick(adapter)
    placed = await adapter.place_order(order(t, "leg-call", size=2))
    assert placed.state == "closed" and placed.average_fill_price == t.best_bid and placed.symbol == t.symbol
    assert (await adapter.get_order(placed.id)).client_order_id == "leg-call"
    assert (await adapter.get_order_by_client_id("leg-call")).id == placed.id
    assert await adapter.get_order_by_client_id("nope") is None
    (position,) = await adapter.positions()
    assert position.symbol == t.symbol and position.size == -2
    assert (await adapter.position(t.symbol)).size == -2
    (balance,) = await adapter.balances()
    assert balance.asset == "USD" and balance.balance > Decimal("100000")
    fills = await adapter.fills()
    assert len(fills) == 1 and fills[0].commission > 0
    assert await adapter.fills(since=fills[0].created_at + timedelta(seconds=1)) == []

    resting = await adapter.place_order(order(t, "rest-1", side="buy", size=1, price=Decimal("1")))
    resting2 = await adapter.place_order(order(t, "rest-2", side="buy", size=1, price=Decimal("1")))
    assert {o.id for o in await adapter.open_orders()} == {resting.id, resting2.id}
    assert {o.id for o in await adapter.open_orders(t.symbol)} == {resting.id, resting2.id}
    cancelled = await adapter.cancel_order(client_order_id="rest-1")
    assert cancelled.state == "cancelled"
    cancelled2 = await adapter.cancel_order(order_id=resting2.id, symbol=t.symbol)
    assert cancelled2.state == "cancelled"
    await adapter.place_order(order(t, "rest-3", side="buy", size=1, price=Decimal("1")))
    await adapter.cancel_all()
    assert await adapter.open_orders() == []
    with pytest.raises(OrderRejected) as exc:
        await adapter.cancel_order(client_order_id="rest-3", symbol=t.symbol)
    assert exc.value.code == "open_order_not_found"


async def test_same_client_order_id_twice_returns_the_first_order(adapter, server):
    t = await pick(adapter)
    first = await adapter.place_order(order(t, "dup"))
    second = await adapter.place_order(order(t, "dup", size=7))
    assert second.id == first.id and second.size == 2
    assert server.order_posts["dup"] == 1 and len(orders_with(server, "dup")) == 1


async def test_idempotent_across_adapter_restarts(server):
    from .conftest import make_adapter

    first_process = make_adapter(server)
    second_process = make_adapter(server)
    try:
        t = await pick(first_process)
        first = await first_process.place_order(order(t, "restart-1"))
        again = await second_process.place_order(order(t, "restart-1"))  # knows nothing about the first
        assert again.id == first.id
        assert server.order_posts["restart-1"] == 1 and len(orders_with(server, "restart-1")) == 1
    finally:
        await first_process.close()
        await second_process.close()


# --- faults ------------------------------------------------------------------------------------------

async def test_read_retried_after_5xx_and_429(adapter, server):
    server.faults.queue("server_error", match="GET /v2/wallet/balances", status=503)
    server.faults.queue("rate_limit", match="GET /v2/wallet/balances", reset_ms=5)
    assert await adapter.balances()
    hits = [r for r in server.requests if r.path == "/v2/wallet/balances"]
    assert [r.status for r in hits] == [503, 429, 200]


async def test_read_retries_are_bounded(adapter, server):
    server.faults.queue("server_error", match="GET /v2/wallet/balances", count=10, status=500)
    with pytest.raises(Unavailable):
        await adapter.balances()
    assert len([r for r in server.requests if r.path == "/v2/wallet/balances"]) == 3  # 1 + 2 retries


async def test_slow_read_times_out_then_retry_succeeds(adapter, server):
    server.faults.queue("delay", match="GET /v2/positions/margined", seconds=2.0)
    assert await adapter.positions() == []
    statuses = [r.fault for r in server.requests if r.path == "/v2/positions/margined"]
    assert statuses == ["delay", None]


async def test_write_429_is_not_retried_and_reports_reset(adapter, server):
    t = await pick(adapter)
    server.faults.queue("rate_limit", match="POST /v2/orders", reset_ms=1500)
    with pytest.raises(RateLimitError) as exc:
        await adapter.place_order(order(t, "rl"))
    assert exc.value.reset_after_s == pytest.approx(1.5)
    assert server.order_posts["rl"] == 0 and orders_with(server, "rl") == []


async def test_5xx_before_processing_lookup_then_single_replacement(adapter, server):
    t = await pick(adapter)
    server.faults.queue("server_error", match="POST /v2/orders", status=503)
    placed = await adapter.place_order(order(t, "retry-safe"))
    assert placed.state == "closed"
    # first POST refused before processing; lookup proved absence; the second POST placed it once
    assert server.order_posts["retry-safe"] == 1 and len(orders_with(server, "retry-safe")) == 1
    paths = [(r.method, r.path) for r in server.requests if "retry-safe" in r.path or r.path == "/v2/orders"]
    assert paths == [("GET", "/v2/orders/client_order_id/retry-safe"), ("POST", "/v2/orders"),
                     ("GET", "/v2/orders/client_order_id/retry-safe"), ("POST", "/v2/orders")]
    assert [r.status for r in server.requests if r.method == "POST"] == [503, 200]


async def test_accepted_but_5xx_returns_the_existing_order(adapter, server):
    t = await pick(adapter)
    server.faults.queue("server_error_after", match="POST /v2/orders")
    placed = await adapter.place_order(order(t, "after-5xx"))
    assert server.order_posts["after-5xx"] == 1 and len(orders_with(server, "after-5xx")) == 1
    assert placed.id == orders_with(server, "after-5xx")[0].id


async def test_accepted_but_response_lost_no_duplicate(adapter, server):
    t = await pick(adapter)
    server.faults.queue("lost_response", match="POST /v2/orders", seconds=3.0)
    placed = await adapter.place_order(order(t, "lost-1"))
    assert placed.client_order_id == "lost-1"
    assert server.order_posts["lost-1"] == 1 and len(orders_with(server, "lost-1")) == 1
    assert len(await server.paper.fills()) == 1


async def test_outcome_unknown_when_the_lookup_fails_too(server):
    adapter = make_adapter(server, lookup_before_place=False)
    try:
        t = await pick(adapter)
        server.faults.queue("lost_response", match="POST /v2/orders", seconds=3.0)
        server.faults.queue("server_error", match="GET /v2/orders/client_order_id/", count=3)
        with pytest.raises(OrderStatusUnknown) as exc:
            await adapter.place_order(order(t, "unknown-1"))
        assert exc.value.context["client_order_id"] == "unknown-1"
        assert server.order_posts["unknown-1"] == 1  # never re-posted blindly
        assert (await adapter.get_order_by_client_id("unknown-1")).state == "closed"
    finally:
        await adapter.close()


async def test_order_rejections_are_typed(adapter, server):
    t = await pick(adapter)
    server.faults.queue("reject", match="POST /v2/orders", code="insufficient_margin", context={"required": "1"})
    with pytest.raises(OrderRejected) as exc:
        await adapter.place_order(order(t, "rej-1"))
    assert exc.value.code == "insufficient_margin" and exc.value.context == {"required": "1"}
    with pytest.raises(OrderRejected) as exc:  # the simulator's own margin check, through the wire
        await adapter.place_order(order(t, "rej-2", size=1_000_000))
    assert exc.value.code == "insufficient_margin"
    assert orders_with(server, "rej-1") == [] and server.order_posts["rej-1"] == 0  # refused up front


async def test_forced_partial_fill(adapter, server):
    t = await pick(adapter)
    server.faults.queue("partial_fill", match="POST /v2/orders", size=1)
    placed = await adapter.place_order(order(t, "part", size=5))
    assert placed.state == "open" and placed.unfilled_size == 4


async def test_expired_signature_object_shape_resyncs_and_retries_once(adapter, server):
    server.faults.queue("expired_signature", match="GET /v2/wallet/balances")
    assert await adapter.balances()
    assert [r.status for r in server.requests if r.path == "/v2/wallet/balances"] == [401, 200]


async def test_expired_signature_string_shape_is_an_auth_error(adapter, server):
    server.faults.queue("expired_signature_string", match="GET /v2/wallet/balances")
    with pytest.raises(AuthError) as exc:
        await adapter.balances()
    assert exc.value.code == "expired_signature"


async def test_real_clock_skew_is_learned_and_reported(server):
    server.clock_skew_s = 120.0  # the exchange's clock is two minutes ahead of ours
    adapter = make_adapter(server)
    try:
        report = await adapter.test_connection()
        assert report.auth_ok and report.clock_skew_s == pytest.approx(120.0, abs=2.0)
        assert report.rate_limit_remaining < 10_000
        assert await adapter.balances()  # later requests are signed with the learned offset
    finally:
        await adapter.close()


async def test_bad_credentials(server):
    adapter = make_adapter(server, api_secret="wrong")
    try:
        with pytest.raises(AuthError) as exc:
            await adapter.balances()
        assert exc.value.code == "invalid_signature"
        report = await adapter.test_connection()
        assert not report.auth_ok and report.error == "invalid_signature"
    finally:
        await adapter.close()
    adapter = make_adapter(server, api_key="other")
    try:
        with pytest.raises(AuthError) as exc:
            await adapter.balances()
        assert exc.value.code == "invalid_api_key"
    finally:
        await adapter.close()


async def test_server_enforces_the_weighted_limit(server):
    server.rate_limit = 10  # three 3-unit calls fit, the fourth does not
    adapter = make_adapter(server, read_retries=0)
    try:
        for _ in range(3):
            await adapter.balances()
        with pytest.raises(RateLimitError) as exc:
            await adapter.balances()
        assert 0 < exc.value.reset_after_s <= 300
    finally:
        await adapter.close()


async def test_client_side_budget_refuses_before_sending(server):
    adapter = make_adapter(server, budget=RateBudget(limit=6))
    try:
        await adapter.balances()
        await adapter.balances()
        sent = len(server.requests)
        with pytest.raises(RateLimitError) as exc:
            await adapter.balances()
        assert exc.value.code == "client_rate_budget" and len(server.requests) == sent
    finally:
        await adapter.close()


async def test_cdn_blocks_requests_without_user_agent(server):
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{server.base_url}/v2/products", headers={"User-Agent": ""})
    assert resp.status_code == 403 and resp.json()["message"] == "Request blocked by CDN"


async def test_secrets_never_logged(server, caplog):
    caplog.set_level(logging.DEBUG, logger="deltaplane")
    adapter = make_adapter(server, api_secret="test-secret")
    try:
        t = await pick(adapter)
        server.faults.queue("lost_response", match="POST /v2/orders", seconds=3.0)
        await adapter.place_order(order(t, "log-1"))
        await adapter.test_connection()
    finally:
        await adapter.close()
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "order_place_reconciled" in text
    assert "test-secret" not in text and "test-key" not in text and "signature'" not in text


def test_error_envelope_shapes_classified():
    obj = classify_error(400, Envelope(error=ErrorBody(code="insufficient_margin", context={"a": 1})), {})
    assert isinstance(obj, OrderRejected) and obj.context == {"a": 1}
    assert isinstance(classify_error(401, Envelope(error="SignatureExpired"), {}), AuthError)
    assert classify_error(401, Envelope(error="SignatureExpired"), {}).code == "expired_signature"
    assert isinstance(classify_error(403, Envelope(error="Forbidden", message="Request blocked by CDN"), {}),
                      AuthError)
    limited = classify_error(429, None, {"X-RATE-LIMIT-RESET": "2500"})
    assert isinstance(limited, RateLimitError) and limited.reset_after_s == 2.5
    assert isinstance(classify_error(503, None, {}), Unavailable)
    assert isinstance(classify_error(404, Envelope(error=ErrorBody(code="not_found")), {}), NotFound)


def test_timeout_is_typed():
    assert issubclass(Timeout, Exception) and issubclass(OrderStatusUnknown, Unavailable)


async def test_unknown_outcome_waits_out_the_signature_window_before_trusting_a_lookup(server):
    """An order request still in flight could be processed after a lookup that finds nothing; Delta
    refuses requests signed more than SIGNATURE_WINDOW_S ago, so the lookup waits for that first."""
    from deltaplane.exchange.delta.exchange import SETTLE_MARGIN_S, SIGNATURE_WINDOW_S

    waits: list[tuple[float, int]] = []

    async def recording_sleep(seconds: float) -> None:
        waits.append((seconds, len(server.requests)))

    adapter = make_adapter(server, sleep=recording_sleep)
    try:
        t = await pick(adapter)
        server.faults.queue("server_error", match="POST /v2/orders", status=503)
        placed = await adapter.place_order(order(t, "settle-1"))
        assert placed.client_order_id == "settle-1" and len(orders_with(server, "settle-1")) == 1
        posts = [i for i, r in enumerate(server.requests) if r.method == "POST" and r.path == "/v2/orders"]
        lookups_after_503 = [i for i, r in enumerate(server.requests)
                             if r.path == "/v2/orders/client_order_id/settle-1" and i > posts[0]]
        settles = [(s, n) for s, n in waits if s > 1.0]
        assert len(settles) == 1
        seconds, requests_before = settles[0]
        assert SIGNATURE_WINDOW_S < seconds <= SIGNATURE_WINDOW_S + SETTLE_MARGIN_S
        assert requests_before <= lookups_after_503[0]  # waited first, looked up after
    finally:
        await adapter.close()

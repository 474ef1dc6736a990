"""WebSocket ticker stream: heartbeat, reconnect + resubscribe, REST fallback, one merged stream."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from deltaplane.exchange.delta.stream import backoff_delays
from deltaplane.exchange.delta.wire import ticker_from_ws, ticker_to_ws_compact

WAIT = 5.0


async def next_from(stream, source: str, limit: int = 200):
    for _ in range(limit):  # bounded: skip ticks from the other source
        tick = await asyncio.wait_for(stream.__anext__(), WAIT)
        if tick.source == source:
            return tick
    raise AssertionError(f"no {source} tick")


async def next_batch(stream, source: str, n: int):
    return [await next_from(stream, source) for _ in range(n)]


async def symbols_for(adapter, n=2):
    expiry = (await adapter.expiries("BTC"))[0]
    return [t.symbol for t in (await adapter.chain("BTC", expiry))[10:10 + n]]


async def test_ws_ticks_then_reconnect_and_resubscribe(adapter, server):
    symbols = await symbols_for(adapter)
    stream = adapter.ticker_stream(symbols)
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        batch = await next_batch(stream, "ws", 2)  # the server sends a snapshot on subscribe
        assert sorted(t.symbol for t in batch) == sorted(symbols)
        snapshot = batch[0]
        server.clock.advance(5)
        assert await server.publish_tickers() == 1
        tick = (await next_batch(stream, "ws", 2))[0]
        assert tick.timestamp > snapshot.timestamp and tick.best_ask is not None
        assert server.ws_subscribes == 1

        assert await server.drop_sockets() == 1
        await asyncio.wait_for(stream.down.wait(), WAIT)
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        assert stream.connects == 2 and server.ws_subscribes == 2  # resubscribed after reconnect
        server.clock.advance(5)
        await server.publish_tickers()

        for _ in range(10):  # bounded: skip the snapshot sent on resubscribe
            later = await next_from(stream, "ws")
            if later.timestamp > tick.timestamp:
                break
        assert later.timestamp == tick.timestamp + timedelta(seconds=5)
    finally:
        await stream.stop()


async def test_rest_fallback_while_socket_is_down_then_back_to_ws(adapter, server):
    symbols = await symbols_for(adapter, 1)
    stream = adapter.ticker_stream(symbols)
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        await next_from(stream, "ws")
        server.refuse_sockets(10_000)
        await server.drop_sockets()
        server.clock.advance(3)
        polled = await next_from(stream, "rest")
        assert polled.symbol == symbols[0]
        assert stream.polls >= 1 and not stream.connected.is_set()
        server.refuse_sockets(0)
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        server.clock.advance(3)
        await server.publish_tickers()
        back = await next_from(stream, "ws")
        assert back.timestamp >= polled.timestamp
    finally:
        await stream.stop()


async def test_ticks_iterator_of_the_adapter(adapter, server):
    symbols = await symbols_for(adapter, 1)
    ticks = adapter.ticks(symbols)
    first = await asyncio.wait_for(anext(ticks), WAIT)
    assert first.symbol == symbols[0]
    await ticks.aclose()


def test_compact_and_verbose_ticker_messages_parse(server):
    ticker = server.paper.ticker_now(server.paper.chain_now("BTC", server.paper._listed("BTC")[0])[5].symbol)
    (parsed,) = ticker_from_ws(ticker_to_ws_compact([ticker]))
    assert (parsed.symbol, parsed.best_bid, parsed.best_ask, parsed.mark) == (
        ticker.symbol, ticker.best_bid, ticker.best_ask, ticker.mark)
    verbose = {"type": "v2/ticker", "symbol": "C-BTC-90000-310125", "mark_price": "10.5", "spot_price": "90000",
               "quotes": {"best_bid": "10", "best_ask": "11", "bid_size": "5", "ask_size": 7},
               "greeks": {"delta": "0.1"}, "timestamp": 1738000000000000}
    (legacy,) = ticker_from_ws(verbose)
    assert legacy.best_bid == 10 and legacy.ask_size == 7 and legacy.delta == 0.1


def test_backoff_grows_and_caps():
    assert [backoff_delays(0.5, 4.0, n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]


async def test_silent_socket_is_declared_dead_and_reconnected(server):
    from .conftest import make_adapter

    adapter = make_adapter(server, stream_options={"heartbeat_timeout_s": 0.2, "backoff_initial_s": 0.01,
                                                   "poll_interval_s": 10.0})
    symbols = await symbols_for(adapter, 1)
    stream = adapter.ticker_stream(symbols)
    stream.start()
    try:
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        # the server's heartbeat is every 30 s: after 0.2 s of silence the client gives up and reconnects
        await asyncio.wait_for(stream.down.wait(), WAIT)
        await asyncio.wait_for(stream.connected.wait(), WAIT)
        assert stream.connects >= 2 and server.ws_subscribes >= 2
    finally:
        await stream.stop()
        await adapter.close()

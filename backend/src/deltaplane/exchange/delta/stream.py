"""One ticker stream from two sources: the public WebSocket, and REST polling while it is down."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence

import websockets

from deltaplane.exchange.delta.wire import ticker_from_ws
from deltaplane.exchange.health import ExchangeHealth
from deltaplane.exchange.protocol import Ticker

log = logging.getLogger("deltaplane.exchange.delta.stream")

Poller = Callable[[list[str]], Awaitable[list[Ticker]]]


def backoff_delays(initial_s: float, max_s: float, attempt: int) -> float:
    """Exponential reconnect delay for the n-th consecutive failure (pure)."""
    return min(max_s, initial_s * (2 ** max(0, attempt - 1)))


class TickerStream:
    def __init__(self, ws_url: str, symbols: Sequence[str], *, poll: Poller, channel: str = "ticker",
                 poll_interval_s: float = 2.0, backoff_initial_s: float = 0.5, backoff_max_s: float = 30.0,
                 heartbeat_timeout_s: float = 35.0, open_timeout_s: float = 5.0, queue_size: int = 10_000,
                 health: ExchangeHealth | None = None):
        self.ws_url = ws_url
        self.health = health
        self.symbols = list(symbols)
        self.poll = poll
        self.channel = channel
        self.poll_interval_s = poll_interval_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.open_timeout_s = open_timeout_s
        self.queue: asyncio.Queue[Ticker] = asyncio.Queue(maxsize=queue_size)
        self.connected = asyncio.Event()
        self.down = asyncio.Event()
        self.down.set()
        self.connects = 0
        self.subscription_acks = 0
        self.polls = 0
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._run_socket(), name="delta-ws"),
                           asyncio.create_task(self._run_polling(), name="delta-poll")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # bounded: a socket stuck in its closing handshake must not hang shutdown
            await asyncio.wait(self._tasks, timeout=2.0)
        self._tasks = []
        if self.health is not None:
            self.health.stream_closed(id(self))

    def _push(self, ticker: Ticker) -> None:
        if self.queue.full():  # a slow consumer loses the oldest tick, never the newest
            self.queue.get_nowait()
        self.queue.put_nowait(ticker)

    def __aiter__(self) -> TickerStream:
        return self

    async def __anext__(self) -> Ticker:
        return await self.queue.get()

    async def _run_socket(self) -> None:
        failures = 0
        while True:
            try:
                async with websockets.connect(self.ws_url, open_timeout=self.open_timeout_s, ping_interval=None,
                                              close_timeout=1.0, max_size=2**22) as ws:
                    await ws.send(json.dumps({"type": "enable_heartbeat"}))
                    await ws.send(json.dumps({"type": "subscribe", "payload": {
                        "channels": [{"name": self.channel, "symbols": self.symbols}]}}))
                    self.connects += 1
                    failures = 0
                    self.down.clear()
                    self.connected.set()
                    if self.health is not None:
                        self.health.stream_up(id(self))
                    log.info("delta socket connected", extra={"event": "delta_ws_connected",
                                                              "symbols": len(self.symbols),
                                                              "connects": self.connects})
                    while True:
                        # heartbeats arrive every 30 s once enabled: silence beyond the timeout = dead
                        async with asyncio.timeout(self.heartbeat_timeout_s):
                            raw = await ws.recv()
                        self._on_message(raw)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any socket failure means: reconnect
                failures += 1
                log.warning("delta socket down", extra={"event": "delta_ws_down", "error": type(exc).__name__,
                                                        "failures": failures})
                if self.health is not None:
                    self.health.stream_down(id(self), type(exc).__name__, failures)
            finally:
                self.connected.clear()
                self.down.set()
            await asyncio.sleep(backoff_delays(self.backoff_initial_s, self.backoff_max_s, failures))

    def _on_message(self, raw: str | bytes) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return
        kind = msg.get("type")
        if kind in ("ticker", "v2/ticker"):
            try:
                tickers = ticker_from_ws(msg)
            except Exception:  # noqa: BLE001 - one bad message must not kill the stream
                log.warning("bad ticker message", extra={"event": "delta_ws_bad_message"})
                return
            for ticker in tickers:
                self._push(ticker)
        elif kind == "subscriptions":
            self.subscription_acks += 1

    async def _run_polling(self) -> None:
        while True:
            await self.down.wait()
            await asyncio.sleep(self.poll_interval_s)  # give the socket a moment before polling
            if not self.down.is_set():
                continue
            try:
                tickers = await self.poll(self.symbols)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - polling is best effort while the socket is down
                log.warning("delta ticker poll failed", extra={"event": "delta_poll_failed",
                                                               "error": type(exc).__name__})
                continue
            self.polls += 1
            for ticker in tickers:
                self._push(ticker)

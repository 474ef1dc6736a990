"""Scenario harness: the real app and engine on a simulated clock over a real SQLite file.

The clock only moves when a test says so; `settle()` waits (bounded) until every strategy runner
is blocked on the clock or an operator signal, so each step is deterministic.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec

from deltaplane.app import create_app
from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.errors import OrderRejected
from deltaplane.exchange.paper.exchange import PaperExchange
from deltaplane.exchange.paper.market import PaperConfig
from deltaplane.exchange.protocol import Order, OrderRequest, Ticker
from deltaplane.strategy.engine import StrategyEngine
from tests.conftest import ADMIN_PASSWORD, in_loop_client, make_settings

START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # a Monday; 08:30 in Asia/Kolkata


class ScriptedPaperExchange(PaperExchange):
    """The real simulator with test levers: scale option quotes, reject or stall chosen orders."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark_factor = Decimal(1)
        self.reject_symbols: set[str] = set()
        self.stall_after_place: set[str] = set()  # symbol prefixes: place, then never answer
        self.stall_before_place: set[str] = set()  # never place, never answer
        self.stalled = asyncio.Event()
        self.placed: list[OrderRequest] = []

    def ticker_now(self, symbol: str) -> Ticker:
        t = super().ticker_now(symbol)
        if self.mark_factor == 1:
            return t
        f = self.mark_factor

        def scale(v: Decimal | None) -> Decimal | None:
            return None if v is None else (v * f).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

        return msgspec.structs.replace(t, mark=scale(t.mark), best_bid=scale(t.best_bid), best_ask=scale(t.best_ask))

    async def place_order(self, req: OrderRequest) -> Order:
        if any(req.symbol.startswith(p) for p in self.stall_before_place):
            self.stalled.set()
            await asyncio.Event().wait()
        if any(req.symbol.startswith(p) for p in self.reject_symbols) and req.side == "sell":
            raise OrderRejected("insufficient_margin", {"symbol": req.symbol})
        order = await super().place_order(req)
        self.placed.append(req)
        if any(req.symbol.startswith(p) for p in self.stall_after_place):
            self.stalled.set()
            await asyncio.Event().wait()
        return order


def make_exchange(clock: SimulatedClock) -> ScriptedPaperExchange:
    return ScriptedPaperExchange(PaperConfig(seed=11), clock=clock)


def strategy_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "BTC weekly strangle",
        "underlying": "BTC",
        "timezone": "UTC",
        "entry_time": "03:05",
        "entry_window_minutes": 10,
        "exit_time": "09:00",
        "max_loss_pct": "80",
        "take_profit_pct": "90",
        "execution": {"limit_attempts": 2, "attempt_timeout_s": 3, "max_slippage_pct": "5", "market_fallback": True},
    }
    body.update(overrides)
    return body


class Harness:
    def __init__(self, tmp_path: Path, clock: SimulatedClock | None = None, exchange: ScriptedPaperExchange | None = None, **settings: Any) -> None:
        self.clock = clock or SimulatedClock(START)
        self.exchange = exchange or make_exchange(self.clock)
        self.app = create_app(make_settings(tmp_path, **settings))
        self.app.state.services.extras["clock"] = self.clock
        self.app.state.services.extras["exchanges"] = {"paper": self.exchange}
        # Same event loop as the test (not a portal thread), so the simulated clock wakes the engine.
        self._stack = contextlib.AsyncExitStack()
        self.client: httpx.AsyncClient
        self.headers: dict[str, str] = {}

    async def __aenter__(self) -> Harness:
        self.client = await self._stack.enter_async_context(in_loop_client(self.app))
        r = await self.client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        self.headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._stack.__aexit__(*exc)

    @property
    def engine(self) -> StrategyEngine:
        return self.app.state.services.extras["engine"]

    async def api(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.client.request(method, path, headers=self.headers, **kwargs)

    async def create(self, **overrides: Any) -> int:
        r = await self.api("POST", "/api/strategies", json=strategy_body(**overrides))
        assert r.status_code == 201, r.text
        return r.json()["id"]

    async def action(self, sid: int, action: str) -> Any:
        return await self.api("POST", f"/api/strategies/{sid}/actions", json={"action": action})

    async def runtime(self, sid: int) -> dict[str, Any]:
        r = await self.api("GET", f"/api/strategies/{sid}/runtime")
        assert r.status_code == 200, r.text
        return r.json()

    async def settle(self, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        stable = 0
        while stable < 8:
            busy = any(not r.done and not r.idle.is_set() for r in self.engine.runners.values())
            if busy:
                stable = 0
                await asyncio.sleep(0.002)  # a runner is doing I/O in a worker thread
            else:
                stable += 1
                await asyncio.sleep(0)
            if loop.time() > deadline:
                raise AssertionError("engine did not settle")

    async def drive(self, until: Callable[[], Awaitable[bool]], *, step: float = 1.0, max_steps: int = 2000) -> None:
        for _ in range(max_steps):
            await self.settle()
            if await until():
                return
            self.clock.advance(step)
        raise AssertionError(f"condition not reached within {max_steps} steps of {step}s")

    async def state(self, sid: int) -> str:
        return (await self.runtime(sid))["state"]

    def state_is(self, sid: int, *states: str) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return await self.state(sid) in states

        return check

    async def jump_to(self, moment: datetime) -> None:
        await self.settle()
        while self.clock.now() < moment:
            self.clock.advance(min(60.0, (moment - self.clock.now()).total_seconds()))
            await self.settle()


def at(hh: int, mm: int) -> datetime:
    return START.replace(hour=hh, minute=mm)


__all__ = ["Harness", "at", "strategy_body", "timedelta"]

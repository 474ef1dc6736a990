"""Start-up wiring of the market layer and the strategy engine (an app lifespan hook)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from deltaplane.core.params import DB_INT_MAX
from deltaplane.core.services import AppServices
from deltaplane.exchange.clock import RealClock
from deltaplane.exchange.paper import SqlPaperStateStore, paper_exchange_from_settings
from deltaplane.exchange.protocol import Exchange
from deltaplane.realtime.hub import SubscribeError
from deltaplane.strategy.alerts import AlertService
from deltaplane.strategy.engine import StrategyEngine

logger = logging.getLogger("deltaplane.engine")


def runtime_topic_id(topic: str) -> int:
    """`runtime:{id}` -> the strategy id. SubscribeError (naming the topic) unless the id is written
    the way the engine publishes it (`runtime:7`, not `runtime:07`) and fits a strategy's key: a
    subscription to any other spelling would never receive an event."""
    text = topic.partition(":")[2]
    if not (len(text) <= 19 and text.isascii() and text.isdigit() and str(int(text)) == text and 1 <= int(text) <= DB_INT_MAX):
        raise SubscribeError("topic", f"{topic!r}: the strategy id must be a whole number from 1 to {DB_INT_MAX}")
    return int(text)


def validate_runtime_subscription(topic: str, filt: dict[str, Any]) -> None:
    runtime_topic_id(topic)


@contextlib.asynccontextmanager
async def strategy_lifespan(services: AppServices) -> AsyncIterator[None]:
    settings = services.settings
    # Tests put a SimulatedClock (and optionally ready exchanges) into extras before start-up.
    clock: Any = services.extras.get("clock") or RealClock(time_scale=settings.paper_time_scale)
    services.extras["clock"] = clock
    exchanges: dict[str, Exchange] = dict(services.extras.get("exchanges") or {})
    owned: list[Exchange] = []
    if "paper" not in exchanges:
        paper = await paper_exchange_from_settings(settings, clock=clock, store=SqlPaperStateStore(services.sessionmaker))
        exchanges["paper"] = paper
        owned.append(paper)
    if "live" not in exchanges and settings.exchange == "delta":
        from deltaplane.exchange.delta.exchange import delta_exchange_from_settings

        live = delta_exchange_from_settings(settings)
        exchanges["live"] = live
        owned.append(live)
        live.start_health_probe(settings.delta_health_interval_seconds)
    hub = services.extras["hub"]
    alerts = AlertService(settings, hub)
    engine = StrategyEngine(sessionmaker=services.sessionmaker, exchanges=exchanges, hub=hub, alerts=alerts, clock=clock,
                            live_trading_enabled=settings.live_trading_enabled, read_sessionmaker=services.read_sessionmaker)
    services.extras.update(engine=engine, alerts=alerts, exchanges=exchanges)

    async def runtime_snapshot(topic: str) -> dict[str, Any] | None:
        try:
            return await engine.runtime(runtime_topic_id(topic))
        except (LookupError, ValueError):
            return None

    hub.register_validator("runtime", validate_runtime_subscription)
    hub.register_snapshot("runtime", runtime_snapshot)

    async def exchange_snapshot(topic: str) -> dict[str, Any] | None:
        health = engine.exchange_health("live")
        return None if health is None else {"exchange": "live", "health": health}

    hub.register_snapshot("exchange", exchange_snapshot)

    async def engine_ready() -> dict[str, Any]:
        crashed = [sid for sid, r in engine.runners.items() if r.done and r.task is not None and not r.task.cancelled() and r.task.exception()]
        return {"name": "engine", "ok": not crashed, "runners": len(engine.runners), "exchanges": sorted(exchanges)}

    services.readiness_checks.append(engine_ready)
    await engine.start()
    try:
        yield
    finally:
        await engine.stop()
        await alerts.drain()
        for exchange in owned:
            with contextlib.suppress(Exception):
                await exchange.close()

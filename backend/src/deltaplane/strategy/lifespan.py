"""Start-up wiring of the market layer and the strategy engine (an app lifespan hook)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import msgspec

from deltaplane.core.services import AppServices
from deltaplane.exchange.clock import RealClock
from deltaplane.exchange.paper.exchange import PaperExchange
from deltaplane.exchange.paper.market import BTC_SPEC, ETH_SPEC, PaperConfig
from deltaplane.exchange.paper.store import SqlPaperStateStore
from deltaplane.exchange.protocol import Exchange
from deltaplane.settings import Settings
from deltaplane.strategy.alerts import AlertService
from deltaplane.strategy.engine import StrategyEngine

logger = logging.getLogger("deltaplane.engine")


def paper_config_from_settings(settings: Settings) -> PaperConfig:
    btc = msgspec.structs.replace(BTC_SPEC, spot=settings.paper_btc_spot, vol=settings.paper_volatility, drift=settings.paper_drift)
    eth = msgspec.structs.replace(ETH_SPEC, spot=settings.paper_eth_spot, vol=settings.paper_volatility, drift=settings.paper_drift)
    return PaperConfig(seed=settings.paper_seed, initial_balance=Decimal(str(settings.paper_initial_balance)), underlyings=(btc, eth),
                       tick_interval_s=settings.paper_tick_interval)


@contextlib.asynccontextmanager
async def strategy_lifespan(services: AppServices) -> AsyncIterator[None]:
    settings = services.settings
    # Tests put a SimulatedClock (and optionally ready exchanges) into extras before start-up.
    clock: Any = services.extras.get("clock") or RealClock(time_scale=settings.paper_time_scale)
    services.extras["clock"] = clock
    exchanges: dict[str, Exchange] = dict(services.extras.get("exchanges") or {})
    owned: list[Exchange] = []
    if "paper" not in exchanges:
        paper = await PaperExchange.open(paper_config_from_settings(settings), clock=clock, store=SqlPaperStateStore(services.sessionmaker))
        exchanges["paper"] = paper
        owned.append(paper)
    if "live" not in exchanges and settings.exchange == "delta":
        from deltaplane.exchange.delta.exchange import delta_exchange_from_settings

        live = delta_exchange_from_settings(settings)
        exchanges["live"] = live
        owned.append(live)
    hub = services.extras["hub"]
    alerts = AlertService(settings, hub)
    engine = StrategyEngine(sessionmaker=services.sessionmaker, exchanges=exchanges, hub=hub, alerts=alerts, clock=clock,
                            live_trading_enabled=settings.live_trading_enabled)
    services.extras.update(engine=engine, alerts=alerts, exchanges=exchanges)

    async def runtime_snapshot(topic: str) -> dict[str, Any] | None:
        try:
            return await engine.runtime(int(topic.split(":", 1)[1]))
        except (LookupError, ValueError):
            return None

    hub.register_snapshot("runtime", runtime_snapshot)

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

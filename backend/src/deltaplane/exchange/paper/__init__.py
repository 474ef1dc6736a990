"""Paper trading: a seeded simulator behind the Exchange protocol."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from deltaplane.exchange.clock import Clock, RealClock, SimulatedClock
from deltaplane.exchange.paper.exchange import PaperExchange, product_id_for
from deltaplane.exchange.paper.market import BTC_SPEC, ETH_SPEC, PaperConfig, UnderlyingSpec
from deltaplane.exchange.paper.store import (
    InMemoryPaperStateStore,
    PaperExchangeState,
    PaperStateStore,
    SqlPaperStateStore,
)

if TYPE_CHECKING:
    from deltaplane.settings import Settings

__all__ = [
    "BTC_SPEC", "ETH_SPEC", "Clock", "InMemoryPaperStateStore", "PaperConfig", "PaperExchange",
    "PaperExchangeState", "PaperStateStore", "RealClock", "SimulatedClock", "SqlPaperStateStore",
    "UnderlyingSpec", "paper_config_from_settings", "paper_exchange_from_settings", "product_id_for",
]


def paper_config_from_settings(settings: Settings) -> PaperConfig:
    import msgspec

    btc = msgspec.structs.replace(BTC_SPEC, spot=settings.paper_btc_spot, vol=settings.paper_volatility,
                                  drift=settings.paper_drift)
    eth = msgspec.structs.replace(ETH_SPEC, spot=settings.paper_eth_spot, vol=settings.paper_volatility,
                                  drift=settings.paper_drift)
    return PaperConfig(seed=settings.paper_seed, initial_balance=Decimal(str(settings.paper_initial_balance)),
                       underlyings=(btc, eth), tick_interval_s=settings.paper_tick_interval,
                       order_latency_s=settings.paper_order_latency_ms / 1000,
                       order_reply_latency_s=settings.paper_order_reply_latency_ms / 1000)


async def paper_exchange_from_settings(settings: Settings, *, store: PaperStateStore | None = None,
                                       clock: Clock | None = None) -> PaperExchange:
    """The app's paper exchange: real (optionally sped-up) clock, state restored from `store`."""
    return await PaperExchange.open(paper_config_from_settings(settings),
                                    clock=clock or RealClock(time_scale=settings.paper_time_scale), store=store)

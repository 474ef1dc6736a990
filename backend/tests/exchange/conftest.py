from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.delta import DeltaExchange
from deltaplane.exchange.fake_delta import FakeDeltaServer
from deltaplane.exchange.paper import InMemoryPaperStateStore, PaperConfig, PaperExchange


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def paper(clock: SimulatedClock) -> PaperExchange:
    return PaperExchange(PaperConfig(seed=11, initial_balance=Decimal("50000")), clock=clock,
                         store=InMemoryPaperStateStore())


@pytest.fixture
async def server() -> AsyncIterator[FakeDeltaServer]:
    srv = FakeDeltaServer()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


async def _noop_sleep(_: float) -> None:
    return None


def make_adapter(server: FakeDeltaServer, **options) -> DeltaExchange:
    defaults = dict(api_key="test-key", api_secret="test-secret", base_url=server.base_url, ws_url=server.ws_url,
                    timeout_s=0.5, retry_backoff_s=0.0, sleep=_noop_sleep,
                    stream_options={"poll_interval_s": 0.02, "backoff_initial_s": 0.01, "backoff_max_s": 0.05,
                                    "open_timeout_s": 2.0})
    defaults.update(options)
    return DeltaExchange.create("india", **defaults)


@pytest.fixture
async def adapter(server: FakeDeltaServer) -> AsyncIterator[DeltaExchange]:
    ex = make_adapter(server)
    try:
        yield ex
    finally:
        await ex.close()

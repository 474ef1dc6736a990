from __future__ import annotations

import asyncio
import importlib.util
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from deltaplane.exchange.clock import RealClock, SimulatedClock
from deltaplane.exchange.delta import ENVIRONMENTS, delta_exchange_from_settings, resolve_environment
from deltaplane.exchange.paper import SqlPaperStateStore, paper_exchange_from_settings
from deltaplane.settings import Settings

MIGRATION = Path(__file__).resolve().parents[2] / "src/deltaplane/db/migrations/versions/0003_paper_exchange.py"


def test_migration_creates_the_table_the_store_uses(tmp_path):
    spec = importlib.util.spec_from_file_location("m0003", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.revision, module.down_revision) == ("0003_paper_exchange", "0002_backend_logs")
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
        columns = {c["name"] for c in sa.inspect(conn).get_columns("paper_exchange_state")}
        assert columns == {"id", "account", "state_json", "updated_at"}
    engine.dispose()

    async def use_it():
        async_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
        store = SqlPaperStateStore(async_sessionmaker(async_engine, expire_on_commit=False), account="a")
        await store.save({"x": 1})
        await store.save({"x": 2})
        assert await store.load() == {"x": 2}
        assert await SqlPaperStateStore(async_sessionmaker(async_engine), account="b").load() is None
        await async_engine.dispose()

    asyncio.run(use_it())
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            module.downgrade()
        assert "paper_exchange_state" not in sa.inspect(conn).get_table_names()


async def test_paper_from_settings():
    settings = Settings(paper_seed=3, paper_initial_balance=2500.0, paper_btc_spot=50_000.0, paper_time_scale=60.0)
    paper = await paper_exchange_from_settings(settings, clock=SimulatedClock())
    assert paper.config.seed == 3 and paper.balance == Decimal("2500")
    assert await paper.spot("BTC") == Decimal("50000.00")
    real = await paper_exchange_from_settings(settings)
    assert isinstance(real.clock, RealClock) and real.clock.time_scale == 60.0


async def test_delta_from_settings_and_environments():
    settings = Settings(delta_env="india-testnet", delta_api_key="k", delta_api_secret="s")
    exchange = delta_exchange_from_settings(settings)
    try:
        assert exchange.rest.base_url == "https://cdn-ind.testnet.deltaex.org"
        assert exchange.environment.ws_public_url == "wss://socket-ind-pub.testnet.deltaex.org"
    finally:
        await exchange.close()
    assert set(ENVIRONMENTS) == {"india", "india-testnet", "global", "global-testnet"}
    assert ENVIRONMENTS["india"].rest_url == "https://api.india.delta.exchange"
    assert ENVIRONMENTS["india"].ws_public_url == "wss://public-socket.india.delta.exchange"
    custom = resolve_environment("global", base_url="http://127.0.0.1:9/", ws_url="ws://127.0.0.1:9/")
    assert custom.rest_url == "http://127.0.0.1:9" and custom.ticker_channel == "ticker"


def test_real_clock_time_scale():
    clock = RealClock(time_scale=1000.0)
    first = clock.now()
    asyncio.run(clock.sleep(1.0))  # 1 simulated second = 1 ms of wall time
    assert (clock.now() - first).total_seconds() >= 1.0

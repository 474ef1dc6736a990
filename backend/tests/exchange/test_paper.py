from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from deltaplane.db.base import Base
from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.errors import NotFound, OrderRejected
from deltaplane.exchange.paper import (
    InMemoryPaperStateStore,
    PaperConfig,
    PaperExchange,
    PaperExchangeState,
    SqlPaperStateStore,
)
from deltaplane.exchange.paper.market import listed_expiries, strike_grid
from deltaplane.exchange.protocol import Exchange, OrderRequest, parse_option_symbol

START = datetime(2025, 1, 30, 9, 0, tzinfo=UTC)


def req(symbol, side, size, price=None, *, cid, order_type="limit", tif="gtc", reduce_only=False):
    return OrderRequest(symbol=symbol, side=side, size=size, order_type=order_type, limit_price=price,
                        time_in_force=tif, reduce_only=reduce_only, client_order_id=cid)


async def atm(paper, underlying="BTC", kind="call", expiry_index=0):
    expiry = (await paper.expiries(underlying))[expiry_index]
    chain = await paper.chain(underlying, expiry)
    spot = chain[0].spot
    best = min((t for t in chain if t.symbol.startswith("C" if kind == "call" else "P")),
               key=lambda t: abs(parse_option_symbol(t.symbol)[2] - spot))
    return best


def test_paper_exchange_satisfies_the_protocol(paper):
    assert isinstance(paper, Exchange)


def test_listings_daily_weekly_monthly_at_noon_utc():
    expiries = listed_expiries(START, daily=3, weekly=2, monthly=2)
    assert all(e.hour == 12 and e.tzinfo is not None for e in expiries)
    assert expiries[:3] == [datetime(2025, 1, d, 12, tzinfo=UTC) for d in (30, 31)] + [
        datetime(2025, 2, 1, 12, tzinfo=UTC)]
    assert datetime(2025, 2, 7, 12, tzinfo=UTC) in expiries  # next weekly Friday after the 31st
    assert datetime(2025, 2, 28, 12, tzinfo=UTC) in expiries  # last Friday of February
    after_noon = listed_expiries(START.replace(hour=12), daily=1, weekly=0, monthly=0)
    assert after_noon == [datetime(2025, 1, 31, 12, tzinfo=UTC)]


def test_strike_grid_is_finer_near_the_money():
    grid = strike_grid(90_000, 1 / 365, 0.55, ((0.03, 200), (0.10, 500), (float("inf"), 1000)))
    steps = {b - a for a, b in zip(grid, grid[1:], strict=False)}
    assert 90_000 in grid and 90_200 in grid and 89_800 in grid
    assert steps <= {200, 300, 500, 1000}
    assert all(k % 200 == 0 or k % 500 == 0 for k in grid)


async def test_chain_shape_symbols_and_contract_values(paper):
    expiry = (await paper.expiries("BTC"))[0]
    chain = await paper.chain("BTC", expiry)
    assert len(chain) >= 40 and len(chain) % 2 == 0
    assert chain[0].symbol.startswith("C-BTC-") and chain[0].symbol.endswith("-300125")
    instruments = await paper.instruments("BTC", expiry)
    assert {i.contract_value for i in instruments} == {Decimal("0.001")}
    eth = await paper.instruments("ETH", (await paper.expiries("ETH"))[0])
    assert {i.contract_value for i in eth} == {Decimal("0.01")}
    for t in chain:
        assert t.best_ask is not None and t.best_ask > t.mark
        assert t.best_bid is None or t.best_bid < t.mark
    with pytest.raises(NotFound):
        await paper.ticker("C-BTC-90000-010120")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), minutes=st.integers(0, 600), expiry_index=st.integers(0, 4),
       underlying=st.sampled_from(["BTC", "ETH"]))
def test_put_call_parity_across_the_chain(seed, minutes, expiry_index, underlying):
    clock = SimulatedClock(START)
    paper = PaperExchange(PaperConfig(seed=seed, step_seconds=60), clock=clock)
    clock.advance(minutes * 60)
    expiry = paper._listed(underlying)[expiry_index]
    chain = paper.chain_now(underlying, expiry)
    by_strike: dict = {}
    for t in chain:
        kind, _, strike, _ = parse_option_symbol(t.symbol)
        by_strike.setdefault(strike, {})[kind] = t
    assert by_strike
    spot = Decimal(f"{paper.market.spots[underlying]:.2f}")
    for strike, pair in by_strike.items():
        call, put = pair["call"], pair["put"]
        # zero carry: C - P = F - K; marks are rounded to 4 dp, the spot to 2 dp
        assert abs((call.mark - put.mark) - (spot - strike)) <= Decimal("0.006")
        assert call.delta - put.delta == pytest.approx(1.0, abs=1e-9)
        assert call.gamma == put.gamma and call.vega == put.vega


async def test_same_seed_same_steps_identical_quotes_and_fills():
    async def run():
        clock = SimulatedClock(START)
        ex = PaperExchange(PaperConfig(seed=5), clock=clock)
        expiry = (await ex.expiries("BTC"))[1]
        out = []
        for i in range(5):
            clock.advance(17)
            chain = await ex.chain("BTC", expiry)
            out.append([(t.symbol, t.mark, t.best_bid, t.best_ask, t.bid_size) for t in chain])
            target = chain[len(chain) // 2]
            await ex.place_order(req(target.symbol, "buy", 3, target.best_ask, cid=f"o{i}"))
        return out, [(f.symbol, f.price, f.size, f.commission) for f in await ex.fills()], ex.balance

    assert await run() == await run()
    clock = SimulatedClock(START)
    other = PaperExchange(PaperConfig(seed=6), clock=clock)
    clock.advance(60)
    assert await other.spot("BTC") != (await run_spot(5))


async def run_spot(seed):
    clock = SimulatedClock(START)
    ex = PaperExchange(PaperConfig(seed=seed), clock=clock)
    clock.advance(60)
    return await ex.spot("BTC")


async def test_spot_path_depends_on_time_not_on_how_often_it_is_observed():
    a_clock, b_clock = SimulatedClock(START), SimulatedClock(START)
    a = PaperExchange(PaperConfig(seed=3), clock=a_clock)
    b = PaperExchange(PaperConfig(seed=3), clock=b_clock)
    for _ in range(10):
        a_clock.advance(30)
        await a.spot("BTC")
    b_clock.advance(300)
    assert await a.spot("BTC") == await b.spot("BTC")


async def test_idempotent_by_client_order_id(paper):
    t = await atm(paper)
    first = await paper.place_order(req(t.symbol, "buy", 2, t.best_ask, cid="same-id"))
    second = await paper.place_order(req(t.symbol, "buy", 5, t.best_ask, cid="same-id"))
    assert second.id == first.id and second.size == 2
    assert len(await paper.fills()) == 1
    assert (await paper.get_order_by_client_id("same-id")).id == first.id
    assert await paper.get_order_by_client_id("unknown") is None


async def test_marketable_limit_fills_at_the_touch_with_fee(paper):
    t = await atm(paper)
    before = paper.balance
    order = await paper.place_order(req(t.symbol, "buy", 2, t.best_ask + 50, cid="b1"))
    assert order.state == "closed" and order.average_fill_price == t.best_ask
    fill = (await paper.fills())[0]
    assert fill.price == t.best_ask and fill.role == "taker"
    expected_fee = min(Decimal("0.0003") * t.spot * Decimal("0.001") * 2,
                       Decimal("0.035") * t.best_ask * Decimal("0.001") * 2)
    assert fill.commission == expected_fee.quantize(Decimal("0.00000001"))
    assert paper.balance == before - t.best_ask * Decimal("0.001") * 2 - fill.commission
    (pos,) = await paper.positions()
    assert pos.size == 2 and pos.entry_price == t.best_ask


async def test_partial_fill_against_quoted_size_then_rest_or_cancel(paper):
    t = await atm(paper)
    big = t.ask_size + 7
    gtc = await paper.place_order(req(t.symbol, "buy", big, t.best_ask, cid="gtc"))
    assert gtc.state == "open" and gtc.filled_size == t.ask_size and gtc.unfilled_size == 7
    # the touch is used up for this tick: an IOC now gets nothing and is cancelled
    ioc = await paper.place_order(req(t.symbol, "buy", 3, t.best_ask, cid="ioc", tif="ioc"))
    assert ioc.state == "cancelled" and ioc.filled_size == 0
    assert [o.client_order_id for o in await paper.open_orders()] == ["gtc"]
    cancelled = await paper.cancel_order(client_order_id="gtc")
    assert cancelled.state == "cancelled" and cancelled.filled_size == t.ask_size
    with pytest.raises(OrderRejected) as exc:
        await paper.cancel_order(client_order_id="gtc")
    assert exc.value.code == "open_order_not_found"


async def test_market_order_walks_depth_and_forced_partial(paper):
    t = await atm(paper)
    order = await paper.place_order(req(t.symbol, "buy", t.ask_size + 5, cid="m1", order_type="market"))
    assert order.state == "closed" and order.average_fill_price > t.best_ask
    fills = await paper.fills()
    assert fills[0].price == t.best_ask and fills[1].price > t.best_ask
    paper.force_partial_fill(1)
    t2 = await atm(paper, kind="put")
    order = await paper.place_order(req(t2.symbol, "buy", 4, t2.best_ask, cid="fp"))
    assert order.filled_size == 1 and order.state == "open"


async def test_reduce_only_rejected_when_it_would_increase(paper):
    t = await atm(paper)
    for side in ("buy", "sell"):
        with pytest.raises(OrderRejected) as exc:
            await paper.place_order(req(t.symbol, side, 1, t.best_ask, cid=f"ro-{side}", reduce_only=True))
        assert exc.value.code == "reduce_only_would_increase_position"
    await paper.place_order(req(t.symbol, "sell", 3, t.best_bid, cid="short"))
    with pytest.raises(OrderRejected):  # bigger than the position
        await paper.place_order(req(t.symbol, "buy", 4, t.best_ask, cid="ro-big", reduce_only=True))
    closed = await paper.place_order(req(t.symbol, "buy", 3, t.best_ask, cid="ro-ok", reduce_only=True))
    assert closed.state == "closed" and await paper.positions() == []


async def test_insufficient_margin(paper):
    t = await atm(paper)
    with pytest.raises(OrderRejected) as exc:
        await paper.place_order(req(t.symbol, "sell", 100_000, t.best_bid, cid="huge"))
    assert exc.value.code == "insufficient_margin"
    with pytest.raises(OrderRejected) as exc:
        await paper.place_order(req(t.symbol, "buy", 2, None, cid="bad", order_type="limit"))
    assert exc.value.code == "bad_schema"


async def test_resting_limit_fills_when_the_market_crosses(paper, clock):
    t = await atm(paper, expiry_index=0)
    price = (t.best_bid + t.best_ask) / 2
    price = price.quantize(Decimal("0.1"))
    order = await paper.place_order(req(t.symbol, "buy", 2, price, cid="rest"))
    assert order.state == "open" and order.filled_size == 0
    for _ in range(720):  # bounded: at most 2 simulated hours; time decay alone brings the ask down
        clock.advance(10)
        current = await paper.get_order_by_client_id("rest")
        if current.state == "closed":
            break
    assert current.state == "closed"
    fill = (await paper.fills())[-1]
    assert fill.role == "maker" and fill.price == price


async def test_settlement_at_expiry_against_the_index(paper, clock):
    t = await atm(paper, kind="put")
    await paper.place_order(req(t.symbol, "sell", 5, t.best_bid, cid="sp"))
    resting_call = await atm(paper, kind="call")
    await paper.place_order(req(resting_call.symbol, "sell", 1, resting_call.best_ask * 3, cid="far"))
    balance_before = paper.balance
    _, _, strike, expiry = parse_option_symbol(t.symbol)
    clock.set(expiry + timedelta(minutes=5))
    assert await paper.positions() == []
    settle = [f for f in await paper.fills() if f.role == "settlement"]
    assert len(settle) == 1 and settle[0].side == "buy" and settle[0].size == 5
    spot_at_expiry = settle[0].price  # intrinsic of the put
    assert spot_at_expiry >= 0
    assert paper.balance == balance_before - 5 * spot_at_expiry * Decimal("0.001")
    assert (await paper.get_order_by_client_id("far")).state == "cancelled"
    assert expiry not in await paper.expiries("BTC")


async def test_ticks_follow_the_simulated_clock(paper, clock):
    t = await atm(paper)
    stream = paper.ticks([t.symbol], interval_s=1.0)
    first = await anext(stream)
    clock.advance(1)
    second = await anext(stream)
    assert second.timestamp - first.timestamp == timedelta(seconds=1)
    await stream.aclose()


async def test_in_memory_store_round_trip(clock):
    store = InMemoryPaperStateStore()
    ex = PaperExchange(PaperConfig(seed=2), clock=clock, store=store)
    t = await atm(ex)
    await ex.place_order(req(t.symbol, "buy", 1, t.best_ask, cid="x"))
    restored = await PaperExchange.open(PaperConfig(seed=2), clock=SimulatedClock(clock.now()), store=store)
    assert await restored.positions() == await ex.positions()
    assert restored.balance == ex.balance


async def test_persistence_round_trip_through_sqlite_file(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'paper.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all, tables=[PaperExchangeState.__table__])
    store = SqlPaperStateStore(async_sessionmaker(engine, expire_on_commit=False), account="acct")
    config = PaperConfig(seed=21)
    clock = SimulatedClock(START)
    ex = await PaperExchange.open(config, clock=clock, store=store)
    clock.advance(45)
    t = await atm(ex)
    await ex.place_order(req(t.symbol, "sell", 4, t.best_bid, cid="leg-1"))
    await ex.place_order(req(t.symbol, "buy", 1, (t.best_bid / 2).quantize(Decimal("0.1")), cid="leg-2"))
    await ex.save()

    # "restart": a new engine, a new exchange object, the same file
    await engine.dispose()
    engine2 = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'paper.db'}")
    store2 = SqlPaperStateStore(async_sessionmaker(engine2, expire_on_commit=False), account="acct")
    clock2 = SimulatedClock(START)
    restored = await PaperExchange.open(config, clock=clock2, store=store2)
    assert clock2.now() == clock.now()
    assert restored.snapshot() == ex.snapshot()
    assert await restored.positions() == await ex.positions()
    assert await restored.open_orders() == await ex.open_orders()
    assert await restored.fills() == await ex.fills()
    assert (await restored.place_order(req(t.symbol, "sell", 9, t.best_bid, cid="leg-1"))).size == 4
    # both continue identically (rng state survived)
    clock.advance(120)
    clock2.advance(120)
    assert await restored.chain("BTC", parse_option_symbol(t.symbol)[3]) == await ex.chain(
        "BTC", parse_option_symbol(t.symbol)[3])
    await engine2.dispose()


class _StallingStore(InMemoryPaperStateStore):
    """The first save stalls until released, like a write stuck behind another writer's lock."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def save(self, snapshot):
        if not self.stalled.is_set():
            self.stalled.set()
            await self.release.wait()
        await super().save(snapshot)


async def test_concurrent_orders_are_all_persisted_even_when_an_older_save_finishes_last(clock):
    """Regression (kill -9 hardening): two legs placed concurrently each save the account; the older
    snapshot used to be able to land last and drop the newer order from the saved state, so a crash
    then "forgot" an order the engine had already been told about."""
    store = _StallingStore()
    ex = PaperExchange(PaperConfig(seed=2), clock=clock, store=store)
    t = await atm(ex)
    first = asyncio.ensure_future(ex.place_order(req(t.symbol, "sell", 1, t.best_bid, cid="leg-call")))
    await store.stalled.wait()  # its save holds the old snapshot
    second = asyncio.ensure_future(ex.place_order(req(t.symbol, "sell", 1, t.best_bid, cid="leg-put")))
    for _ in range(20):  # let the second order run as far as it can (event-loop turns, no timing)
        await asyncio.sleep(0)
    store.release.set()
    await asyncio.gather(first, second)
    saved = await store.load()
    assert {o["client_order_id"] for o in saved["orders"]} == {"leg-call", "leg-put"}
    restored = await PaperExchange.open(PaperConfig(seed=2), clock=SimulatedClock(clock.now()), store=store)
    assert await restored.positions() == await ex.positions()

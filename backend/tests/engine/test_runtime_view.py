"""The runtime view (strategy/runtime_view.py): database rows cached between commits, live parts
composed per read. Every commit that touches a strategy's rows shows on the very next read."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import event, select

from deltaplane.db.base import utcnow
from deltaplane.strategy import engine as engine_module
from deltaplane.strategy.engine import _event
from deltaplane.strategy.models import EngineOrder, Leg, Strategy, TradingSession
from tests.engine.harness import Harness

RUNTIME_TABLES = ("strategies", "trading_sessions", "legs", "engine_orders", "session_events")


class StatementLog:
    """SQL statements that touch the runtime view's tables, as the database sees them."""

    def __init__(self, h: Harness) -> None:
        self.engine = h.app.state.services.engine.sync_engine
        self.statements: list[str] = []

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if any(t in statement for t in RUNTIME_TABLES):
            self.statements.append(statement)


async def _write(h: Harness, fn: Any) -> None:
    """Change rows in a transaction of its own, the way the engine or another controller does."""
    async with h.app.state.services.sessionmaker() as db:
        await fn(db)
        await db.commit()


async def test_reads_between_commits_do_not_query_the_runtime_tables(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        first = await h.runtime(sid)
        with StatementLog(h) as log:
            again = [await h.runtime(sid) for _ in range(5)]
        assert log.statements == []
        assert all(r["name"] == first["name"] and r["state"] == "idle" for r in again)
        h.clock.advance(30)  # the live parts still move: `now` comes from the clock on every read
        assert (await h.runtime(sid))["now"] > first["now"]


async def test_every_commit_shows_on_the_next_read(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.runtime(sid)  # cached
        # A controller commit (advanced-alchemy's request session): new name and version.
        body = {**(await h.api("GET", f"/api/strategies/{sid}")).json()["config"], "name": "renamed strangle"}
        assert (await h.api("PUT", f"/api/strategies/{sid}", json=body)).status_code == 200
        rt = await h.runtime(sid)
        assert rt["name"] == "renamed strangle" and rt["version"] == 2
        assert rt["quantity"] == body["quantity"]  # what the next start runs, for the Start pre-check
        # The engine's own transactions: start, enter, open.
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        rt = await h.runtime(sid)
        assert rt["session"]["status"] == "open" and len(rt["legs"]) == 2 and rt["open_orders"] == []
        session_id = rt["session"]["id"]
        # the entry fees paid so far are shown next to the (before-fees) open PnL
        async with h.app.state.services.sessionmaker() as db:
            legs = (await db.scalars(select(Leg).where(Leg.session_id == session_id))).all()
        assert Decimal(rt["session"]["fees"]) == sum((leg.fees for leg in legs), Decimal(0)) > 0

        async def leg_status(db: Any) -> None:
            leg = await db.scalar(select(Leg).where(Leg.session_id == session_id, Leg.kind == "call"))
            leg.status = "closing"

        await _write(h, leg_status)
        assert next(leg for leg in (await h.runtime(sid))["legs"] if leg["kind"] == "call")["status"] == "closing"

        async def order(db: Any) -> None:
            leg = await db.scalar(select(Leg).where(Leg.session_id == session_id, Leg.kind == "put"))
            db.add(EngineOrder(session_id=session_id, leg_id=leg.id, client_order_id="dp-test-order", purpose="exit", symbol=leg.symbol,
                               side="buy", order_type="limit", time_in_force="gtc", reduce_only=True, size=1, state="intent",
                               attempt=0, created_at=utcnow(), updated_at=utcnow()))

        await _write(h, order)
        assert [o["client_order_id"] for o in (await h.runtime(sid))["open_orders"]] == ["dp-test-order"]

        async def timeline(db: Any) -> None:
            db.add(_event(sid, session_id, "test_marker", "a new timeline entry"))

        await _write(h, timeline)
        assert (await h.runtime(sid))["events"][0]["kind"] == "test_marker"

        async def session_error(db: Any) -> None:
            (await db.get(TradingSession, session_id)).error = "checked"

        await _write(h, session_error)
        assert (await h.runtime(sid))["session"]["error"] == "checked"


async def test_a_rolled_back_change_never_shows(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.runtime(sid)
        async with h.app.state.services.sessionmaker() as db:
            (await db.get(Strategy, sid)).state_detail = "never committed"
            await db.flush()
            await db.rollback()
        assert (await h.runtime(sid))["detail"] != "never committed"


async def test_a_load_that_overlapped_a_commit_is_neither_cached_nor_shared(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        view = h.engine.view
        view.rows.invalidate_all()
        original = view._load
        loaded, release = asyncio.Event(), asyncio.Event()
        calls = 0

        async def slow_first_load(strategy_id: int) -> Any:
            nonlocal calls
            calls += 1
            rows = await original(strategy_id)
            if calls == 1:  # read the old rows, then stall until the commit below has landed
                loaded.set()
                await release.wait()
            return rows

        view._load = slow_first_load  # type: ignore[method-assign]
        early = asyncio.create_task(h.engine.runtime(sid))
        await asyncio.wait_for(loaded.wait(), 5)

        async def detail(db: Any) -> None:
            (await db.get(Strategy, sid)).state_detail = "changed meanwhile"

        await _write(h, detail)
        late = await asyncio.wait_for(h.engine.runtime(sid), 5)  # must not wait for (or reuse) the early load
        assert late["detail"] == "changed meanwhile" and calls == 2
        release.set()
        assert (await early)["detail"] != "changed meanwhile"  # it read before the commit: fine for that read...
        assert (await h.engine.runtime(sid))["detail"] == "changed meanwhile"  # ...but it was not cached
        assert calls == 2


async def test_concurrent_misses_share_one_load(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create()
        view = h.engine.view
        view.rows.invalidate_all()
        original = view._load
        calls = 0

        async def counted(strategy_id: int) -> Any:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)
            return await original(strategy_id)

        view._load = counted  # type: ignore[method-assign]
        results = await asyncio.gather(*(h.engine.runtime(sid) for _ in range(20)))
        assert calls == 1 and all(r["strategy_id"] == sid for r in results)
        missing = await asyncio.gather(h.engine.runtime(999_999), return_exceptions=True)
        assert isinstance(missing[0], LookupError)


async def test_pushed_ticks_carry_what_the_runtime_view_shows(tmp_path, monkeypatch) -> None:
    """A client that loads the runtime once and then merges `runtime:{id}` ticks must keep showing
    what GET /runtime shows: spot, `now`, countdowns and exact leg PnL move on every tick too."""
    monkeypatch.setattr(engine_module, "TICK_PUSH_SECONDS", 0.0)  # push every evaluated tick
    async with Harness(tmp_path) as h:
        sid = await h.create()
        await h.action(sid, "start")
        await h.drive(h.state_is(sid, "open"), step=30)
        loaded = await h.runtime(sid)
        sub = h.engine.hub.connect("test")
        await h.engine.hub.subscribe(sub, f"runtime:{sid}")
        ticks: list[dict[str, Any]] = []
        for _ in range(30):
            h.clock.advance(60)
            await h.settle()
            while not sub.queue.empty():
                message = sub.queue.get_nowait()
                if message["type"] == "event" and message["data"].get("tick"):
                    ticks.append(message["data"])
        assert ticks
        # the spot moves while the session is open, and the pushes carry it (the bug: they had none)
        assert all(isinstance(t["spot"], str) for t in ticks)
        assert len({t["spot"] for t in ticks}) > 1 and ticks[-1]["spot"] != loaded["spot"]
        # the last push agrees with a fresh read at the same clock time, exactly (decimal strings)
        last, rt = msgspec.json.decode(msgspec.json.encode(ticks[-1])), await h.runtime(sid)  # as a client receives it
        assert rt["state"] == "open"
        assert last["spot"] == rt["spot"] and last["now"] == rt["now"]
        assert last["countdowns"] == {"to_exit_s": rt["countdowns"]["to_exit_s"], "to_expiry_s": rt["countdowns"]["to_expiry_s"]}
        assert last["leg_pnl"] == {leg["symbol"]: leg["pnl"] for leg in rt["legs"]}
        assert all(Decimal(p) for p in last["leg_pnl"].values())  # exact decimal text, never a float
        assert last["pnl"] == rt["pnl"] and last["levels"] == rt["levels"]
        assert {s: q["mark"] for s, q in last["quotes"].items() if s in last["leg_pnl"]} == {leg["symbol"]: leg["mark"] for leg in rt["legs"]}

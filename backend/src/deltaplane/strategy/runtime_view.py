"""GET /api/strategies/{id}/runtime (and the `runtime:{id}` WebSocket snapshot) without a database
round-trip per read.

A runtime view has two parts:
  * rows from the database: the strategy, its latest session, that session's legs and working
    orders, the last 20 timeline events. They change only when something commits, so they are
    cached per strategy (`RuntimeRows`) and dropped by a commit listener (db/changes.py) right
    after any commit that touches one of those rows; a read that overlapped such a commit is not
    cached (generation check). Concurrent misses share one load.
  * live, in-memory parts composed on every read: the clock (`now`, countdowns), the runner's
    quotes, PnL and exit levels, spot, and the exchange's health.
The result is exactly what the uncached view returned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import select

from deltaplane.core.cache import GenerationCache
from deltaplane.db.changes import Change
from deltaplane.strategy.config import StrategyConfig
from deltaplane.strategy.models import EngineOrder, Leg, SessionEvent, Strategy, TradingSession

if TYPE_CHECKING:
    from deltaplane.strategy.engine import LiveQuote, StrategyEngine, StrategyRunner

ROWS_TTL_SECONDS = 30.0  # safety net only: commits made in this process invalidate at once
_MAX_OWNERS = 10_000


@dataclass(frozen=True, slots=True)
class LegRow:
    symbol: str
    kind: str
    strike: str
    entry_qty: int
    exit_qty: int
    status: str
    entry_price: Decimal | None
    contract_value: Decimal
    entry_delta: float | None


@dataclass(frozen=True, slots=True)
class RuntimeRows:
    """The database part of one strategy's runtime view. Shared by concurrent reads: never mutated."""

    head: dict[str, Any]  # strategy_id, name, state, detail, mode, underlying, version, run_version
    cfg: StrategyConfig
    session: dict[str, Any] | None
    active: bool  # the latest session may hold legs
    exit_deadline: datetime | None
    expiry: datetime | None
    legs: tuple[LegRow, ...]
    open_orders: list[dict[str, Any]]
    events: list[dict[str, Any]]


class RuntimeView:
    def __init__(self, engine: StrategyEngine, *, active_statuses: Collection[str]) -> None:
        self.engine = engine
        self.active_statuses = frozenset(active_statuses)
        self.rows: GenerationCache[int, RuntimeRows] = GenerationCache(ROWS_TTL_SECONDS)
        self._session_owner: dict[str, int] = {}  # trading session id -> strategy id

    # --- invalidation ----------------------------------------------------------------------------
    def start(self) -> None:
        """Listen to commits; until then (and after stop) every read goes to the database."""
        self.rows.follow_commits(self.on_commit)

    def stop(self) -> None:
        self.rows.stop_following()

    def on_commit(self, changes: list[Change]) -> None:
        try:
            for model, values in changes:
                if model is Strategy:
                    sid = values.get("id")
                elif model is TradingSession:
                    sid = values.get("strategy_id")
                    if sid is not None and values.get("id") is not None:
                        self._own(values["id"], sid)
                elif model is SessionEvent:
                    sid = values.get("strategy_id")
                elif model is Leg or model is EngineOrder:
                    sid = self._session_owner.get(values.get("session_id", ""))
                else:
                    continue
                if sid is None:
                    self.rows.invalidate_all()  # cannot tell whose: drop everything
                else:
                    self.rows.invalidate(sid)
        except Exception:
            self.rows.invalidate_all()
            raise

    def _own(self, session_id: str, strategy_id: int) -> None:
        if len(self._session_owner) >= _MAX_OWNERS and session_id not in self._session_owner:
            self._session_owner.clear()  # unknown sessions then invalidate everything: still correct
        self._session_owner[session_id] = strategy_id

    # --- reads -----------------------------------------------------------------------------------
    async def read(self, strategy_id: int) -> dict[str, Any]:
        rows = await self._rows(strategy_id)
        return await compose(self.engine, self.engine.runners.get(strategy_id), rows)

    async def _rows(self, strategy_id: int) -> RuntimeRows:
        return await self.rows.load_through(strategy_id, lambda: self._load(strategy_id))

    async def _load(self, strategy_id: int) -> RuntimeRows:
        async with self.engine.read_sessionmaker() as db:
            strategy = await db.get(Strategy, strategy_id)
            if strategy is None:
                raise LookupError(f"strategy {strategy_id} not found")
            session = await db.scalar(select(TradingSession).where(TradingSession.strategy_id == strategy_id)
                                      .order_by(TradingSession.created_at.desc()))
            legs = list((await db.scalars(select(Leg).where(Leg.session_id == session.id).order_by(Leg.id))).all()) if session else []
            orders = list((await db.scalars(select(EngineOrder).where(EngineOrder.session_id == session.id, EngineOrder.state.in_(("intent", "open", "pending")))))
                          .all()) if session else []
            events = list((await db.scalars(select(SessionEvent).where(SessionEvent.strategy_id == strategy_id)
                                            .order_by(SessionEvent.id.desc()).limit(20))).all())
        cfg = msgspec.json.decode(strategy.config_json, type=StrategyConfig)
        if session is not None:
            self._own(session.id, strategy_id)
        return RuntimeRows(
            head={"strategy_id": strategy.id, "name": strategy.name, "state": strategy.state, "detail": strategy.state_detail,
                  "mode": cfg.mode, "underlying": cfg.underlying, "version": strategy.version, "run_version": strategy.run_version,
                  "quantity": cfg.quantity},  # contracts per leg the next start runs: checked against the risk limit before Start
            cfg=cfg,
            session=None if session is None else {
                "id": session.id, "status": session.status, "credit": str(session.credit), "net_pnl": str(session.net_pnl),
                "fees": str(session.fees),  # paid so far (kept current by every fill): the PnL shown is before fees
                "exit_reason": session.exit_reason, "expiry": session.expiry.isoformat(), "exit_deadline": session.exit_deadline.isoformat(),
                "opened_at": session.opened_at.isoformat() if session.opened_at else None, "error": session.error,
            },
            active=session is not None and session.status in self.active_statuses,
            exit_deadline=session.exit_deadline if session else None,
            expiry=session.expiry if session else None,
            legs=tuple(LegRow(symbol=leg.symbol, kind=leg.kind, strike=str(leg.strike), entry_qty=leg.entry_qty, exit_qty=leg.exit_qty,
                              status=leg.status, entry_price=leg.entry_price, contract_value=leg.contract_value, entry_delta=leg.entry_delta)
                       for leg in legs),
            open_orders=[{"client_order_id": o.client_order_id, "symbol": o.symbol, "side": o.side, "size": o.size,
                          "filled": o.filled_size, "limit_price": None if o.limit_price is None else str(o.limit_price),
                          "state": o.state, "purpose": o.purpose} for o in orders],
            events=[{"timestamp": e.timestamp.isoformat(), "kind": e.kind, "level": e.level, "message": e.message} for e in events],
        )


def feed_spot(quotes: Mapping[str, LiveQuote]) -> str | None:
    """The underlying's spot as the freshest quote carries it (no exchange round-trip); None when
    the feed has none. Shared by the runtime view and the runner's pushed ticks, so both agree."""
    latest = max(quotes.values(), key=lambda q: q.received_at, default=None)
    return str(latest.ticker.spot) if latest is not None and latest.ticker.spot else None


def leg_pnl(entry_price: Decimal | None, mark: Decimal, contract_value: Decimal, open_qty: int) -> Decimal | None:
    """A sold leg's open PnL in USD at `mark` (exact decimal); None before it has an entry price."""
    return None if entry_price is None else (entry_price - mark) * contract_value * open_qty


def session_countdowns(now: datetime, exit_deadline: datetime | None, expiry: datetime | None) -> dict[str, float | None]:
    """Seconds to the exit deadline and to expiry of an active session, as of `now`."""
    return {
        "to_exit_s": (exit_deadline - now).total_seconds() if exit_deadline else None,
        "to_expiry_s": (expiry - now).total_seconds() if expiry else None,
    }


async def compose(engine: StrategyEngine, runner: StrategyRunner | None, rows: RuntimeRows) -> dict[str, Any]:
    """The runtime payload: cached rows plus the runner's live state, as of the engine clock's now."""
    cfg = rows.cfg
    now = engine.clock.now()
    active = rows.active
    quotes = runner.quotes if runner is not None else {}
    spot = feed_spot(quotes)
    if spot is None:
        with contextlib.suppress(Exception):
            spot = str(await engine.exchange_for(cfg).spot(cfg.underlying))
    leg_views = []
    for leg in rows.legs if active else ():
        q = quotes.get(leg.symbol)
        t = q.ticker if q else None
        open_qty = leg.entry_qty - leg.exit_qty
        pnl = leg_pnl(leg.entry_price, t.mark, leg.contract_value, open_qty) if t else None
        leg_views.append({
            "symbol": leg.symbol, "kind": leg.kind, "strike": leg.strike, "quantity": open_qty, "status": leg.status,
            "entry_price": None if leg.entry_price is None else str(leg.entry_price),
            "mark": str(t.mark) if t else None, "best_bid": str(t.best_bid) if t and t.best_bid is not None else None,
            "best_ask": str(t.best_ask) if t and t.best_ask is not None else None, "delta": t.delta if t else leg.entry_delta,
            "pnl": None if pnl is None else str(pnl),
        })
    next_entry_at = runner.next_entry_at if runner is not None else None
    return {
        **rows.head,
        "now": now.isoformat(), "spot": spot,
        "countdowns": {
            "to_entry_s": (next_entry_at - now).total_seconds() if next_entry_at and not active else None,
            **session_countdowns(now, rows.exit_deadline if active else None, rows.expiry if active else None),
        },
        "session": rows.session,
        "legs": leg_views,
        "pnl": runner.last_pnl if active and runner is not None else None,
        "levels": runner.last_levels if active and runner is not None else None,
        "open_orders": rows.open_orders,
        "events": rows.events,
        "exchange": engine.exchange_health("live" if cfg.mode == "live" else "paper"),
    }

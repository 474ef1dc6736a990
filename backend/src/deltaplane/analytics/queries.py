"""Database → analytics records: the closed-trade ledger (cached), open sessions and the streamed
export timeline.

Definitions:
- A *trade* is a session with ``closed_at`` set and a status outside entering/open/exiting (normally
  ``closed``; an ``error`` session that booked fees/PnL while unwinding counts too). Its gross PnL
  and fees are the engine's ledger columns; ``net = gross - fees`` is derived once, in
  :class:`TradeRecord`. ``trading_sessions.net_pnl`` is never read here, so fees cannot be
  subtracted twice.
- An *open session* has status entering/open/exiting. No marks are persisted, so its unrealised
  PnL is not known from the database: the summary reports its count, credit and fees paid and
  leaves ``unrealized_pnl`` null.

The ledger of 100k trades is loaded once per change and kept in memory, sorted by
``(closed_at, session_id)``; a request checks a cheap fingerprint query (count, max close, totals)
and slices the range by bisection. Leg rows are folded into per-trade counts while loading (no
LegRecord kept per leg), which keeps the cache around 1 KB per trade.

All reads go through ``AppServices.read_sessionmaker`` (deferred BEGIN: readers never queue behind
the engine's write lock). The export timeline is streamed with its own short sessions, one per
batch of sessions, because the request-scoped session is closed once the response starts.
"""

from __future__ import annotations

import asyncio
import json
from bisect import bisect_left
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy import text as sa_text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deltaplane.analytics.metrics import TradeList
from deltaplane.analytics.records import TimelineRow, TradeRecord
from deltaplane.strategy.models import EngineFill, EngineOrder, Leg, SessionEvent, Strategy, TradingSession

__all__ = [
    "OPEN_STATUSES",
    "Ledger",
    "LedgerCache",
    "OpenSessions",
    "count_timeline_rows",
    "iter_timeline",
    "ledger_cache",
    "warm_analytics_cache",
    "load_open_sessions",
]

OPEN_STATUSES = ("entering", "open", "exiting")
ZERO = Decimal(0)
#: sessions per short DB session while streaming the timeline
TIMELINE_SESSION_BATCH = 200
_CACHE_KEY = "analytics_ledger"


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def trade_condition() -> Any:
    return (TradingSession.closed_at.is_not(None)) & (TradingSession.status.not_in(OPEN_STATUSES))


# --- ledger --------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Closed trades sorted by (closed_at, session_id) with per-trade leg counts."""

    version: tuple[Any, ...]
    trades: list[TradeRecord]
    leg_counts: list[int]
    leg_wins: list[int]
    closed: list[datetime] = field(default_factory=list)
    _subsets: dict[str, Ledger] = field(default_factory=dict)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.trades, TradeList):  # slices then carry the precomputed metric columns
            self.trades = TradeList(self.trades)
        if not self.closed:
            self.closed = [t.closed_at for t in self.trades]

    def warm(self, timezones: Sequence[str] = ("UTC",)) -> None:
        """Build the metric columns (and the calendar days of ``timezones``) ahead of a request."""
        from zoneinfo import ZoneInfo

        columns = self.trades.columns()
        if columns.ok:
            for tz in timezones:
                columns.days(ZoneInfo(tz))

    def for_strategy(self, strategy_id: str | None) -> Ledger:
        if strategy_id is None:
            return self
        sub = self._subsets.get(strategy_id)
        if sub is None:
            idx = [i for i, t in enumerate(self.trades) if t.strategy_id == strategy_id]
            sub = Ledger(
                version=self.version,
                trades=[self.trades[i] for i in idx],
                leg_counts=[self.leg_counts[i] for i in idx],
                leg_wins=[self.leg_wins[i] for i in idx],
            )
            self._subsets[strategy_id] = sub
        return sub

    def bounds(self, start: datetime | None, end: datetime | None) -> tuple[int, int]:
        """Index slice of trades closed in ``[start, end)``."""
        lo = 0 if start is None else bisect_left(self.closed, start)
        hi = len(self.closed) if end is None else bisect_left(self.closed, end)
        return lo, max(lo, hi)


async def ledger_fingerprint(db: AsyncSession) -> tuple[Any, ...]:
    """Changes whenever a trade is added, amended or a strategy renamed.

    On SQLite, triggers keep a version counter (migration 0005): one row read per request.
    Elsewhere, an aggregate over the closed sessions (one scan, no rows returned).
    """
    if db.get_bind().dialect.name == "sqlite":
        version = await db.scalar(sa_text("SELECT version FROM analytics_ledger_version WHERE id = 1"))
        if version is not None:
            return ("v", int(version))
    row = (
        await db.execute(
            select(
                func.count(),
                func.max(TradingSession.closed_at),
                func.total(TradingSession.gross_pnl),
                func.total(TradingSession.fees),
                func.total(TradingSession.credit),
                func.total(TradingSession.debit),
                func.max(TradingSession.created_at),
            ).where(trade_condition())
        )
    ).one()
    strategies = (await db.execute(select(func.count(), func.max(Strategy.updated_at)))).one()
    return (*tuple(row), *tuple(strategies))


async def load_ledger(db: AsyncSession, version: tuple[Any, ...]) -> Ledger:
    names = dict((await db.execute(select(Strategy.id, Strategy.name))).tuples().all())
    legs: dict[str, list[int]] = {}
    leg_rows = await db.stream(
        select(Leg.session_id, Leg.entry_qty, Leg.entry_price, Leg.exit_qty, Leg.exit_price, Leg.contract_value, Leg.fees)
        .join(TradingSession, TradingSession.id == Leg.session_id)
        .where(trade_condition(), Leg.entry_qty > 0)
        .execution_options(yield_per=5000)
    )
    async for sid, entry_qty, entry_price, exit_qty, exit_price, cv, fees in leg_rows:
        gross = ((entry_price or ZERO) * entry_qty - (exit_price or ZERO) * exit_qty) * cv
        counts = legs.get(sid)
        if counts is None:
            counts = legs[sid] = [0, 0]
        counts[0] += 1
        counts[1] += gross - fees > 0
    rows = await db.stream(
        select(
            TradingSession.id,
            TradingSession.strategy_id,
            TradingSession.underlying,
            TradingSession.opened_at,
            TradingSession.entry_started_at,
            TradingSession.closed_at,
            TradingSession.credit,
            TradingSession.debit,
            TradingSession.gross_pnl,
            TradingSession.fees,
            TradingSession.exit_reason,
        )
        .where(trade_condition())
        .order_by(TradingSession.closed_at, TradingSession.id)
        .execution_options(yield_per=5000)
    )
    trades: list[TradeRecord] = []
    leg_counts: list[int] = []
    leg_wins: list[int] = []
    interned: dict[Any, Any] = {}
    none = [0, 0]
    async for sid, strategy_id, underlying, opened, started, closed, credit, debit, gross, fees, reason in rows:
        closed = _aware(closed)
        opened = _aware(opened or started) or closed
        key = str(strategy_id)
        trades.append(
            TradeRecord(
                session_id=sid,
                strategy_id=interned.setdefault(key, key),
                strategy_name=interned.setdefault(("n", strategy_id), names.get(strategy_id, "")),
                underlying=interned.setdefault(underlying, underlying),
                opened_at=min(opened, closed),
                closed_at=closed,
                credit=credit,
                debit=debit,
                gross_pnl=gross,
                fees=fees,
                exit_reason=interned.setdefault(reason or "", reason or ""),
            )
        )
        count, wins = legs.get(sid, none)
        leg_counts.append(count)
        leg_wins.append(wins)
    return Ledger(version=version, trades=trades, leg_counts=leg_counts, leg_wins=leg_wins)


class LedgerCache:
    """One in-memory ledger per app, reloaded when the fingerprint changes."""

    def __init__(self) -> None:
        self._ledger: Ledger | None = None
        self._lock = asyncio.Lock()
        self.loads = 0

    async def get(self, sessionmaker: async_sessionmaker) -> Ledger:
        async with sessionmaker() as db:
            version = await ledger_fingerprint(db)
        ledger = self._ledger
        if ledger is not None and ledger.version == version:
            return ledger
        async with self._lock:
            ledger = self._ledger
            if ledger is not None and ledger.version == version:
                return ledger
            async with sessionmaker() as db:
                version = await ledger_fingerprint(db)  # read in the same snapshot as the rows
                ledger = await load_ledger(db, version)
            self._ledger = ledger
            self.loads += 1
            return ledger


def ledger_cache(extras: dict[str, Any]) -> LedgerCache:
    cache = extras.get(_CACHE_KEY)
    if cache is None:
        cache = extras[_CACHE_KEY] = LedgerCache()
    return cache


async def warm_analytics_cache(services: Any, timezones: Sequence[str] = ("UTC",)) -> None:
    """Load the ledger and build its metric columns before the first request (call at start-up,
    e.g. from a lifespan hook: ``await warm_analytics_cache(services)``)."""
    ledger = await ledger_cache(services.extras).get(services.read_sessionmaker)
    ledger.warm(timezones)


# --- open sessions -------------------------------------------------------------------------------


@dataclass
class OpenSessions:
    session_ids: list[str]
    credit: Decimal
    fees: Decimal

    @property
    def count(self) -> int:
        return len(self.session_ids)


async def load_open_sessions(db: AsyncSession, strategy_id: int | None) -> OpenSessions:
    stmt = select(TradingSession.id, TradingSession.credit, TradingSession.fees).where(
        TradingSession.status.in_(OPEN_STATUSES)
    )
    if strategy_id is not None:
        stmt = stmt.where(TradingSession.strategy_id == strategy_id)
    rows = (await db.execute(stmt.order_by(TradingSession.created_at, TradingSession.id))).tuples().all()
    return OpenSessions(
        session_ids=[r[0] for r in rows],
        credit=sum((r[1] for r in rows), ZERO),
        fees=sum((r[2] for r in rows), ZERO),
    )


# --- timeline ------------------------------------------------------------------------------------


def _scope_condition(start: datetime | None, end: datetime | None, strategy_id: int | None) -> Any:
    closed = trade_condition()
    if start is not None:
        closed = closed & (TradingSession.closed_at >= start)
    if end is not None:
        closed = closed & (TradingSession.closed_at < end)
    cond = or_(closed, TradingSession.status.in_(OPEN_STATUSES))
    if strategy_id is not None:
        cond = cond & (TradingSession.strategy_id == strategy_id)
    return cond


async def count_timeline_rows(
    db: AsyncSession, start: datetime | None, end: datetime | None, strategy_id: int | None
) -> int:
    """Orders + fills + session events of the trades closed in range and of the open sessions."""
    scope = select(TradingSession.id).where(_scope_condition(start, end, strategy_id)).scalar_subquery()
    total = 0
    for model in (EngineOrder, EngineFill, SessionEvent):
        total += (await db.execute(select(func.count()).where(model.session_id.in_(scope)))).scalar_one()
    return total


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


async def _timeline_batch(db: AsyncSession, ids: Sequence[str], strategy_ids: dict[str, str]) -> list[TimelineRow]:
    rows: list[tuple[str, datetime, int, int, TimelineRow]] = []
    client_ids: dict[int, str] = {}
    orders = await db.execute(select(EngineOrder).where(EngineOrder.session_id.in_(ids)))
    for o in orders.scalars():
        client_ids[o.id] = o.client_order_id
        ts = _aware(o.created_at)
        meta = {
            "purpose": o.purpose,
            "order_type": o.order_type,
            "time_in_force": o.time_in_force,
            "reduce_only": o.reduce_only,
            "state": o.state,
            "size": o.size,
            "filled_size": o.filled_size,
            "avg_fill_price": None if o.avg_fill_price is None else str(o.avg_fill_price),
            "order_fees": str(o.fees),  # informational: the fee column counts fills only
            "attempt": o.attempt,
            "exchange_order_id": o.exchange_order_id,
        }
        if o.error:
            meta["error"] = o.error
        row = TimelineRow(
            timestamp=ts,
            session_id=o.session_id,
            strategy_id=strategy_ids[o.session_id],
            entry_type="order",
            order_id=o.client_order_id,
            symbol=o.symbol,
            side=o.side,
            quantity=Decimal(o.size),
            price=o.limit_price,
            message=f"{o.purpose} {o.order_type} order {o.state}",
            metadata=meta,
        )
        rows.append((o.session_id, ts, 0, o.id, row))
    fills = await db.execute(select(EngineFill).where(EngineFill.session_id.in_(ids)))
    for f in fills.scalars():
        ts = _aware(f.created_at)
        row = TimelineRow(
            timestamp=ts,
            session_id=f.session_id,
            strategy_id=strategy_ids[f.session_id],
            entry_type="fill",
            order_id=client_ids.get(f.order_id),
            symbol=f.symbol,
            side=f.side,
            quantity=Decimal(f.size),
            price=f.price,
            fee=f.fee,
            message="fill",
            metadata={"exchange_fill_id": f.exchange_fill_id},
        )
        rows.append((f.session_id, ts, 1, f.id, row))
    events = await db.execute(select(SessionEvent).where(SessionEvent.session_id.in_(ids)))
    for e in events.scalars():
        ts = _aware(e.timestamp)
        try:
            data = json.loads(e.data_json or "{}")
        except ValueError:
            data = {"raw": e.data_json}
        if not isinstance(data, dict):
            data = {"data": data}
        sid = e.session_id or ""
        row = TimelineRow(
            timestamp=ts,
            session_id=sid,
            strategy_id=strategy_ids.get(sid, str(e.strategy_id)),
            entry_type="event",
            # the engine's own booking on its close event; never re-derived here
            realized_pnl=_decimal(data.get("net_pnl")) if e.kind.endswith("closed") else None,
            message=e.message,
            metadata={"kind": e.kind, "level": e.level, **data},
        )
        rows.append((sid, ts, 2, e.id, row))
    order = {sid: i for i, sid in enumerate(ids)}
    rows.sort(key=lambda r: (order.get(r[0], 0), r[1], r[2], r[3]))
    return [r[4] for r in rows]


async def iter_timeline(
    sessionmaker: async_sessionmaker, session_ids: Sequence[str], strategy_ids: dict[str, str] | None = None
) -> AsyncIterator[list[TimelineRow]]:
    """Timeline rows, session after session (in the given order), each session's rows by time.

    Yields one list per batch of :data:`TIMELINE_SESSION_BATCH` sessions, each read in its own
    short read-only DB session: memory is bounded by one batch whatever the range.
    """
    for i in range(0, len(session_ids), TIMELINE_SESSION_BATCH):
        ids = list(session_ids[i : i + TIMELINE_SESSION_BATCH])
        async with sessionmaker() as db:
            if strategy_ids is None:
                sids = dict(
                    (await db.execute(select(TradingSession.id, TradingSession.strategy_id).where(TradingSession.id.in_(ids))))
                    .tuples()
                    .all()
                )
                known = {k: str(v) for k, v in sids.items()}
            else:
                known = strategy_ids
            batch = await _timeline_batch(db, ids, known)
        if batch:
            yield batch

"""Session history: filtered, paginated list; one session's detail; streamed CSV export.

Pagination is page/page_size (offset) with a ``total`` count, newest first by ``created_at, id``.
The export walks the same order with keyset batches, each in its own short read-only DB session
(the request session is closed once the response starts), so memory is flat whatever the count.
Money is the engine's ledger: ``net_pnl`` = ``gross_pnl`` - ``fees`` as booked at close. A session
not booked yet (``closed_at`` null: entering, open, exiting, error) has its running ``credit``,
``debit`` and ``fees`` (the engine keeps them equal to its legs' sums after every fill) and no
realised ``gross_pnl``/``net_pnl`` (null); likewise a leg that still holds contracts in such a
session. Marks are not stored, so unrealised PnL is not known here (the Live view has it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from deltaplane.analytics.csv_export import format_cell
from deltaplane.analytics.ranges import PRESETS, RangeError, resolve_range
from deltaplane.auth.guards import requires_viewer
from deltaplane.core.errors import FieldError
from deltaplane.core.params import DB_INT_MAX
from deltaplane.core.services import AppServices
from deltaplane.strategy.models import EngineFill, EngineOrder, Leg, SessionEvent, Strategy, TradingSession

__all__ = ["SessionsController"]

STATUSES = ("entering", "open", "exiting", "closed", "error")
UNDERLYINGS = ("BTC", "ETH")
MODES = ("paper", "live")
DATE_FIELDS = ("closed_at", "created_at")
EXPORT_FORMATS = ("csv",)
EXPORT_BATCH = 1000
MAX_PAGE_SIZE = 500
CLOCK_KEY = "analytics_clock"


# --- schemas -------------------------------------------------------------------------------------


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    strategy_id: int
    strategy_name: str
    strategy_version: int
    mode: str
    underlying: str
    status: str
    trading_day: date
    expiry: datetime
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    exit_reason: str | None
    credit: Decimal  # received selling, so far
    debit: Decimal  # paid buying back, so far
    gross_pnl: Decimal | None  # credit - debit as booked at close; null while not booked
    fees: Decimal  # paid so far (entry + exit); the booked fees once closed
    net_pnl: Decimal | None  # gross_pnl - fees as booked at close; null while not booked
    error: str | None


class SessionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[SessionRow]
    total: int
    page: int
    page_size: int
    pages: int


class LegRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    symbol: str
    strike: Decimal
    contract_value: Decimal
    target_qty: int
    entry_qty: int
    entry_price: Decimal | None
    exit_qty: int
    exit_price: Decimal | None
    fees: Decimal
    # realised: (entry price x entry qty - exit price x exit qty) x contract value, and that - fees;
    # null while the leg still holds contracts in a session not booked yet (no mark stored)
    gross_pnl: Decimal | None
    net_pnl: Decimal | None
    status: str
    entry_delta: float | None


class OrderRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    leg_id: int
    client_order_id: str
    exchange_order_id: int | None
    purpose: str
    symbol: str
    side: str
    order_type: str
    time_in_force: str
    reduce_only: bool
    limit_price: Decimal | None
    size: int
    filled_size: int
    avg_fill_price: Decimal | None
    fees: Decimal
    state: str
    attempt: int
    error: str | None
    created_at: datetime
    updated_at: datetime


class FillRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    order_id: int
    exchange_fill_id: str
    symbol: str
    side: str
    size: int
    price: Decimal
    fee: Decimal
    created_at: datetime


class EventRead(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    timestamp: datetime
    kind: str
    level: str
    message: str
    data: dict[str, Any]


class SessionDetail(msgspec.Struct, frozen=True, kw_only=True):
    session: SessionRow
    legs: list[LegRead]
    orders: list[OrderRead]
    fills: list[FillRead]
    events: list[EventRead]
    fills_fees: Decimal  # sum of fill fees (what the exchange charged so far); compare with session.fees


# --- filters -------------------------------------------------------------------------------------


class SessionFilter(msgspec.Struct, frozen=True, kw_only=True):
    strategy_id: int | None = None
    status: tuple[str, ...] = ()
    underlying: str | None = None
    mode: str | None = None
    exit_reason: str | None = None
    date_field: str = "closed_at"
    start: datetime | None = None
    end: datetime | None = None


def _choice(field: str, value: str | None, allowed: tuple[str, ...], *, upper: bool = False) -> str | None:
    if value is None or not value.strip():
        return None
    v = value.strip().upper() if upper else value.strip().lower()
    if v not in allowed:
        raise FieldError(field, f"must be one of {', '.join(allowed)}")
    return v


def build_filter(
    now: datetime,
    *,
    strategy_id: int | None,
    status: str | None,
    underlying: str | None,
    mode: str | None,
    exit_reason: str | None,
    date_field: str,
    start: str | None,
    end: str | None,
    preset: str | None,
    tz: str,
) -> SessionFilter:
    statuses: tuple[str, ...] = ()
    if status and status.strip():
        statuses = tuple(s.strip().lower() for s in status.split(",") if s.strip())
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise FieldError("status", f"unknown status {bad[0]!r}; allowed: {', '.join(STATUSES)} (comma-separated)")
    df = _choice("date_field", date_field, DATE_FIELDS) or "closed_at"
    rng_start = rng_end = None
    if start or end or preset:
        try:
            rng = resolve_range(now=now, tz=tz, preset=preset, start=start, end=end)
        except RangeError as exc:
            raise FieldError(exc.field, exc.message) from None
        rng_start, rng_end = rng.start, rng.end
    else:
        try:
            resolve_range(now=now, tz=tz)  # validates tz even without a range
        except RangeError as exc:
            raise FieldError(exc.field, exc.message) from None
    return SessionFilter(
        strategy_id=strategy_id,
        status=statuses,
        underlying=_choice("underlying", underlying, UNDERLYINGS, upper=True),
        mode=_choice("mode", mode, MODES),
        exit_reason=exit_reason.strip() if exit_reason and exit_reason.strip() else None,
        date_field=df,
        start=rng_start,
        end=rng_end,
    )


def _where(f: SessionFilter) -> list[Any]:
    conds: list[Any] = []
    if f.strategy_id is not None:
        conds.append(TradingSession.strategy_id == f.strategy_id)
    if f.status:
        conds.append(TradingSession.status.in_(f.status))
    if f.underlying:
        conds.append(TradingSession.underlying == f.underlying)
    if f.mode:
        conds.append(TradingSession.mode == f.mode)
    if f.exit_reason:
        conds.append(TradingSession.exit_reason == f.exit_reason)
    column = TradingSession.closed_at if f.date_field == "closed_at" else TradingSession.created_at
    if f.start is not None:
        conds.append(column >= f.start)
    if f.end is not None:
        conds.append(column < f.end)
    return conds


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _booked(s: TradingSession) -> bool:
    """The engine has booked the session's ledger (gross, net) at close."""
    return s.closed_at is not None


def _row(s: TradingSession, name: str | None) -> SessionRow:
    booked = _booked(s)
    return SessionRow(
        id=s.id,
        strategy_id=s.strategy_id,
        strategy_name=name or "",
        strategy_version=s.strategy_version,
        mode=s.mode,
        underlying=s.underlying,
        status=s.status,
        trading_day=s.trading_day,
        expiry=_aware(s.expiry),
        created_at=_aware(s.created_at),
        opened_at=_aware(s.opened_at),
        closed_at=_aware(s.closed_at),
        exit_reason=s.exit_reason,
        credit=s.credit,
        debit=s.debit,
        gross_pnl=s.gross_pnl if booked else None,
        fees=s.fees,
        net_pnl=s.net_pnl if booked else None,
        error=s.error,
    )


def _base_select() -> Any:
    return select(TradingSession, Strategy.name).join(Strategy, Strategy.id == TradingSession.strategy_id, isouter=True)


async def list_sessions(db: AsyncSession, f: SessionFilter, page: int, page_size: int) -> SessionPage:
    conds = _where(f)
    total = (await db.execute(select(func.count()).select_from(TradingSession).where(*conds))).scalar_one()
    rows = (
        await db.execute(
            _base_select()
            .where(*conds)
            .order_by(TradingSession.created_at.desc(), TradingSession.id.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
    ).all()
    return SessionPage(
        items=[_row(s, name) for s, name in rows],
        total=total,
        page=page,
        page_size=page_size,
        pages=(total + page_size - 1) // page_size,
    )


def _leg(leg: Leg, booked: bool) -> LegRead:
    gross: Decimal | None = None
    if booked or leg.entry_qty - leg.exit_qty <= 0:  # else open contracts: the formula would value them at 0
        gross = ((leg.entry_price or Decimal(0)) * leg.entry_qty - (leg.exit_price or Decimal(0)) * leg.exit_qty) * leg.contract_value
    return LegRead(
        id=leg.id,
        kind=leg.kind,
        symbol=leg.symbol,
        strike=leg.strike,
        contract_value=leg.contract_value,
        target_qty=leg.target_qty,
        entry_qty=leg.entry_qty,
        entry_price=leg.entry_price,
        exit_qty=leg.exit_qty,
        exit_price=leg.exit_price,
        fees=leg.fees,
        gross_pnl=gross,
        net_pnl=None if gross is None else gross - leg.fees,
        status=leg.status,
        entry_delta=leg.entry_delta,
    )


async def session_detail(db: AsyncSession, session_id: str) -> SessionDetail | None:
    row = (await db.execute(_base_select().where(TradingSession.id == session_id))).first()
    if row is None:
        return None
    s, name = row
    legs = (await db.scalars(select(Leg).where(Leg.session_id == session_id).order_by(Leg.id))).all()
    orders = (await db.scalars(select(EngineOrder).where(EngineOrder.session_id == session_id).order_by(EngineOrder.id))).all()
    fills = (await db.scalars(select(EngineFill).where(EngineFill.session_id == session_id).order_by(EngineFill.id))).all()
    events = (
        await db.scalars(
            select(SessionEvent).where(SessionEvent.session_id == session_id).order_by(SessionEvent.timestamp, SessionEvent.id)
        )
    ).all()

    def data(text: str) -> dict[str, Any]:
        try:
            value = msgspec.json.decode(text or "{}")
        except msgspec.DecodeError:
            return {"raw": text}
        return value if isinstance(value, dict) else {"data": value}

    return SessionDetail(
        session=_row(s, name),
        legs=[_leg(x, _booked(s)) for x in legs],
        orders=[
            OrderRead(
                id=o.id, leg_id=o.leg_id, client_order_id=o.client_order_id, exchange_order_id=o.exchange_order_id,
                purpose=o.purpose, symbol=o.symbol, side=o.side, order_type=o.order_type, time_in_force=o.time_in_force,
                reduce_only=o.reduce_only, limit_price=o.limit_price, size=o.size, filled_size=o.filled_size,
                avg_fill_price=o.avg_fill_price, fees=o.fees, state=o.state, attempt=o.attempt, error=o.error,
                created_at=_aware(o.created_at), updated_at=_aware(o.updated_at),
            )  # fmt: skip
            for o in orders
        ],
        fills=[
            FillRead(
                id=x.id, order_id=x.order_id, exchange_fill_id=x.exchange_fill_id, symbol=x.symbol, side=x.side,
                size=x.size, price=x.price, fee=x.fee, created_at=_aware(x.created_at),
            )  # fmt: skip
            for x in fills
        ],
        events=[
            EventRead(id=e.id, timestamp=_aware(e.timestamp), kind=e.kind, level=e.level, message=e.message, data=data(e.data_json))
            for e in events
        ],
        fills_fees=sum((x.fee for x in fills), Decimal(0)),
    )


# --- export --------------------------------------------------------------------------------------

EXPORT_COLUMNS = tuple(f.name for f in msgspec.structs.fields(SessionRow))


def export_filename(now: datetime) -> str:
    return f"sessions-export-{now.astimezone(UTC):%Y%m%d-%H%M%S}.csv"


def _csv_line(cells: list[str]) -> str:
    out = []
    for cell in cells:
        if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out) + "\r\n"


async def iter_sessions_csv(sessionmaker: Any, f: SessionFilter, batch: int = EXPORT_BATCH) -> AsyncIterator[bytes]:
    """Header then one line per session, newest first; text cells neutralised against formulas."""
    yield _csv_line(list(EXPORT_COLUMNS)).encode()
    conds = _where(f)
    last: tuple[datetime, str] | None = None
    while True:
        stmt = _base_select().where(*conds)
        if last is not None:
            stmt = stmt.where(tuple_(TradingSession.created_at, TradingSession.id) < last)
        stmt = stmt.order_by(TradingSession.created_at.desc(), TradingSession.id.desc()).limit(batch)
        async with sessionmaker() as db:
            rows = (await db.execute(stmt)).all()
        if not rows:
            return
        lines = []
        for s, name in rows:
            r = _row(s, name)
            lines.append(_csv_line([format_cell(getattr(r, c)) for c in EXPORT_COLUMNS]))
        yield "".join(lines).encode()
        last = (rows[-1][0].created_at, rows[-1][0].id)
        if len(rows) < batch:
            return


# --- controller ----------------------------------------------------------------------------------

StrategyParam = Annotated[int | None, Parameter(required=False, ge=1, le=DB_INT_MAX, description="strategy id")]
StatusParam = Annotated[str | None, Parameter(required=False, description=f"one or more of {', '.join(STATUSES)}, comma-separated")]
UnderlyingParam = Annotated[str | None, Parameter(required=False, description="BTC | ETH")]
ModeParam = Annotated[str | None, Parameter(required=False, description="paper | live")]
ReasonParam = Annotated[str | None, Parameter(required=False, description="exact exit reason, e.g. take_profit")]
DateFieldParam = Annotated[str, Parameter(description="closed_at | created_at: the column start/end apply to")]
StartParam = Annotated[str | None, Parameter(required=False, description="ISO date or datetime (inclusive)")]
EndParam = Annotated[str | None, Parameter(required=False, description="ISO date (inclusive day) or datetime (exclusive)")]
PresetParam = Annotated[str | None, Parameter(required=False, description=f"{' | '.join(PRESETS)}; instead of start/end")]
TzParam = Annotated[str, Parameter(description="IANA timezone for date-only bounds and presets")]


def _now(svc: AppServices) -> datetime:
    clock = svc.extras.get(CLOCK_KEY)
    return (clock() if clock else datetime.now(UTC)).astimezone(UTC)


class SessionsController(Controller):
    path = "/api/sessions"
    tags = ["sessions"]
    guards = [requires_viewer]

    @get("/", operation_id="listSessions", summary="Sessions (one per trade), newest first, filtered and paginated")
    async def index(
        self,
        request: Request,
        strategy_id: StrategyParam = None,
        status: StatusParam = None,
        underlying: UnderlyingParam = None,
        mode: ModeParam = None,
        exit_reason: ReasonParam = None,
        date_field: DateFieldParam = "closed_at",
        start: StartParam = None,
        end: EndParam = None,
        preset: PresetParam = None,
        tz: Annotated[str, Parameter(description="IANA timezone")] = "UTC",
        page: Annotated[int, Parameter(ge=1, le=1_000_000, description="1-based page")] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=MAX_PAGE_SIZE, description=f"1..{MAX_PAGE_SIZE}")] = 50,
    ) -> SessionPage:
        svc: AppServices = request.app.state.services
        f = build_filter(_now(svc), strategy_id=strategy_id, status=status, underlying=underlying, mode=mode,
                         exit_reason=exit_reason, date_field=date_field, start=start, end=end, preset=preset, tz=tz)  # fmt: skip
        async with svc.read_sessionmaker() as db:
            return await list_sessions(db, f, page, page_size)

    @get(
        "/export",
        operation_id="exportSessions",
        summary="Stream the filtered sessions as CSV",
        media_type="text/csv",
    )
    async def export(
        self,
        request: Request,
        format: Annotated[str, Parameter(description="csv (the only format)")] = "csv",  # noqa: A002
        strategy_id: StrategyParam = None,
        status: StatusParam = None,
        underlying: UnderlyingParam = None,
        mode: ModeParam = None,
        exit_reason: ReasonParam = None,
        date_field: DateFieldParam = "closed_at",
        start: StartParam = None,
        end: EndParam = None,
        preset: PresetParam = None,
        tz: Annotated[str, Parameter(description="IANA timezone")] = "UTC",
    ) -> Stream:
        if format.strip().lower() not in EXPORT_FORMATS:
            raise FieldError("format", f"unsupported format {format!r}; allowed values: {', '.join(EXPORT_FORMATS)}")
        svc: AppServices = request.app.state.services
        now = _now(svc)
        f = build_filter(now, strategy_id=strategy_id, status=status, underlying=underlying, mode=mode,
                         exit_reason=exit_reason, date_field=date_field, start=start, end=end, preset=preset, tz=tz)  # fmt: skip
        return Stream(
            iter_sessions_csv(svc.read_sessionmaker, f),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{export_filename(now)}"',
                "Cache-Control": "no-store",
            },
        )

    @get("/{session_id:str}", operation_id="getSession", summary="One session with legs, orders, fills and its event timeline")
    async def detail(self, request: Request, session_id: str) -> SessionDetail:
        svc: AppServices = request.app.state.services
        async with svc.read_sessionmaker() as db:
            detail = await session_detail(db, session_id)
        if detail is None:
            raise NotFoundException(f"session {session_id!r} not found")
        return detail

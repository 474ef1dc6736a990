"""Analytics HTTP API: summary, chart history and the streamed CSV export.

Range parameters (all three routes): ``preset`` (today|7d|30d|90d|ytd|all, default 30d) *or*
``start``/``end`` (ISO date or datetime; a date-only end is inclusive), ``tz`` (IANA, default UTC),
``strategy_id`` (int), ``starting_capital`` (USD, >= 0, default 0; Sharpe/Sortino/Calmar need it).
A preset is resolved against "now" on every request, so a refreshing dashboard moves forward.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.params import Parameter
from litestar.response import Stream

from deltaplane import __version__
from deltaplane.analytics.csv_export import (
    _timeline_line,
    build_export_metadata,
    export_filename,
    iter_export_csv,
)
from deltaplane.analytics.metrics import History, Summary, UnrealizedStats, compute_history, compute_summary
from deltaplane.analytics.queries import (
    Ledger,
    OpenSessions,
    count_timeline_rows,
    iter_timeline,
    ledger_cache,
    load_open_sessions,
)
from deltaplane.analytics.ranges import RangeError, ResolvedRange, resolve_range
from deltaplane.analytics.schemas import (
    EXPORT_FORMATS,
    AnalyticsHistoryResponse,
    AnalyticsRange,
    AnalyticsSummaryResponse,
    OpenSessionsStats,
)
from deltaplane.auth.guards import requires_viewer
from deltaplane.core.errors import FieldError
from deltaplane.core.params import DB_INT_MAX
from deltaplane.core.services import AppServices

__all__ = ["CLOCK_KEY", "AnalyticsController"]

#: ``services.extras[CLOCK_KEY]`` may hold a ``() -> aware datetime`` (tests move time with it)
CLOCK_KEY = "analytics_clock"
_MEMO_LIMIT = 64
UNREALIZED_NOTE = "unrealised PnL needs mark prices, which are not stored; open credit and fees are shown instead"

PresetParam = Annotated[
    str | None, Parameter(required=False, description="today | 7d | 30d | 90d | ytd | all (default 30d); not with start/end")
]
StartParam = Annotated[str | None, Parameter(required=False, description="ISO date or datetime (inclusive)")]
EndParam = Annotated[str | None, Parameter(required=False, description="ISO date (inclusive day) or datetime (exclusive)")]
TzParam = Annotated[str, Parameter(description="IANA timezone for presets and calendar days, e.g. Asia/Kolkata")]
StrategyParam = Annotated[int | None, Parameter(required=False, ge=1, le=DB_INT_MAX, description="only this strategy's sessions")]
CapitalParam = Annotated[
    str | None, Parameter(required=False, description="starting capital in USD (>= 0) for returns and ratios")
]


def now_utc(svc: AppServices) -> datetime:
    clock: Callable[[], datetime] | None = svc.extras.get(CLOCK_KEY)
    return (clock() if clock else datetime.now(UTC)).astimezone(UTC)


MAX_CAPITAL = Decimal(10**12)
CAPITAL_DECIMALS = 8


def parse_capital(value: str | None) -> Decimal:
    if value is None or not value.strip():
        return Decimal(0)
    try:
        capital = Decimal(value.strip())
    except InvalidOperation:
        raise FieldError("starting_capital", f"not a decimal number: {value!r}") from None
    if not capital.is_finite() or capital < 0:
        raise FieldError("starting_capital", "must be a finite number >= 0")
    # Returns divide by it: an absurd size or precision would overflow Decimal (a 500 before).
    if capital > MAX_CAPITAL:
        raise FieldError("starting_capital", f"must be at most {MAX_CAPITAL:,} USD")
    if capital.as_tuple().exponent < -CAPITAL_DECIMALS:  # type: ignore[operator]
        raise FieldError("starting_capital", f"must have at most {CAPITAL_DECIMALS} decimal places")
    return capital


def resolve(now: datetime, tz: str, preset: str | None, start: str | None, end: str | None) -> ResolvedRange:
    try:
        return resolve_range(now=now, tz=tz, preset=preset, start=start, end=end)
    except RangeError as exc:
        raise FieldError(exc.field, exc.message) from None


def _range_info(rng: ResolvedRange, strategy_id: int | None, now: datetime) -> AnalyticsRange:
    return AnalyticsRange(
        start=rng.start, end=rng.end, timezone=rng.timezone, preset=rng.preset, strategy_id=strategy_id, generated_at=now
    )


def _memo(ledger: Ledger, key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    value = ledger.memo.get(key)
    if value is None:
        if len(ledger.memo) >= _MEMO_LIMIT:
            ledger.memo.clear()
        value = ledger.memo[key] = build()
    return value


class AnalyticsData(msgspec.Struct, kw_only=True):
    ledger: Ledger
    lo: int
    hi: int


async def _slice(svc: AppServices, rng: ResolvedRange, strategy_id: int | None) -> AnalyticsData:
    ledger = await ledger_cache(svc.extras).get(svc.read_sessionmaker)
    sub = ledger.for_strategy(None if strategy_id is None else str(strategy_id))
    lo, hi = sub.bounds(rng.start, rng.end)
    return AnalyticsData(ledger=sub, lo=lo, hi=hi)


def realised_summary(data: AnalyticsData, rng: ResolvedRange, capital: Decimal) -> Summary:
    """Summary of the trades in the slice. Memoised per ledger version and slice: the selected trades
    (not the moving preset end) decide the figures, so a polling dashboard costs a bisection."""

    def build() -> Summary:
        sub, lo, hi = data.ledger, data.lo, data.hi
        summary = compute_summary(sub.trades[lo:hi], tz=rng.timezone, starting_capital=capital, presorted=True)
        legs, wins = sum(sub.leg_counts[lo:hi]), sum(sub.leg_wins[lo:hi])
        return msgspec.structs.replace(summary, leg_count=legs, leg_wins=wins, leg_win_rate=wins / legs if legs else None)

    summary = _memo(data.ledger, ("summary", data.lo, data.hi, rng.timezone, capital), build)
    return msgspec.structs.replace(summary, start=rng.start, end=rng.end)


def realised_history(data: AnalyticsData, rng: ResolvedRange, capital: Decimal) -> History:
    def build() -> History:
        trades = data.ledger.trades[data.lo : data.hi]
        return compute_history(trades, tz=rng.timezone, starting_capital=capital, presorted=True)

    history = _memo(data.ledger, ("history", data.lo, data.hi, rng.timezone, capital), build)
    return msgspec.structs.replace(history, start=rng.start, end=rng.end)


def open_stats(open_sessions: OpenSessions) -> OpenSessionsStats:
    return OpenSessionsStats(
        open_sessions=open_sessions.count,
        credit=open_sessions.credit,
        fees=open_sessions.fees,
        unrealized_pnl=None,
        unrealized_pnl_available=False,
        note=UNREALIZED_NOTE,
    )


def with_open(summary: Summary, stats: OpenSessionsStats) -> Summary:
    unrealized = UnrealizedStats(
        open_sessions=stats.open_sessions,
        credit=stats.credit,
        unrealized_pnl=None,
        fees=stats.fees,
        net_unrealized_pnl=None,
    )
    return msgspec.structs.replace(summary, unrealized=unrealized)


class AnalyticsController(Controller):
    path = "/api/analytics"
    tags = ["analytics"]
    guards = [requires_viewer]

    @get("/summary", operation_id="analyticsSummary", summary="Performance metrics of trades closed in a range")
    async def summary(
        self,
        request: Request,
        preset: PresetParam = None,
        start: StartParam = None,
        end: EndParam = None,
        tz: TzParam = "UTC",
        strategy_id: StrategyParam = None,
        starting_capital: CapitalParam = None,
    ) -> AnalyticsSummaryResponse:
        svc: AppServices = request.app.state.services
        now = now_utc(svc)
        rng = resolve(now, tz, preset, start, end)
        capital = parse_capital(starting_capital)
        data = await _slice(svc, rng, strategy_id)
        async with svc.read_sessionmaker() as db:
            stats = open_stats(await load_open_sessions(db, strategy_id))
        summary = with_open(realised_summary(data, rng, capital), stats)
        return AnalyticsSummaryResponse(range=_range_info(rng, strategy_id, now), summary=summary, open_sessions=stats)

    @get("/history", operation_id="analyticsHistory", summary="Chart series: equity, drawdown, daily PnL, win rate, histogram")
    async def history(
        self,
        request: Request,
        preset: PresetParam = None,
        start: StartParam = None,
        end: EndParam = None,
        tz: TzParam = "UTC",
        strategy_id: StrategyParam = None,
        starting_capital: CapitalParam = None,
    ) -> AnalyticsHistoryResponse:
        svc: AppServices = request.app.state.services
        now = now_utc(svc)
        rng = resolve(now, tz, preset, start, end)
        capital = parse_capital(starting_capital)
        data = await _slice(svc, rng, strategy_id)
        return AnalyticsHistoryResponse(range=_range_info(rng, strategy_id, now), history=realised_history(data, rng, capital))

    @get(
        "/export",
        operation_id="analyticsExport",
        summary="Stream metadata, metrics, daily and timeline sections as one CSV file",
        media_type="text/csv",
    )
    async def export(
        self,
        request: Request,
        format: Annotated[str, Parameter(description="csv (the only format)")] = "csv",  # noqa: A002
        preset: PresetParam = None,
        start: StartParam = None,
        end: EndParam = None,
        tz: TzParam = "UTC",
        strategy_id: StrategyParam = None,
        starting_capital: CapitalParam = None,
    ) -> Stream:
        if format.strip().lower() not in EXPORT_FORMATS:
            raise FieldError("format", f"unsupported format {format!r}; allowed values: {', '.join(EXPORT_FORMATS)}")
        svc: AppServices = request.app.state.services
        now = now_utc(svc)
        rng = resolve(now, tz, preset, start, end)
        capital = parse_capital(starting_capital)
        data = await _slice(svc, rng, strategy_id)
        async with svc.read_sessionmaker() as db:
            open_sessions = await load_open_sessions(db, strategy_id)
            timeline_count = await count_timeline_rows(db, rng.start, rng.end, strategy_id)
        stats = open_stats(open_sessions)
        summary = with_open(realised_summary(data, rng, capital), stats)
        daily = realised_history(data, rng, capital).daily_pnl
        metadata = build_export_metadata(
            generated_at=now,
            start=rng.start,
            end=rng.end,
            preset=rng.preset,
            timezone=rng.timezone,
            strategy_id=None if strategy_id is None else str(strategy_id),
            trade_count=data.hi - data.lo,
            open_session_count=open_sessions.count,
            daily_row_count=len(daily),
            timeline_row_count=timeline_count,
            app_version=__version__,
        )
        session_ids = [t.session_id for t in data.ledger.trades[data.lo : data.hi]] + open_sessions.session_ids

        async def chunks() -> AsyncIterator[bytes]:
            yield "".join(iter_export_csv(metadata, summary, daily, ())).encode()
            async for batch in iter_timeline(svc.read_sessionmaker, session_ids):
                yield "".join(map(_timeline_line, batch)).encode()

        return Stream(
            chunks(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{export_filename(now)}"',
                "Cache-Control": "no-store",
            },
        )

"""Response shapes of the analytics API (msgspec structs; money is encoded as decimal strings)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from deltaplane.analytics.metrics import History, Summary

__all__ = ["AnalyticsHistoryResponse", "AnalyticsRange", "AnalyticsSummaryResponse", "OpenSessionsStats"]

EXPORT_FORMATS = ("csv",)


class AnalyticsRange(msgspec.Struct, frozen=True, kw_only=True):
    """The resolved window: UTC ``[start, end)``; a preset's end is "now" and moves on every call."""

    start: datetime | None  # None = unbounded (preset "all")
    end: datetime
    timezone: str  # IANA zone used for calendar days and presets
    preset: str | None  # None when explicit start/end were sent
    strategy_id: int | None  # None = all strategies
    generated_at: datetime


class OpenSessionsStats(msgspec.Struct, frozen=True, kw_only=True):
    """Sessions still entering/open/exiting, reported apart from realised PnL.

    ``unrealized_pnl`` is null when no marks are stored (``unrealized_pnl_available`` false):
    the database keeps fills, not mark prices, so it is not derived here.
    """

    open_sessions: int
    credit: Decimal  # premium collected so far by the open sessions (USD)
    fees: Decimal  # fees already paid by them (USD)
    unrealized_pnl: Decimal | None
    unrealized_pnl_available: bool
    note: str


class AnalyticsSummaryResponse(msgspec.Struct, frozen=True, kw_only=True):
    range: AnalyticsRange
    summary: Summary  # realised figures of trades closed in range; summary.unrealized mirrors open_sessions
    open_sessions: OpenSessionsStats


class AnalyticsHistoryResponse(msgspec.Struct, frozen=True, kw_only=True):
    range: AnalyticsRange
    history: History

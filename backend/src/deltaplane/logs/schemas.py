"""Wire schemas for the logs API (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class LogEntry(msgspec.Struct):
    id: int
    timestamp: datetime
    level: str
    logger: str
    event: str
    message: str
    source: str
    payload: Any
    ingested_at: datetime
    correlation_id: str | None = None
    request_id: str | None = None
    strategy_id: str | None = None
    session_id: str | None = None


class LogPage(msgspec.Struct):
    items: list[LogEntry]
    next_cursor: str | None
    limit: int


class NameCount(msgspec.Struct):
    name: str
    count: int


class IngestionStatus(msgspec.Struct):
    enabled: bool
    running: bool = False
    lines_ingested: int = 0
    lines_per_second: float = 0.0
    lag_bytes: int = 0
    lag_seconds: float = 0.0
    last_line_timestamp: str | None = None
    last_error: str | None = None


class LogSummary(msgspec.Struct):
    total: int
    counts_by_level: dict[str, int]
    top_loggers: list[NameCount]
    top_events: list[NameCount]
    latest_error: LogEntry | None
    latest_warning: LogEntry | None
    ingestion: IngestionStatus


class BatchAccepted(msgspec.Struct):
    stored: int

"""Live tail: rows the log tailer stores are pushed on the `logs` topic, filtered per subscriber."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from deltaplane.core.errors import FieldError
from deltaplane.core.services import AppServices
from deltaplane.logs.query import LogFilter, build_filter, matches_filter
from deltaplane.realtime.hub import SubscribeError

# GET /api/logs's filter parameters (its `cursor`/`limit` page; a live tail has no pages).
_FILTER_KEYS = frozenset({
    "level", "min_level", "logger", "logger_contains", "event", "correlation_id", "request_id",
    "strategy_id", "session_id", "source", "start", "end", "q",
})  # fmt: skip


def logs_filter(filt: dict[str, Any]) -> LogFilter:
    """A subscriber's filter, with the names and rules of GET /api/logs (`level` may be a string
    or a list of strings; null means not set). SubscribeError names the offending `filter.<key>`."""
    unknown = sorted(set(filt) - _FILTER_KEYS)
    if unknown:  # a misspelt key would otherwise silently widen the tail to every line
        raise SubscribeError(f"filter.{unknown[0]}", f"unknown filter; allowed: {', '.join(sorted(_FILTER_KEYS))}")
    args: dict[str, Any] = {}
    for key, value in filt.items():
        if key == "level" and isinstance(value, list) and all(isinstance(v, str) for v in value):
            args[key] = value
        elif isinstance(value, str):
            args[key] = [value] if key == "level" else value
        elif value is not None:
            raise SubscribeError(f"filter.{key}", "must be a string" + (" or a list of strings" if key == "level" else ""))
    try:
        return build_filter(**args)
    except FieldError as exc:
        problem = exc.extra[0]  # type: ignore[index]  # FieldError names exactly one field
        raise SubscribeError(f"filter.{problem['field']}", problem["message"]) from None


def validate_logs_subscription(topic: str, filt: dict[str, Any]) -> LogFilter | None:
    """The subscriber's filter, parsed once at subscribe (None: no filter, every line)."""
    return logs_filter(filt) if filt else None


def logs_row_matches(row: dict[str, Any], filt: LogFilter) -> bool:
    return matches_filter(row, filt)


class LogsTopicPublisher:
    """The tailer's listener: one `logs` event per stored row, built only while someone watches."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def wants_rows(self) -> bool:
        return self.hub.has_subscribers("logs")

    def skipped(self, count: int) -> None:
        self.hub.skip("logs", count)

    def __call__(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.hub.publish("logs", row)


@asynccontextmanager
async def logs_topic_lifespan(services: AppServices) -> AsyncIterator[None]:
    hub = services.extras["hub"]
    hub.register_filter("logs", logs_row_matches)
    hub.register_validator("logs", validate_logs_subscription)
    tail = services.extras.get("log_tail")

    publish = LogsTopicPublisher(hub)
    if tail is not None:
        tail.listeners.append(publish)
    try:
        yield
    finally:
        if tail is not None and publish in tail.listeners:
            tail.listeners.remove(publish)

"""Live tail: rows the log tailer stores are pushed on the `logs` topic, filtered per subscriber."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from deltaplane.core.services import AppServices
from deltaplane.logs.query import build_filter, matches_filter


def logs_row_matches(row: dict[str, Any], filt: dict[str, Any]) -> bool:
    """A subscriber's filter uses the same names as GET /api/logs (level may be a list)."""
    args = {k: v for k, v in filt.items() if k in _FILTER_KEYS}
    if isinstance(args.get("level"), str):
        args["level"] = [args["level"]]
    return matches_filter(row, build_filter(**args))


_FILTER_KEYS = {
    "level", "min_level", "logger", "logger_contains", "event", "correlation_id", "request_id",
    "strategy_id", "session_id", "source", "q",
}


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
    tail = services.extras.get("log_tail")

    publish = LogsTopicPublisher(hub)
    if tail is not None:
        tail.listeners.append(publish)
    try:
        yield
    finally:
        if tail is not None and publish in tail.listeners:
            tail.listeners.remove(publish)

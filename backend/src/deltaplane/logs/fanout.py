"""Handing newly stored log rows to listeners (the live tail), shared by the in-process tailer and
the handle of the ingest process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("deltaplane.logs.fanout")

RowListener = Callable[[list[dict[str, Any]]], Any]


class RowFanout:
    def __init__(self) -> None:
        self.listeners: list[RowListener] = []

    @staticmethod
    def _listener_wants(listener: RowListener) -> bool:
        wants = getattr(listener, "wants_rows", None)
        return wants is None or bool(wants())

    def publish(self, rows: Callable[[], list[dict[str, Any]]], count: int) -> None:
        """Hand newly stored rows (API shape, built by `rows()` only if some listener wants them)
        to every listener; a failing listener is logged. A listener with a `wants_rows()` method
        that answers False (nobody is watching) is told `skipped(count)` instead: at full
        ingestion speed, shaping every row for nobody would cost more than storing it."""
        if not self.listeners or not count:
            return
        shaped: list[dict[str, Any]] | None = None
        for listener in list(self.listeners):
            try:
                if not self._listener_wants(listener):
                    listener.skipped(count)  # type: ignore[attr-defined]
                    continue
                if shaped is None:
                    shaped = rows()
                result = listener(shaped)
                if asyncio.iscoroutine(result):
                    asyncio.ensure_future(result)
            except Exception:
                logger.exception("log listener failed", extra={"event": "log_listener_failed"})

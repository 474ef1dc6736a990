"""Warm the analytics ledger in the background at start-up, so the first dashboard load is fast."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from deltaplane.analytics.queries import warm_analytics_cache
from deltaplane.core.services import AppServices

logger = logging.getLogger("deltaplane.analytics")


@contextlib.asynccontextmanager
async def analytics_lifespan(services: AppServices) -> AsyncIterator[None]:
    async def warm() -> None:
        try:
            await warm_analytics_cache(services)
            logger.info("analytics cache warmed", extra={"event": "analytics_cache_warmed"})
        except Exception:  # a cold cache only costs the first request some time
            logger.warning("analytics cache warm-up failed", extra={"event": "analytics_warm_failed"}, exc_info=True)

    task = asyncio.create_task(warm(), name="analytics-warm")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

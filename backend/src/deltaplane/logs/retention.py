"""Prune `backend_logs` by age (BACKEND_LOG_RETENTION_DAYS; 0 disables), hourly and at start.

Rows strictly older than `now - retention_days` are deleted in chunks of `chunk_size` ids, one
short write transaction per chunk, so trading writes never wait long. The FTS entries go with
them (AFTER DELETE trigger). Space: if the database runs with `auto_vacuum=INCREMENTAL`,
`PRAGMA incremental_vacuum` returns freed pages to the OS a bounded number at a time; otherwise
(the default for databases created without that pragma — it can only be switched on before the
first table exists, or with a full VACUUM) freed pages are reused by later inserts and we only
run `PRAGMA optimize`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from deltaplane.logs.store import backend_logs

logger = logging.getLogger("deltaplane.logs.retention")


class BackendLogRetentionService:
    def __init__(
        self,
        engine: AsyncEngine,
        *,
        retention_days: int,
        chunk_size: int = 5000,
        interval_seconds: float = 3600.0,
        vacuum_pages: int = 2000,
        max_chunks_per_run: int = 100_000,
    ) -> None:
        self.engine = engine
        self.retention_days = retention_days
        self.chunk_size = chunk_size
        self.interval_seconds = interval_seconds
        self.vacuum_pages = vacuum_pages
        self.max_chunks_per_run = max_chunks_per_run
        self.last_run: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.retention_days > 0

    def cutoff(self, now: datetime) -> datetime:
        return now.astimezone(UTC) - timedelta(days=self.retention_days)

    async def run_once(self, now: datetime | None = None) -> dict[str, Any]:
        """Delete rows with timestamp < cutoff (a row exactly at the cutoff is kept)."""
        now = now or datetime.now(UTC)
        if not self.enabled:
            return {"deleted": 0, "chunks": 0, "enabled": False}
        cutoff = self.cutoff(now)
        t = backend_logs
        deleted = chunks = 0
        for _ in range(self.max_chunks_per_run):
            async with self.engine.begin() as conn:
                ids = (
                    await conn.execute(
                        sa.select(t.c.id).where(t.c.timestamp < cutoff).order_by(t.c.timestamp).limit(self.chunk_size)
                    )
                ).scalars().all()
                if not ids:
                    break
                await conn.execute(sa.delete(t).where(t.c.id.in_(ids)))
            deleted += len(ids)
            chunks += 1
            if len(ids) < self.chunk_size:
                break
            await asyncio.sleep(0)  # let other writers in between chunks
        reclaimed = await self._reclaim() if deleted else "none"
        self.last_run = {"deleted": deleted, "chunks": chunks, "cutoff": cutoff.isoformat(), "reclaim": reclaimed}
        if deleted:
            logger.info("pruned old backend log rows", extra={"event": "log_retention_pruned", **self.last_run})
        return self.last_run

    async def _reclaim(self) -> str:
        if self.engine.dialect.name != "sqlite":
            return "none"
        async with self.engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA auto_vacuum")).scalar()
            if mode == 2:  # INCREMENTAL
                await conn.exec_driver_sql(f"PRAGMA incremental_vacuum({int(self.vacuum_pages)})")
                result = "incremental_vacuum"
            else:
                await conn.exec_driver_sql("PRAGMA optimize")
                result = "optimize"
            await conn.commit()
        return result

    async def start(self) -> None:
        if not self.enabled:
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="backend-log-retention")

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("log retention failed", extra={"event": "log_retention_failed"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_seconds)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

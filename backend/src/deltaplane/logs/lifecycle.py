"""Start-up/shutdown of the log pipeline: `logs_lifespan(services)` for app.lifespan_hooks()."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from deltaplane.core.services import AppServices
from deltaplane.logs.ingest_process import LogIngestProcess, TailerConfig
from deltaplane.logs.retention import BackendLogRetentionService
from deltaplane.logs.store import sqlite_path
from deltaplane.logs.tail import BackendLogTailService

#: readiness turns "not ok" when the newest unread line is older than this (seconds)
MAX_READY_LAG_SECONDS = 300.0


def build_tail(services: AppServices) -> BackendLogTailService | LogIngestProcess:
    """The ingest process on an SQLite file (when enabled and BACKEND_LOG_INGEST_PROCESS), else the
    in-process tailer (also registered, unstarted, when ingestion is off: see logs_lifespan)."""
    s = services.settings
    if s.backend_log_ingest_enabled and s.backend_log_ingest_process and sqlite_path(s.database_url):
        config = TailerConfig(
            path=str(s.log_file),
            database_url=s.database_url,
            batch_size=s.backend_log_batch_size,
            poll_interval=s.backend_log_poll_interval,
            busy_timeout_ms=s.sqlite_busy_timeout_ms,
            log_level=s.log_level,
            log_file=str(s.log_file),
            log_to_stdout=s.log_to_stdout,
        )
        return LogIngestProcess(config, services.read_sessionmaker)
    return BackendLogTailService(
        path=s.log_file,
        database_url=s.database_url,
        engine=services.engine,
        batch_size=s.backend_log_batch_size,
        poll_interval=s.backend_log_poll_interval,
        busy_timeout_ms=s.sqlite_busy_timeout_ms,
    )


@asynccontextmanager
async def logs_lifespan(services: AppServices) -> AsyncIterator[None]:
    """Tail + retention while the app runs (when BACKEND_LOG_INGEST_ENABLED), plus a readiness check.

    The tail service is always registered as `services.extras["log_tail"]` so the batch endpoint
    and the realtime hub can publish/subscribe through `tail.listeners` even when file ingestion
    is disabled.
    """
    s = services.settings
    tail = build_tail(services)
    services.extras["log_tail"] = tail
    retention = BackendLogRetentionService(services.engine, retention_days=s.backend_log_retention_days)
    services.extras["log_retention"] = retention

    async def log_ingestion_check() -> dict[str, Any]:
        stats = tail.stats()
        ok = stats["running"] and stats["lag_seconds"] <= MAX_READY_LAG_SECONDS and not stats["last_error"]
        return {"name": "log_ingestion", "ok": bool(ok), **stats}

    enabled = s.backend_log_ingest_enabled
    if enabled:
        await tail.start()
        await retention.start()
        services.readiness_checks.append(log_ingestion_check)
    try:
        yield
    finally:
        if log_ingestion_check in services.readiness_checks:
            services.readiness_checks.remove(log_ingestion_check)
        await retention.stop()
        await tail.stop()
        services.extras.pop("log_tail", None)
        services.extras.pop("log_retention", None)

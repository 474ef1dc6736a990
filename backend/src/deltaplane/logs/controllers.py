"""HTTP API for logs: list, summary, CSV export (viewers) and the batch ingest endpoint."""

from __future__ import annotations

import csv
import hmac
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter
from litestar.response import Stream

from deltaplane.auth.guards import requires_viewer
from deltaplane.auth.middleware import authenticate
from deltaplane.auth.schemas import AuthUser
from deltaplane.core import context
from deltaplane.core.csv_cells import neutralise_text
from deltaplane.core.errors import FieldError
from deltaplane.core.logging import redact, redact_text
from deltaplane.core.services import AppServices
from deltaplane.logs.parsing import (
    COLUMN_LIMITS,
    LEVEL_RANKS,
    MAX_MESSAGE_CHARS,
    normalise_level,
    parse_timestamp,
    row_for_api,
)
from deltaplane.logs.query import DEFAULT_LIMIT, MAX_LIMIT, LogFilter, build_filter, fetch_page, summarize
from deltaplane.logs.schemas import BatchAccepted, IngestionStatus, LogEntry, LogPage, LogSummary
from deltaplane.logs.store import insert_rows_async

EXPORT_FORMATS = ("csv",)
EXPORT_COLUMNS = (
    "id", "timestamp", "level", "logger", "event", "message", "correlation_id", "request_id",
    "strategy_id", "session_id", "source", "payload", "ingested_at",
)  # fmt: skip
EXPORT_PAGE = 1000
EXPORT_MAX_ROWS = 1_000_000
_BATCH_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
_TAIL_KEY = "log_tail"


def export_filename(now: datetime) -> str:
    return f"logs-export-{now.astimezone(UTC):%Y%m%d-%H%M%S}.csv"


async def requires_log_writer(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A signed-in user (Bearer / X-API-Key) or the X-Log-Ingest-Key shared key, else 401."""
    svc: AppServices = connection.app.state.services
    key = connection.headers.get("x-log-ingest-key")
    if key is not None:
        expected = svc.settings.log_ingest_api_key
        if expected and hmac.compare_digest(key.encode(), expected.encode()):
            connection.scope["log_ingest_source"] = "external"  # type: ignore[typeddict-unknown-key]
            return
        raise NotAuthorizedException("invalid X-Log-Ingest-Key")
    result = await authenticate(connection)  # raises NotAuthorizedException (401)
    connection.scope["user"] = result.user
    connection.scope["auth"] = result.auth
    connection.scope["log_ingest_source"] = "frontend"  # type: ignore[typeddict-unknown-key]


def _ingestion(svc: AppServices) -> IngestionStatus:
    tail = svc.extras.get(_TAIL_KEY)
    if tail is None:
        return IngestionStatus(enabled=False)
    return IngestionStatus(enabled=svc.settings.backend_log_ingest_enabled, **{
        k: v for k, v in tail.stats().items() if k in IngestionStatus.__struct_fields__ and k != "enabled"
    })  # fmt: skip


def _entry(row: dict[str, Any]) -> LogEntry:
    return msgspec.convert(row, LogEntry, strict=False)


Level = Annotated[list[str] | None, Parameter(description="exact level(s), repeatable; WARN == WARNING")]
Opt = Annotated[str | None, Parameter()]


def provide_log_filter(
    level: Level = None,
    min_level: Opt = None,
    logger: Annotated[str | None, Parameter(description="exact logger name")] = None,
    logger_contains: Annotated[str | None, Parameter(description="case-insensitive substring")] = None,
    event: Opt = None,
    correlation_id: Opt = None,
    request_id: Opt = None,
    strategy_id: Opt = None,
    session_id: Opt = None,
    source: Opt = None,
    start: Annotated[str | None, Parameter(description="ISO-8601, inclusive")] = None,
    end: Annotated[str | None, Parameter(description="ISO-8601, exclusive")] = None,
    q: Annotated[str | None, Parameter(description="full-text words (message + payload)")] = None,
) -> LogFilter:
    """The query filters GET /api/logs, /summary and /export share (one dependency, one parser)."""
    return build_filter(
        level=level, min_level=min_level, logger=logger, logger_contains=logger_contains, event=event,
        correlation_id=correlation_id, request_id=request_id, strategy_id=strategy_id, session_id=session_id,
        source=source, start=start, end=end, q=q,
    )  # fmt: skip


class LogsController(Controller):
    path = "/api/logs"
    tags = ["logs"]
    dependencies = {"f": Provide(provide_log_filter, sync_to_thread=False)}

    @get("/", operation_id="listLogs", guards=[requires_viewer], summary="Query backend logs, newest first")
    async def list_logs(
        self,
        request: Request,
        f: LogFilter,
        cursor: Opt = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> LogPage:
        svc: AppServices = request.app.state.services
        async with svc.read_sessionmaker() as db:
            rows, next_cursor = await fetch_page(db, f, cursor=cursor, limit=limit)
        return LogPage(items=[_entry(r) for r in rows], next_cursor=next_cursor, limit=limit)

    @get("/summary", operation_id="logsSummary", guards=[requires_viewer], summary="Counts, top loggers/events, latest problems, ingestion lag")
    async def summary(
        self,
        request: Request,
        f: LogFilter,
    ) -> LogSummary:
        svc: AppServices = request.app.state.services
        async with svc.read_sessionmaker() as db:
            data = await summarize(db, f)
        return LogSummary(
            total=data["total"],
            counts_by_level=data["counts_by_level"],
            top_loggers=data["top_loggers"],
            top_events=data["top_events"],
            latest_error=_entry(data["latest_error"]) if data["latest_error"] else None,
            latest_warning=_entry(data["latest_warning"]) if data["latest_warning"] else None,
            ingestion=_ingestion(svc),
        )

    @get("/export", operation_id="exportLogs", guards=[requires_viewer], summary="Stream matching logs as CSV")
    async def export(
        self,
        request: Request,
        f: LogFilter,
        format: Annotated[str, Parameter(description="csv")] = "csv",  # noqa: A002
    ) -> Stream:
        if format not in EXPORT_FORMATS:
            raise FieldError("format", f"unsupported format {format!r}; allowed: {', '.join(EXPORT_FORMATS)}")
        svc: AppServices = request.app.state.services
        filename = export_filename(datetime.now(UTC))
        return Stream(
            _csv_chunks(svc, f),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @post(
        "/batch",
        operation_id="ingestLogBatch",
        exclude_from_auth=True,
        guards=[requires_log_writer],
        status_code=202,
        summary="Store frontend/external log entries (signed-in user or X-Log-Ingest-Key)",
    )
    async def batch(self, request: Request) -> BatchAccepted:
        svc: AppServices = request.app.state.services
        settings = svc.settings
        try:
            body = _batch_decoder.decode(await request.body())
        except msgspec.ValidationError as exc:
            if str(exc).startswith("Number out of range"):  # valid JSON, but e.g. 1e400: say where
                raise FieldError(_out_of_range_field(str(exc)), "number out of range") from None
            raise FieldError("body", "must be a JSON object {\"entries\": [...]}", 400) from None
        except msgspec.DecodeError:
            raise FieldError("body", "must be a JSON object {\"entries\": [...]}", 400) from None
        entries = body.entries if isinstance(body, _BatchBody) else body
        if not isinstance(entries, list):
            raise FieldError("entries", "must be a list of log entries", 400)
        if not entries:
            raise FieldError("entries", "must not be empty", 400)
        if len(entries) > settings.log_batch_max_entries:
            raise FieldError("entries", f"at most {settings.log_batch_max_entries} entries per batch", 413)
        source = request.scope.get("log_ingest_source", "frontend")  # type: ignore[call-overload]
        user = request.scope.get("user")
        who = user.username if isinstance(user, AuthUser) else None
        now = datetime.now(UTC)
        rows = [_batch_row(i, e, source, who, now, settings.log_batch_max_entry_bytes) for i, e in enumerate(entries)]
        async with svc.engine.begin() as conn:
            ids = await insert_rows_async(conn, rows)
        tail = svc.extras.get(_TAIL_KEY)
        if tail is not None:
            tail.publish(lambda: [row_for_api({**row, "id": i}) for row, i in zip(rows, ids, strict=True)], len(ids))
        return BatchAccepted(stored=len(rows))


class _BatchBody(msgspec.Struct):
    """The batch body's known key, so msgspec's error paths name it (a bare list is the entries)."""

    entries: Any = None


_batch_decoder = msgspec.json.Decoder(_BatchBody | list[Any])


def _out_of_range_field(message: str) -> str:
    """msgspec's "... - at `$.entries[1][...][0]`" -> "entries[1]": msgspec names Struct fields and
    list indexes but not the keys of a free-form object (`[...]`), so name the entry it is in."""
    _, sep, path = message.rpartition(" - at `$")
    path = path.rstrip("`").split("[...]", 1)[0].lstrip(".") if sep else ""
    return ("entries" + path if path.startswith("[") else path) or "body"


# Control characters other than tab, newline and carriage return are rejected, not stripped, in
# the text stored in columns: a NUL cuts the text short in C-string tools (sqlite3 CLI, grep) and
# escape sequences repaint the terminal of whoever reads the log, while silently altering a
# client's text would hide the client's bug. (The payload keeps them JSON-escaped: harmless.)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MAX_INT_ID = 2**63  # beyond a 64-bit integer an id is not a number any client sends exactly


def _check_text(field: str, text: str) -> None:
    if (bad := _CONTROL_CHARS.search(text)) is not None:
        raise FieldError(field, f"contains the control character U+{ord(bad.group()):04X}; only tab, newline and carriage return are allowed")


def _text_field(field: str, value: Any, limit: int) -> str | None:
    """An optional text column of a batch entry: a string, or a whole number kept as text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):  # bool is an int to Python
        raise FieldError(field, f"must be a string, got {msgspec.json.encode(value).decode()[:20]}")
    if isinstance(value, int) and not -_MAX_INT_ID <= value < _MAX_INT_ID:
        raise FieldError(field, "number out of range; send ids this long as strings")
    text = str(value)
    if len(text) > limit:
        raise FieldError(field, f"must be at most {limit} characters")
    _check_text(field, text)
    return text


def _batch_row(index: int, entry: Any, source: str, user: str | None, now: datetime, max_bytes: int) -> dict[str, Any]:
    where = f"entries[{index}]"
    if not isinstance(entry, dict):
        raise FieldError(where, "must be an object")
    encoded = msgspec.json.encode(entry)
    if len(encoded) > max_bytes:
        raise FieldError(where, f"is {len(encoded)} bytes; the limit is {max_bytes} bytes per entry", 413)
    raw_level = entry.get("level", "INFO")
    if not isinstance(raw_level, str) or normalise_level(raw_level) not in _BATCH_LEVELS:
        raise FieldError(f"{where}.level", f"must be one of {', '.join(sorted(_BATCH_LEVELS))} (WARN and FATAL accepted)")
    message = entry.get("message")
    if not isinstance(message, str):
        raise FieldError(f"{where}.message", "is required and must be a string")
    _check_text(f"{where}.message", message)
    ts = now
    if entry.get("timestamp") is not None:
        parsed = parse_timestamp(entry["timestamp"]) if isinstance(entry["timestamp"], str) else None
        if parsed is None:
            raise FieldError(f"{where}.timestamp", "must be an ISO-8601 date-time")
        ts = parsed
    text_fields = {
        name: _text_field(f"{where}.{name}", entry.get(name), COLUMN_LIMITS[name] - 10)
        for name in ("logger", "event", "correlation_id", "request_id", "strategy_id", "session_id")
    }
    # Stored like our own lines: secrets redacted (a reported error can carry a URL with a ticket).
    payload = redact(dict(entry))
    payload["user"] = user
    payload["source"] = source
    logger_name = text_fields["logger"] or "app"
    return {
        "timestamp": ts,
        "level": normalise_level(raw_level),
        "logger": f"{source}.{logger_name}",
        "event": text_fields["event"] or f"{source}_log",
        "message": redact_text(message[:MAX_MESSAGE_CHARS]),
        "correlation_id": text_fields["correlation_id"] or context.correlation_id_var.get(),
        "request_id": text_fields["request_id"],
        "strategy_id": text_fields["strategy_id"],
        "session_id": text_fields["session_id"],
        "source": source,
        "payload": msgspec.json.encode(payload).decode(),
        "ingested_at": now,
    }


async def _csv_chunks(svc: AppServices, f: LogFilter) -> AsyncIterator[str]:
    """CSV text page by page; each page in its own short read session (the request's is gone)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield buffer.getvalue()
    cursor: str | None = None
    sent = 0
    while sent < EXPORT_MAX_ROWS:
        async with svc.read_sessionmaker() as db:
            rows, cursor = await fetch_page(db, f, cursor=cursor, limit=EXPORT_PAGE)
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            payload = row["payload"]
            row = {**row, "payload": msgspec.json.encode(payload).decode()}
            writer.writerow([neutralise_text("" if row[c] is None else str(row[c])) for c in EXPORT_COLUMNS])
        sent += len(rows)
        yield buffer.getvalue()
        if cursor is None:
            break


__all__ = ["LogsController", "requires_log_writer", "LEVEL_RANKS", "Response"]

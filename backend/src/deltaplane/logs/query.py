"""Log queries: filters, keyset pagination (newest first), full-text search, summary.

Filters (all ANDed):
  level            exact set, repeatable (`level=ERROR&level=WARNING`); WARN == WARNING, FATAL == CRITICAL
  min_level        DEBUG < INFO < WARNING (RAW ranks with WARNING) < ERROR < CRITICAL
  logger           exact logger name;  logger_contains: case-insensitive substring
  event, correlation_id, request_id, strategy_id, session_id, source: exact
  start / end      ISO-8601 (naive = UTC); start inclusive, end exclusive
  q                full text over message + payload (FTS5 on SQLite). User input is reduced to
                   its word tokens, each a quoted FTS string ANDed together, so quotes, `*`,
                   NEAR, parentheses, column filters... are just text and never an FTS syntax
                   error. Input with no word characters falls back to a LIKE on message.
Pagination: `cursor` = opaque base64url of (timestamp, id) of the last row; ORDER BY timestamp
DESC, id DESC, so pages never overlap or skip rows, even while new rows arrive.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from deltaplane.core.errors import FieldError
from deltaplane.core.params import DB_INT_MAX
from deltaplane.logs.parsing import LEVEL_RANKS, normalise_level, parse_timestamp, row_for_api
from deltaplane.logs.store import backend_logs as t

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200
_MAX_TOKENS = 16
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class LogFilter:
    levels: frozenset[str] = frozenset()  # empty = any
    logger: str | None = None
    logger_contains: str | None = None
    event: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None
    strategy_id: str | None = None
    session_id: str | None = None
    source: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    q: str | None = None


def _parse_time(field: str, value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        raise FieldError(field, "must be an ISO-8601 date-time, e.g. 2026-01-31T12:00:00Z")
    return parsed


def _blank(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def build_filter(
    *,
    level: list[str] | None = None,
    min_level: str | None = None,
    logger: str | None = None,
    logger_contains: str | None = None,
    event: str | None = None,
    correlation_id: str | None = None,
    request_id: str | None = None,
    strategy_id: str | None = None,
    session_id: str | None = None,
    source: str | None = None,
    start: str | None = None,
    end: str | None = None,
    q: str | None = None,
) -> LogFilter:
    """Validate query parameters into a LogFilter (FieldError -> 422 naming the field)."""
    levels: set[str] = set()
    for raw in level or []:
        for part in str(raw).split(","):
            if part.strip():
                name = normalise_level(part)
                if name not in LEVEL_RANKS:  # an unknown level would silently match nothing
                    raise FieldError("level", f"unknown level {part.strip()!r}; must be one of {', '.join(LEVEL_RANKS)} (WARN and FATAL accepted)")
                levels.add(name)
    min_level = _blank(min_level)
    if min_level is not None:
        name = normalise_level(min_level)
        if name not in LEVEL_RANKS:
            raise FieldError("min_level", f"must be one of {', '.join(k for k in LEVEL_RANKS if k != 'RAW')}")
        allowed = {k for k, rank in LEVEL_RANKS.items() if rank >= LEVEL_RANKS[name]}
        levels = (levels & allowed) if levels else allowed
        if not levels:
            levels = {"\x00none"}  # contradictory filters match nothing
    start_dt, end_dt = _parse_time("start", start), _parse_time("end", end)
    if start_dt and end_dt and end_dt < start_dt:
        raise FieldError("end", "must not be before start")
    q = _blank(q)
    if q is not None and len(q) > 500:
        raise FieldError("q", "must be at most 500 characters")
    return LogFilter(
        levels=frozenset(levels),
        logger=_blank(logger),
        logger_contains=_blank(logger_contains),
        event=_blank(event),
        correlation_id=_blank(correlation_id),
        request_id=_blank(request_id),
        strategy_id=_blank(strategy_id),
        session_id=_blank(session_id),
        source=_blank(source),
        start=start_dt,
        end=end_dt,
        q=q,
    )


def fts_query(q: str) -> str | None:
    """User text -> a safe FTS5 query: word tokens as quoted strings, ANDed. None if no words."""
    tokens = _WORD.findall(q)[:_MAX_TOKENS]
    if not tokens:
        return None
    return " ".join('"' + tok.replace('"', '""') + '"' for tok in tokens)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(f: LogFilter, *, sqlite_fts: bool) -> list[Any]:
    conds: list[Any] = []
    if f.levels:
        conds.append(t.c.level.in_(sorted(f.levels)))
    for name in ("logger", "event", "correlation_id", "request_id", "strategy_id", "session_id", "source"):
        value = getattr(f, name)
        if value is not None:
            conds.append(t.c[name] == value)
    if f.logger_contains:
        conds.append(t.c.logger.ilike(f"%{_like_escape(f.logger_contains)}%", escape="\\"))
    if f.start is not None:
        conds.append(t.c.timestamp >= f.start)
    if f.end is not None:
        conds.append(t.c.timestamp < f.end)
    if f.q:
        match = fts_query(f.q) if sqlite_fts else None
        if match is not None:
            conds.append(
                t.c.id.in_(
                    sa.text("SELECT rowid FROM backend_logs_fts WHERE backend_logs_fts MATCH :fts_q")
                    .bindparams(fts_q=match)
                    .columns(sa.column("rowid", sa.Integer()))
                )
            )
        else:
            conds.append(t.c.message.ilike(f"%{_like_escape(f.q)}%", escape="\\"))
    return conds


# -- cursor ---------------------------------------------------------------------------------------
def encode_cursor(timestamp: datetime, row_id: int) -> str:
    raw = msgspec.json.encode([timestamp.astimezone(UTC).isoformat(), row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")




def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (timestamp, id) an `encode_cursor` text holds; anything else (a forged or damaged
    cursor) is a FieldError, never a value the database or datetime arithmetic chokes on."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        ts_text, row_id = msgspec.json.decode(base64.urlsafe_b64decode(padded.encode()))
        ts = datetime.fromisoformat(ts_text)
        if ts.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool) or not 1 <= row_id <= DB_INT_MAX:
            raise ValueError
        return ts.astimezone(UTC), row_id  # OverflowError: an offset pushing the date past year 1..9999
    except (ValueError, TypeError, OverflowError, binascii.Error, msgspec.DecodeError, UnicodeDecodeError):
        raise FieldError("cursor", "is not a cursor returned by this API") from None


# -- execution ------------------------------------------------------------------------------------
_COLUMN_NAMES = ("id", "timestamp", "level", "logger", "event", "message", "correlation_id", "request_id",
                 "strategy_id", "session_id", "source", "payload", "ingested_at")  # fmt: skip
_SELECT_COLUMNS = [t.c[name] for name in _COLUMN_NAMES]


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(zip(_COLUMN_NAMES, row, strict=True))  # plain str keys (not SQLAlchemy quoted_name)


def _is_sqlite(conn: AsyncConnection | AsyncSession) -> bool:
    return conn.bind.dialect.name == "sqlite" if isinstance(conn, AsyncSession) else conn.dialect.name == "sqlite"


def page_statement(f: LogFilter, *, cursor: tuple[datetime, int] | None, limit: int, sqlite_fts: bool) -> sa.Select:
    stmt = sa.select(*_SELECT_COLUMNS).where(*conditions(f, sqlite_fts=sqlite_fts))
    if cursor is not None:
        ts, row_id = cursor
        stmt = stmt.where(t.c.timestamp <= ts, sa.or_(t.c.timestamp < ts, t.c.id < row_id))
    return stmt.order_by(t.c.timestamp.desc(), t.c.id.desc()).limit(limit)


async def fetch_page(
    conn: AsyncConnection | AsyncSession, f: LogFilter, *, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> tuple[list[dict[str, Any]], str | None]:
    """One page, newest first, and the cursor of the next page (None at the end)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise FieldError("limit", f"must be between 1 and {MAX_LIMIT}")
    position = decode_cursor(cursor) if cursor else None
    stmt = page_statement(f, cursor=position, limit=limit + 1, sqlite_fts=_is_sqlite(conn))
    rows = [_as_dict(r) for r in (await conn.execute(stmt)).all()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["timestamp"], rows[-1]["id"])
    return [row_for_api(r) for r in rows], next_cursor


async def summarize(conn: AsyncConnection | AsyncSession, f: LogFilter, *, top: int = 10) -> dict[str, Any]:
    sqlite = _is_sqlite(conn)
    conds = conditions(f, sqlite_fts=sqlite)
    counts = {
        level: int(n)
        for level, n in (
            await conn.execute(sa.select(t.c.level, sa.func.count()).where(*conds).group_by(t.c.level))
        ).all()
    }

    async def top_by(column: Any) -> list[dict[str, Any]]:
        n = sa.func.count().label("n")
        stmt = sa.select(column, n).where(*conds).group_by(column).order_by(n.desc(), column).limit(top)
        return [{"name": name, "count": int(c)} for name, c in (await conn.execute(stmt)).all()]

    async def latest(levels: set[str]) -> dict[str, Any] | None:
        stmt = page_statement(f, cursor=None, limit=1, sqlite_fts=sqlite).where(t.c.level.in_(sorted(levels)))
        row = (await conn.execute(stmt)).first()
        return row_for_api(_as_dict(row)) if row else None

    return {
        "total": sum(counts.values()),
        "counts_by_level": counts,
        "top_loggers": await top_by(t.c.logger),
        "top_events": await top_by(t.c.event),
        "latest_error": await latest({"ERROR", "CRITICAL"}),
        "latest_warning": await latest({"WARNING"}),
    }


# -- live tail ------------------------------------------------------------------------------------
def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_timestamp(value)


def _search_tokens(text: str) -> set[str]:
    """The words of `text` as the FTS5 `unicode61` tokenizer indexes them: runs of letters and
    digits, case-folded, with diacritics removed ("Café_crème" -> {"cafe", "creme"})."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))
    return set(_WORD.findall(folded))


def matches_filter(row: dict[str, Any], f: LogFilter) -> bool:
    """The query's filter applied to one row in memory (the WebSocket live tail).

    `q` matches whole words, as the FTS index does: every word of `q` must be a word of the
    message or the payload (a substring match showed live lines that a refresh then dropped).
    """
    if f.levels and normalise_level(row.get("level")) not in f.levels:
        return False
    for name in ("logger", "event", "correlation_id", "request_id", "strategy_id", "session_id", "source"):
        wanted = getattr(f, name)
        if wanted is not None and row.get(name) != wanted:
            return False
    if f.logger_contains and f.logger_contains.lower() not in str(row.get("logger") or "").lower():
        return False
    if f.start is not None or f.end is not None:
        ts = _as_datetime(row.get("timestamp"))
        if ts is None or (f.start is not None and ts < f.start) or (f.end is not None and ts >= f.end):
            return False
    if f.q:
        payload = row.get("payload")
        if not isinstance(payload, str):
            payload = msgspec.json.encode(payload).decode() if payload is not None else ""
        tokens = _WORD.findall(f.q)[:_MAX_TOKENS]
        if tokens:
            words = _search_tokens(f"{row.get('message') or ''} {payload}")
            if not _search_tokens(" ".join(tokens)) <= words:
                return False
        elif f.q.lower() not in str(row.get("message") or "").lower():
            return False
    return True

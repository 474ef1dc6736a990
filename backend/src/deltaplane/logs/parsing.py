"""Pure parsing of one backend log line into a `backend_logs` row (DESIGN section 8).

Every input line yields exactly one row and nothing here raises:

* a JSON object line keeps its fields; `level` is normalised (WARN -> WARNING,
  FATAL -> CRITICAL, numeric Python levels -> names, anything else upper-cased), the
  timestamp is converted to UTC (ingestion time when missing or unparseable), and
  `payload` is the full original JSON text;
* anything else (not JSON, not an object, undecodable bytes) becomes a `RAW` row whose
  message is the raw text (truncated to MAX_MESSAGE_CHARS) and whose timestamp is the
  ingestion time. Nothing is dropped: this was one of the predecessor's defects.

Rows carry `timestamp`/`ingested_at` as aware UTC datetimes; `db_timestamp()` renders
the exact text SQLAlchemy stores for DateTimeUTC on SQLite, so the fast sqlite3 path
and the ORM path agree byte for byte (keyset pagination compares these strings).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import msgspec

RAW_LEVEL = "RAW"
LEVEL_RANKS: dict[str, int] = {
    "DEBUG": 10,
    "INFO": 20,
    "WARNING": 30,
    RAW_LEVEL: 30,  # malformed lines are often stderr tracebacks: show them with warnings
    "ERROR": 40,
    "CRITICAL": 50,
}
_ALIASES = {
    "WARN": "WARNING",
    "FATAL": "CRITICAL",
    "CRIT": "CRITICAL",
    "ERR": "ERROR",
    "INFORMATION": "INFO",
    "DBG": "DEBUG",
}
_NUMERIC = {10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR", 50: "CRITICAL"}
DEFAULT_LEVEL = "INFO"  # a JSON line without a level

MAX_MESSAGE_CHARS = 8_192
MAX_PAYLOAD_CHARS = 262_144
COLUMN_LIMITS = {
    "level": 16,
    "logger": 200,
    "event": 200,
    "correlation_id": 128,
    "request_id": 128,
    "strategy_id": 64,
    "session_id": 64,
}
ID_FIELDS = ("correlation_id", "request_id", "strategy_id", "session_id")
ROW_FIELDS = (
    "timestamp",
    "level",
    "logger",
    "event",
    "message",
    "correlation_id",
    "request_id",
    "strategy_id",
    "session_id",
    "source",
    "payload",
    "ingested_at",
)

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


class _CanonicalLine(msgspec.Struct):
    """The fields of a line in the shape core/logging.py writes; other keys are ignored."""

    timestamp: Any = None
    level: Any = None
    logger: Any = None
    event: Any = None
    message: Any = None
    correlation_id: Any = None
    request_id: Any = None
    strategy_id: Any = None
    session_id: Any = None


_canonical_decoder = msgspec.json.Decoder(_CanonicalLine)
_CANONICAL_LEVELS = frozenset(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# The timestamp core/logging.py writes: UTC, microseconds, `Z`.
_CANONICAL_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", re.ASCII)


def normalise_level(value: Any) -> str:
    """WARN and WARNING mean the same; unknown names are kept (upper-cased, trimmed)."""
    if value is None or value == "":
        return DEFAULT_LEVEL
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int | float):
        number = int(value)
        return _NUMERIC.get(number, f"LEVEL{number}"[: COLUMN_LIMITS["level"]])
    text = str(value).strip().upper()
    if not text:
        return DEFAULT_LEVEL
    return _ALIASES.get(text, text)[: COLUMN_LIMITS["level"]]


def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 (Z or offset; naive means UTC) or epoch seconds -> aware UTC datetime, else None."""
    try:
        if isinstance(value, str):
            text = value.strip()
            if not text or len(text) > 64:
                return None
            parsed = datetime.fromisoformat(text)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            parsed = datetime.fromtimestamp(float(value), UTC)
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def db_timestamp(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME stores for an aware datetime (UTC, µs, space separator)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def iso_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        try:
            value = _encoder.encode(value).decode() if isinstance(value, dict | list) else str(value)
        except Exception:  # pragma: no cover - str() of exotic objects
            value = repr(value)
    return value[:limit]


def _opt_id(value: Any, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        return None
    return str(value)[:limit]


def raw_row(text: str, now: datetime, *, source: str = "backend") -> dict[str, Any]:
    """A malformed line, kept verbatim (message truncated; the full text in payload when cut)."""
    message = text[:MAX_MESSAGE_CHARS]
    if len(text) > MAX_MESSAGE_CHARS:
        payload = _encoder.encode({"raw": text[:MAX_PAYLOAD_CHARS], "raw_chars": len(text)}).decode()
    else:
        payload = "{}"
    return {
        "timestamp": now,
        "level": RAW_LEVEL,
        "logger": "",
        "event": "unparsed_line",
        "message": message,
        "correlation_id": None,
        "request_id": None,
        "strategy_id": None,
        "session_id": None,
        "source": source,
        "payload": payload,
        "ingested_at": now,
    }


def row_from_object(obj: dict[str, Any], payload: str, now: datetime, *, source: str = "backend") -> dict[str, Any]:
    ts = parse_timestamp(obj.get("timestamp", obj.get("time", obj.get("ts"))))
    message = obj.get("message", obj.get("msg"))
    return {
        "timestamp": ts or now,
        "level": normalise_level(obj.get("level", obj.get("levelname"))),
        "logger": _text(obj.get("logger", obj.get("name")), COLUMN_LIMITS["logger"]),
        "event": _text(obj.get("event"), COLUMN_LIMITS["event"]),
        "message": _text(message, MAX_MESSAGE_CHARS),
        "correlation_id": _opt_id(obj.get("correlation_id"), COLUMN_LIMITS["correlation_id"]),
        "request_id": _opt_id(obj.get("request_id"), COLUMN_LIMITS["request_id"]),
        "strategy_id": _opt_id(obj.get("strategy_id"), COLUMN_LIMITS["strategy_id"]),
        "session_id": _opt_id(obj.get("session_id"), COLUMN_LIMITS["session_id"]),
        "source": source,
        "payload": payload[:MAX_PAYLOAD_CHARS],
        "ingested_at": now,
    }


def parse_line(line: bytes | str, now: datetime | None = None, *, source: str = "backend") -> dict[str, Any]:
    """One log line (without its trailing newline) -> exactly one row dict. Never raises."""
    now = now or datetime.now(UTC)
    if isinstance(line, bytes | bytearray | memoryview):
        text = bytes(line).decode("utf-8", errors="replace")
    else:
        text = line
    text = text.rstrip("\r\n").replace("\x00", "\ufffd")
    try:
        obj = _decoder.decode(text)
    except (msgspec.DecodeError, ValueError, RecursionError):
        return raw_row(text, now, source=source)
    if not isinstance(obj, dict):
        return raw_row(text, now, source=source)
    try:
        return row_from_object(obj, text.strip(), now, source=source)
    except Exception:  # defensive: a pathological object is still kept, as a RAW row
        return raw_row(text, now, source=source)


def row_values(row: dict[str, Any]) -> tuple[Any, ...]:
    """A parsed row as the `backend_logs` insert takes it (ROW_FIELDS order, DB timestamp text)."""
    return (
        db_timestamp(row["timestamp"]),
        row["level"],
        row["logger"],
        row["event"],
        row["message"],
        row["correlation_id"],
        row["request_id"],
        row["strategy_id"],
        row["session_id"],
        row["source"],
        row["payload"],
        db_timestamp(row["ingested_at"]),
    )


def _fast_id(value: Any, limit: int) -> str | None | bool:
    if value is None or value == "":
        return None
    if type(value) is str:
        return value[:limit]
    if type(value) is int:
        return str(value)[:limit]
    return False  # anything else: let the general path decide


def line_values(line: bytes, now: datetime, ingested_db: str) -> tuple[Any, ...]:
    """`row_values(parse_line(line, now))`, several times faster for the lines we write ourselves.

    The tailer's hot path. Lines in the exact shape core/logging.py emits (a UTC timestamp ending
    in `Z`, a canonical level, string fields) are mapped straight to insert values; anything else
    goes through `parse_line`. tests/logs/test_parsing.py checks both paths agree on any input.
    `ingested_db` is `db_timestamp(now)`, computed once per batch by the caller.
    """
    # Aliases (time, msg, levelname, name) only matter when the canonical key is missing, and a
    # missing key fails the type checks below, so such lines take the general path by themselves.
    general = None
    if b"\x00" in line:
        general = line
    else:
        try:
            obj = _canonical_decoder.decode(line)
            text = line.decode("utf-8")
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
            general = line
    if general is None:
        ts = obj.timestamp
        level = obj.level
        ids = (
            _fast_id(obj.correlation_id, COLUMN_LIMITS["correlation_id"]),
            _fast_id(obj.request_id, COLUMN_LIMITS["request_id"]),
            _fast_id(obj.strategy_id, COLUMN_LIMITS["strategy_id"]),
            _fast_id(obj.session_id, COLUMN_LIMITS["session_id"]),
        )
        logger, event, message = obj.logger, obj.event, obj.message
        if (
            type(ts) is str
            and _CANONICAL_TS.fullmatch(ts) is not None
            and level in _CANONICAL_LEVELS
            and type(logger) is str
            and type(event) is str
            and type(message) is str
            and False not in ids
        ):
            try:
                datetime.fromisoformat(ts[:26])  # validates the date; the text is already UTC
            except ValueError:
                pass
            else:
                payload = text.rstrip("\r\n").strip()
                return (
                    f"{ts[:10]} {ts[11:26]}",
                    level,
                    logger[: COLUMN_LIMITS["logger"]],
                    event[: COLUMN_LIMITS["event"]],
                    message[:MAX_MESSAGE_CHARS],
                    *ids,
                    "backend",
                    payload[:MAX_PAYLOAD_CHARS],
                    ingested_db,
                )
    return row_values(parse_line(line, now))


def row_from_values(values: tuple[Any, ...]) -> dict[str, Any]:
    """Insert values (see `row_values`) back to the row dict `parse_line` gives (aware datetimes)."""
    row: dict[str, Any] = dict(zip(ROW_FIELDS, values, strict=True))
    for key in ("timestamp", "ingested_at"):
        row[key] = datetime.fromisoformat(row[key]).replace(tzinfo=UTC)
    return row


def api_row_from_values(row_id: int, values: tuple[Any, ...]) -> dict[str, Any]:
    """Insert values (see `row_values`) as the API/live tail shows the stored row."""
    return row_for_api({**row_from_values(values), "id": row_id})


def row_for_api(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row as the API/live tail shows it (ISO timestamps; `payload` decoded)."""
    out = dict(row)
    for key in ("timestamp", "ingested_at"):
        value = out.get(key)
        if isinstance(value, datetime):
            out[key] = iso_timestamp(value)
    payload = out.get("payload")
    if isinstance(payload, str):
        try:
            out["payload"] = _decoder.decode(payload)
        except (msgspec.DecodeError, ValueError, RecursionError):
            out["payload"] = {"raw": payload}
    return out

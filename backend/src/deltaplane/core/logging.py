"""JSON-lines logging (DESIGN section 8).

Each record becomes one JSON object on one line in `logs/backend.log` (and stdout):
timestamp, level, logger, event, message, correlation_id, request_id, strategy_id,
session_id, plus any structured fields passed through `extra=`. Secrets are redacted
by key name and by value shape before anything is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec

from deltaplane.core import context

REDACTED = "[REDACTED]"
_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|signature|authorization|cookie|credential|ticket|private[_-]?key|dp_refresh|jwt)", re.I
)
# JWTs, our API keys (dp_...), long hex digests next to a sign/secret word, bearer tokens.
_SECRET_VALUE = re.compile(
    r"(eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}|dp_[A-Za-z0-9]{6,}_[A-Za-z0-9_-]{16,}|(?i:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,})"
)
# A parameter whose name ends in a secret word, in a URL, form body or message (`/api/ws?ticket=...`,
# `&api_key=...`, `password=...`): keep the name, drop the value (`token_count=3` stays).
# uvicorn logs WebSocket paths with their query string.
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&;\s])[\w.-]*?(?:pass(?:word)?|secret|token|api[_-]?key|signature|credential|ticket)=)[^&;#\s\"']+"
)

# The same secret words as a "name: value" pair in text, e.g. a dict or JSON quoted in a message
# (`{"api_secret": "..."}`, `secret: abc`): keep the name, drop the value (numbers are kept).
_SECRET_PAIR = re.compile(
    r"""(?i)((?:^|[\s{,(\[])["']?[\w.-]*?(?:pass(?:word)?|secret|token|api[_-]?key|signature|credential|ticket|private[_-]?key)["']?\s*:\s*)"""
    r"""(?!-?\d+(?:\.\d+)?(?:[\s,;})\]]|$))("[^"]*"|'[^']*'|[^\s,;}\]"']+)"""
)

_STANDARD_ATTRS = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}
_CONTEXT_FIELDS = ("correlation_id", "request_id", "strategy_id", "session_id")


def _redact_pair(m: re.Match[str]) -> str:
    value = m.group(2)
    quote = value[0] if value[:1] in ('"', "'") else ""
    return f"{m.group(1)}{quote}{REDACTED}{quote}"


def redact_text(text: str) -> str:
    text = _SECRET_PARAM.sub(r"\g<1>" + REDACTED, _SECRET_VALUE.sub(REDACTED, text))
    return _SECRET_PAIR.sub(_redact_pair, text)


def redact(value: Any, key: str | None = None) -> Any:
    """Return a copy of `value` with secret-looking keys and values replaced."""
    # Numbers under a secret-looking key (token_count, ticket_ttl) carry no secret: keep them.
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if key is not None and _SECRET_KEY.search(key) and value not in (None, "", False) and not is_number:
        return REDACTED
    if isinstance(value, dict):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    return repr(obj)


_encoder = msgspec.json.Encoder(enc_hook=_default)


def format_timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonLogFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        payload: dict[str, Any] = {
            "timestamp": format_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or "log_message",
            "message": redact_text(message),
        }
        for name in _CONTEXT_FIELDS:
            explicit = record.__dict__.get(name)
            payload[name] = explicit if explicit is not None else getattr(context, f"{name}_var").get()
        user = context.user_var.get()
        if user is not None and "user" not in record.__dict__:
            payload["user"] = user
        for key, value in record.__dict__.items():
            if key in _STANDARD_ATTRS or key in payload or key == "event":
                continue
            payload[key] = redact(value, key)
        if record.exc_info:
            payload["exception"] = redact_text(self.formatException(record.exc_info))
        return _encoder.encode(payload).decode()


class RotationSafeFileHandler(logging.handlers.WatchedFileHandler):
    """Reopens the file when an external rotator renames or deletes it.

    Opened in append mode (O_APPEND), so after a copy-truncate the next write lands at the
    new end of the file instead of leaving a hole of NUL bytes.
    """

    def __init__(self, filename: str | Path) -> None:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(str(filename), mode="a", encoding="utf-8", delay=False)


_installed: list[logging.Handler] = []


def configure_logging(*, level: str, log_file: Path | None, to_stdout: bool = True) -> None:
    """Install the JSON handlers on the root logger (idempotent: replaces our previous ones)."""
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    formatter = JsonLogFormatter()
    if log_file is not None:
        file_handler = RotationSafeFileHandler(log_file)
        file_handler.setFormatter(formatter)
        _installed.append(file_handler)
    if to_stdout:
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(formatter)
        _installed.append(stream)
    for handler in _installed:
        root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own handlers would print non-JSON lines; route them through ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # we log our own request summary
    # Drivers log SQL with its parameters at DEBUG (password hashes, token digests): never those,
    # whatever LOG_LEVEL says, since every viewer can read the Log Viewer.
    for name in ("sqlalchemy.engine", "sqlalchemy.pool", "aiosqlite", "asyncpg", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

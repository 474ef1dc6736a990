"""JSON log lines: format, redaction, and a writer that survives external rotation."""

from __future__ import annotations

import json
import logging
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.core.context import log_context
from deltaplane.core.logging import (
    REDACTED,
    JsonLogFormatter,
    RotationSafeFileHandler,
    configure_logging,
    redact,
    redact_text,
)


def _logger(path) -> tuple[logging.Logger, RotationSafeFileHandler]:
    handler = RotationSafeFileHandler(path)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger(f"test.rotation.{path.name}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, handler


def test_writer_follows_rename_rotation(tmp_path) -> None:
    path = tmp_path / "backend.log"
    logger, handler = _logger(path)
    logger.info("before", extra={"event": "before_rotation"})
    os.rename(path, tmp_path / "backend.log.1")  # logrotate's default (create) mode
    logger.info("after", extra={"event": "after_rotation"})
    handler.close()
    assert json.loads((tmp_path / "backend.log.1").read_text())["event"] == "before_rotation"
    assert json.loads(path.read_text())["event"] == "after_rotation"


def test_writer_survives_copy_truncate_without_a_hole(tmp_path) -> None:
    path = tmp_path / "backend.log"
    logger, handler = _logger(path)
    for i in range(50):
        logger.info("line %d", i, extra={"event": "filler"})
    os.truncate(path, 0)  # copytruncate
    logger.info("fresh", extra={"event": "after_truncate"})
    handler.close()
    data = path.read_bytes()
    assert not data.startswith(b"\x00"), "append mode must write at the new end, not leave NUL bytes"
    assert json.loads(data.decode())["event"] == "after_truncate"


def test_line_shape_context_and_redaction(tmp_path) -> None:
    path = tmp_path / "backend.log"
    logger, handler = _logger(path)
    with log_context(correlation_id="c-1", strategy_id="7", session_id="s-9"):
        logger.warning(
            "placing with key dp_abcd1234_AAAAAAAAAAAAAAAAAAAAAAAA and bearer abcdefghijklmnopqrstuvwxyz",
            extra={"event": "order_placed", "api_secret": "hunter2", "nested": {"password": "p", "size": 3}, "qty": 2},
        )
    handler.close()
    rec = json.loads(path.read_text())
    assert rec["level"] == "WARNING" and rec["event"] == "order_placed" and rec["logger"].startswith("test.rotation")
    assert (rec["correlation_id"], rec["strategy_id"], rec["session_id"]) == ("c-1", "7", "s-9")
    assert rec["api_secret"] == REDACTED and rec["nested"] == {"password": REDACTED, "size": 3} and rec["qty"] == 2
    assert "dp_abcd1234" not in rec["message"] and "abcdefghijklmnop" not in rec["message"]


@given(st.text())
def test_redact_never_raises_and_keeps_plain_text(text: str) -> None:
    out = redact_text(text)
    assert isinstance(out, str)
    if "eyJ" not in text and "dp_" not in text and "earer" not in text.lower() and "asic" not in text.lower() and "=" not in text and ":" not in text:
        assert out == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '127.0.0.1:0 - "WebSocket /api/ws?ticket=HSCLfThmJwxIF_ftin9oQOCPlmbk1pR8" [accepted]',
            '127.0.0.1:0 - "WebSocket /api/ws?ticket=[REDACTED]" [accepted]',
        ),
        ("GET /x?a=1&api_key=s3cr3t&b=2", "GET /x?a=1&api_key=[REDACTED]&b=2"),
        ("GET /x?access_token=abc#frag", "GET /x?access_token=[REDACTED]#frag"),
        ("password=hunter2&user=bob", "password=[REDACTED]&user=bob"),
        ("GET /x?API-KEY=Zz9 done", "GET /x?API-KEY=[REDACTED] done"),
        ("retrying with client_secret=abc123 now", "retrying with client_secret=[REDACTED] now"),
        # not secrets: other names, and the same words outside a parameter
        ("GET /api/logs?level=ERROR&q=ticket", "GET /api/logs?level=ERROR&q=ticket"),
        ("ws ticket issued, ttl=30", "ws ticket issued, ttl=30"),
        ("token_count=3 in a sentence", "token_count=3 in a sentence"),
        ("GET /x?ticket_ttl=30&tokens=5", "GET /x?ticket_ttl=30&tokens=5"),
        # "name: value" pairs, as a dict or JSON quoted in a message (stored unredacted before)
        ('config {"api_secret": "JSONSECRETLEAK999", "password": "JSONPWLEAK777"}',
         'config {"api_secret": "[REDACTED]", "password": "[REDACTED]"}'),
        ("secret: X token: Y", "secret: [REDACTED] token: [REDACTED]"),
        ("{'private_key': 'abc', 'id': 7}", "{'private_key': '[REDACTED]', 'id': 7}"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: [REDACTED]"),
        ("retry with Basic dXNlcjpwYXNzd29yZA== now", "retry with [REDACTED] now"),
        # numbers and other names stay
        ("token: 3 left, session_id: s1, at 10:30:00", "token: 3 left, session_id: s1, at 10:30:00"),
    ],
)
def test_redact_secret_query_parameters(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_uvicorn_websocket_line_is_logged_without_the_ticket(tmp_path) -> None:
    path = tmp_path / "backend.log"
    logger, handler = _logger(path)
    logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:0", "/api/ws?ticket=HSCLfThmJwxIF_ftin9oQOCPlmbk1pR8")
    handler.close()
    data = path.read_text()
    assert "HSCLfThm" not in data and "ticket=[REDACTED]" in json.loads(data)["message"]


def test_redact_by_key_name() -> None:
    assert redact({"token": "x", "Authorization": "Bearer y", "count": 1, "signature": "ab"}) == {
        "token": REDACTED, "Authorization": REDACTED, "count": 1, "signature": REDACTED,
    }
    assert redact({"privateKey": "k", "dp_refresh": "r", "jwt": "j", "session_id": "s1"}) == {
        "privateKey": REDACTED, "dp_refresh": REDACTED, "jwt": REDACTED, "session_id": "s1",
    }


def test_database_drivers_never_log_below_warning(tmp_path) -> None:
    # at DEBUG, aiosqlite logged SQL parameters: every user's argon2 hash reached the Log Viewer
    root_level = logging.getLogger().level
    configure_logging(level="DEBUG", log_file=tmp_path / "backend.log", to_stdout=False)
    try:
        for name in ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "httpx"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        logging.getLogger("aiosqlite").debug("executing INSERT INTO users (password_hash) VALUES ('$argon2id$v=19$...')")
        logging.getLogger("deltaplane.test").debug("our own DEBUG line")
        text = (tmp_path / "backend.log").read_text()
        assert "argon2id" not in text and "our own DEBUG line" in text
    finally:
        configure_logging(level=logging.getLevelName(root_level), log_file=None, to_stdout=False)

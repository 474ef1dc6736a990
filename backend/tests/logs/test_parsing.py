from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deltaplane.logs.parsing import (
    MAX_MESSAGE_CHARS,
    RAW_LEVEL,
    ROW_FIELDS,
    db_timestamp,
    normalise_level,
    parse_line,
    parse_timestamp,
    row_for_api,
)

NOW = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)


def test_full_json_line():
    line = (
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"WARN","logger":"deltaplane.engine",'
        b'"event":"order_rejected","message":"rejected","correlation_id":"c1","request_id":"r1",'
        b'"strategy_id":"7","session_id":"s9","reason":"margin"}'
    )
    row = parse_line(line, NOW)
    assert set(row) == set(ROW_FIELDS)
    assert row["timestamp"] == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert row["level"] == "WARNING"
    assert (row["logger"], row["event"], row["message"]) == ("deltaplane.engine", "order_rejected", "rejected")
    assert (row["correlation_id"], row["request_id"], row["strategy_id"], row["session_id"]) == ("c1", "r1", "7", "s9")
    assert row["payload"] == line.decode()
    assert row["source"] == "backend"
    assert row["ingested_at"] == NOW


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WARN", "WARNING"), ("warning", "WARNING"), ("FATAL", "CRITICAL"), ("fatal", "CRITICAL"),
        ("error", "ERROR"), (" info ", "INFO"), ("Debug", "DEBUG"), ("critical", "CRITICAL"),
        ("notice", "NOTICE"), ("trace", "TRACE"), (30, "WARNING"), (40, "ERROR"), (None, "INFO"), ("", "INFO"),
        ("x" * 50, "X" * 16),
    ],
)  # fmt: skip
def test_level_normalisation(raw, expected):
    assert normalise_level(raw) == expected


@pytest.mark.parametrize(
    "line",
    [b"not json", b"Traceback (most recent call last):", b"[1,2,3]", b'"a string"', b"42", b"{broken", b"\xff\xfe\x00garbage", b"null"],
)
def test_malformed_lines_become_raw_rows(line):
    row = parse_line(line, NOW)
    assert row["level"] == RAW_LEVEL
    assert row["timestamp"] == NOW
    assert row["message"] == line.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    msgspec.json.decode(row["payload"])  # always valid JSON


def test_long_raw_line_is_truncated_but_kept_in_payload():
    text = "x" * (MAX_MESSAGE_CHARS + 100)
    row = parse_line(text, NOW)
    assert len(row["message"]) == MAX_MESSAGE_CHARS
    payload = msgspec.json.decode(row["payload"])
    assert payload["raw_chars"] == len(text) and payload["raw"] == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T08:34:05+05:30", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02 03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        ("garbage", None), ("", None), (None, None), ([], None), (True, None), (1e30, None),
    ],
)  # fmt: skip
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


def test_bad_timestamp_uses_ingestion_time_and_keeps_fields():
    row = parse_line(b'{"timestamp":"yesterday","level":"error","message":"m"}', NOW)
    assert row["timestamp"] == NOW and row["level"] == "ERROR" and row["message"] == "m"


def test_non_string_fields_are_coerced():
    row = parse_line(b'{"logger":5,"event":null,"message":{"a":1},"strategy_id":12,"session_id":{"x":1}}', NOW)
    assert row["logger"] == "5" and row["event"] == "" and row["message"] == '{"a":1}'
    assert row["strategy_id"] == "12" and row["session_id"] is None


def test_db_timestamp_matches_sqlalchemy_format():
    assert db_timestamp(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02 03:04:05.000000"


def test_row_for_api_decodes_payload():
    out = row_for_api(parse_line(b'{"message":"m","k":1}', NOW))
    assert out["payload"] == {"message": "m", "k": 1} and out["timestamp"].endswith("Z")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_line_gives_exactly_one_row(line):
    row = parse_line(line, NOW)
    assert set(row) == set(ROW_FIELDS)
    assert isinstance(row["level"], str) and 0 < len(row["level"]) <= 16
    assert row["timestamp"].tzinfo is not None
    msgspec.json.decode(row["payload"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.one_of(st.none(), st.integers(), st.text(max_size=20), st.floats(allow_nan=False))))
def test_any_json_object_gives_a_row(obj):
    row = parse_line(msgspec.json.encode(obj), NOW)
    assert set(row) == set(ROW_FIELDS) and row["level"] != RAW_LEVEL

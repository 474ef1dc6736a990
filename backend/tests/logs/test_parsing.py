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
    api_row_from_values,
    db_timestamp,
    line_values,
    normalise_level,
    parse_line,
    parse_timestamp,
    row_for_api,
    row_values,
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


# -- the tailer's fast path must agree with parse_line on every input -------------------------------
NOW_DB = db_timestamp(NOW)


def _same_as_general(line: bytes) -> tuple:
    fast = line_values(line, NOW, NOW_DB)
    assert fast == row_values(parse_line(line, NOW))
    return fast


def test_fast_path_canonical_line():
    line = (
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"deltaplane.engine",'
        b'"event":"order_placed","message":"placed","correlation_id":"c1","request_id":null,'
        b'"strategy_id":7,"session_id":"s9","qty":2}'
    )
    values = _same_as_general(line)
    assert values[0] == "2026-01-02 03:04:05.123456" and values[7] == "7" and values[-1] == NOW_DB


@pytest.mark.parametrize(
    "line",
    [
        # timestamps that look canonical but are not: each must give what parse_line gives
        b'{"timestamp":"2026-02-30T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m"}',
        b'{"timestamp":"2026-01-02T03:04:05.123+01Z","level":"INFO","logger":"l","event":"e","message":"m"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456+00:00","level":"INFO","logger":"l","event":"e","message":"m"}',
        b'{"timestamp":"2026-01-02 03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m"}',
        "{\"timestamp\":\"2026-01-02T03:04:05.12345\u0663Z\",\"level\":\"INFO\",\"logger\":\"l\",\"event\":\"e\",\"message\":\"m\"}".encode(),
        # levels, aliases, odd types, duplicates, escapes, control bytes, CRLF, bad UTF-8
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"warn","logger":"l","event":"e","message":"m"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":30,"logger":"l","event":"e","message":"m"}',
        b'{"time":"2026-01-02T03:04:05.123456Z","levelname":"ERROR","name":"l","msg":"m"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":{"a":1}}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m","strategy_id":true}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m","session_id":1.5}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m","session_id":{"x":1}}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"first","message":"second"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m","correlation_id":""}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"a\\u0000b"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m"}\r',
        b'  {"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m"}  ',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m\xff"}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e","message":"m",\x00}',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"l","event":"e"}',
        b'[1, 2]',
        b'not json',
        b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","logger":"' + b"x" * 300 + b'","event":"e","message":"'
        + b"y" * (MAX_MESSAGE_CHARS + 10) + b'","correlation_id":"' + b"c" * 200 + b'"}',
    ],
)
def test_fast_path_edge_cases_agree_with_parse_line(line):
    _same_as_general(line)


_levels = st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "warn", "Info", "", "FATAL", 20, None])
_ids = st.one_of(st.none(), st.text(max_size=140), st.integers(), st.booleans(), st.floats(allow_nan=False))
_texts = st.one_of(st.text(max_size=250), st.none(), st.integers(), st.lists(st.integers(), max_size=2))
_stamps = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
    st.datetimes().map(lambda d: d.isoformat()),
    st.text(max_size=30),
    st.integers(min_value=0, max_value=2**33),
    st.none(),
)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {"timestamp": _stamps, "level": _levels, "logger": _texts, "event": _texts, "message": _texts},
        optional={
            "correlation_id": _ids, "request_id": _ids, "strategy_id": _ids, "session_id": _ids,
            "time": _stamps, "msg": _texts, "extra": st.dictionaries(st.text(max_size=5), _ids, max_size=3),
        },
    )
)
def test_fast_path_agrees_with_parse_line_on_any_object(obj):
    _same_as_general(msgspec.json.encode(obj))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_fast_path_agrees_with_parse_line_on_any_bytes(line):
    _same_as_general(line)


def test_api_row_from_values_matches_row_for_api():
    row = parse_line(b'{"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","message":"m","k":[1]}', NOW)
    assert api_row_from_values(5, row_values(row)) == row_for_api({**row, "id": 5})


_canonical_objects = st.fixed_dictionaries(
    {
        "timestamp": st.datetimes().map(lambda d: d.isoformat(timespec="microseconds") + "Z"),
        "level": st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
        "logger": st.text(max_size=250),
        "event": st.text(max_size=250),
        "message": st.text(max_size=300),
    },
    optional={
        "correlation_id": st.one_of(st.none(), st.text(max_size=140), st.integers()),
        "strategy_id": st.one_of(st.none(), st.text(max_size=70), st.integers()),
        "extra": st.dictionaries(st.text(max_size=5), _ids, max_size=3),
    },
)


@settings(max_examples=400, deadline=None)
@given(_canonical_objects)
def test_canonical_lines_take_the_fast_path_and_agree(obj):
    line = msgspec.json.encode(obj)
    if b"\\u0000" in line:
        return  # a NUL inside a string is decoded by parse_line's replacement rule: general path
    expected = row_values(parse_line(line, NOW))
    import deltaplane.logs.parsing as parsing

    original = parsing.parse_line
    parsing.parse_line = None  # type: ignore[assignment]  # the fast path must not need it
    try:
        fast = line_values(line, NOW, NOW_DB)
    finally:
        parsing.parse_line = original
    assert fast == expected

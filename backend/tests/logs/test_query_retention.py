from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import count_rows

from deltaplane.core.errors import FieldError
from deltaplane.logs.parsing import parse_line, row_values
from deltaplane.logs.query import (
    build_filter,
    decode_cursor,
    fetch_page,
    fts_query,
    matches_filter,
    summarize,
)
from deltaplane.logs.retention import BackendLogRetentionService
from deltaplane.logs.store import SqliteLogWriter

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rows(n: int, same_ts_every: int = 3):
    out = []
    for i in range(n):
        row = parse_line(
            f'{{"timestamp":"{(T0 + timedelta(seconds=i // same_ts_every)).isoformat()}",'
            f'"level":"{["INFO", "WARN", "ERROR", "DEBUG"][i % 4]}","logger":"deltaplane.{["engine", "http"][i % 2]}",'
            f'"event":"ev{i % 3}","message":"message number {i} alpha{i % 5}","correlation_id":"c{i % 7}",'
            f'"strategy_id":"{i % 2}","session_id":"s{i % 3}","request_id":"r{i}"}}',
            T0,
        )
        out.append(row)
    return out


@pytest.fixture
def seeded(db_file):
    w = SqliteLogWriter(str(db_file))
    w.insert([row_values(r) for r in rows(120)])
    w.insert([row_values(parse_line('he said "hi" (NEAR) * AND OR ünïcödé café', T0))])
    w.close()
    return db_file


async def page_all(engine, f, limit):
    seen, cursor = [], None
    async with engine.connect() as conn:
        for _ in range(1000):
            items, cursor = await fetch_page(conn, f, cursor=cursor, limit=limit)
            seen.extend(items)
            if cursor is None:
                break
    return seen


@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
async def test_pagination_no_gaps_no_duplicates(seeded, engine, limit):
    seen = await page_all(engine, build_filter(), limit)
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids)) == 121
    keys = [(r["timestamp"], r["id"]) for r in seen]
    assert keys == sorted(keys, reverse=True)


async def test_pagination_stable_under_concurrent_inserts(seeded, engine, db_file):
    f = build_filter()
    async with engine.connect() as conn:
        first, cursor = await fetch_page(conn, f, limit=10)
    w = SqliteLogWriter(str(db_file))
    w.insert([row_values(r) for r in rows(30)])  # newer and equal timestamps arrive mid-pagination
    w.close()
    rest = []
    async with engine.connect() as conn:
        while cursor:
            items, cursor = await fetch_page(conn, f, cursor=cursor, limit=10)
            rest.extend(items)
    ids = [r["id"] for r in first + rest]
    assert len(ids) == len(set(ids))
    assert set(range(1, 122)) <= set(ids) | set()  # every original row was seen exactly once


@pytest.mark.parametrize(
    ("kwargs", "predicate"),
    [
        ({"level": ["WARN"]}, lambda r: r["level"] == "WARNING"),
        ({"level": ["ERROR", "WARNING"]}, lambda r: r["level"] in {"ERROR", "WARNING"}),
        ({"min_level": "warn"}, lambda r: r["level"] in {"WARNING", "ERROR", "CRITICAL", "RAW"}),
        ({"logger": "deltaplane.http"}, lambda r: r["logger"] == "deltaplane.http"),
        ({"logger_contains": "ENG"}, lambda r: "engine" in r["logger"]),
        ({"event": "ev1"}, lambda r: r["event"] == "ev1"),
        ({"correlation_id": "c3"}, lambda r: r["correlation_id"] == "c3"),
        ({"request_id": "r5"}, lambda r: r["request_id"] == "r5"),
        ({"strategy_id": "1"}, lambda r: r["strategy_id"] == "1"),
        ({"session_id": "s2"}, lambda r: r["session_id"] == "s2"),
        ({"start": "2026-01-01T00:00:10Z", "end": "2026-01-01T00:00:20+00:00"},
         lambda r: "2026-01-01T00:00:10" <= r["timestamp"] < "2026-01-01T00:00:20"),
        ({"q": "alpha3"}, lambda r: "alpha3" in r["message"]),
    ],
)  # fmt: skip
async def test_each_filter(seeded, engine, kwargs, predicate):
    f = build_filter(**kwargs)
    got = await page_all(engine, f, 1000)
    everything = await page_all(engine, build_filter(), 1000)
    expected = [r for r in everything if predicate(r)]
    assert got and [r["id"] for r in got] == [r["id"] for r in expected]
    assert all(matches_filter(r, f) for r in got)
    assert not any(matches_filter(r, f) for r in everything if r not in expected)


@pytest.mark.parametrize("q", ["zebrap", "zebrapartial", "ZEBRAPARTIAL", "cafe", "CAFÉ", "creme", "http", "http_request", "request", "ünïcödé", "unicode", "7", "zebrapartial creme"])
async def test_live_tail_search_matches_what_the_index_finds(db_file, engine, q):
    # the live filter used substring matching: "zebrap" showed live lines a refresh then dropped
    messages = ["zebrapartial run", "Café crème brûlée", "GET http_request done", "ünïcödé text", "item 7 of 70", "zebra partial creme"]
    w = SqliteLogWriter(str(db_file))
    w.insert([row_values(parse_line(f'{{"timestamp":"{T0.isoformat()}","message":"{m}"}}', T0)) for m in messages])
    w.close()
    f = build_filter(q=q)
    found = {r["message"] for r in await page_all(engine, f, 100)}
    everything = await page_all(engine, build_filter(), 100)
    assert {r["message"] for r in everything if matches_filter(r, f)} == found


@pytest.mark.parametrize(
    "q", ['"', '""', "*", "NEAR(", "a OR", "(", ")", "'; DROP TABLE backend_logs; --", "ünïcödé", 'he said "hi"', "café*", "^x", "-", ":", "{a b}:c", "\x00"],
)
async def test_hostile_full_text_never_errors(seeded, engine, q):
    items = await page_all(engine, build_filter(q=q), 100)
    if "ünïcödé" in q or "hi" in q:
        assert items and "ünïcödé" in items[0]["message"]
    assert count_rows(seeded) == 121


def test_fts_query_quotes_tokens():
    assert fts_query('NEAR("a" b*)') == '"NEAR" "a" "b"'
    assert fts_query("***") is None


def test_validation_errors_name_the_field():
    for kwargs, field in [({"start": "nope"}, "start"), ({"end": "x"}, "end"), ({"min_level": "LOUD"}, "min_level"),
                          ({"start": "2026-02-01", "end": "2026-01-01"}, "end")]:  # fmt: skip
        with pytest.raises(FieldError) as err:
            build_filter(**kwargs)
        assert err.value.extra[0]["field"] == field
    with pytest.raises(FieldError):
        decode_cursor("not-a-cursor")


async def test_summary(seeded, engine):
    async with engine.connect() as conn:
        s = await summarize(conn, build_filter())
    assert s["total"] == 121
    assert s["counts_by_level"] == {"INFO": 30, "WARNING": 30, "ERROR": 30, "DEBUG": 30, "RAW": 1}
    assert {x["name"] for x in s["top_loggers"]} == {"deltaplane.engine", "deltaplane.http", ""}
    assert s["latest_error"]["level"] == "ERROR" and s["latest_warning"]["level"] == "WARNING"


async def test_retention_boundary_and_chunks(db_file, engine):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    cutoff = now - timedelta(days=7)
    w = SqliteLogWriter(str(db_file))
    old = [parse_line(f'{{"timestamp":"{(cutoff - timedelta(microseconds=1 + i)).isoformat()}","message":"old {i}"}}', now) for i in range(23)]
    at = parse_line(f'{{"timestamp":"{cutoff.isoformat()}","message":"at cutoff"}}', now)
    new = parse_line(f'{{"timestamp":"{now.isoformat()}","message":"new"}}', now)
    w.insert([row_values(r) for r in [*old, at, new]])
    svc = BackendLogRetentionService(engine, retention_days=7, chunk_size=5)
    result = await svc.run_once(now)
    assert result["deleted"] == 23 and result["chunks"] == 5 and result["reclaim"] in {"optimize", "incremental_vacuum"}
    left = [r[0] for r in w.conn.execute("SELECT message FROM backend_logs ORDER BY id")]
    assert left == ["at cutoff", "new"]
    # the FTS index lost the deleted rows too
    assert w.conn.execute("SELECT count(*) FROM backend_logs_fts WHERE backend_logs_fts MATCH 'old'").fetchone()[0] == 0
    assert (await BackendLogRetentionService(engine, retention_days=0).run_once(now))["deleted"] == 0
    w.close()

"""Analytics API over HTTP against a real SQLite file: summary, history, export, params."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deltaplane.analytics.controllers import CLOCK_KEY
from deltaplane.analytics.csv_export import metrics_as_dict, parse_export_csv, summary_from_export
from tests.analytics_api.factories import add_session, add_strategy, utc

NOW = utc(2025, 6, 30, 12, 0)


def set_clock(app, now: datetime) -> None:
    app.state.services.extras[CLOCK_KEY] = lambda: now


async def seed(db) -> tuple[int, int]:
    async with db() as s:
        a = await add_strategy(s, "BTC daily")
        b = await add_strategy(s, "ETH weekly")
        await add_session(s, a, closed_at=utc(2025, 6, 28, 10), gross="30", fees="2", credit="40", debit="10",
                          exit_reason="take_profit")  # fmt: skip
        await add_session(s, a, closed_at=utc(2025, 6, 29, 10), gross="-20", fees="2", credit="30", debit="50",
                          exit_reason="max_loss")  # fmt: skip
        await add_session(s, b, closed_at=utc(2025, 6, 30, 9), gross="12.5", fees="0.5", credit="20", debit="7.5",
                          underlying="ETH")  # fmt: skip
        await add_session(s, a, closed_at=utc(2025, 3, 1, 10), gross="100", fees="1", credit="120", debit="20")
        await add_session(s, a, closed_at=None, credit="25", fees="0.7")  # open: reported apart
        return a.id, b.id


async def test_summary_totals_one_ledger_and_open_sessions_apart(app, api, db) -> None:
    a, b = await seed(db)
    set_clock(app, NOW)
    r = await api.get("/api/analytics/summary", params={"preset": "7d", "tz": "UTC"})
    assert r.status_code == 200, r.text
    body = r.json()
    s = body["summary"]
    assert s["trade_count"] == 3
    assert (s["gross_pnl"], s["fees"], s["net_pnl"]) == ("22.5", "4.5", "18.0")  # fees subtracted once
    assert s["wins"] == 2 and s["losses"] == 1
    assert s["leg_count"] == 6
    assert body["range"]["preset"] == "7d" and body["range"]["end"] == "2025-06-30T12:00:00Z"
    assert body["range"]["start"] == "2025-06-24T00:00:00Z"
    op = body["open_sessions"]
    assert op == {"open_sessions": 1, "credit": "25", "fees": "0.7", "unrealized_pnl": None,
                  "unrealized_pnl_available": False, "note": op["note"]}  # fmt: skip
    assert s["unrealized"]["open_sessions"] == 1 and s["unrealized"]["unrealized_pnl"] is None
    # strategy filter
    r = await api.get("/api/analytics/summary", params={"preset": "all", "strategy_id": b})
    assert r.json()["summary"]["trade_count"] == 1 and r.json()["summary"]["net_pnl"] == "12.0"
    assert r.json()["open_sessions"]["open_sessions"] == 0
    r = await api.get("/api/analytics/summary", params={"preset": "all", "strategy_id": a})
    assert r.json()["summary"]["trade_count"] == 3 and r.json()["open_sessions"]["open_sessions"] == 1
    # explicit dates (date-only end is inclusive)
    r = await api.get("/api/analytics/summary", params={"start": "2025-06-29", "end": "2025-06-29"})
    assert r.json()["summary"]["trade_count"] == 1 and r.json()["range"]["preset"] is None


async def test_summary_with_starting_capital_and_timezone(app, api, db) -> None:
    await seed(db)
    set_clock(app, NOW)
    r = await api.get("/api/analytics/summary", params={"preset": "all", "tz": "Asia/Kolkata", "starting_capital": "1000"})
    s = r.json()["summary"]
    assert s["timezone"] == "Asia/Kolkata" and s["starting_capital"] == "1000"
    assert s["sharpe_ratio"] is not None


async def test_preset_moves_with_time(app, api, db) -> None:
    await seed(db)
    set_clock(app, NOW)
    first = (await api.get("/api/analytics/summary", params={"preset": "today"})).json()
    assert first["summary"]["trade_count"] == 1
    set_clock(app, NOW + timedelta(days=1))
    second = (await api.get("/api/analytics/summary", params={"preset": "today"})).json()
    assert second["range"]["end"] == "2025-07-01T12:00:00Z" and second["range"]["start"] == "2025-07-01T00:00:00Z"
    assert second["summary"]["trade_count"] == 0
    # and a trade closing later shows up on the next call with the same preset (no frozen end)
    set_clock(app, NOW)
    async with db() as s:
        from deltaplane.strategy.models import Strategy

        strat = await s.get(Strategy, 1)
        await add_session(s, strat, closed_at=NOW - timedelta(minutes=1), gross="5", fees="1")
    third = (await api.get("/api/analytics/summary", params={"preset": "today"})).json()
    assert third["summary"]["trade_count"] == 2 and third["summary"]["net_pnl"] == "16.0"


async def test_history_series(app, api, db) -> None:
    await seed(db)
    set_clock(app, NOW)
    r = await api.get("/api/analytics/history", params={"preset": "7d"})
    assert r.status_code == 200
    h = r.json()["history"]
    assert [p["net_pnl"] for p in h["equity_curve"]] == ["28", "-22", "12.0"]
    assert [d["date"] for d in h["daily_pnl"]] == ["2025-06-28", "2025-06-29", "2025-06-30"]
    assert h["daily_pnl"][-1]["cumulative_net_pnl"] == "18.0"
    assert sum(b["count"] for b in h["pnl_histogram"]) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"start": "2025-06-10", "end": "2025-06-01"}, "end"),
        ({"start": "yesterday"}, "start"),
        ({"preset": "fortnight"}, "preset"),
        ({"preset": "7d", "start": "2025-06-01"}, "preset"),
        ({"strategy_id": "abc"}, "strategy_id"),
        ({"starting_capital": "-5"}, "starting_capital"),
        ({"starting_capital": "lots"}, "starting_capital"),
        # 500s before: Decimal overflow in the returns, datetime overflow at the calendar's edges
        ({"starting_capital": "1e999999999"}, "starting_capital"),
        ({"starting_capital": "1e-30"}, "starting_capital"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "tz": "Asia/Kolkata"}, "start"),
        ({"start": "9999-12-31T23:59:59-05:00"}, "start"),
    ],
)
async def test_param_errors_name_the_field(app, api, params, field) -> None:
    paths = ["/api/analytics/summary", "/api/analytics/history", "/api/analytics/export"]
    if "starting_capital" not in params:  # History's session list takes the same range
        paths += ["/api/sessions", "/api/sessions/export"]
    for path in paths:
        r = await api.get(path, params=params)
        assert 400 <= r.status_code < 500, (path, r.text)
        body = r.json()
        assert field in body["detail"], body
        assert any(f["field"] == field for f in body.get("fields", [])), body


async def test_export_rejects_other_formats_naming_allowed_values(api) -> None:
    r = await api.get("/api/analytics/export", params={"format": "xlsx"})
    assert r.status_code == 422
    body = r.json()
    assert body["fields"][0]["field"] == "format" and "allowed values: csv" in body["detail"]


async def test_routes_need_a_signed_in_user(app) -> None:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as anon:
        for path in ("/api/analytics/summary", "/api/analytics/history", "/api/analytics/export", "/api/sessions"):
            assert (await anon.get(path)).status_code == 401


async def test_export_round_trips_to_the_summary_and_is_neutralised(app, api, db) -> None:
    async with db() as s:
        evil = await add_strategy(s, '=HYPERLINK("http://x","y")')
        await add_session(s, evil, closed_at=utc(2025, 6, 29, 10), gross="7", fees="1", exit_reason="=cmd|' /C calc'!A0")
        await add_session(s, evil, closed_at=utc(2025, 6, 30, 10), gross="-3", fees="0.25", credit="9", debit="12")
        await add_session(s, evil, closed_at=None, credit="4", fees="0.1")
    set_clock(app, NOW)
    params = {"preset": "30d", "tz": "Asia/Kolkata", "starting_capital": "500"}
    summary = (await api.get("/api/analytics/summary", params=params)).json()
    r = await api.get("/api/analytics/export", params={**params, "format": "csv"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"].startswith("text/csv")
    assert re.fullmatch(r'attachment; filename="analytics-export-20250630-120000\.csv"', r.headers["content-disposition"])
    text = r.text
    # neutralised on the wire: the exit reason starts with ' ; numbers such as -3.25 are not touched
    assert "'=cmd|" in text and ",=cmd" not in text
    sections = parse_export_csv(text)
    assert list(sections) == ["metadata", "metrics", "daily", "timeline"]
    meta = metrics_as_dict(sections["metadata"])
    assert meta["preset"] == "30d" and meta["timezone"] == "Asia/Kolkata" and meta["trade_count"] == "2"
    assert meta["open_session_count"] == "1" and meta["app_version"]
    assert int(meta["timeline_row_count"]) == len(sections["timeline"])
    assert int(meta["daily_row_count"]) == len(sections["daily"]) == 2
    exported = summary_from_export(sections)
    s = summary["summary"]
    assert str(exported.net_pnl) == s["net_pnl"] == "2.75"
    assert str(exported.fees) == s["fees"] and str(exported.gross_pnl) == s["gross_pnl"]
    assert exported.trade_count == s["trade_count"] and exported.win_rate == s["win_rate"]
    assert exported.sharpe_ratio == pytest.approx(s["sharpe_ratio"])
    assert str(exported.drawdown.max_drawdown) == s["drawdown"]["max_drawdown"]
    assert exported.unrealized.open_sessions == 1 and exported.unrealized.unrealized_pnl is None
    assert [x.key for x in exported.by_exit_reason] == [x["key"] for x in s["by_exit_reason"]]
    assert "=cmd|' /C calc'!A0" in [x.key for x in exported.by_exit_reason]
    # timeline rows: orders, fills and events with session, symbol, side, qty, price, fees, PnL
    tl = sections["timeline"]
    kinds = {row["entry_type"] for row in tl}
    assert kinds == {"order", "fill", "event"}
    fills = [row for row in tl if row["entry_type"] == "fill"]
    assert sum(Decimal(f["fee"]) for f in fills) == Decimal("1.25") + Decimal("0.1")  # order rows carry no fee
    assert all(row["fee"] == "" for row in tl if row["entry_type"] == "order")
    closes = [row for row in tl if row["message"].startswith("closed")]
    assert sorted(c["realized_pnl"] for c in closes) == ["-3.25", "6"]
    assert all(f["symbol"] and f["side"] == "sell" and f["quantity"] == "1" for f in fills)


async def test_export_streams_many_timeline_rows(app, api, db, monkeypatch) -> None:
    async with db() as s:
        strat = await add_strategy(s)
        for i in range(40):
            await add_session(s, strat, closed_at=utc(2025, 6, 1) + timedelta(hours=i), gross="1", fees="0.1", events=500)
    set_clock(app, NOW)
    chunks = 0
    async with api.stream("GET", "/api/analytics/export", params={"preset": "all"}) as r:
        assert r.status_code == 200
        data = b""
        async for chunk in r.aiter_raw():
            chunks += 1
            data += chunk
    sections = parse_export_csv(data.decode())
    assert len(sections["timeline"]) == 40 * (500 + 1 + 4) == 20200
    assert int(metrics_as_dict(sections["metadata"])["timeline_row_count"]) == 20200
    assert chunks >= 1
    # the generator reads batch after batch, each in its own short DB session
    from deltaplane.analytics import queries

    ids = [r["session_id"] for r in sections["timeline"][::505]]
    monkeypatch.setattr(queries, "TIMELINE_SESSION_BATCH", 10)
    sizes = [len(b) async for b in queries.iter_timeline(app.state.services.read_sessionmaker, ids)]
    assert sizes == [5050, 5050, 5050, 5050]
    # per session, rows are in time order
    first = [r for r in sections["timeline"] if r["session_id"] == sections["timeline"][0]["session_id"]]
    assert [r["timestamp"] for r in first] == sorted(r["timestamp"] for r in first)


async def test_ledger_cache_reloads_only_on_change(app, api, db) -> None:
    from deltaplane.analytics.queries import ledger_cache

    await seed(db)
    set_clock(app, NOW)
    cache = ledger_cache(app.state.services.extras)
    assert (await api.get("/api/analytics/summary", params={"preset": "all"})).status_code == 200
    first = cache.loads  # the start-up warm-up may have loaded the empty ledger already
    for _ in range(2):
        assert (await api.get("/api/analytics/summary", params={"preset": "all"})).status_code == 200
    assert cache.loads == first
    async with db() as s:  # an amendment of a closed trade's fees invalidates the cache
        from sqlalchemy import update

        from deltaplane.strategy.models import TradingSession

        await s.execute(update(TradingSession).where(TradingSession.gross_pnl == Decimal("100")).values(fees=Decimal("3")))
    body = (await api.get("/api/analytics/summary", params={"preset": "all"})).json()
    assert cache.loads == first + 1 and body["summary"]["fees"] == "7.5"


async def test_empty_database(app, api) -> None:
    set_clock(app, datetime(2025, 1, 1, tzinfo=UTC))
    s = (await api.get("/api/analytics/summary")).json()["summary"]
    assert s["trade_count"] == 0 and s["win_rate"] is None and s["net_pnl"] == "0"
    r = await api.get("/api/analytics/export")
    assert r.status_code == 200 and parse_export_csv(r.text)["timeline"] == []

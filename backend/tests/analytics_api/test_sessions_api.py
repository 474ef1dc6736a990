"""Session history API: filters, pagination, detail, CSV export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from deltaplane.analytics.controllers import CLOCK_KEY
from tests.analytics_api.factories import add_session, add_strategy, utc


async def seed(db) -> tuple[int, int]:
    async with db() as s:
        a = await add_strategy(s, "@SUM(A1)")
        b = await add_strategy(s, "ETH")
        await add_session(s, a, session_id="s-tp", closed_at=utc(2025, 6, 28, 10), gross="30", fees="2", credit="40",
                          debit="10", exit_reason="take_profit")  # fmt: skip
        await add_session(s, a, session_id="s-ml", closed_at=utc(2025, 6, 29, 10), gross="-20", fees="2",
                          exit_reason="max_loss", mode="live")  # fmt: skip
        await add_session(s, b, session_id="s-eth", closed_at=utc(2025, 6, 30, 9), gross="5", fees="1", underlying="ETH")
        await add_session(s, a, session_id="s-open", closed_at=None, credit="25", created_at=utc(2025, 7, 1))
        return a.id, b.id


async def ids(api, **params) -> list[str]:
    r = await api.get("/api/sessions", params=params)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_filters(api, db) -> None:
    a, b = await seed(db)
    assert await ids(api) == ["s-open", "s-eth", "s-ml", "s-tp"]  # newest first by created_at
    assert await ids(api, strategy_id=b) == ["s-eth"]
    assert await ids(api, status="open") == ["s-open"]
    assert await ids(api, status="open,closed") == ["s-open", "s-eth", "s-ml", "s-tp"]
    assert await ids(api, underlying="eth") == ["s-eth"]
    assert await ids(api, mode="live") == ["s-ml"]
    assert await ids(api, exit_reason="take_profit") == ["s-tp"]
    assert await ids(api, start="2025-06-29", end="2025-06-30") == ["s-eth", "s-ml"]  # closed_at, inclusive end day
    assert await ids(api, start="2025-06-29T12:00:00Z") == ["s-eth"]  # open session has no closed_at
    assert await ids(api, date_field="created_at", start="2025-07-01") == ["s-open"]
    row = (await api.get("/api/sessions", params={"exit_reason": "take_profit"})).json()["items"][0]
    assert (row["credit"], row["gross_pnl"], row["fees"], row["net_pnl"]) == ("40", "30", "2", "28")
    assert row["strategy_name"] == "@SUM(A1)" and row["strategy_id"] == a


async def test_pagination(api, db) -> None:
    await seed(db)
    r = (await api.get("/api/sessions", params={"page": 2, "page_size": 3})).json()
    assert r["total"] == 4 and r["pages"] == 2 and r["page"] == 2 and [x["id"] for x in r["items"]] == ["s-tp"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"strategy_id": "x"}, "strategy_id"),
        ({"status": "running"}, "status"),
        ({"underlying": "DOGE"}, "underlying"),
        ({"mode": "demo"}, "mode"),
        ({"date_field": "updated_at"}, "date_field"),
        ({"start": "2025-06-30", "end": "2025-06-01"}, "end"),
        ({"start": "soon"}, "start"),
        ({"tz": "Nowhere/Land"}, "tz"),
        ({"preset": "decade"}, "preset"),
        ({"page": 0}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
    ],
)
async def test_param_errors_name_the_field(api, params, field) -> None:
    r = await api.get("/api/sessions", params=params)
    assert 400 <= r.status_code < 500, r.text
    body = r.json()
    assert field in body["detail"] or any(f["field"] == field for f in body.get("fields", [])), body


async def test_detail(api, db) -> None:
    await seed(db)
    r = await api.get("/api/sessions/s-tp")
    assert r.status_code == 200
    d = r.json()
    assert d["session"]["id"] == "s-tp" and d["session"]["net_pnl"] == "28"
    assert [leg["kind"] for leg in d["legs"]] == ["call", "put"]
    assert sum(float(leg["net_pnl"]) for leg in d["legs"]) == pytest.approx(28)
    assert len(d["orders"]) == 2 and len(d["fills"]) == 2 and d["fills_fees"] == "2"
    assert [e["kind"] for e in d["events"]] == ["session_note", "session_closed"]
    assert d["events"][-1]["data"] == {"net_pnl": "28"}
    missing = await api.get("/api/sessions/nope")
    assert missing.status_code == 404


async def test_export(app, api, db) -> None:
    await seed(db)
    app.state.services.extras[CLOCK_KEY] = lambda: utc(2025, 7, 2, 8, 30, 5)
    bad = await api.get("/api/sessions/export", params={"format": "xlsx"})
    assert bad.status_code == 422 and "allowed values: csv" in bad.json()["detail"]
    r = await api.get("/api/sessions/export", params={"strategy_id": 1})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert re.fullmatch(r'attachment; filename="sessions-export-20250702-083005\.csv"', r.headers["content-disposition"])
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["id"] for x in rows] == ["s-open", "s-ml", "s-tp"]
    assert rows[0]["strategy_name"] == "'@SUM(A1)"  # neutralised
    assert rows[1]["net_pnl"] == "-22"  # numbers untouched


async def test_export_keyset_batches(api, db, monkeypatch) -> None:
    from deltaplane.strategy import history

    async with db() as s:
        strat = await add_strategy(s)
        for i in range(25):
            await add_session(s, strat, closed_at=utc(2025, 6, 1, i % 24, i), with_legs=False, events=0)
    monkeypatch.setattr(history, "EXPORT_BATCH", 7)
    chunks = [c async for c in history.iter_sessions_csv(api.app.state.services.read_sessionmaker,
                                                        history.SessionFilter(), batch=7)]  # fmt: skip
    assert len(chunks) == 1 + 4
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len({x["id"] for x in rows}) == 25

"""Injection and hostile input: SQL/regex/LIKE metacharacters in filters, HTML/JS round-trips,
CSV formula neutralisation, path traversal against the SPA, oversize bodies, malformed JSON."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import ADMIN_PASSWORD, login
from tests.engine.harness import strategy_body
from tests.hardening.support import error_shape_problem, hardening_app

EVIL = [
    "'; DROP TABLE users; --",
    "1 OR 1=1",
    "\" OR \"\"=\"",
    "%",
    "_",
    "%_%",
    ".*",
    "(a+)+$",
    "[",
    "\\",
    "*",
    "NEAR(a b)",
    "\"unbalanced",
    "a OR b AND NOT c",
    "ünïcödé ✓ 🚀 中文",
    "\u202e\u200b\ufeff",
    "x" * 4_000,
    "{}",
    "-1",
    "9" * 40,
    "2026-13-45",
    "Etc/../../etc/passwd",
]

HUGE_INT = "9" * 40
BUG1_PARAMS = {"strategy_id", "page"}

SESSION_PARAMS = ["strategy_id", "status", "underlying", "mode", "exit_reason", "date_field", "start", "end", "preset", "tz", "page", "page_size"]
ANALYTICS_PARAMS = ["preset", "start", "end", "tz", "strategy_id", "starting_capital"]
LOG_PARAMS = ["level", "min_level", "logger", "logger_contains", "event", "correlation_id", "strategy_id", "session_id", "q", "start", "end", "cursor", "limit", "source"]
ROUTES = [
    ("/api/sessions", SESSION_PARAMS),
    ("/api/sessions/export", [*SESSION_PARAMS, "format"]),
    ("/api/analytics/summary", ANALYTICS_PARAMS),
    ("/api/analytics/history", ANALYTICS_PARAMS),
    ("/api/analytics/export", [*ANALYTICS_PARAMS, "format"]),
    ("/api/strategies", ["name", "q", "state"]),  # takes no filters: unknown params must be ignored safely
    ("/api/logs", LOG_PARAMS),
    ("/api/logs/summary", LOG_PARAMS),
    ("/api/logs/export", [*LOG_PARAMS, "format"]),
]


async def _seed(client: AsyncTestClient, admin: dict[str, str]) -> None:
    assert (await client.post("/api/strategies", json=strategy_body(), headers=admin)).status_code == 201
    r = await client.post("/api/logs/batch", json={"entries": [{"level": "INFO", "message": "hello world", "event": "seed"}]}, headers=admin)
    assert r.status_code in (202, 404), r.text  # 404 only if the logs API is absent


@pytest.mark.parametrize(("route", "params"), ROUTES, ids=[r for r, _ in ROUTES])
async def test_hostile_filter_values_never_5xx_and_leave_users_intact(tmp_path, route: str, params: list[str]) -> None:
    app = hardening_app(tmp_path)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        admin = await login(client)
        await _seed(client, admin)
        if (await client.get(route, headers=admin)).status_code == 404:
            pytest.skip(f"{route} is not registered")
        users_before = (await client.get("/api/users", headers=admin)).json()
        for param in params:
            for value in EVIL:
                if value == HUGE_INT and param in BUG1_PARAMS:
                    continue  # BUG-1, reproduced in test_regressions.py; keep the rest of this sweep meaningful
                r = await client.get(route, params={param: value}, headers=admin)
                where = f"{route}?{param}={value[:40]!r}"
                assert r.status_code < 500, f"{where} -> {r.status_code} {r.text[:200]}"
                if r.status_code >= 400:
                    assert error_shape_problem(r.status_code, r.headers, r.content) is None, where
                elif route == "/api/sessions":
                    assert r.json()["items"] == [], where  # no sessions exist: a filter cannot conjure rows
                elif route == "/api/logs" and param in ("q", "logger", "event", "correlation_id", "logger_contains"):
                    assert all(value.lower() in str(item).lower() for item in r.json()["items"]), where
        assert (await client.get("/api/users", headers=admin)).json() == users_before
        assert (await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})).status_code == 200


XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(document.cookie)>", "\"><svg/onload=alert(1)>", "{{7*7}}${7*7}"]


async def test_html_and_js_in_strategy_names_and_log_messages_round_trip_verbatim(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        for i, payload in enumerate(XSS):
            r = await client.post("/api/strategies", json=strategy_body(name=f"{payload} {i}"), headers=admin)
            assert r.status_code == 201, r.text
            assert r.headers["content-type"].startswith("application/json")
            got = await client.get(f"/api/strategies/{r.json()['id']}", headers=admin)
            assert got.json()["name"] == f"{payload} {i}"
            assert got.headers["x-content-type-options"] == "nosniff"
        names = [s["name"] for s in (await client.get("/api/strategies", headers=admin)).json()]
        assert names == [f"{p} {i}" for i, p in enumerate(XSS)]
        r = await client.post("/api/logs/batch", json={"entries": [{"level": "ERROR", "message": p, "event": "xss"} for p in XSS]}, headers=admin)
        if r.status_code == 404:
            return
        assert r.status_code == 202, r.text
        rows = (await client.get("/api/logs", params={"event": "xss", "limit": 50}, headers=admin)).json()["items"]
        assert sorted(row["message"] for row in rows) == sorted(XSS)


FORMULAS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTAB=1", "\rCR=1", "=HYPERLINK(\"http://evil\",\"x\")", "\n=2+2", " =1+1"]


async def test_log_csv_export_neutralises_formula_cells(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        entries = [{"level": "WARNING", "message": f, "event": "formula", "logger": f} for f in FORMULAS]
        r = await client.post("/api/logs/batch", json={"entries": entries}, headers=admin)
        if r.status_code == 404:
            pytest.skip("logs API not registered")
        assert r.status_code == 202, r.text
        out = await client.get("/api/logs/export", params={"format": "csv", "event": "formula"}, headers=admin)
        assert out.status_code == 200
        rows = list(csv.DictReader(io.StringIO(out.text)))
        assert len(rows) == len(FORMULAS)
        for row in rows:
            for column in ("message", "logger"):
                assert row[column][:1] not in ("=", "+", "-", "@", "\t", "\r", "\n", " "), (column, row[column])
        assert sorted(row["message"] for row in rows) == sorted("'" + f for f in FORMULAS)


async def test_sessions_and_analytics_csv_neutralise_formula_cells(tmp_path) -> None:
    from tests.analytics_api.factories import add_session, add_strategy, utc

    app = hardening_app(tmp_path)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        admin = await login(client)
        async with app.state.services.sessionmaker() as db:
            for i, f in enumerate(FORMULAS):
                strategy = await add_strategy(db, name=f"{f}")
                await add_session(db, strategy, closed_at=utc(2025, 6, 2 + i), gross="10", fees="1", exit_reason=f)
            await db.commit()
        sessions = await client.get("/api/sessions/export", params={"format": "csv", "tz": "UTC"}, headers=admin)
        assert sessions.status_code == 200, sessions.text
        rows = list(csv.DictReader(io.StringIO(sessions.text)))
        assert len(rows) == len(FORMULAS)
        for row in rows:
            for column in ("strategy_name", "exit_reason"):
                assert row[column][:1] not in ("=", "+", "-", "@", "\t", "\r", "\n", " "), (column, row[column])
        analytics = await client.get("/api/analytics/export", params={"format": "csv", "preset": "all"}, headers=admin)
        assert analytics.status_code == 200, analytics.text
        for record in csv.reader(io.StringIO(analytics.text)):
            for cell in record:
                text = cell.strip()
                if text[:1] in ("=", "+", "@", "\t", "\r"):
                    raise AssertionError(f"formula cell in analytics export: {record}")
                if text.startswith("-"):  # a negative number is fine, text starting with '-' is not
                    float(text)


# --- path traversal against the embedded SPA -------------------------------------------------------


@pytest.fixture
def spa(tmp_path: Path) -> Path:
    dist = tmp_path / "site" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>INDEX</title>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    (tmp_path / "site" / "secret.txt").write_text("TOP-SECRET-OUTSIDE-DIST")
    (dist / "assets" / "link.txt").symlink_to(tmp_path / "site" / "secret.txt")
    return dist


TRAVERSALS = [
    "/assets/../../secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/%2e%2e/secret.txt",
    "/..%2fsecret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/assets/%252e%252e/%252e%252e/secret.txt",
    "/assets/..\\..\\secret.txt",
    "/assets/....//....//secret.txt",
    "//etc/passwd",
    "/assets/../../../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/assets/link.txt",
    "/assets/app.js%00.html",
]


async def test_spa_path_traversal_never_serves_files_outside_dist(tmp_path, spa: Path) -> None:
    app = hardening_app(tmp_path, serve_spa=True, spa_dist=str(spa))
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        assert (await client.get("/assets/app.js")).text == "console.log('app')"
        for raw in TRAVERSALS:
            # Send the path byte-for-byte (httpx would otherwise normalise dot segments).
            status, body = await _raw_get(app, raw)
            assert b"TOP-SECRET" not in body and b"root:" not in body, raw
            assert status in (200, 400, 404), (raw, status)
            if status == 200:
                assert b"INDEX" in body, (raw, body[:80])  # deep-link fallback only


async def _raw_get(app, raw: str) -> tuple[int, bytes]:
    """Drive the ASGI app with an exact raw path, as a proxy that does not normalise would."""
    from urllib.parse import unquote

    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": unquote(raw), "raw_path": raw.encode(), "root_path": "", "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
        "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    return status, b"".join(chunks)


# --- body limits and malformed JSON ---------------------------------------------------------------


async def test_oversize_bodies_are_413_in_the_error_shape(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path, max_request_body_bytes=4096), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        big = strategy_body(name="n" * 90)
        big["trailing_rules"] = [{"trigger_pct": "10", "lock_pct": "1"}] * 400
        for path in ("/api/strategies", "/api/logs/batch", "/api/auth/login"):
            r = await client.post(path, json=big, headers=admin)
            assert r.status_code == 413, (path, r.status_code, r.text[:200])
            assert error_shape_problem(413, r.headers, r.content) is None
            assert r.json()["error"] == "payload_too_large"
        assert (await client.get("/api/strategies", headers=admin)).json() == []


MALFORMED = [
    (b"{not json", "application/json"),
    (b'{"name": "x",}', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"null", "application/json"),
    (b'"just a string"', "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    # deeply nested JSON -> 500 is BUG-3, reproduced in test_regressions.py
    # note: Litestar decodes a JSON body whatever the Content-Type (text/plain included); with Bearer
    # auth (no cookies on these routes) that is not a CSRF vector, so it is not asserted against.
    (b"name=x", "application/x-www-form-urlencoded"),
]


@pytest.mark.parametrize(("path", "method"), [("/api/strategies", "POST"), ("/api/auth/login", "POST"), ("/api/strategies/1/actions", "POST"), ("/api/engine/risk", "PUT")])
async def test_malformed_json_is_4xx_naming_the_problem(tmp_path, path: str, method: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        assert (await client.post("/api/strategies", json=strategy_body(), headers=admin)).status_code == 201
        for body, ctype in MALFORMED:
            r = await client.request(method, path, content=body, headers={**admin, "content-type": ctype})
            assert 400 <= r.status_code < 500, (path, body[:30], r.status_code, r.text[:200])
            assert error_shape_problem(r.status_code, r.headers, r.content) is None, (path, body[:30], r.text[:200])
            detail = r.json()["detail"].lower()
            assert any(word in detail for word in ("json", "expected", "body", "malformed", "decode", "object", "missing", "required", "field")), (body[:30], detail)
        assert len((await client.get("/api/strategies", headers=admin)).json()) == 1


async def test_empty_body_says_the_body_is_missing(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        r = await client.post("/api/strategies", content=b"", headers={**admin, "content-type": "application/json"})
        assert r.status_code in (400, 422)
        assert any(w in r.json()["detail"].lower() for w in ("body", "json", "missing", "required", "empty")), r.json()["detail"]

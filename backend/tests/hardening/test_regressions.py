"""Minimal reproductions of 5xx found by the hardening suite. Each must answer a 4xx in the error shape.

BUG-1: integer ids beyond SQLite's signed 64-bit range (path ids, ``strategy_id`` query filters and
``page``) reach the driver, which raises ``OverflowError: Python int too large to convert to SQLite
INTEGER`` -> 500 (on the streamed sessions export the response has already started, so the
connection breaks mid-body instead). Found by test_fuzz_schema.py.
"""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import login
from tests.hardening.support import error_shape_problem, hardening_app

HUGE = 2**63  # one past SQLite's INTEGER maximum

OUT_OF_RANGE_IDS = [
    ("GET", f"/api/strategies/{HUGE}"),
    ("PUT", f"/api/strategies/{HUGE}"),
    ("DELETE", f"/api/strategies/{HUGE}"),
    ("GET", f"/api/strategies/{HUGE}/runtime"),
    ("GET", f"/api/strategies/{HUGE}/preview"),
    ("GET", f"/api/strategies/{HUGE}/versions"),
    ("POST", f"/api/strategies/{HUGE}/clone"),
    ("POST", f"/api/strategies/{HUGE}/actions"),
    ("PATCH", f"/api/users/{HUGE}"),
    ("DELETE", f"/api/users/{HUGE}"),
    ("DELETE", f"/api/auth/api-keys/{HUGE}"),
    ("GET", f"/api/sessions?strategy_id={HUGE}"),
    ("GET", f"/api/sessions?page={HUGE}"),
    ("GET", f"/api/analytics/summary?strategy_id={HUGE}"),
    ("GET", f"/api/analytics/history?strategy_id={HUGE}"),
    ("GET", f"/api/analytics/export?strategy_id={HUGE}"),
    ("GET", f"/api/sessions/export?strategy_id={HUGE}"),
]

BODIES = {
    "PUT": {"name": "x"},
    "POST": {"action": "stop"},
    "PATCH": {"is_active": False},
}


@pytest.mark.parametrize(("method", "path"), OUT_OF_RANGE_IDS, ids=[f"{m} {p.split('?')[0]}{'?' + p.split('?')[1].split('=')[0] if '?' in p else ''}" for m, p in OUT_OF_RANGE_IDS])
async def test_bug1_out_of_range_integer_ids_are_4xx_not_500(tmp_path, method: str, path: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        body = BODIES.get(method) if "/clone" not in path else None
        r = await client.request(method, path, json=body, headers=admin)
        assert 400 <= r.status_code < 500, f"{method} {path} -> {r.status_code} {r.text[:200]}"
        assert error_shape_problem(r.status_code, r.headers, r.content) is None


# BUG-2 (fixed): a very long `tz` made zoneinfo raise OSError(ENAMETOOLONG), which only
# ZoneInfoNotFoundError/ValueError handlers did not catch -> 500 on every range endpoint and on
# strategy configs. Fix: analytics/ranges.py resolve_timezone and strategy/rules/local_time.py zone()
# also catch OSError.
@pytest.mark.parametrize("path", ["/api/sessions", "/api/analytics/summary", "/api/analytics/history", "/api/analytics/export", "/api/sessions/export"])
async def test_bug2_overlong_timezone_is_422_naming_tz(tmp_path, path: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        r = await client.get(path, params={"tz": "x" * 300}, headers=admin)
        assert r.status_code == 422, r.text[:200]
        assert r.json()["fields"][0]["field"] == "tz"


async def test_bug2_overlong_strategy_timezone_is_422(tmp_path) -> None:
    from tests.engine.harness import strategy_body

    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        r = await client.post("/api/strategies", json=strategy_body(timezone="Asia/" + "x" * 300), headers=admin)
        assert r.status_code == 422, r.text[:200]
        assert error_shape_problem(422, r.headers, r.content) is None


# BUG-3 (open): a deeply nested JSON body makes msgspec raise RecursionError while Litestar decodes
# the request body; it is not a SerializationException, so it reaches internal_error_handler -> 500.
@pytest.mark.parametrize("path", ["/api/auth/login", "/api/strategies"])
async def test_bug3_deeply_nested_json_is_4xx_not_500(tmp_path, path: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path), base_url="http://127.0.0.1") as client:
        admin = await login(client)
        r = await client.post(path, content=b"[" * 5000 + b"]" * 5000, headers={**admin, "content-type": "application/json"})
        assert 400 <= r.status_code < 500, r.text[:200]
        assert error_shape_problem(r.status_code, r.headers, r.content) is None


# BUG-4 (fixed): a NUL byte in an SPA path (/assets/app.js%00.html) made Path.resolve()/is_file()
# raise ValueError("embedded null byte") -> 500 on an unauthenticated route. Fix: system/spa.py
# _resolve refuses paths containing NUL.
async def test_bug4_nul_byte_in_spa_path_is_404(tmp_path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("INDEX")
    async with AsyncTestClient(app=hardening_app(tmp_path, serve_spa=True, spa_dist=str(dist)), base_url="http://127.0.0.1") as client:
        r = await client.get("/assets/app.js%00.html")
        assert r.status_code == 404, r.text[:200]
        assert error_shape_problem(404, r.headers, r.content) is None

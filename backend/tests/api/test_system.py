"""Health, readiness, metrics, headers, limits, logging, SPA serving."""

from __future__ import annotations

import json
from pathlib import Path

from litestar.testing import AsyncTestClient

from deltaplane.app import create_app
from tests.conftest import login, make_settings


async def test_readiness_reports_database_and_migrations(client: AsyncTestClient) -> None:
    r = await client.get("/api/health/ready")
    assert r.status_code == 200
    names = {c["name"]: c for c in r.json()["checks"]}
    assert names["database"]["ok"] and names["migrations"]["ok"]


async def test_metrics_need_admin_or_metrics_token(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, metrics_token="scrape-token-abcdefghijklmnop"))
    async with AsyncTestClient(app=app) as c:
        await c.get("/api/health")
        assert (await c.get("/api/metrics")).status_code == 401
        assert (await c.get("/api/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        r = await c.get("/api/metrics", headers={"Authorization": "Bearer scrape-token-abcdefghijklmnop"})
        assert r.status_code == 200
        assert 'deltaplane_http_requests_total{method="GET",route="/api/health",status="200"}' in r.text
        assert "process_cpu_seconds_total" in r.text
        admin = await login(c)
        assert (await c.get("/api/metrics", headers=admin)).status_code == 200


async def test_correlation_id_is_echoed_or_generated_and_security_headers_set(client: AsyncTestClient) -> None:
    r = await client.get("/api/health", headers={"X-Correlation-ID": "abc-123"})
    assert r.headers["x-correlation-id"] == "abc-123"
    r = await client.get("/api/health", headers={"X-Request-ID": "req-9"})
    assert r.headers["x-correlation-id"] == "req-9"
    r = await client.get("/api/health", headers={"X-Correlation-ID": "bad id with spaces<script>"})
    assert r.headers["x-correlation-id"] != "bad id with spaces<script>" and len(r.headers["x-correlation-id"]) == 32
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


async def test_per_ip_rate_limit_answers_429_in_the_error_shape(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, rate_limit_per_minute=5))
    async with AsyncTestClient(app=app) as c:
        codes = [(await c.get("/api/auth/me")).status_code for _ in range(7)]
        assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
        r = await c.get("/api/auth/me")
        assert r.json()["error"] == "too_many_requests" and int(r.headers["retry-after"]) >= 1
        assert (await c.get("/api/health")).status_code == 200  # probes are exempt


async def test_oversize_body_is_413(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, max_request_body_bytes=1024))
    async with AsyncTestClient(app=app) as c:
        r = await c.post("/api/auth/login", content=b'{"username":"' + b"a" * 4000 + b'"}', headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


async def test_unknown_api_route_is_404_json(client: AsyncTestClient) -> None:
    r = await client.get("/api/does-not-exist")
    assert r.status_code in (401, 404)


async def test_cors_allows_only_listed_origins(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, allowed_origins=("https://desk.example",)))
    async with AsyncTestClient(app=app) as c:
        ok = await c.options("/api/auth/login", headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "POST"})
        assert ok.headers.get("access-control-allow-origin") == "https://desk.example"
        assert ok.headers.get("access-control-allow-credentials") == "true"
        bad = await c.options("/api/auth/login", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert bad.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_log_file_has_one_json_object_per_line_with_context_and_no_secrets(tmp_path) -> None:
    settings = make_settings(tmp_path)
    app = create_app(settings)
    async with AsyncTestClient(app=app) as c:
        await c.post("/api/auth/login", json={"username": "admin", "password": "wrong-password-x"}, headers={"X-Correlation-ID": "corr-1"})
        headers = await login(c)
        await c.get("/api/auth/me", headers={**headers, "X-Correlation-ID": "corr-2"})
    lines = Path(settings.log_file).read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for rec in records:
        for key in ("timestamp", "level", "logger", "event", "message", "correlation_id", "request_id", "strategy_id", "session_id"):
            assert key in rec
        assert rec["timestamp"].endswith("Z") and len(rec["timestamp"]) == 27
    summary = [r for r in records if r["event"] == "http_request" and r["correlation_id"] == "corr-2"]
    assert summary and summary[0]["status"] == 200 and summary[0]["user"] == "admin" and summary[0]["route"] == "/api/auth/me"
    assert "duration_ms" in summary[0] and summary[0]["method"] == "GET"
    failed = [r for r in records if r["event"] == "login_failed"]
    assert failed and failed[0]["correlation_id"] == "corr-1"
    text = "\n".join(lines)
    assert "wrong-password-x" not in text and "admin-pass-123" not in text and headers["Authorization"][7:] not in text


async def test_spa_is_served_with_deep_link_fallback_and_asset_caching(tmp_path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app-abc123.js").write_text("console.log(1)")
    app = create_app(make_settings(tmp_path, serve_spa=True, spa_dist=str(dist)))
    async with AsyncTestClient(app=app) as c:
        root = await c.get("/")
        assert root.status_code == 200 and "root" in root.text and root.headers["cache-control"] == "no-cache"
        assert root.headers["content-type"].startswith("text/html")
        deep = await c.get("/strategies/42")
        assert deep.status_code == 200 and "root" in deep.text
        asset = await c.get("/assets/app-abc123.js")
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        assert "javascript" in asset.headers["content-type"]
        assert (await c.get("/assets/missing.js")).status_code == 404
        assert (await c.get("/api/nothing-here")).status_code in (401, 404)
        traversal = await c.get("/..%2f..%2fetc%2fpasswd")
        assert "root:" not in traversal.text
    # the SPA's files are not logged one line each at INFO (they flooded the Log Viewer); failures are
    settings = app.state.services.settings
    served = [json.loads(line) for line in Path(settings.log_file).read_text().splitlines()]
    paths = {r["path"] for r in served if r["event"] == "http_request"}
    assert "/assets/missing.js" in paths
    assert not paths & {"/", "/strategies/42", "/assets/app-abc123.js"}

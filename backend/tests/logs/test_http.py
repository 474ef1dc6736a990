from __future__ import annotations

import asyncio
import csv
import io

import pytest
from conftest import make_line

from deltaplane.app import create_app
from deltaplane.settings import Settings
from tests.conftest import in_loop_client

PASSWORD = "correct-horse-battery-staple-1"


@pytest.fixture
async def client(tmp_path):
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    (log_dir / "backend.log").write_bytes(b"".join(make_line(i, level=["INFO", "WARN"][i % 2]) for i in range(30)) + b"=cmd|' /C calc'!A0\n")
    settings = Settings(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", log_dir=str(log_dir),
        serve_spa=False, initial_admin_password=PASSWORD, log_to_stdout=False, log_ingest_api_key="ingest-key-123",
        backend_log_poll_interval=0.05, log_batch_max_entries=5, log_batch_max_entry_bytes=400,
        backend_log_retention_days=0,  # the seeded lines are dated in the past: keep them
        backend_log_ingest_process=False,  # in-process tailer: fast set-up (the child: test_ingest_process)
    )  # fmt: skip
    app = create_app(settings)
    async with in_loop_client(app) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
        assert r.status_code in (200, 201), r.text
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        tail = app.state.services.extras["log_tail"]
        # the app (and its tail task) runs on the client's portal loop: wait, bounded, for the
        # observable condition "seeded file fully ingested" rather than driving poll_once here
        for _ in range(2000):
            stats = tail.stats()
            if stats["lag_bytes"] == 0 and stats["lines_ingested"] >= 31:
                break
            await asyncio.sleep(0.01)
        assert tail.stats()["lines_ingested"] >= 31
        yield c


async def test_list_filters_and_pagination(client):
    r = await client.get("/api/logs", params={"level": ["WARN"], "logger": "deltaplane.test", "limit": 4})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["items"]) == 4 and all(i["level"] == "WARNING" for i in body["items"])
    r2 = await client.get("/api/logs", params={"level": "WARNING", "logger": "deltaplane.test", "limit": 4, "cursor": body["next_cursor"]})
    assert not {i["id"] for i in body["items"]} & {i["id"] for i in r2.json()["items"]}
    r = await client.get("/api/logs", params={"correlation_id": "c3"})
    assert [i["correlation_id"] for i in r.json()["items"]] == ["c3"]
    r = await client.get("/api/logs", params={"q": '"unbalanced (NEAR *'})
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [({"start": "nope"}, "start"), ({"end": "2026-13-01"}, "end"), ({"cursor": "zzz"}, "cursor"), ({"limit": 0}, "limit"), ({"limit": 1001}, "limit")],
)
async def test_list_validation(client, params, field):
    r = await client.get("/api/logs", params=params)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "validation_error" and field in body["detail"]


async def test_requires_auth(client):
    r = await client.get("/api/logs", headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"


async def test_summary(client):
    r = await client.get("/api/logs/summary")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts_by_level"].get("WARNING") == 15, body and body["counts_by_level"]["RAW"] == 1
    assert body["latest_warning"]["level"] == "WARNING"
    assert body["ingestion"]["enabled"] is True and "lag_seconds" in body["ingestion"]


async def test_export_csv(client):
    r = await client.get("/api/logs/export", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert "logs-export-" in r.headers["content-disposition"] and ".csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ["id", "timestamp", "level"] and len(rows) >= 32
    raw = [row for row in rows if row[2] == "RAW"][0]
    assert raw[5].startswith("'=")
    bad = await client.get("/api/logs/export", params={"format": "xlsx"})
    assert bad.status_code == 422 and "format" in bad.json()["detail"] and "csv" in bad.json()["detail"]


async def test_batch_user_and_key(client):
    r = await client.post("/api/logs/batch", json={"entries": [{"level": "warn", "message": "ui oops", "logger": "router"}]})
    assert r.status_code == 202 and r.json() == {"stored": 1}
    r = await client.get("/api/logs", params={"logger": "frontend.router"})
    item = r.json()["items"][0]
    assert item["level"] == "WARNING" and item["source"] == "frontend" and item["payload"]["user"] == "admin"
    r = await client.post("/api/logs/batch", json={"entries": [{"message": "ext"}]}, headers={"Authorization": "", "X-Log-Ingest-Key": "ingest-key-123"})
    assert r.status_code == 202
    r = await client.get("/api/logs", params={"source": "external"})
    assert r.json()["items"][0]["logger"] == "external.app"


async def test_batch_entries_are_stored_with_secrets_redacted(client):
    entry = {
        "message": "WebSocket failed: wss://h/api/ws?ticket=HSCLfThmJwxIF_ftin9oQOCPlmbk1pR8",
        "logger": "ws",
        "context": {"url": "/api/x?api_key=s3cr3tvalue", "authorization": "Bearer abc", "attempt": 2},
    }
    r = await client.post("/api/logs/batch", json={"entries": [entry]})
    assert r.status_code == 202, r.text
    item = (await client.get("/api/logs", params={"logger": "frontend.ws"})).json()["items"][0]
    assert item["message"] == "WebSocket failed: wss://h/api/ws?ticket=[REDACTED]"
    assert item["payload"]["context"] == {"url": "/api/x?api_key=[REDACTED]", "authorization": "[REDACTED]", "attempt": 2}
    export = (await client.get("/api/logs/export", params={"format": "csv", "logger": "frontend.ws"})).text
    assert "HSCLfThm" not in export and "s3cr3tvalue" not in export and "Bearer abc" not in export


async def test_batch_rejections(client):
    no_auth = {"Authorization": ""}
    assert (await client.post("/api/logs/batch", json={"entries": [{"message": "x"}]}, headers=no_auth)).status_code == 401
    bad_key = {"Authorization": "", "X-Log-Ingest-Key": "wrong"}
    assert (await client.post("/api/logs/batch", json={"entries": [{"message": "x"}]}, headers=bad_key)).status_code == 401
    r = await client.post("/api/logs/batch", json={"entries": []})
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    r = await client.post("/api/logs/batch", json={"entries": [{"message": "x"}] * 6})
    assert r.status_code == 413 and "5" in r.json()["detail"]
    r = await client.post("/api/logs/batch", json={"entries": [{"message": "x"}, {"message": "y" * 500}]})
    assert r.status_code == 413 and "entries[1]" in r.json()["detail"] and "400" in r.json()["detail"]
    r = await client.post("/api/logs/batch", json={"entries": [{"message": "x"}] * 3 + [{"message": "x", "level": "LOUD"}]})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "entries[3].level"
    r = await client.post("/api/logs/batch", json={"entries": [{"level": "info"}]})
    assert r.status_code == 422 and "entries[0].message" in r.json()["detail"]


async def test_readiness_reports_ingestion(client):
    r = await client.get("/api/health/ready")
    checks = {c["name"]: c for c in r.json()["checks"]}
    assert "log_ingestion" in checks and "lag_bytes" in checks["log_ingestion"]


async def test_metrics_expose_ingestion_rate_and_lag(client):
    # Every request (this one too) appends its own line to backend.log after responding, so the
    # lag is 0 only once the tailer has caught up with the previous one: wait, bounded, for that.
    for _ in range(500):
        r = await client.get("/api/metrics")
        assert r.status_code == 200, r.text
        values = {line.split(" ")[0]: float(line.split(" ")[1]) for line in r.text.splitlines() if line.startswith("deltaplane_log_ingest")}
        if values["deltaplane_log_ingest_lag_bytes"] == 0.0:
            break
        await asyncio.sleep(0.01)
    assert values["deltaplane_log_ingest_running"] == 1.0
    assert values["deltaplane_log_ingest_lag_bytes"] == 0.0
    assert values["deltaplane_log_ingest_lines_per_second"] >= 0.0 and "deltaplane_log_ingest_lag_seconds" in values

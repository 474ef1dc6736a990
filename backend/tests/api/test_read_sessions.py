"""GET handlers read through a deferred-BEGIN session: they never queue for SQLite's write lock
(held here by another connection, as the strategy engine or the log tailer would), while writes
still do."""

from __future__ import annotations

import sqlite3

from deltaplane.app import create_app
from tests.conftest import in_loop_client, login, make_settings


async def test_gets_do_not_wait_for_the_write_lock_but_writes_do(tmp_path):
    settings = make_settings(tmp_path, sqlite_busy_timeout_ms=300)
    app = create_app(settings)
    async with in_loop_client(app) as client:
        headers = await login(client)
        holder = sqlite3.connect(tmp_path / "test.db", isolation_level=None, timeout=5)
        holder.execute("BEGIN IMMEDIATE")  # someone else is writing
        try:
            for path in ("/api/auth/me", "/api/strategies", "/api/users", "/api/auth/api-keys"):
                r = await client.get(path, headers=headers)
                assert r.status_code == 200, (path, r.status_code, r.text)
            # a write cannot get the lock within the busy timeout (proves the lock was really held):
            # a clear, retryable 503 in the one error shape, and nothing half-written
            r = await client.post("/api/auth/api-keys", json={"name": "while locked"}, headers=headers)
            assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
            assert r.json()["detail"] == "the database is busy; retry in a moment" and r.json()["correlation_id"]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        r = await client.post("/api/auth/api-keys", json={"name": "after"}, headers=headers)
        assert r.status_code in (200, 201), r.text
        names = [k["name"] for k in (await client.get("/api/auth/api-keys", headers=headers)).json()]
        assert "while locked" not in names and "after" in names

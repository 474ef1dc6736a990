"""kill -9 the real API process while a paper strangle is open, start it again, and check the
engine resumed the same session: no duplicate orders, every leg accounted for, then a clean exit.
The paper account lives in the same SQLite file, so it survives the kill like an exchange would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

CLI = Path(sys.executable).parent / "deltaplane"
PASSWORD = "kill9-admin-pass-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}",
        "LOG_DIR": str(tmp / "logs"),
        "INITIAL_ADMIN_PASSWORD": PASSWORD,
        "SERVE_SPA": "false",
        "LOG_TO_STDOUT": "false",
        "PAPER_TIME_SCALE": "30",
        "JWT_SECRET": "k" * 48,
    }
    out = open(tmp / f"server-{port}.out", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError((tmp / f"server-{port}.out").read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a starting process, bounded by the deadline
    proc.kill()
    raise AssertionError("server did not start")


def _poll(fn, what: str, timeout: float = 60.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)  # bounded poll of an external process's state
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(not CLI.exists(), reason="deltaplane CLI not installed in this venv")
def test_kill_9_with_open_legs_then_restart_resumes_without_duplicates(tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port)
    try:
        token = httpx.post(f"{base}/api/auth/login", json={"username": "admin", "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}
        # The paper clock runs 30x: an entry time two real seconds ahead (one simulated minute).
        now = datetime.now(UTC) + timedelta(minutes=1)
        body = {"name": "kill9", "timezone": "UTC", "entry_time": now.strftime("%H:%M"), "entry_window_minutes": 60,
                "exit_time": (now + timedelta(hours=5)).strftime("%H:%M"), "max_loss_pct": "500", "take_profit_pct": "99",
                "trailing_rules": []}
        sid = httpx.post(f"{base}/api/strategies", json=body, headers=h).json()["id"]
        assert httpx.post(f"{base}/api/strategies/{sid}/actions", json={"action": "start"}, headers=h).status_code == 200
        _poll(lambda: httpx.get(f"{base}/api/strategies/{sid}", headers=h).json()["state"] == "open", "the strangle to open")
        session_id = httpx.get(f"{base}/api/strategies/{sid}/runtime", headers=h).json()["session"]["id"]
        before = httpx.get(f"{base}/api/sessions/{session_id}", headers=h).json()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    port2 = _free_port()
    base2 = f"http://127.0.0.1:{port2}"
    proc2 = _start(tmp_path, port2)
    try:
        token = httpx.post(f"{base2}/api/auth/login", json={"username": "admin", "password": PASSWORD}).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}

        def recovered() -> dict | None:
            rt = httpx.get(f"{base2}/api/strategies/{sid}/runtime", headers=h).json()
            kinds = {e["kind"] for e in rt["events"]}
            return rt if {"engine_recovered", "reconciled"} <= kinds else None

        rt = _poll(recovered, "the engine to resume and reconcile")
        assert rt["state"] == "open" and rt["session"]["id"] == session_id
        after = httpx.get(f"{base2}/api/sessions/{session_id}", headers=h).json()
        ids = [o["client_order_id"] for o in after["orders"]]
        assert len(ids) == len(set(ids)) == len(before["orders"]) == 2  # nothing re-sent after the kill
        assert all(leg["entry_qty"] == 1 for leg in after["legs"])
        assert httpx.post(f"{base2}/api/strategies/{sid}/actions", json={"action": "stop"}, headers=h).status_code == 200
        _poll(lambda: httpx.get(f"{base2}/api/strategies/{sid}", headers=h).json()["state"] == "closed", "the exit")
        final = httpx.get(f"{base2}/api/sessions/{session_id}", headers=h).json()
        assert all(leg["entry_qty"] == leg["exit_qty"] == 1 for leg in final["legs"])
        assert final["session"]["exit_reason"] == "manual_stop"
    finally:
        proc2.send_signal(signal.SIGTERM)
        try:
            proc2.wait(15)
        except subprocess.TimeoutExpired:
            proc2.kill()

"""The real `deltaplane serve` process for the crash tests: start it on loopback, kill -9 it, start
it again on the same data directory, and read its SQLite file directly (the paper account lives in
the same file, in `paper_exchange_state`, so it survives a kill like an exchange would).

Waiting is always a bounded poll of an observable condition (HTTP state, a DB row), never a sleep
used as synchronisation."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

CLI = Path(sys.executable).parent / "deltaplane"
PASSWORD = "kill9-admin-pass-1"
#: a latency that never elapses within a test: the order stays "on the wire" until the kill
FOREVER_MS = "600000"

needs_cli = pytest.mark.skipif(not CLI.exists(), reason="deltaplane CLI not installed in this venv")

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(fn: Callable[[], T], what: str, timeout: float = 60.0, interval: float = 0.2) -> T:
    """`fn()` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(interval)  # bounded poll of an external process's state
    raise AssertionError(f"timed out waiting for {what}")


class Api:
    """One `deltaplane serve` run on a fresh loopback port. The data directory (SQLite file, logs)
    is `tmp` and outlives the process; `env` adds/overrides settings for this run only."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._headers: dict[str, str] | None = None
        full_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}",
            "LOG_DIR": str(tmp / "logs"),
            "INITIAL_ADMIN_PASSWORD": PASSWORD,
            "SERVE_SPA": "false",
            "LOG_TO_STDOUT": "false",
            "PAPER_TIME_SCALE": "30",
            "JWT_SECRET": "k" * 48,
            **env,
        }
        self.out_path = tmp / f"server-{self.port}.out"
        with open(self.out_path, "ab") as out:  # the child keeps its own descriptor
            self.proc = subprocess.Popen([str(CLI), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=full_env, stdout=out, stderr=out)
        try:
            poll(self._healthy, "the server to start", timeout=30, interval=0.1)
        except BaseException:
            self.kill9()
            raise

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(self.out_path.read_text())
        try:
            return httpx.get(f"{self.base}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    # --- process control ------------------------------------------------------------------------
    def kill9(self) -> None:
        """SIGKILL the server and check nothing it started (e.g. the log-ingest child) outlives it:
        a leftover child would keep writing to the database the restarted server uses."""
        children = _descendants(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        try:
            poll(lambda: not any(_alive(pid) for pid in children), "the server's children to die with it",
                 timeout=15, interval=0.05)
        except AssertionError:
            for pid in children:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"kill -9 of the API left processes behind: {[p for p in children if _alive(p)]}") from None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.terminate()

    # --- HTTP -----------------------------------------------------------------------------------
    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            r = httpx.post(f"{self.base}/api/auth/login", json={"username": "admin", "password": PASSWORD})
            self._headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        return self._headers

    def get(self, path: str) -> Any:
        r = httpx.get(f"{self.base}{path}", headers=self.headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        r = httpx.post(f"{self.base}{path}", json=body, headers=self.headers, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def start_strangle(self, name: str) -> int:
        """Create a paper strangle whose entry time is one simulated minute (2 s at 30x) away, start it."""
        now = datetime.now(UTC) + timedelta(minutes=1)
        body = {"name": name, "timezone": "UTC", "entry_time": now.strftime("%H:%M"), "entry_window_minutes": 60,
                "exit_time": (now + timedelta(hours=5)).strftime("%H:%M"), "max_loss_pct": "500",
                "take_profit_pct": "99", "trailing_rules": []}
        sid = self.post("/api/strategies", body)["id"]
        self.post(f"/api/strategies/{sid}/actions", {"action": "start"})
        return sid

    def state(self, strategy_id: int) -> str:
        return self.get(f"/api/strategies/{strategy_id}")["state"]


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (from /proc: ppid is the 2nd field after the command)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    stack = [pid]
    while stack:
        kids = children.get(stack.pop(), [])
        found += kids
        stack += kids
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited (reparented ones may wait for a reaper)


# --- the SQLite file, read from the test process ---------------------------------------------------
def db_rows(tmp: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """A short read on its own connection (the server may be writing: WAL lets both proceed)."""
    conn = sqlite3.connect(tmp / "db.sqlite", timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def db_value(tmp: Path, sql: str, params: tuple[Any, ...] = ()) -> Any:
    rows = db_rows(tmp, sql, params)
    return next(iter(rows[0].values())) if rows else None


def paper_state(tmp: Path) -> dict[str, Any]:
    """The paper account as the exchange itself persisted it (orders, positions, fills)."""
    text = db_value(tmp, "SELECT state_json FROM paper_exchange_state WHERE account = 'paper'")
    return json.loads(text) if text else {"orders": [], "positions": [], "fills": []}


def write_paper_state(tmp: Path, state: dict[str, Any]) -> None:
    """Only while no server runs: edit the account the way a manual trade on the exchange would."""
    conn = sqlite3.connect(tmp / "db.sqlite", timeout=10)
    try:
        with conn:
            conn.execute("UPDATE paper_exchange_state SET state_json = ? WHERE account = 'paper'",
                         (json.dumps(state, separators=(",", ":")),))
    finally:
        conn.close()


def paper_positions(tmp: Path) -> dict[str, int]:
    return {p["symbol"]: p["size"] for p in paper_state(tmp)["positions"] if p["size"]}


def session_of(tmp: Path, strategy_id: int) -> dict[str, Any] | None:
    rows = db_rows(tmp, "SELECT * FROM trading_sessions WHERE strategy_id = ? ORDER BY created_at DESC LIMIT 1",
                   (strategy_id,))
    return rows[0] if rows else None


def orders_of(tmp: Path, session_id: str, purpose: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM orders WHERE session_id = ?" + (" AND purpose = ?" if purpose else "") + " ORDER BY id"
    return db_rows(tmp, sql, (session_id, purpose) if purpose else (session_id,))


def legs_of(tmp: Path, session_id: str) -> list[dict[str, Any]]:
    return db_rows(tmp, "SELECT * FROM legs WHERE session_id = ? ORDER BY id", (session_id,))


def event_kinds(tmp: Path, strategy_id: int) -> list[str]:
    return [r["kind"] for r in db_rows(tmp, "SELECT kind FROM session_events WHERE strategy_id = ? ORDER BY id",
                                       (strategy_id,))]


def assert_books_agree(tmp: Path, strategy_id: int) -> None:
    """No duplicate orders and every leg accounted for, from both sides of the wire:

    * every order on the paper account was written down by the engine first (no order the DB does
      not know), and no client_order_id reached the exchange twice;
    * for every leg of every session of the strategy, the contracts the exchange filled are exactly
      what the DB books: sells == entry_qty, buys == exit_qty (a re-sent order would double them);
    * the engine booked each order's fills once (sum of `fills` rows == the order's filled size).
    """
    state = paper_state(tmp)
    sessions = [r["id"] for r in db_rows(tmp, "SELECT id FROM trading_sessions WHERE strategy_id = ?", (strategy_id,))]
    marks = ",".join("?" * len(sessions))
    db_orders = db_rows(tmp, f"SELECT * FROM orders WHERE session_id IN ({marks})", tuple(sessions))
    known = {o["client_order_id"] for o in db_orders}
    assert len(known) == len(db_orders), "the engine wrote one client_order_id twice"
    paper_ids = [o["client_order_id"] for o in state["orders"]]
    assert len(paper_ids) == len(set(paper_ids)), f"duplicate client_order_id on the exchange: {paper_ids}"
    assert set(paper_ids) <= known, f"orders on the exchange the engine never wrote down: {set(paper_ids) - known}"
    by_id = {o["id"]: o for o in state["orders"]}
    for row in db_orders:
        if row["exchange_order_id"] is not None:
            assert by_id[row["exchange_order_id"]]["client_order_id"] == row["client_order_id"]
        booked = db_value(tmp, "SELECT COALESCE(SUM(size), 0) FROM fills WHERE order_id = ?", (row["id"],))
        assert booked == row["filled_size"], f"order {row['client_order_id']}: fills {booked} != filled {row['filled_size']}"
    session_of_order = {o["client_order_id"]: o["session_id"] for o in db_orders}
    exchange_fills: dict[tuple[str, str, str], int] = {}
    for fill in state["fills"]:
        if fill["client_order_id"] in known:
            key = (session_of_order[fill["client_order_id"]], fill["symbol"], fill["side"])
            exchange_fills[key] = exchange_fills.get(key, 0) + fill["size"]
    for session_id in sessions:
        for leg in legs_of(tmp, session_id):
            sold = exchange_fills.get((session_id, leg["symbol"], "sell"), 0)
            bought = exchange_fills.get((session_id, leg["symbol"], "buy"), 0)
            assert sold == leg["entry_qty"] <= leg["target_qty"], (leg, exchange_fills)
            assert bought == leg["exit_qty"] <= leg["entry_qty"], (leg, exchange_fills)


def assert_positions_match_open_legs(tmp: Path, strategy_id: int, foreign: dict[str, int] | None = None) -> None:
    """The paper account holds exactly what the DB says is open (short = negative), plus `foreign`."""
    expected: dict[str, int] = dict(foreign or {})
    for leg in db_rows(tmp, "SELECT l.* FROM legs l JOIN trading_sessions s ON s.id = l.session_id "
                            "WHERE s.strategy_id = ?", (strategy_id,)):
        open_qty = leg["entry_qty"] - leg["exit_qty"]
        if open_qty:
            expected[leg["symbol"]] = expected.get(leg["symbol"], 0) - open_qty
    assert paper_positions(tmp) == expected

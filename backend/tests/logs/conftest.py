from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from deltaplane.db.engine import create_engine
from deltaplane.db.migrate import upgrade_database

sys.path.insert(0, str(Path(__file__).parent))

_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def db_file(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real SQLite file migrated to head (built once, copied per test)."""
    if "db" not in _TEMPLATE:
        template = tmp_path_factory.mktemp("template") / "template.db"
        upgrade_database(f"sqlite+aiosqlite:///{template}")
        _TEMPLATE["db"] = template
    target = tmp_path / "test.db"
    src = sqlite3.connect(_TEMPLATE["db"])
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture
def db_url(db_file: Path) -> str:
    return f"sqlite+aiosqlite:///{db_file}"


@pytest.fixture
async def engine(db_url: str):
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


BASE = datetime(2026, 1, 1, tzinfo=UTC)
_enc = msgspec.json.Encoder()


def make_line(i: int, **overrides) -> bytes:
    rec = {
        "timestamp": (BASE + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": "INFO",
        "logger": "deltaplane.test",
        "event": "line",
        "message": f"line {i}",
        "correlation_id": f"c{i}",
        "request_id": None,
        "strategy_id": None,
        "session_id": None,
        "seq": i,
    }
    rec.update(overrides)
    return _enc.encode(rec) + b"\n"


def stored_seqs(db_file: Path) -> list[int]:
    conn = sqlite3.connect(db_file)
    try:
        rows = conn.execute("SELECT payload, message FROM backend_logs ORDER BY id").fetchall()
    finally:
        conn.close()
    out = []
    for payload, message in rows:
        data = msgspec.json.decode(payload)
        out.append(data["seq"] if "seq" in data else message)
    return out


def count_rows(db_file: Path) -> int:
    conn = sqlite3.connect(db_file)
    try:
        return conn.execute("SELECT count(*) FROM backend_logs").fetchone()[0]
    finally:
        conn.close()

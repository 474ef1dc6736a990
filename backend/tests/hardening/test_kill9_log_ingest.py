"""kill -9 the real API process while it is ingesting logs/backend.log into backend_logs, several
times at different points, start it again each time, and check every line landed exactly once.

The tailer commits its checkpoint (file identity, offset) in the same SQLite transaction as the rows
it covers; this drives that guarantee through real process deaths. The app keeps writing its own
lines to the same file meanwhile (start-up, requests); only ours are counted, by their `event`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from tests.hardening.realproc import Api, db_rows, db_value, needs_cli, poll

EVENT = "kill9_ingest_line"
LINES = 30_000
INGEST = {"BACKEND_LOG_INGEST_ENABLED": "true", "BACKEND_LOG_BATCH_SIZE": "25", "BACKEND_LOG_POLL_INTERVAL": "0.05"}


def _append_numbered_lines(log_file: Path, count: int) -> int:
    """Append `count` distinct JSON lines with O_APPEND, whole lines per write (the app appends to the
    same file concurrently); returns the file size once they are all written."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND)
    try:
        for start in range(0, count, 1000):
            chunk = "".join(
                json.dumps({"timestamp": now, "level": "INFO", "logger": "tests.kill9", "event": EVENT,
                            "message": f"kill9 line {n:06d}", "n": n}, separators=(",", ":")) + "\n"
                for n in range(start, min(start + 1000, count))
            ).encode()
            assert os.write(fd, chunk) == len(chunk)
    finally:
        os.close(fd)
    return log_file.stat().st_size


def _ours(tmp: Path) -> int:
    return db_value(tmp, "SELECT COUNT(*) FROM backend_logs WHERE event = ?", (EVENT,))


@needs_cli
def test_kill_9_during_log_ingestion_then_restart_ingests_every_line_exactly_once(tmp_path: Path) -> None:
    api = Api(tmp_path, **INGEST)
    log_file = tmp_path / "logs" / "backend.log"
    written_up_to = _append_numbered_lines(log_file, LINES)
    at_kill = []
    for quarter in (1, 2, 3):
        try:
            poll(lambda q=quarter: _ours(tmp_path) >= LINES * q // 4, f"{quarter}/4 of the lines ingested",
                 interval=0.02)
        finally:
            api.kill9()
        at_kill.append(_ours(tmp_path))
        api = Api(tmp_path, **INGEST)
    with api:
        def caught_up() -> bool:
            offset = db_value(tmp_path, 'SELECT "offset" FROM log_ingest_checkpoints WHERE path = ?', (str(log_file),))
            return (offset or 0) >= written_up_to or _ours(tmp_path) > LINES  # (more than ours: fail now)

        poll(caught_up, "ingestion to pass the last of our lines")
        rows = db_rows(tmp_path, "SELECT message, COUNT(*) AS n FROM backend_logs WHERE event = ? GROUP BY message",
                       (EVENT,))
    dupes = {r["message"]: r["n"] for r in rows if r["n"] != 1}
    assert not dupes, f"lines stored more than once: {dict(list(dupes.items())[:10])} (counts at each kill: {at_kill})"
    assert {r["message"] for r in rows} == {f"kill9 line {n:06d}" for n in range(LINES)}, f"lost lines (counts at each kill: {at_kill})"
    print(f"ours ingested at each kill -9: {at_kill} of {LINES}")

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import msgspec
import pytest
from conftest import count_rows, make_line, stored_seqs

from deltaplane.logs.tail import BackendLogTailService


def tail_for(log: Path, db_url: str, **kw) -> BackendLogTailService:
    kw.setdefault("batch_size", 7)
    return BackendLogTailService(path=log, database_url=db_url, **kw)


async def drain(tail: BackendLogTailService, rounds: int = 200) -> int:
    total = 0
    for _ in range(rounds):
        n = await tail.poll_once()
        total += n
        if n == 0 and tail.lag_bytes() == 0:
            break
    return total


def append(log: Path, data: bytes) -> None:
    with open(log, "ab") as fh:
        fh.write(data)


async def test_ingests_and_resumes_from_checkpoint(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(50)))
    tail = tail_for(log, db_url)
    assert await drain(tail) == 50
    stats = tail.stats()
    assert stats["lines_ingested"] == 50 and stats["lag_bytes"] == 0 and stats["lag_seconds"] == 0
    await tail.stop()
    append(log, b"".join(make_line(i) for i in range(50, 80)))
    tail2 = tail_for(log, db_url)  # a restart: must not re-read the first 50
    assert await drain(tail2) == 30
    await tail2.stop()
    assert stored_seqs(db_file) == list(range(80))


async def test_partial_last_line_waits_for_newline(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    line = make_line(1)
    append(log, make_line(0) + line[:20])
    tail = tail_for(log, db_url)
    assert await drain(tail) == 1
    assert tail.stats()["lag_bytes"] == 20
    await tail.stop()
    tail = tail_for(log, db_url)  # restart while the line is still partial
    assert await tail.poll_once() == 0
    append(log, line[20:])
    assert await drain(tail) == 1
    await tail.stop()
    assert stored_seqs(db_file) == [0, 1]


async def test_malformed_and_blank_lines(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, make_line(0) + b"plain text crash\n\n   \n{broken json\n" + b"\xff\xfe bad utf8\n" + make_line(1))
    tail = tail_for(log, db_url)
    assert await drain(tail) == 5
    await tail.stop()
    assert stored_seqs(db_file) == [0, "plain text crash", "{broken json", "\ufffd\ufffd bad utf8", 1]


async def test_lines_longer_than_a_read_chunk_and_than_the_line_limit(tmp_path, db_url, db_file):
    """A line spanning several read chunks is one row; one over MAX_LINE_BYTES is stored in
    MAX_LINE_BYTES pieces (RAW rows); the lines around them are untouched, and a long line
    still missing its newline waits for it."""
    from deltaplane.logs.parsing import MAX_MESSAGE_CHARS, MAX_PAYLOAD_CHARS
    from deltaplane.logs.tail import MAX_LINE_BYTES, READ_CHUNK

    log = tmp_path / "backend.log"
    long_json = make_line(1, message="m" * (2 * READ_CHUNK + 123))
    huge = b"h" * (2 * MAX_LINE_BYTES + 5)
    append(log, make_line(0) + long_json + huge + b"\n" + make_line(2) + b"p" * (READ_CHUNK + 7))
    tail = tail_for(log, db_url)
    assert await drain(tail) == 6
    assert tail.stats()["lag_bytes"] == READ_CHUNK + 7  # the unterminated long line waits
    append(log, b"q\n")
    assert await drain(tail) == 1
    await tail.stop()
    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT level, message, payload FROM backend_logs ORDER BY id").fetchall()
    assert len(rows) == 7
    assert [msgspec.json.decode(rows[i][2])["seq"] for i in (0, 5)] == [0, 2]
    # the long JSON line: one row; message and payload kept to their limits
    assert rows[1][0] == "INFO" and rows[1][1] == "m" * MAX_MESSAGE_CHARS and len(rows[1][2]) == MAX_PAYLOAD_CHARS
    pieces = [(level, msgspec.json.decode(payload).get("raw_chars", len(message))) for level, message, payload in rows[2:5]]
    assert pieces == [("RAW", MAX_LINE_BYTES), ("RAW", MAX_LINE_BYTES), ("RAW", 5)]
    last = msgspec.json.decode(rows[6][2])
    assert rows[6][0] == "RAW" and last["raw_chars"] == READ_CHUNK + 8  # completed by the appended "q"


def test_writer_flags_its_lock_hold_until_commit(db_file):
    """App writers wait for `holder` to clear (db.engine.WriterPriority), so it must cover the
    write transaction, failures included, and clear before COMMIT: COMMIT also runs SQLite's WAL
    auto-checkpoint after releasing the lock, and app writers must not wait through that."""
    from datetime import UTC, datetime

    from deltaplane.db.engine import WriterPriority
    from deltaplane.logs.parsing import db_timestamp, line_values
    from deltaplane.logs.store import SqliteLogWriter

    priority = WriterPriority()
    writer = SqliteLogWriter(str(db_file), priority=priority)
    statements: list[tuple[str, int]] = []

    class Recording:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        @property
        def in_transaction(self) -> bool:
            return self.conn.in_transaction

        def execute(self, sql: str, *args):
            statements.append((sql.split(" (")[0], priority.holder))
            return self.conn.execute(sql, *args)

        def executemany(self, sql: str, rows):
            statements.append((sql.split(" (")[0], priority.holder))
            return self.conn.executemany(sql, rows)

    real, writer.conn = writer.conn, Recording(writer.conn)
    now = datetime.now(UTC)
    writer.insert([line_values(make_line(i), now, db_timestamp(now)) for i in range(200)])
    me = os.getpid()
    assert statements == [
        ("BEGIN IMMEDIATE", 0),
        ("INSERT INTO backend_logs", me),
        ("SELECT last_insert_rowid()", me),
        ("INSERT INTO backend_logs_fts", me),
        ("COMMIT", 0),
    ]
    statements.clear()
    writer.before_commit = lambda: (_ for _ in ()).throw(RuntimeError("crash before COMMIT"))
    with pytest.raises(RuntimeError):
        writer.insert([line_values(make_line(200), now, db_timestamp(now))])
    assert statements[-1] == ("ROLLBACK", 0) and priority.holder == 0  # cleared on the failure path too
    writer.conn = real
    writer.close()
    assert count_rows(db_file) == 200


async def test_crash_inside_transaction_loses_and_duplicates_nothing(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(100)))
    rng = random.Random(7)
    for _attempt in range(12):
        tail = tail_for(log, db_url, batch_size=rng.randint(1, 13))
        calls = {"n": 0}
        fail_at = rng.randint(1, 5)

        def boom(calls=calls, fail_at=fail_at):
            calls["n"] += 1
            if calls["n"] == fail_at:
                raise RuntimeError("simulated crash mid-batch")

        tail._writer.before_commit = boom
        try:
            await tail.poll_once()
        except RuntimeError:
            pass
        # abandon this instance (like a crash): no stop(), a new one resumes from the checkpoint
        tail._writer.close()
        if rng.random() < 0.5:
            append(log, b"".join(make_line(i) for i in range(100 + _attempt * 3, 103 + _attempt * 3)))
    final = tail_for(log, db_url)
    await drain(final)
    await final.stop()
    seqs = stored_seqs(db_file)
    assert len(seqs) == len(set(seqs))
    expected = list(range(100)) + [i for a in range(12) for i in range(100 + a * 3, 103 + a * 3) if i in set(seqs)]
    assert sorted(seqs) == sorted(expected) and seqs[:100] == list(range(100))
    # every line that is in the file is stored exactly once
    in_file = [int(x.split(b'"seq":')[1].rstrip(b"}\n")) for x in log.read_bytes().splitlines()]
    assert sorted(seqs) == sorted(in_file)


async def test_failed_commit_rewinds_reader(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(30)))
    tail = tail_for(log, db_url, batch_size=4)
    state = {"fail": True}

    def flaky():
        if state["fail"]:
            state["fail"] = False
            raise RuntimeError("busy")

    tail._writer.before_commit = flaky
    with pytest.raises(RuntimeError):
        await tail.poll_once()
    assert await drain(tail) == 30
    await tail.stop()
    assert stored_seqs(db_file) == list(range(30))


async def test_rename_rotation_while_running(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(10)))
    tail = tail_for(log, db_url)
    await drain(tail)
    append(log, b"".join(make_line(i) for i in range(10, 15)))  # not yet read when rotated
    os.rename(log, tmp_path / "backend.log.1")
    append(log, b"".join(make_line(i) for i in range(15, 20)))
    await drain(tail)
    append(log, make_line(20))
    await drain(tail)
    await tail.stop()
    assert stored_seqs(db_file) == list(range(21))


async def test_rename_rotation_while_stopped_finds_old_file_by_inode(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(10)))
    tail = tail_for(log, db_url)
    await drain(tail)
    await tail.stop()
    append(log, b"".join(make_line(i) for i in range(10, 15)))
    os.rename(log, tmp_path / "backend.log.1")
    os.rename(tmp_path / "backend.log.1", tmp_path / "backend.log.2")  # rotated twice while down
    append(log, b"".join(make_line(i) for i in range(15, 20)))
    tail = tail_for(log, db_url)
    await drain(tail)
    await tail.stop()
    assert stored_seqs(db_file) == list(range(20))


async def test_rotated_file_unterminated_last_line_is_kept(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, make_line(0) + make_line(1)[:-1])  # final line never gets its newline
    tail = tail_for(log, db_url)
    await drain(tail)
    os.rename(log, tmp_path / "backend.log.1")
    append(log, make_line(2))
    await drain(tail)
    await tail.stop()
    assert stored_seqs(db_file) == [0, 1, 2]


async def test_copy_truncate(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(10)))
    tail = tail_for(log, db_url)
    await drain(tail)
    with open(log, "r+b") as fh:  # copytruncate: same inode, size 0
        fh.truncate(0)
    append(log, make_line(10))
    await drain(tail)
    assert stored_seqs(db_file) == list(range(11))
    # truncated and regrown past the old offset before we looked: the fingerprint catches it
    with open(log, "r+b") as fh:
        fh.truncate(0)
    append(log, b"".join(make_line(i, message="regrown " + "y" * 50) for i in range(11, 20)))
    await drain(tail)
    await tail.stop()
    assert stored_seqs(db_file) == list(range(20))


async def test_copy_truncate_while_stopped(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(10)))
    tail = tail_for(log, db_url)
    await drain(tail)
    await tail.stop()
    with open(log, "r+b") as fh:
        fh.truncate(0)
    append(log, b"".join(make_line(i, message="z" * 80) for i in range(10, 30)))
    tail = tail_for(log, db_url)
    await drain(tail)
    await tail.stop()
    assert stored_seqs(db_file) == list(range(30))


async def test_listeners_receive_rows_with_ids(tmp_path, db_url):
    log = tmp_path / "backend.log"
    append(log, make_line(0, level="WARN") + make_line(1))
    tail = tail_for(log, db_url)
    got: list[dict] = []
    tail.listeners.append(got.extend)
    tail.listeners.append(lambda rows: 1 / 0)  # a broken listener does not stop ingestion
    await drain(tail)
    await tail.stop()
    assert [r["payload"]["seq"] for r in got] == [0, 1]
    assert got[0]["level"] == "WARNING" and got[1]["id"] == got[0]["id"] + 1


async def test_missing_file_then_created(tmp_path, db_url, db_file):
    log = tmp_path / "sub" / "backend.log"
    tail = tail_for(log, db_url)
    assert await tail.poll_once() == 0
    log.parent.mkdir()
    append(log, make_line(0))
    assert await drain(tail) == 1
    await tail.stop()


async def test_sqlalchemy_core_path(tmp_path, db_url, db_file, engine):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(20)) + b"junk\n")
    tail = tail_for(log, db_url, engine=engine, use_sqlite_fast_path=False)
    assert await drain(tail) == 21
    await tail.stop()
    tail = tail_for(log, db_url, engine=engine, use_sqlite_fast_path=False)
    append(log, make_line(20))
    assert await drain(tail) == 1
    await tail.stop()
    assert stored_seqs(db_file) == [*range(20), "junk", 20]


async def test_service_loop_start_stop(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(5)))
    tail = tail_for(log, db_url, poll_interval=0.01)
    import asyncio

    seen = asyncio.Event()
    tail.listeners.append(lambda rows: seen.set())
    await tail.start()
    await asyncio.wait_for(seen.wait(), timeout=10)
    assert tail.running
    await tail.stop()
    assert count_rows(db_file) == 5


DRIVER = textwrap.dedent(
    """
    import asyncio, sys
    from deltaplane.logs.tail import BackendLogTailService
    async def main():
        tail = BackendLogTailService(path=sys.argv[1], database_url=sys.argv[2], batch_size=int(sys.argv[3]))
        print("ready", flush=True)
        while True:
            n = await tail.poll_once()
            if n == 0 and tail.lag_bytes() == 0:
                print("done", flush=True)
                await asyncio.sleep(3600)
    asyncio.run(main())
    """
)


def test_kill_minus_9_exactly_once(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    total = 60_000
    with open(log, "wb", buffering=1 << 20) as fh:
        for i in range(total):
            fh.write(make_line(i))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    rng = random.Random(42)
    for round_ in range(6):
        proc = subprocess.Popen([sys.executable, str(driver), str(log), db_url, str(rng.choice([97, 500, 2000]))],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        if round_ < 5:
            # kill once some rows landed (bounded wait on an observable condition, not a sleep)
            start = count_rows(db_file)
            deadline = time.monotonic() + 30
            while count_rows(db_file) < min(total, start + rng.randint(1, 15_000)) and time.monotonic() < deadline:
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        else:
            assert proc.stdout.readline().strip() == "done"
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    seqs = stored_seqs(db_file)
    assert seqs == list(range(total))


async def test_one_gigabyte_file(tmp_path, db_url, db_file):
    """1 GB of log (3.4M lines), a restart half-way, every line stored exactly once."""
    log = tmp_path / "backend.log"
    pad = "p" * 180
    n = 0
    with open(log, "wb", buffering=16 << 20) as fh:
        while fh.tell() < 1_000_000_000:
            fh.write(b"".join(make_line(i, pad=pad) for i in range(n, n + 10_000)))
            n += 10_000
    size = log.stat().st_size
    tail = tail_for(log, db_url, batch_size=500, max_batches_per_poll=1000)
    while tail.stats()["offset"] < size // 2:
        assert await tail.poll_once() > 0
    await tail.stop()  # a restart half-way: resumes from the committed checkpoint
    tail = tail_for(log, db_url, batch_size=500, max_batches_per_poll=1000)
    for _ in range(100_000):
        if await tail.poll_once() == 0 and tail.lag_bytes() == 0:
            break
    await tail.stop()
    conn = sqlite3.connect(db_file)
    try:
        rows, distinct, low, high = conn.execute(
            "SELECT count(*), count(DISTINCT json_extract(payload, '$.seq')), min(json_extract(payload, '$.seq')), "
            "max(json_extract(payload, '$.seq')) FROM backend_logs"
        ).fetchone()
        found = conn.execute("SELECT count(*) FROM backend_logs_fts WHERE backend_logs_fts MATCH ?", (f'"line" AND "{n - 1}"',)).fetchone()[0]
    finally:
        conn.close()
    assert size >= 1_000_000_000
    assert (rows, distinct, low, high) == (n, n, 0, n - 1)
    assert found == 1  # the last line is searchable

"""The ingest child process (logs/ingest_process.py) and the guards that keep two tailers from
storing a line twice."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from pathlib import Path

import pytest
from conftest import count_rows, make_line, stored_seqs

from deltaplane.db.engine import WRITER_PRIORITY, WriterPriority, create_engine, create_sessionmaker
from deltaplane.logs.ingest_process import LogIngestProcess, TailerConfig
from deltaplane.logs.store import CheckpointMoved
from deltaplane.logs.tail import BackendLogTailService


def append(log: Path, data: bytes) -> None:
    with open(log, "ab") as fh:
        fh.write(data)


async def until(predicate, what: str, timeout: float = 60.0) -> None:
    """Bounded wait for an observable condition of another process."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Watcher:
    """A live-tail listener that can stop watching (like the `logs` topic with no subscribers)."""

    def __init__(self) -> None:
        self.watching = True
        self.rows: list[dict] = []
        self.skipped_count = 0

    def wants_rows(self) -> bool:
        return self.watching

    def skipped(self, count: int) -> None:
        self.skipped_count += count

    def __call__(self, rows: list[dict]) -> None:
        self.rows.extend(rows)


async def test_ingest_process_ingests_feeds_the_live_tail_and_survives_a_crash(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(300)))
    config = TailerConfig(
        path=str(log), database_url=db_url, batch_size=50, poll_interval=0.02, busy_timeout_ms=5000,
        log_level="INFO", log_file=str(tmp_path / "child-own.log"), log_to_stdout=False,
    )  # fmt: skip
    engine = create_engine(db_url)
    handle = LogIngestProcess(config, create_sessionmaker(engine, readonly=True))
    watcher = Watcher()
    handle.listeners.append(watcher)
    await handle.start()
    try:
        await until(lambda: count_rows(db_file) == 300, "the first 300 lines")
        await until(lambda: len(watcher.rows) == 300, "the live tail to get them")
        assert [r["payload"]["seq"] for r in watcher.rows] == list(range(300))
        assert [r["id"] for r in watcher.rows] == list(range(watcher.rows[0]["id"], watcher.rows[0]["id"] + 300))
        await until(lambda: handle.stats()["lines_ingested"] == 300 and handle.stats()["lag_bytes"] == 0, "stats")

        watcher.watching = False  # nobody watches: rows are not read back, only counted
        append(log, b"".join(make_line(i) for i in range(300, 400)))
        await until(lambda: count_rows(db_file) == 400, "100 more lines")
        await until(lambda: watcher.skipped_count == 100, "the skipped count")
        assert len(watcher.rows) == 300

        first_pid = handle.pid
        # As if killed mid-batch, holding the write lock: the app's writers must not keep waiting on it.
        WRITER_PRIORITY.shared()[1].value = first_pid
        os.kill(first_pid, signal.SIGKILL)  # a crash of the child: the supervisor restarts it
        await until(lambda: handle.restarts == 1 and handle.running and handle.pid != first_pid, "a restart")
        assert WRITER_PRIORITY.holder != first_pid
        append(log, b"".join(make_line(i) for i in range(400, 600)))
        await until(lambda: count_rows(db_file) == 600, "ingestion after the restart")
        assert handle.stats()["restarts"] == 1
    finally:
        await handle.stop()
        await engine.dispose()
    assert not handle.running
    assert stored_seqs(db_file) == list(range(600))


async def test_two_tailers_on_one_file_store_each_line_once(tmp_path, db_url, db_file):
    log = tmp_path / "backend.log"
    append(log, b"".join(make_line(i) for i in range(500)))
    a = BackendLogTailService(path=log, database_url=db_url, batch_size=40)
    b = BackendLogTailService(path=log, database_url=db_url, batch_size=40, max_batches_per_poll=1)
    a.max_batches_per_poll = 1
    conflicts = 0
    for _ in range(200):
        for tail in (a, b):
            try:
                await tail.poll_once()
            except CheckpointMoved:
                conflicts += 1  # the loser reloads the stored checkpoint and carries on
        if count_rows(db_file) == 500 and a.lag_bytes() == 0 and b.lag_bytes() == 0:
            break
    await a.stop()
    await b.stop()
    assert conflicts > 0
    assert stored_seqs(db_file) == list(range(500))


def test_writer_priority_holds_the_tailer_back_while_an_app_writer_waits():
    priority = WriterPriority()
    assert priority.wait_until_clear(0.01) is True and priority.waiting == 0
    entered, release = threading.Event(), threading.Event()

    def app_writer() -> None:
        with priority.waiting_for_lock():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=app_writer)
    thread.start()
    assert entered.wait(10)
    assert priority.waiting == 1
    assert priority.wait_until_clear(0.01) is False  # bounded: the tailer goes anyway after the timeout
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(priority.wait_until_clear(30)))
    waiter.start()
    release.set()
    thread.join(10)
    waiter.join(10)
    assert result == [True] and priority.waiting == 0


def test_an_app_writer_arriving_mid_batch_goes_as_soon_as_the_tailer_commits():
    priority = WriterPriority()
    entered = threading.Event()

    def app_writer() -> None:
        with priority.waiting_for_lock():
            entered.set()

    with priority.holding_lock():  # the tailer holds the write lock
        assert priority.holder == os.getpid()
        thread = threading.Thread(target=app_writer)
        thread.start()
        assert not entered.wait(0.05) and priority.waiting == 1  # waits for the batch, counted in
    assert priority.holder == 0
    assert entered.wait(10)  # the batch committed: in it goes
    thread.join(10)
    assert priority.waiting == 0


def _hold_then_hang(shared, ready) -> None:  # a tailer process that dies holding the lock
    with WriterPriority(*shared).holding_lock():
        ready.send(os.getpid())
        signal.pause()


def test_a_tailer_killed_holding_the_lock_cannot_block_the_app_writers(monkeypatch):
    """No lock is shared across processes: a kill -9 at any instant leaves flags, not a held
    lock. A stale holder costs an app writer at most HANDOFF_TIMEOUT_S, and none once the
    supervisor has cleared it."""
    import multiprocessing

    # fork: the child needs nothing but the shared flags (a spawned one would re-import this module)
    ctx = multiprocessing.get_context("fork")
    priority = WriterPriority()
    monkeypatch.setattr(WriterPriority, "HANDOFF_TIMEOUT_S", 0.2)
    reader, writer = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_hold_then_hang, args=(priority.shared(), writer), daemon=True)
    child.start()
    assert reader.poll(60), "the child did not start"
    pid = reader.recv()
    os.kill(pid, signal.SIGKILL)
    child.join(10)
    assert priority.holder == pid  # what it left behind
    done = threading.Event()

    def app_writer() -> None:
        with priority.waiting_for_lock():
            done.set()

    thread = threading.Thread(target=app_writer)
    thread.start()
    assert done.wait(10), "an app writer waited on a dead tailer for more than the hand-off timeout"
    thread.join(10)
    priority.release_dead_holder(pid + 1)  # someone else's pid: not ours to clear
    assert priority.holder == pid
    priority.release_dead_holder(pid)
    assert priority.holder == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_hub_skip_makes_resuming_clients_resync(enabled):
    from deltaplane.realtime.hub import RealtimeHub

    async def scenario() -> list[str]:
        hub = RealtimeHub()
        hub.publish("logs", {"i": 1})
        if enabled:
            hub.skip("logs", 5)
        sub = hub.connect("u")
        await hub.subscribe(sub, "logs", resume_after=0)
        kinds = []
        while not sub.queue.empty():
            kinds.append(sub.queue.get_nowait()["type"])
        return kinds

    kinds = asyncio.run(scenario())
    assert kinds == (["subscribed", "resync"] if enabled else ["subscribed", "event"])


async def test_app_ingests_in_a_child_process_by_default(tmp_path):
    from conftest import make_line as line

    from deltaplane.app import create_app
    from deltaplane.settings import Settings
    from tests.conftest import ADMIN_PASSWORD, in_loop_client

    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    append(log_dir / "backend.log", b"".join(line(i) for i in range(40)))
    settings = Settings(
        environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", log_dir=str(log_dir),
        serve_spa=False, initial_admin_password=ADMIN_PASSWORD, log_to_stdout=False, backend_log_poll_interval=0.05,
        backend_log_retention_days=0,
    )  # fmt: skip
    assert settings.backend_log_ingest_process
    app = create_app(settings)
    async with in_loop_client(app) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        tail = app.state.services.extras["log_tail"]
        assert isinstance(tail, LogIngestProcess) and tail.pid != os.getpid()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            body = (await c.get("/api/logs", params={"logger": "deltaplane.test", "limit": 100})).json()
            if len(body["items"]) == 40 or loop.time() > deadline:
                break
            await asyncio.sleep(0.05)
        assert sorted(i["payload"]["seq"] for i in body["items"]) == list(range(40))
        summary = (await c.get("/api/logs/summary")).json()
        assert summary["ingestion"]["running"] is True
    assert not tail.running

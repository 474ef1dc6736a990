"""Tail `logs/backend.log` into `backend_logs`, exactly once (DESIGN section 8).

Guarantees, each covered by tests/logs:

* **Exactly once across crashes.** The checkpoint (path, file identity `dev:inode`, a
  fingerprint of the file's first bytes, byte offset) is written in the *same* transaction as
  the rows it covers, so a kill -9 at any moment neither loses nor duplicates a line. On start
  the service resumes from the checkpoint.
* **Partial last line.** The offset only ever advances past a newline; an unterminated last
  line is left in the file until its newline arrives.
* **Malformed lines** become `RAW` rows (see parsing.py); blank lines are skipped.
* **Rename rotation.** When the path names a different inode, the old file (still open, or found
  again by inode among the path's siblings after a restart) is read to its end first — an
  unterminated last line there is final and is ingested as is — then the new file from 0.
* **Copy-truncate.** A file smaller than the offset, or whose first bytes no longer match the
  fingerprint, is read again from 0. (Lines written between our last read and the copy live
  only in the copy: that is inherent to copytruncate; prefer rename rotation.)
* **Short write transactions.** At most `batch_size` lines per transaction; on SQLite a
  dedicated sqlite3 connection in a worker thread reads, parses and stores each batch
  (`executemany`, then one `INSERT ... SELECT` into the FTS index).
* **Exactly one tailer.** Each batch checks that the stored checkpoint is still the one this
  tailer committed (`CheckpointMoved` otherwise), so a second tailer on the same file reloads
  instead of storing lines twice.
* Lines longer than MAX_LINE_BYTES are stored in MAX_LINE_BYTES pieces (as RAW rows).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from deltaplane.db.engine import WRITER_PRIORITY, WriterPriority
from deltaplane.logs.fanout import RowFanout
from deltaplane.logs.parsing import api_row_from_values, db_timestamp, line_values, row_from_values
from deltaplane.logs.store import (
    Checkpoint,
    CheckpointMoved,
    SqliteLogWriter,
    insert_rows_async,
    load_checkpoint_async,
    sqlite_path,
)

logger = logging.getLogger("deltaplane.logs.tail")

FINGERPRINT_BYTES = 1024
# A few batches' worth: every batch copies the unread rest of the buffer (4 MiB cost 1 us/line).
READ_CHUNK = 256 * 1024
MAX_LINE_BYTES = 1024 * 1024


def file_identity(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}"


def fingerprint_of(head: bytes) -> str:
    """`<length>:<blake2b-128 hex>` of the first bytes of a file (at most FINGERPRINT_BYTES)."""
    return f"{len(head)}:{hashlib.blake2b(head, digest_size=16).hexdigest()}"


def _fingerprint_matches(fd: int, fingerprint: str) -> bool:
    if not fingerprint:
        return True
    try:
        length = int(fingerprint.split(":", 1)[0])
    except ValueError:
        return False
    head = os.pread(fd, length, 0)
    return len(head) == length and fingerprint_of(head) == fingerprint


@dataclass
class _Batch:
    values: list[tuple[Any, ...]]  # parsing.row_values tuples, ready to insert
    checkpoint: Checkpoint

    def last_timestamp(self) -> datetime | None:
        return datetime.fromisoformat(self.values[-1][0]).replace(tzinfo=UTC) if self.values else None


class _FileReader:
    """Sync reader over the log path; tracks a *read* position ahead of the committed one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        self.file_id = ""
        self.fingerprint = ""
        self.offset = 0  # file offset of buf[0] == position after the last line handed out
        self.lines = 0
        self.buf = b""
        self.draining = False  # fd is a rotated-away file that we finish before switching

    # -- opening ------------------------------------------------------------------------------
    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        self.fd = None
        self.buf = b""

    def _open_at(self, fd: int, file_id: str, offset: int, fingerprint: str, lines: int) -> None:
        self.close()
        self.fd, self.file_id, self.offset, self.fingerprint, self.lines = fd, file_id, offset, fingerprint, lines
        self.buf = b""
        self.draining = file_id != self._path_identity()

    def _path_identity(self) -> str | None:
        try:
            return file_identity(os.stat(self.path))
        except OSError:
            return None

    def _find_by_identity(self, file_id: str) -> str | None:
        """A rotated file keeps its inode: look for it next to the path (backend.log.1, ...)."""
        base = Path(self.path)
        try:
            candidates = [p for p in base.parent.iterdir() if p.name.startswith(base.name)]
        except OSError:
            return None
        for candidate in candidates:
            try:
                if file_identity(os.stat(candidate)) == file_id:
                    return str(candidate)
            except OSError:
                continue
        return None

    def restore(self, checkpoint: Checkpoint | None) -> None:
        """Position at the committed checkpoint (start-up, or after a failed commit)."""
        self.close()
        lines = checkpoint.lines if checkpoint else 0
        if checkpoint and checkpoint.file_id:
            location = (
                self.path if self._path_identity() == checkpoint.file_id else self._find_by_identity(checkpoint.file_id)
            )
            if location is not None:
                try:
                    fd = os.open(location, os.O_RDONLY)
                except OSError:
                    fd = None
                if fd is not None:
                    size = os.fstat(fd).st_size
                    if size >= checkpoint.offset and _fingerprint_matches(fd, checkpoint.fingerprint):
                        self._open_at(fd, checkpoint.file_id, checkpoint.offset, checkpoint.fingerprint, lines)
                        return
                    os.close(fd)
                    if location == self.path:
                        logger.warning(
                            "log file was truncated or replaced; reading it again from the start",
                            extra={"event": "log_tail_truncated", "path": self.path},
                        )
            else:
                logger.warning(
                    "the file the checkpoint points to is gone; continuing with the current file",
                    extra={"event": "log_tail_checkpoint_file_missing", "path": self.path},
                )
        self.lines = lines
        self._open_current()

    def _open_current(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            self.fd, self.file_id, self.offset, self.fingerprint = None, "", 0, ""
            return False
        self._open_at(fd, file_identity(os.fstat(fd)), 0, "", self.lines)
        self.draining = False
        return True

    # -- reading ------------------------------------------------------------------------------
    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.path, self.file_id, self.fingerprint, self.offset, self.lines)

    def size(self) -> int:
        if self.fd is None:
            return 0
        try:
            return os.fstat(self.fd).st_size
        except OSError:
            return 0

    def lag_bytes(self) -> int:
        lag = max(0, self.size() - self.offset)
        if self.draining:
            with contextlib.suppress(OSError):
                lag += os.stat(self.path).st_size
        return lag

    def _check_truncation(self) -> bool:
        """At EOF: copy-truncate shows as a smaller file or a changed head. Returns True if reset."""
        assert self.fd is not None
        size = os.fstat(self.fd).st_size
        if size < self.offset or not _fingerprint_matches(self.fd, self.fingerprint):
            logger.warning(
                "log file was truncated (copytruncate?); reading it again from the start",
                extra={"event": "log_tail_truncated", "path": self.path, "offset": self.offset, "size": size},
            )
            self.offset, self.fingerprint, self.buf = 0, "", b""
            return True
        return False

    def _take_lines(self, max_lines: int) -> list[bytes]:
        """Complete lines from the buffer (reading more as needed), advancing offset past them."""
        assert self.fd is not None
        taken: list[bytes] = []
        while len(taken) < max_lines:
            eof = False
            if len(self.buf) < READ_CHUNK or b"\n" not in self.buf:  # (a line may be longer than a chunk)
                more = os.pread(self.fd, READ_CHUNK, self.offset + len(self.buf))
                eof = not more
                self.buf += more
            parts = self.buf.split(b"\n", max_lines - len(taken))
            complete = parts[:-1]
            if complete:
                self.offset += sum(len(p) for p in complete) + len(complete)
                self.buf = parts[-1]
                if max(map(len, complete)) > MAX_LINE_BYTES:  # the end of a line already cut, or a long one
                    complete = [p[i : i + MAX_LINE_BYTES] for p in complete for i in range(0, len(p) or 1, MAX_LINE_BYTES)]
                taken.extend(complete)
                continue
            if len(self.buf) >= MAX_LINE_BYTES:  # an absurdly long line: store it in pieces
                taken.append(self.buf[:MAX_LINE_BYTES])
                self.offset += MAX_LINE_BYTES
                self.buf = self.buf[MAX_LINE_BYTES:]
                continue
            if eof:
                break
        return taken

    def _update_fingerprint(self) -> None:
        if self.fd is None or self.fingerprint.startswith(f"{FINGERPRINT_BYTES}:"):
            return  # already covers the full fingerprint length; those bytes never change
        head = os.pread(self.fd, min(self.offset, FINGERPRINT_BYTES), 0)
        self.fingerprint = fingerprint_of(head) if head else ""

    def next_lines(self, max_lines: int) -> tuple[list[bytes], bool]:
        """Up to `max_lines` complete lines; returns (lines, switched_file). Empty at EOF."""
        if self.fd is None and not self._open_current():
            return [], False
        reset = False
        if not self.buf and self.offset and not self.draining:
            reset = self._check_truncation()  # before reading on from a stale offset
        lines = self._take_lines(max_lines)
        if reset:
            if lines:
                self._update_fingerprint()
            return lines, True
        if lines:
            self._update_fingerprint()
            return lines, False
        # At EOF of the current file: rotation? truncation?
        if not self.draining:
            current = self._path_identity()
            if current is not None and current != self.file_id:
                self.draining = True
        if self.draining:
            lines = self._take_lines(max_lines)
            if lines:
                self._update_fingerprint()
                return lines, False
            final = self.buf
            if final:  # the rotated file will never get its newline: its last line is final
                self.offset += len(final)
                self.buf = b""
            logger.info("log file rotated; following the new file", extra={"event": "log_tail_rotated", "path": self.path})
            self._open_current()
            return ([final] if final.strip() else []), True
        if self._check_truncation():
            lines = self._take_lines(max_lines)
            if lines:
                self._update_fingerprint()
            return lines, True  # commit the reset checkpoint even without rows
        return [], False


class BackendLogTailService(RowFanout):
    """Ingests the backend log file; drive with `poll_once()` (tests) or `start()`/`stop()`."""

    def __init__(
        self,
        *,
        path: str | Path,
        database_url: str,
        engine: AsyncEngine | None = None,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        max_batches_per_poll: int = 50,
        busy_timeout_ms: int = 5000,
        use_sqlite_fast_path: bool | None = None,
        writer_priority: WriterPriority = WRITER_PRIORITY,
    ) -> None:
        self.path = str(Path(path))
        self.database_url = database_url
        self.engine = engine
        self.batch_size = max(1, int(batch_size))
        self.poll_interval = poll_interval
        self.max_batches_per_poll = max(1, max_batches_per_poll)
        super().__init__()
        #: called with (first id, row count) after each committed batch (the ingest process uses it)
        self.on_commit: Callable[[int, int], None] | None = None
        db_file = sqlite_path(database_url)
        fast = db_file is not None if use_sqlite_fast_path is None else use_sqlite_fast_path
        if fast and db_file is None:
            raise ValueError("the sqlite3 fast path needs an SQLite file database")
        if not fast and engine is None:
            raise ValueError("an AsyncEngine is required when the sqlite3 fast path is not used")
        self._writer: SqliteLogWriter | None = (
            SqliteLogWriter(db_file, busy_timeout_ms=busy_timeout_ms, priority=writer_priority) if fast else None
        )
        self._reader = _FileReader(self.path)
        self._committed: Checkpoint | None = None
        self._loaded = False
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()
        # stats
        self.lines_ingested = 0
        self.last_line_timestamp: datetime | None = None
        self.last_error: str | None = None
        self.last_poll_at: float | None = None
        self._rate: deque[tuple[float, int]] = deque(maxlen=64)

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        await self._ensure_loaded()
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="backend-log-tail")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            # Let the loop finish its current batch: cancelling would leave a worker thread still
            # using the sqlite3 connection that is closed below (a crash, not an exception).
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=30)
            except (TimeoutError, asyncio.CancelledError, Exception):
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await self._task
            self._task = None
        async with self._lock:  # no poll_once (e.g. a test's) is mid-batch either
            await asyncio.to_thread(self._reader.close)
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    async def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                ingested = await self.poll_once()
                failures = 0
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep tailing; the checkpoint makes the retry safe
                failures += 1
                ingested = 0
                self.last_error = f"{type(exc).__name__}: {exc}"
                if failures in (1, 10) or failures % 100 == 0:
                    logger.exception("log ingestion failed", extra={"event": "log_tail_failed", "failures": failures})
            if ingested and not self._stop.is_set():
                await asyncio.sleep(0)  # more may be waiting: go again without the poll delay
                continue
            delay = self.poll_interval * min(2 ** min(failures, 6), 60) if failures else self.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    # -- ingestion ------------------------------------------------------------------------------
    async def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        if self._writer is not None:
            checkpoint = await asyncio.to_thread(self._writer.load_checkpoint, self.path)
        else:
            assert self.engine is not None
            async with self.engine.connect() as conn:
                checkpoint = await load_checkpoint_async(conn, self.path)
        self._committed = checkpoint
        await asyncio.to_thread(self._reader.restore, checkpoint)
        self._loaded = True

    def _read_batch(self) -> _Batch | None:
        lines, switched = self._reader.next_lines(self.batch_size)
        if not lines and not switched:
            return None
        now = datetime.now(UTC)
        ingested = db_timestamp(now)
        values = [line_values(line, now, ingested) for line in lines if line.strip()]
        self._reader.lines += len(values)
        return _Batch(values=values, checkpoint=self._reader.checkpoint())

    def _read_and_insert(self) -> tuple[_Batch, list[int]] | None:
        """One batch on the SQLite fast path: read, parse and store in one worker-thread call.
        (Overlapping the next read with this insert in a second thread measured slower: both
        need the GIL, and the hand-offs cost more than the overlap gains.)"""
        assert self._writer is not None
        batch = self._read_batch()
        if batch is None:
            return None
        first = self._writer.insert(batch.values, batch.checkpoint, expected=self._committed)
        return batch, list(range(first, first + len(batch.values))) if batch.values else []

    async def _ingest_one_batch(self) -> tuple[_Batch, list[int]] | None:
        if self._writer is not None:
            return await asyncio.to_thread(self._read_and_insert)
        batch = await asyncio.to_thread(self._read_batch)
        if batch is None:
            return None
        assert self.engine is not None
        rows = [row_from_values(v) for v in batch.values]
        async with self.engine.begin() as conn:
            return batch, await insert_rows_async(conn, rows, batch.checkpoint)

    async def _recover(self, exc: BaseException) -> None:
        """After a failed batch: nothing of it was committed; put the reader back."""
        if isinstance(exc, CheckpointMoved):
            logger.warning(
                "another process is ingesting this log file; resuming from its checkpoint",
                extra={"event": "log_tail_checkpoint_moved", "path": self.path},
            )
            self._loaded = False
            await self._ensure_loaded()
        else:
            await asyncio.to_thread(self._reader.restore, self._committed)

    async def poll_once(self) -> int:
        """Ingest whatever complete lines are available (up to max_batches_per_poll batches)."""
        async with self._lock:
            await self._ensure_loaded()
            total = 0
            for _ in range(self.max_batches_per_poll):
                try:
                    done = await self._ingest_one_batch()
                except BaseException as exc:
                    await self._recover(exc)
                    raise
                if done is None:
                    break
                batch, ids = done
                self._committed = batch.checkpoint
                self._after_commit(batch, ids)
                total += len(batch.values)
            self.last_poll_at = time.monotonic()
            return total

    def _after_commit(self, batch: _Batch, ids: list[int]) -> None:
        if not batch.values:
            return
        self.lines_ingested += len(batch.values)
        self._rate.append((time.monotonic(), len(batch.values)))
        self.last_line_timestamp = batch.last_timestamp()
        if self.on_commit is not None and ids:
            self.on_commit(ids[0], len(ids))
        if self.listeners:
            self.publish(lambda: [api_row_from_values(i, v) for i, v in zip(ids, batch.values, strict=True)], len(ids))

    # -- stats ----------------------------------------------------------------------------------
    @property
    def committed_checkpoint(self) -> Checkpoint | None:
        return self._committed

    def lines_per_second(self, window: float = 10.0) -> float:
        now = time.monotonic()
        recent = [(t, n) for t, n in self._rate if now - t <= window]
        if not recent:
            return 0.0
        span = max(now - recent[0][0], 1e-3)
        return sum(n for _, n in recent) / span if len(recent) > 1 else float(recent[0][1]) / max(span, 1.0)

    def lag_bytes(self) -> int:
        committed = self._committed
        reader = self._reader
        size = reader.size()
        offset = committed.offset if committed and committed.file_id == reader.file_id else reader.offset
        lag = max(0, size - offset)
        if reader.draining:
            with contextlib.suppress(OSError):
                lag += os.stat(self.path).st_size
        if reader.fd is None:
            with contextlib.suppress(OSError):
                lag = os.stat(self.path).st_size
        return lag

    def stats(self) -> dict[str, Any]:
        lag = self.lag_bytes()
        lag_seconds = 0.0
        if lag > 0 and self.last_line_timestamp is not None:
            lag_seconds = max(0.0, (datetime.now(UTC) - self.last_line_timestamp).total_seconds())
        committed = self._committed
        return {
            "path": self.path,
            "running": self.running,
            "lines_ingested": self.lines_ingested,
            "lines_per_second": round(self.lines_per_second(), 1),
            "lag_bytes": lag,
            "lag_seconds": round(lag_seconds, 3),
            "offset": committed.offset if committed else 0,
            "last_line_timestamp": self.last_line_timestamp.isoformat() if self.last_line_timestamp else None,
            "last_error": self.last_error,
        }


__all__ = ["BackendLogTailService", "file_identity", "fingerprint_of"]

"""Effect of log ingestion at full speed on API latency.

Starts the real app with uvicorn on 127.0.0.1 (random port, temp SQLite, log ingestion on, the
paper exchange idle) and drives a steady, open-loop request mix a dashboard makes while someone
reads logs: GET /api/logs?limit=100 (the Log Viewer's first page), GET /api/auth/me and
GET /api/health. Two phases, same rate:

  idle:       ingestion caught up, nothing to ingest;
  ingesting:  --lines realistic JSON lines are appended to the tailed file in one go, so the
              tailer runs flat out until it has caught up; only requests sent while it is
              behind count.

Reported per phase: p50/p99 per endpoint and overall, errors, and the in-app ingestion rate
(from the tailer's committed checkpoint, read from the SQLite file). The key figure, overall p99
while ingesting against idle, is printed LAST.

    backend/.venv/bin/python bench/bench_log_ingest_api.py [--lines 1000000] [--rate 40]

Bounded: every phase has a deadline; the server is terminated at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from bench_log_ingest import write_log  # noqa: E402
from benchlib import free_port, pct  # noqa: E402

PASSWORD = "bench-admin-pass-123"
ENDPOINTS = ("/api/logs?limit=100", "/api/auth/me", "/api/health")


async def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get("/api/health")).status_code == 200:
                    return
            await asyncio.sleep(0.2)  # polling for start-up
    raise SystemExit("server did not become healthy in time")


def start_server(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "LOG_DIR": str(tmp / "logs"),
        "LOG_TO_STDOUT": "false",
        "SERVE_SPA": "false",
        "JWT_SECRET": "bench-secret-" + "z" * 40,
        "INITIAL_ADMIN_PASSWORD": PASSWORD,
        "BACKEND_LOG_INGEST_ENABLED": "true",
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "DELTAPLANE_ENV_FILE": str(tmp / "none.env"),
    }
    cmd = [sys.executable, "-m", "uvicorn", "deltaplane.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]  # fmt: skip
    err = open(tmp / "server.err", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(cmd, cwd=REPO / "backend", env=env, stdout=subprocess.DEVNULL, stderr=err)


def committed_lines(db: Path) -> int:
    """Lines the tailer has committed (its checkpoint row), read without touching the API."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute("SELECT coalesce(sum(lines), 0) FROM log_ingest_checkpoints").fetchone()
    return int(row[0])


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def committed_offset(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute('SELECT coalesce(max("offset"), 0) FROM log_ingest_checkpoints').fetchone()
    return int(row[0])


async def drive(http: httpx.AsyncClient, headers: dict[str, str], rate: float, keep_going, results) -> None:
    """Open loop: one request every 1/rate s whatever the previous ones are doing."""
    tasks: set[asyncio.Task[None]] = set()
    cycle = itertools.cycle(ENDPOINTS)

    async def one(path: str) -> None:
        t0 = time.perf_counter()
        try:
            r = await http.get(path, headers=headers)
            ok = r.status_code == 200
        except httpx.HTTPError:
            ok = False
        results[path].append((time.perf_counter() - t0, ok))

    start = time.perf_counter()
    for n in itertools.count():
        if not keep_going():
            break
        task = asyncio.create_task(one(next(cycle)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))  # pacing, not sync
    if tasks:
        await asyncio.wait(tasks, timeout=30)


def report(name: str, results: dict[str, list[tuple[float, bool]]]) -> float:
    every = [t for values in results.values() for t, ok in values if ok]
    errors = sum(1 for values in results.values() for _, ok in values if not ok)
    for path in ENDPOINTS:
        ok = [t for t, good in results[path] if good]
        print(f"  {name:9s} {path:22s} n={len(ok):5d}  p50 {pct(ok, 50) * 1000:7.1f} ms  p99 {pct(ok, 99) * 1000:7.1f} ms")
    p99 = pct(every, 99) * 1000
    print(f"  {name:9s} {'all':22s} n={len(every):5d}  p50 {pct(every, 50) * 1000:7.1f} ms  p99 {p99:7.1f} ms  errors {errors}")
    return p99


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="dp-bench-ingest-api-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db, log = tmp / "bench.db", tmp / "logs" / "backend.log"
    block = tmp / "block.log"
    write_log(block, args.lines)
    print(f"generated {args.lines} lines, {block.stat().st_size / 1e6:.0f} MB")
    proc = start_server(tmp, port)
    try:
        await wait_healthy(base, proc)
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as http:
            r = await http.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            r.raise_for_status()
            headers = {"Authorization": f"Bearer {r.json()['access_token']}"}

            idle: dict[str, list[tuple[float, bool]]] = defaultdict(list)
            idle_end = time.monotonic() + args.idle_seconds
            await drive(http, headers, args.rate, lambda: time.monotonic() < idle_end, idle)

            before = committed_lines(db)
            with open(block, "rb") as src, open(log, "ab") as dst:
                shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
            target = log_size(log)
            t0 = time.monotonic()
            deadline = t0 + args.max_seconds
            busy: dict[str, list[tuple[float, bool]]] = defaultdict(list)
            state = {"checked": 0.0, "behind": True}

            def behind() -> bool:
                now = time.monotonic()
                if now - state["checked"] > 0.25:
                    state["checked"] = now
                    state["behind"] = committed_offset(db) < target and now < deadline
                return bool(state["behind"])

            await drive(http, headers, args.rate, behind, busy)
            elapsed = time.monotonic() - t0
            ingested = committed_lines(db) - before
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"request rate {args.rate}/s, mix {', '.join(ENDPOINTS)}")
    idle_p99 = report("idle", idle)
    busy_p99 = report("ingesting", busy)
    caught_up = "caught up" if ingested >= args.lines else f"NOT caught up within {args.max_seconds}s"
    print(f"in-app ingestion while serving: {ingested} lines in {elapsed:.1f}s = {ingested / elapsed:,.0f} lines/s ({caught_up})")
    print(f"API p99 while ingesting at full speed: {busy_p99:.1f} ms (idle {idle_p99:.1f} ms, x{busy_p99 / idle_p99:.1f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--rate", type=float, default=40.0, help="API requests per second (open loop)")
    ap.add_argument("--idle-seconds", type=float, default=15.0)
    ap.add_argument("--max-seconds", type=float, default=180.0)
    asyncio.run(run(ap.parse_args()))


if __name__ == "__main__":
    main()

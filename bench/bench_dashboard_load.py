"""Dashboard load (issue #8): N dashboards poll runtime and hold WebSockets while strategies trade
and the log pipeline ingests at full speed.

Everything runs on loopback, in separate processes so the load generator is not the server:
  * the real API: `uvicorn deltaplane.app:create_app` (uvloop/httptools, websockets-sansio like
    `deltaplane serve`), temp SQLite, LOG_LEVEL=INFO (every request writes its JSON log line, as
    in production), BACKEND_LOG_INGEST_ENABLED=true, paper exchange on a real-speed clock with
    ticks every --tick-interval s (0.25 s: the engine's own push cap of 4/s per strategy);
  * --strategies paper strategies (default 5), created and started over the API; the run starts
    once every one of them has actually entered (state `open`, legs filled by the engine);
  * a log writer process appending realistic JSON lines (core/logging.py's shape) to the very
    file the API tails, keeping the unread backlog at about --log-backlog bytes (read from
    GET /api/health/ready's log_ingestion check, which also gives the ingest rate). The default,
    50 MB, keeps the tailer behind for the whole run, so it ingests at full speed; bounded;
  * --procs client processes (uvloop if present) running --clients dashboards between them. Each
    dashboard keeps one keep-alive HTTP/1.1 connection (a raw asyncio client) polling
    GET /api/strategies/{id}/runtime every --poll-interval s (setInterval-like, random phase;
    0 = back-to-back, the stress figure), and one WebSocket (its own single-use ticket)
    subscribed to runtime:{id}, orders and alerts, answering heartbeats.

What the SPA does: it does not poll runtime at all (frontend/src/features/live/useRuntime.ts
loads it once, then applies `runtime:{id}` pushes, refetching only on state/order events,
coalesced over 300 ms). Polling every second is therefore a conservative stand-in for "HTTP
polling of runtime" from the issue: more HTTP load than real browsers generate.

WebSocket push delay uses a server timestamp carried by the runtime tick itself: each tick's
`levels` holds `exit_deadline` and `seconds_to_exit_deadline` measured at the engine clock's
`now` just before the push, so the evaluation instant is exit_deadline - seconds_to_exit_deadline.
At --time-scale 1 the engine clock is wall time (anchored at start-up), so
delay = client receive wall time - that instant (same host, same clock). The fan-out skew (how
much later each client got an event than the first client that got it) is reported too.

Figures: runtime reads/s, read latency p50/p99 (client-side, send to last body byte), WS push
delay p50/p99, errors (non-200s, timeouts, disconnects, WS resyncs), log lines ingested/s during
the run, CPU of the API process (and of its log-ingest child), of each client process, and the
machine's load average: with more runnable processes than cores, other work competes with the
server and the tail latencies measure the machine, not the API. The key figure, runtime read p99
against the 50 ms target, is printed LAST.

    backend/.venv/bin/python bench/bench_dashboard_load.py                       # 200 clients, 60 s, 1 s polling
    backend/.venv/bin/python bench/bench_dashboard_load.py --poll-interval 0     # back-to-back stress figure

Bounded: every wait has a deadline, every loop ends at the run's end, the server and helper
processes are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import free_port, pct

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "backend"
ADMIN_PASSWORD = "bench-admin-pass-123"
VIEWER_PASSWORD = "bench-viewer-pass-123"
TARGET_P99_MS = 50.0


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds of the process, of its live child processes): utime + stime from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        fields = _stat(pid)
        own = (int(fields[11]) + int(fields[12])) / tick
    except (OSError, IndexError, ValueError):
        return float("nan"), float("nan")
    children = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = _stat(int(entry.name))
                if int(fields[1]) == pid:
                    children += (int(fields[11]) + int(fields[12])) / tick
    return own, children


# --- a tiny synchronous JSON client for setup and for the log writer ------------------------------
class Api:
    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token

    def call(self, method: str, path: str, body: Any = None, timeout: float = 30.0) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw[:1] in (b"{", b"[") else raw)
        finally:
            conn.close()


def ingestion_stats(port: int) -> dict[str, Any]:
    status, body = Api(port).call("GET", "/api/health/ready", timeout=10.0)
    if not isinstance(body, dict):
        return {}
    return next((c for c in body.get("checks", []) if c.get("name") == "log_ingestion"), {})


# --- the server ---------------------------------------------------------------------------------
def start_server(tmp: Path, port: int, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "LOG_DIR": str(tmp / "logs"),
        "LOG_TO_STDOUT": "false",
        "LOG_LEVEL": args.log_level,
        "SERVE_SPA": "false",
        "JWT_SECRET": "bench-secret-" + "z" * 40,
        "INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BACKEND_LOG_INGEST_ENABLED": "true",
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "PAPER_TIME_SCALE": str(args.time_scale),
        "PAPER_TICK_INTERVAL": str(args.tick_interval),
        "DELTAPLANE_ENV_FILE": str(tmp / "none.env"),
    }
    cmd = [sys.executable, "-m", "uvicorn", "deltaplane.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--ws", "websockets-sansio", "--no-access-log"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.err", "wb"))  # noqa: SIM115


def wait_healthy(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if Api(port).call("GET", "/api/health", timeout=2.0)[0] == 200:
                return
        time.sleep(0.2)  # polling for start-up
    raise SystemExit("server did not become healthy in time")


def strategy_body(i: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "name": f"bench strangle {i}",
        "underlying": "BTC" if i % 2 == 0 else "ETH",
        "timezone": "UTC",
        "entry_time": now.strftime("%H:%M"),  # this minute: inside the window, enters at once
        "entry_window_minutes": 30,
        "exit_time": (now + timedelta(hours=3)).strftime("%H:%M"),
        "schedule_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "max_loss_pct": "500",
        "take_profit_pct": "99",
        "execution": {"limit_attempts": 2, "attempt_timeout_s": 2, "max_slippage_pct": "5", "market_fallback": True},
    }


def setup(port: int, n_strategies: int, enter_timeout: float) -> tuple[list[str], list[int]]:
    status, body = Api(port).call("POST", "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
    if status != 200:
        raise SystemExit(f"login failed: {status} {body}")
    admin = Api(port, body["access_token"])
    status, body = admin.call("POST", "/api/users", {"username": "watcher", "password": VIEWER_PASSWORD, "role": "viewer"})
    if status != 201:
        raise SystemExit(f"create viewer failed: {status} {body}")
    tokens = []
    for i in range(6):  # a few browsers' worth of sessions: half admin, half viewer
        user, password = ("admin", ADMIN_PASSWORD) if i % 2 == 0 else ("watcher", VIEWER_PASSWORD)
        status, body = Api(port).call("POST", "/api/auth/login", {"username": user, "password": password})
        if status != 200:
            raise SystemExit(f"login {user} failed: {status} {body}")
        tokens.append(body["access_token"])
    ids = []
    for i in range(n_strategies):
        status, body = admin.call("POST", "/api/strategies", strategy_body(i))
        if status != 201:
            raise SystemExit(f"create strategy failed: {status} {body}")
        sid = body["id"]
        status, body = admin.call("POST", f"/api/strategies/{sid}/actions", {"action": "start"})
        if status != 200:
            raise SystemExit(f"start failed: {status} {body}")
        ids.append(sid)
    deadline = time.monotonic() + enter_timeout
    states: dict[int, str] = {}
    while time.monotonic() < deadline:
        states = {sid: admin.call("GET", f"/api/strategies/{sid}/runtime")[1].get("state", "?") for sid in ids}
        if all(s == "open" for s in states.values()):
            return tokens, ids
        time.sleep(0.5)  # polling for the engine's entries
    raise SystemExit(f"strategies did not all enter within {enter_timeout:.0f} s: {states}")


# --- the log writer process ---------------------------------------------------------------------
LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARNING", "ERROR")
EVENTS = ("order_placed", "order_filled", "quote_received", "leg_checked", "http_request", "trail_updated")


def log_writer(path: str, port: int, stop_at: Any, backlog: int, out: Any) -> None:
    """Append JSON lines while the tailer's unread backlog is under `backlog` bytes, until stop_at.value."""
    import msgspec

    enc = msgspec.json.Encoder()
    written = 0
    i = 0
    checked_at = 0.0
    lag = 0
    with open(path, "ab", buffering=0) as fh:
        while (now := time.time()) < stop_at.value:
            if now - checked_at >= 0.2:
                with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
                    lag = int(ingestion_stats(port).get("lag_bytes", 0))
                checked_at = now
            if lag >= backlog:
                time.sleep(0.02)  # the tailer is behind by the allowed backlog: wait for it
                continue
            ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            chunk = []
            for _ in range(1000):
                i += 1
                chunk.append(enc.encode({
                    "timestamp": ts, "level": LEVELS[i % 6], "logger": f"deltaplane.engine.{('runner', 'orders', 'market', 'http')[i % 4]}",
                    "event": EVENTS[i % 6], "message": f"order {i} BTC-{90000 + (i % 40) * 500}-C qty {i % 7 + 1} at {100 + i % 250}.5",
                    "correlation_id": f"{i // 20:032x}", "request_id": f"{i:032x}", "strategy_id": str(i % 5 + 1) if i % 2 else None,
                    "session_id": f"{i // 5000:032x}" if i % 2 else None, "symbol": f"C-BTC-{90000 + (i % 40) * 500}", "qty": i % 7 + 1,
                }) + b"\n")
            data = b"".join(chunk)
            fh.write(data)  # one O_APPEND write: lines never interleave with the server's own
            written += 1000
            lag += len(data)
    out.put({"written": written})


# --- the client processes -----------------------------------------------------------------------
class RawHttp:
    """One keep-alive HTTP/1.1 connection; just enough protocol for the API's JSON responses."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, headers: bytes, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is not None and method == "GET":
            try:
                return await self._exchange(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                    raise
                # The server closed the idle keep-alive connection first: retry once on a new one, as browsers do.
                await self.close()
        return await self._exchange(method, path, headers, body)

    async def _exchange(self, method: str, path: str, headers: bytes, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Length: {len(body)}\r\n".encode()
        self.writer.write(head + headers + b"\r\n" + body)
        raw_head = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw_head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size + 2))
            payload = b"".join(p[:-2] for p in parts)
        else:
            payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload


async def dashboard(cid: int, port: int, token: str, sid: int, args: dict[str, Any], timing: dict[str, float],
                    ready: asyncio.Event, start: asyncio.Event, stats: dict[str, Any]) -> None:  # fmt: skip
    import msgspec
    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    auth = f"Authorization: Bearer {token}\r\n".encode()
    http = RawHttp(port)
    interval = args["poll_interval"]
    topic = f"runtime:{sid}"
    errors: dict[str, int] = stats["errors"]

    async def poll() -> None:
        await start.wait()
        t_start, t_end = timing["start"], timing["end"]
        next_at = t_start + (random.random() * interval if interval else 0.0)
        path = f"/api/strategies/{sid}/runtime"
        while True:
            if interval:
                wait = next_at - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                next_at = max(next_at + interval, time.time())
            sent = time.time()
            if sent >= t_end:
                return
            try:
                async with asyncio.timeout(10.0):
                    status, body = await http.request("GET", path, auth)
                took = time.time() - sent
                if status != 200:
                    errors[f"http {status}"] += 1
                elif msgspec.json.decode(body).get("strategy_id") != sid:
                    errors["wrong runtime body"] += 1
                else:
                    stats["latency"].append(took)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError) as exc:
                errors[f"http {type(exc).__name__}"] += 1
                stats["error_at"].append(round(sent - t_start, 1))
                await http.close()

    async def listen() -> None:
        arrivals = stats["arrivals"]
        try:
            status, body = await http.request("POST", "/api/auth/ws-ticket", auth)
            if status not in (200, 201):
                errors[f"ws-ticket http {status}"] += 1
                return
            ticket = msgspec.json.decode(body)["ticket"]
            async with connect(f"ws://127.0.0.1:{port}/api/ws?ticket={ticket}", open_timeout=30, max_size=2**22,
                               ping_interval=None) as ws:  # fmt: skip
                welcome = msgspec.json.decode(await asyncio.wait_for(ws.recv(), timeout=30))
                if welcome.get("type") != "welcome":
                    errors["ws no welcome"] += 1
                    return
                for t in (topic, "orders", "alerts"):
                    await ws.send(msgspec.json.encode({"type": "subscribe", "topic": t}).decode())
                got_snapshot = False
                while True:
                    end = timing.get("end")
                    left = 60.0 if end is None else end - time.time()
                    if left <= 0:
                        break
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=left)
                    except TimeoutError:
                        break
                    now = time.time()
                    msg = msgspec.json.decode(raw)
                    kind = msg.get("type")
                    if kind == "ping":
                        await ws.send('{"type":"pong"}')
                        continue
                    if kind == "snapshot" and msg.get("topic") == topic and not got_snapshot:
                        got_snapshot = True
                        stats["subscribed"] += 1
                        if stats["subscribed"] == stats["clients"]:
                            ready.set()
                        continue
                    t_start = timing.get("start")
                    if t_start is None or now < t_start:
                        continue
                    if kind == "resync":
                        errors["ws resync (messages dropped)"] += 1
                    elif kind == "error":
                        errors["ws error message"] += 1
                    elif kind == "event":
                        stats["messages"] += 1
                        arrivals[(msg["topic"], msg["seq"])].append(now)
                        data = msg.get("data") or {}
                        levels = data.get("levels") if data.get("tick") else None
                        if levels and args["time_scale"] == 1.0:
                            evaluated = datetime.fromisoformat(levels["exit_deadline"]).timestamp() - levels["seconds_to_exit_deadline"]
                            stats["push_delay"].append(now - evaluated)
                if not got_snapshot:
                    errors["ws no snapshot"] += 1
        except (OSError, WebSocketException, TimeoutError, KeyError, ValueError, asyncio.IncompleteReadError) as exc:
            errors[f"ws {type(exc).__name__}"] += 1

    await asyncio.gather(listen(), poll())
    await http.close()


async def worker_main(wid: int, port: int, clients: list[tuple[int, str, int]], args: dict[str, Any], conn: Any) -> None:
    stats: dict[str, Any] = {"latency": [], "errors": defaultdict(int), "arrivals": defaultdict(list), "push_delay": [],
                             "messages": 0, "subscribed": 0, "clients": len(clients), "error_at": []}  # fmt: skip
    timing: dict[str, float] = {}
    ready, start = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()

    async def connect_all() -> list[asyncio.Task[None]]:
        tasks = []
        for cid, token, sid in clients:
            tasks.append(asyncio.create_task(dashboard(cid, port, token, sid, args, timing, ready, start, stats)))
            await asyncio.sleep(0.005)  # browsers do not all open their sockets in the same millisecond
        return tasks

    tasks = await connect_all()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(ready.wait(), timeout=60)
    conn.send({"wid": wid, "subscribed": stats["subscribed"]})
    t_start, t_end = await loop.run_in_executor(None, conn.recv)  # the main process picks one start for all
    timing["start"], timing["end"] = t_start, t_end
    start.set()
    await asyncio.sleep(max(0.0, t_start - time.time()))
    cpu0 = time.process_time()
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=t_end - time.time() + 30)
    except TimeoutError:
        stats["errors"]["client did not finish in time"] += 1
    cpu = time.process_time() - cpu0
    conn.send({"wid": wid, "latency": stats["latency"], "errors": dict(stats["errors"]), "arrivals": dict(stats["arrivals"]),
               "push_delay": stats["push_delay"], "messages": stats["messages"], "subscribed": stats["subscribed"],
               "cpu": cpu, "error_at": stats["error_at"]})  # fmt: skip


def worker(wid: int, port: int, clients: list[tuple[int, str, int]], args: dict[str, Any], conn: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(worker_main(wid, port, clients, args, conn))


# --- orchestration ------------------------------------------------------------------------------
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--strategies", type=int, default=5)
    p.add_argument("--poll-interval", type=float, default=1.0, help="seconds between a dashboard's runtime reads (0 = back-to-back)")
    p.add_argument("--procs", type=int, default=2, help="client processes")
    p.add_argument("--time-scale", type=float, default=1.0, help="PAPER_TIME_SCALE (1 = real time; the push delay needs it)")
    p.add_argument("--tick-interval", type=float, default=0.25, help="PAPER_TICK_INTERVAL, clock seconds")
    p.add_argument("--log-level", default="INFO", help="server LOG_LEVEL (INFO: every request logs a line, as in production)")
    p.add_argument("--log-backlog", type=int, default=50_000_000,
                   help="bytes the log writer keeps ahead of ingestion: 50 MB keeps the tailer always behind, i.e. at full speed (0 = no writer)")
    p.add_argument("--enter-timeout", type=float, default=90.0)
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dp-bench-dash-"))
    port = free_port()
    proc = start_server(tmp, port, args)
    writer_proc: mp.process.BaseProcess | None = None
    workers: list[tuple[mp.process.BaseProcess, Any]] = []
    ctx = mp.get_context("spawn")
    try:
        wait_healthy(port, proc)
        t0 = time.monotonic()
        tokens, ids = setup(port, args.strategies, args.enter_timeout)
        print(f"server 127.0.0.1:{port} (pid {proc.pid}); {len(ids)} paper strategies entered in {time.monotonic() - t0:.1f} s; "
              f"{os.cpu_count()} CPU cores; LOG_LEVEL={args.log_level}; ticks every {args.tick_interval} s at time scale x{args.time_scale}")  # fmt: skip
        wargs = {"poll_interval": args.poll_interval, "time_scale": args.time_scale}
        assignments: list[list[tuple[int, str, int]]] = [[] for _ in range(args.procs)]
        for c in range(args.clients):
            assignments[c % args.procs].append((c, tokens[c % len(tokens)], ids[c % len(ids)]))
        results_q = ctx.Queue()
        stop_writing = ctx.Value("d", time.time() + args.seconds + 300)  # set to the run's end below
        if args.log_backlog > 0:  # from now on: ingestion is at full speed before the run starts
            writer_proc = ctx.Process(target=log_writer, args=(str(tmp / "logs" / "backend.log"), port, stop_writing, args.log_backlog, results_q),
                                      daemon=True)  # fmt: skip
            writer_proc.start()
        for wid, clients in enumerate(assignments):
            parent, child = ctx.Pipe()
            w = ctx.Process(target=worker, args=(wid, port, clients, wargs, child), daemon=True)
            w.start()
            workers.append((w, parent))
        subscribed = 0
        for _, conn in workers:
            if not conn.poll(120):
                raise SystemExit("a client process did not connect in time")
            subscribed += conn.recv()["subscribed"]
        t_start = time.time() + 1.0
        t_end = t_start + args.seconds
        stop_writing.value = t_end
        for _, conn in workers:
            conn.send((t_start, t_end))
        print(f"{args.clients} dashboards ({subscribed} subscribed) in {args.procs} client processes for {args.seconds:.0f} s, "
              f"runtime poll every {args.poll_interval} s{' (back-to-back)' if not args.poll_interval else ''}")  # fmt: skip
        time.sleep(max(0.0, t_start - time.time()))
        ingest0, cpu0, wall0, load0 = ingestion_stats(port), cpu_seconds(proc.pid), time.monotonic(), os.getloadavg()[0]
        time.sleep(max(0.0, t_end - time.time()))
        ingest1, cpu1, wall1, load1 = ingestion_stats(port), cpu_seconds(proc.pid), time.monotonic(), os.getloadavg()[0]
        results = []
        for w, conn in workers:
            if conn.poll(args.seconds + 60):
                results.append(conn.recv())
            w.join(timeout=10)
        written = results_q.get(timeout=30)["written"] if writer_proc is not None else 0
        admin = Api(port)
        status, body = admin.call("POST", "/api/auth/login", {"username": "admin", "password": ADMIN_PASSWORD})
        admin.token = body["access_token"]
        states = [admin.call("GET", f"/api/strategies/{sid}/runtime")[1].get("state") for sid in ids]
    finally:
        for w, _ in workers:
            if w.is_alive():
                w.terminate()
        if writer_proc is not None and writer_proc.is_alive():
            writer_proc.terminate()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    elapsed = t_end - t_start
    latency = [x for r in results for x in r["latency"]]
    delays = [x for r in results for x in r["push_delay"]]
    errors: dict[str, int] = defaultdict(int)
    for r in results:
        for k, v in r["errors"].items():
            errors[k] += v
    if len(results) < len(workers):
        errors["client process lost"] += len(workers) - len(results)
    arrivals: dict[Any, list[float]] = defaultdict(list)
    for r in results:
        for k, v in r["arrivals"].items():
            arrivals[k].extend(v)
    skews = [a - min(v) for v in arrivals.values() for a in v]
    messages = sum(r["messages"] for r in results)
    reads = len(latency)
    n_errors = sum(errors.values())
    ingested = int(ingest1.get("lines_ingested", 0)) - int(ingest0.get("lines_ingested", 0))
    p50, p99 = pct(latency, 50) * 1000, pct(latency, 99) * 1000
    d99 = pct(delays, 99) * 1000

    print(f"strategy states at end: {states}")
    print(f"runtime reads: {reads} ok in {elapsed:.0f} s = {reads / elapsed:.1f} req/s")
    print(f"runtime read latency: p50 {p50:.1f} ms, p90 {pct(latency, 90) * 1000:.1f} ms, p99 {p99:.1f} ms, "
          f"max {max(latency, default=float('nan')) * 1000:.1f} ms, mean {statistics.fmean(latency) * 1000 if reads else float('nan'):.1f} ms")  # fmt: skip
    print(f"websockets: {sum(r['subscribed'] for r in results)}/{args.clients} subscribed; {messages} events received "
          f"({messages / elapsed:.0f} msg/s) for {len(arrivals)} distinct pushed events")  # fmt: skip
    print(f"ws push delay (server tick timestamp -> client): p50 {pct(delays, 50) * 1000:.1f} ms, p99 {d99:.1f} ms "
          f"({len(delays)} tick samples)")  # fmt: skip
    print(f"ws fan-out skew (vs first client to receive the same event): p50 {pct(skews, 50) * 1000:.1f} ms, p99 {pct(skews, 99) * 1000:.1f} ms")
    print(f"log ingest during the run: {ingested} lines = {ingested / elapsed:.0f} lines/s (writer appended {written}); "
          f"lag at end {int(ingest1.get('lag_bytes', 0)) / 1e6:.1f} MB, {ingest1.get('lag_seconds', 0)} s")  # fmt: skip
    span = wall1 - wall0
    print(f"server CPU: API process {(cpu1[0] - cpu0[0]) / span * 100:.0f} %, its child processes (log ingest) "
          f"{(cpu1[1] - cpu0[1]) / span * 100:.0f} % of one core; machine load average {load0:.1f} at start, "
          f"{load1:.1f} at end ({os.cpu_count()} cores: above that, other processes compete with the server)")  # fmt: skip
    client_cpu = ", ".join(f"{r['cpu'] / elapsed * 100:.0f} %" for r in results)
    print(f"client processes CPU: {client_cpu} of one core each")
    error_at = sorted(x for r in results for x in r["error_at"])
    print(f"errors: {n_errors} {dict(errors) if errors else ''}{f' (HTTP failures at run seconds {error_at[:10]}...)' if error_at else ''}")
    verdict = "MEETS" if p99 < TARGET_P99_MS and n_errors == 0 else "MISSES"
    print(f"KEY: {args.clients} dashboards, poll {args.poll_interval} s: runtime read p99 {p99:.1f} ms (p50 {p50:.1f}) at {reads / elapsed:.0f} req/s, "
          f"ws push p99 {d99:.0f} ms, {ingested / elapsed:.0f} log lines/s ingested, errors {n_errors} -> {verdict} target p99 < {TARGET_P99_MS:.0f} ms, 0 errors")  # fmt: skip


if __name__ == "__main__":
    main()

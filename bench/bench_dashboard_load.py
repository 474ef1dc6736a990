"""Dashboard load: N browsers polling a strategy's runtime and holding a WebSocket on runtime:{id}.

Starts the real app with uvicorn on 127.0.0.1 (random port, temp SQLite, SERVE_SPA=false, a sped-up
paper clock), creates and starts a few paper strategies through the API so the engine really runs,
then runs N concurrent dashboard clients for a fixed duration. Each client:
  * polls GET /api/strategies/{id}/runtime every --poll-interval seconds (0 = back-to-back),
  * holds WS /api/ws (its own single-use ticket) subscribed to runtime:{id}.

Reported: runtime reads/s, p50/p99 read latency, WS messages/s, WS fan-out delay p50/p99 and errors.
The WS payload carries no server timestamp (and this bench adds nothing to the product), so the push
delay is measured as fan-out skew: for each pushed event (topic, seq), how much later each client got
it than the first client that got it. That is a lower bound on true push latency, dominated by
server-side fan-out and event-loop queueing, which is what load adds.

    python bench/bench_dashboard_load.py --clients 200 --seconds 60

Bounded: every wait has a deadline; the server is terminated at the end. Prints the key figure last.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import websockets

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "backend"
ADMIN_PASSWORD = "bench-admin-pass-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def start_server(tmp: Path, port: int, time_scale: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'bench.db'}",
        "LOG_DIR": str(tmp / "logs"),
        "LOG_TO_STDOUT": "false",
        "LOG_LEVEL": "WARNING",
        "SERVE_SPA": "false",
        "JWT_SECRET": "bench-secret-" + "z" * 40,
        "INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BACKEND_LOG_INGEST_ENABLED": "false",
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "PAPER_TIME_SCALE": str(time_scale),
        "DELTAPLANE_ENV_FILE": str(tmp / "none.env"),
    }
    cmd = [sys.executable, "-m", "uvicorn", "deltaplane.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--ws", "websockets", "--no-access-log"]  # fmt: skip
    return subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "server.err", "wb"))  # noqa: SIM115


async def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=2.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited with {proc.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await c.get("/api/health")).status_code == 200:
                    return
            await asyncio.sleep(0.2)  # polling for start-up, not synchronisation between tasks
    raise SystemExit("server did not become healthy in time")


def strategy_body(i: int, time_scale: float) -> dict:
    now = datetime.now(UTC)
    entry = now + timedelta(seconds=max(60.0, 3 * time_scale))  # a few wall seconds ahead on the sped-up clock
    exit_ = entry + timedelta(hours=3)
    return {
        "name": f"bench strangle {i}",
        "underlying": "BTC" if i % 2 == 0 else "ETH",
        "timezone": "UTC",
        "entry_time": entry.strftime("%H:%M"),
        "entry_window_minutes": 30,
        "exit_time": exit_.strftime("%H:%M"),
        "max_loss_pct": "500",
        "take_profit_pct": "99",
        "execution": {"limit_attempts": 2, "attempt_timeout_s": 3, "max_slippage_pct": "5", "market_fallback": True},
    }


class Stats:
    def __init__(self) -> None:
        self.read_latency: list[float] = []
        self.read_errors: dict[str, int] = defaultdict(int)
        self.ws_messages = 0
        self.ws_errors: dict[str, int] = defaultdict(int)
        self.ws_arrivals: dict[tuple[str, int], list[float]] = defaultdict(list)
        self.ws_connected = 0


async def dashboard(base: str, ws_base: str, http: httpx.AsyncClient, token: str, sid: int, deadline: float,
                    poll_interval: float, stats: Stats) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}

    async def poll() -> None:
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                r = await http.get(f"/api/strategies/{sid}/runtime", headers=headers)
                if r.status_code == 200:
                    stats.read_latency.append(time.perf_counter() - t0)
                else:
                    stats.read_errors[f"http {r.status_code}"] += 1
            except httpx.HTTPError as exc:
                stats.read_errors[type(exc).__name__] += 1
            if poll_interval:
                await asyncio.sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))

    async def listen() -> None:
        try:
            r = await http.post("/api/auth/ws-ticket", headers=headers)
            ticket = r.json()["ticket"]
            async with websockets.connect(f"{ws_base}/api/ws?ticket={ticket}", open_timeout=30, max_size=2**22) as ws:
                welcome = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if welcome.get("type") != "welcome":
                    stats.ws_errors["no welcome"] += 1
                    return
                await ws.send(json.dumps({"type": "subscribe", "topic": f"runtime:{sid}"}))
                stats.ws_connected += 1
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=left)
                    except TimeoutError:
                        break
                    now = time.perf_counter()
                    msg = json.loads(raw)
                    if msg.get("type") == "event":
                        stats.ws_messages += 1
                        stats.ws_arrivals[(msg.get("topic", f"runtime:{sid}"), msg["seq"])].append(now)
        except (OSError, websockets.WebSocketException, TimeoutError, KeyError, ValueError) as exc:
            stats.ws_errors[type(exc).__name__] += 1

    await asyncio.gather(poll(), listen())


async def run(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="dp-bench-"))
    port = free_port()
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    proc = start_server(tmp, port, args.time_scale)
    try:
        await wait_healthy(base, proc)
        limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients + 10)
        async with httpx.AsyncClient(base_url=base, timeout=30.0, limits=limits) as http:
            r = await http.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
            r.raise_for_status()
            token = r.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            ids = []
            for i in range(args.strategies):
                r = await http.post("/api/strategies", json=strategy_body(i, args.time_scale), headers=auth)
                if r.status_code != 201:
                    raise SystemExit(f"create strategy failed: {r.status_code} {r.text}")
                sid = r.json()["id"]
                r = await http.post(f"/api/strategies/{sid}/actions", json={"action": "start"}, headers=auth)
                if r.status_code != 200:
                    raise SystemExit(f"start failed: {r.status_code} {r.text}")
                ids.append(sid)
            print(f"server 127.0.0.1:{port} (pid {proc.pid}); {len(ids)} paper strategies started; time scale x{args.time_scale}")
            print(f"{args.clients} dashboard clients for {args.seconds:.0f} s, poll interval {args.poll_interval} s; {os.cpu_count()} CPU cores")
            stats = Stats()
            started = time.monotonic()
            deadline = started + args.seconds
            await asyncio.gather(*(dashboard(base, ws_base, http, token, ids[i % len(ids)], deadline, args.poll_interval, stats)
                                   for i in range(args.clients)))  # fmt: skip
            elapsed = time.monotonic() - started
            states = [(await http.get(f"/api/strategies/{sid}/runtime", headers=auth)).json().get("state") for sid in ids]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    reads = len(stats.read_latency)
    skews = []
    for arrivals in stats.ws_arrivals.values():
        first = min(arrivals)
        skews.extend(a - first for a in arrivals)
    events = len(stats.ws_arrivals)
    print(f"strategy states at end: {states}")
    print(f"runtime reads: {reads} ok in {elapsed:.1f} s = {reads / elapsed:.1f} req/s")
    print(f"runtime read latency: p50 {pct(stats.read_latency, 50) * 1000:.1f} ms, p99 {pct(stats.read_latency, 99) * 1000:.1f} ms, "
          f"mean {statistics.fmean(stats.read_latency) * 1000 if reads else float('nan'):.1f} ms")  # fmt: skip
    print(f"read errors: {dict(stats.read_errors) or 0}")
    print(f"websockets subscribed: {stats.ws_connected}/{args.clients}; ws errors: {dict(stats.ws_errors) or 0}")
    print(f"ws messages received: {stats.ws_messages} ({stats.ws_messages / elapsed:.1f} msg/s) for {events} distinct pushed events")
    print(f"ws fan-out delay (vs first receiving client): p50 {pct(skews, 50) * 1000:.1f} ms, p99 {pct(skews, 99) * 1000:.1f} ms")
    print(f"KEY: {args.clients} clients -> {reads / elapsed:.0f} runtime req/s, read p99 {pct(stats.read_latency, 99) * 1000:.0f} ms, "
          f"ws fan-out p99 {pct(skews, 99) * 1000:.0f} ms, errors {sum(stats.read_errors.values()) + sum(stats.ws_errors.values())}")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--strategies", type=int, default=3)
    p.add_argument("--poll-interval", type=float, default=1.0, help="seconds between a client's runtime reads (0 = back-to-back)")
    p.add_argument("--time-scale", type=float, default=20.0, help="PAPER_TIME_SCALE for the server")
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()

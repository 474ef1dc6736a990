"""python -m deltaplane.exchange.fake_delta --port 8765"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.fake_delta.server import FakeDeltaServer


async def _run(args: argparse.Namespace) -> None:
    # manual runs start the simulated market at the current time so listed expiries are upcoming
    start = datetime.now(UTC).replace(microsecond=0)
    server = FakeDeltaServer(api_keys={args.api_key: args.api_secret}, seed=args.seed, clock=SimulatedClock(start),
                             control=args.control)
    await server.start(args.host, args.port)
    server.start_auto_ticks(args.tick_interval)
    print(f"fake Delta REST {server.base_url}  WS {server.ws_url}  key={args.api_key}"
          f"{'  control ' + server.base_url + '/_control/' if args.control else ''}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Delta Exchange (REST v2 + public WS) on loopback")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tick-interval", type=float, default=1.0)
    parser.add_argument("--api-key", default="test-key")
    parser.add_argument("--api-secret", default="test-secret")
    parser.add_argument("--control", action="store_true",
                        help="serve the fault-injection control API under /_control/ (tests in another process)")
    args = parser.parse_args()
    try:
        asyncio.run(_run(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

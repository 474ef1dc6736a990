"""DeltaExchange adapter round-trips per second against the fake Delta server on loopback.

Each round-trip is one signed REST request through the full adapter path (signing, rate budget,
httpx over a real TCP socket, the fake server verifying the signature and answering from the
paper simulator). The mix is reads (balances, positions, order by client id) plus order placement.
Run: backend/.venv/bin/python bench/bench_adapter_roundtrip.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

from deltaplane.exchange.delta import DeltaExchange, RateBudget  # noqa: E402
from deltaplane.exchange.fake_delta import FakeDeltaServer  # noqa: E402
from deltaplane.exchange.protocol import OrderRequest  # noqa: E402


async def main(duration_s: float = 3.0) -> None:
    server = FakeDeltaServer(rate_limit=10**9)
    await server.start()
    adapter = DeltaExchange.create("india", api_key="test-key", api_secret="test-secret", base_url=server.base_url,
                                   ws_url=server.ws_url, budget=RateBudget(limit=10**9))
    try:
        expiry = (await adapter.expiries("BTC"))[0]
        chain = await adapter.chain("BTC", expiry)
        target = next(t for t in chain if t.best_bid and t.symbol.startswith("P-"))
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < duration_s:
            await adapter.balances()
            await adapter.positions()
            await adapter.place_order(OrderRequest(symbol=target.symbol, side="buy", size=1,
                                                   limit_price=target.best_bid, client_order_id=f"bench-{n}"))
            await adapter.get_order_by_client_id(f"bench-{n}")
            n += 4
        elapsed = time.perf_counter() - started
        rate = n / elapsed
        print(f"round-trips: {n} in {elapsed:.2f}s over loopback (client and server share one core/event loop)")
        print(f"adapter_roundtrips_per_s={rate:.0f}")
    finally:
        await adapter.close()
        await server.stop()


if __name__ == "__main__":
    asyncio.run(main())

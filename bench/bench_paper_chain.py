"""PaperExchange: full BTC option-chain updates per second on one core.

One update = advance the simulated clock one step (the spot moves) and recompute every ticker
of the nearest BTC expiry (Black-76 marks on the smile, greeks, bid/ask and sizes).
Run: backend/.venv/bin/python bench/bench_paper_chain.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

from deltaplane.exchange.clock import SimulatedClock  # noqa: E402
from deltaplane.exchange.paper import PaperConfig, PaperExchange  # noqa: E402


def main(duration_s: float = 3.0) -> None:
    clock = SimulatedClock()
    paper = PaperExchange(PaperConfig(seed=7), clock=clock)
    expiry = paper._listed("BTC")[0]
    tickers = len(paper.chain_now("BTC", expiry))
    for _ in range(200):  # warm-up
        clock.advance(1)
        paper.chain_now("BTC", expiry)
    updates = 0
    started = time.perf_counter()
    while time.perf_counter() - started < duration_s:
        for _ in range(100):
            clock.advance(1)
            paper.chain_now("BTC", expiry)
        updates += 100
    elapsed = time.perf_counter() - started
    rate = updates / elapsed
    print(f"chain: BTC {expiry:%Y-%m-%d %H:%M} UTC, {tickers} tickers per update")
    print(f"updates: {updates} in {elapsed:.2f}s ({rate * tickers:,.0f} tickers/s); target >= 2,000 updates/s")
    print(f"paper_chain_updates_per_s={rate:.0f}")


if __name__ == "__main__":
    main()

"""Tick-to-exit-decision latency of the pure exit rules (strategy.rules.exits.evaluate_exit).

Replays a seeded random walk of call/put marks through evaluate_exit, carrying the trailing state
from tick to tick as the engine does, and times each evaluation in-process.
Target: p99 < 5 ms (5000 us). Prints the p99 in microseconds LAST.

    backend/.venv/bin/python bench/bench_exit_decision.py [evaluations]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "backend" / "src"))

from deltaplane.strategy.config import StrategyConfig  # noqa: E402
from deltaplane.strategy.rules.exits import (  # noqa: E402
    MarketState,
    PositionState,
    compute_exit_deadline,
    evaluate_exit,
)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rng = random.Random(20250131)
    cfg = StrategyConfig(name="bench", leg_stop_loss_pct=Decimal(150), daily_loss_limit_usd=Decimal(500))
    entered = datetime(2025, 1, 31, 4, 0, tzinfo=UTC)
    position = PositionState(
        call_entry_price=Decimal("350.5"), put_entry_price=Decimal("300.0"), quantity=10,
        contract_value=Decimal("0.001"), entered_at=entered, expiry=datetime(2025, 2, 1, 12, tzinfo=UTC),
        exit_deadline=compute_exit_deadline(entered, cfg.exit_time, cfg.timezone),
    )
    # precompute the ticks so only the decision is timed
    call, put = 350.5, 300.0
    ticks = []
    for i in range(n):
        call = max(0.5, call * (1 + rng.gauss(0, 0.004)))
        put = max(0.5, put * (1 + rng.gauss(0, 0.004)))
        if not 0.3 * 650.5 < call + put < 1.6 * 650.5:
            call, put = 350.5, 300.0  # far outside the exit levels: start a fresh session's walk
        ticks.append((MarketState(call_mark=Decimal(f"{call:.1f}"), put_mark=Decimal(f"{put:.1f}")),
                      entered + timedelta(milliseconds=100 * i)))

    samples = [0] * n
    exits = 0
    trailing = position.trailing
    perf = time.perf_counter_ns
    for i, (mk, now) in enumerate(ticks):
        pos = position if position.trailing is trailing else _with_trailing(position, trailing)
        t0 = perf()
        ev = evaluate_exit(pos, mk, cfg, now)
        samples[i] = perf() - t0
        trailing = ev.trailing
        if ev.decision is not None:
            exits += 1
            trailing = position.trailing  # the engine would start a new session; reset

    samples.sort()
    p50 = samples[n // 2] / 1000
    p99 = samples[min(n - 1, int(n * 0.99))] / 1000
    print(f"evaluations={n} exit_decisions={exits} mean_us={statistics.fmean(samples) / 1000:.1f} "
          f"p50_us={p50:.1f} max_us={samples[-1] / 1000:.1f} target_p99_us=5000")
    print(f"p99_us={p99:.1f}")


def _with_trailing(position: PositionState, trailing) -> PositionState:
    import msgspec

    return msgspec.structs.replace(position, trailing=trailing)


if __name__ == "__main__":
    main()

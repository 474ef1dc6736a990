"""Delta's weighted rate budget (pure): 10,000 units per fixed 5-minute window."""

from __future__ import annotations

import re

import msgspec

WINDOW_S = 300.0
BUDGET_UNITS = 10_000

_ORDER_WRITE = re.compile(r"^/v2/orders(/all)?$")


def endpoint_weight(method: str, path: str) -> int:
    """Weights from the doc: 3 market data/open orders/positions/balances, 5 order writes,
    10 order history/fills, 25 batch, 1 anything else."""
    method = method.upper()
    if path.startswith("/v2/orders/batch"):
        return 25
    if path.startswith("/v2/orders/history") or path.startswith("/v2/fills"):
        return 10
    if method in ("POST", "PUT", "DELETE") and _ORDER_WRITE.match(path):
        return 5
    if path.startswith(("/v2/products", "/v2/l2orderbook", "/v2/tickers", "/v2/positions", "/v2/wallet/balances")):
        return 3
    if method == "GET" and path == "/v2/orders":
        return 3
    return 1


class RateBudget(msgspec.Struct, kw_only=True):
    """Fixed windows aligned on multiples of `window_s` (as the exchange counts them)."""

    limit: int = BUDGET_UNITS
    window_s: float = WINDOW_S
    window_start: float = 0.0
    used: int = 0
    blocked_until: float = 0.0  # set from the server's X-RATE-LIMIT-RESET

    def _roll(self, now: float) -> None:
        start = (now // self.window_s) * self.window_s
        if start != self.window_start:
            self.window_start, self.used = start, 0

    def remaining(self, now: float) -> int:
        self._roll(now)
        return self.limit - self.used

    def reset_after(self, now: float) -> float:
        self._roll(now)
        if now < self.blocked_until:
            return self.blocked_until - now
        return self.window_start + self.window_s - now

    def try_consume(self, now: float, weight: int) -> bool:
        """Take `weight` units if they fit in this window; False (nothing taken) otherwise."""
        self._roll(now)
        if now < self.blocked_until or self.used + weight > self.limit:
            return False
        self.used += weight
        return True

    def exhaust(self, now: float) -> None:
        """Our count says nothing is left in this window."""
        self._roll(now)
        self.used = self.limit

    def block(self, now: float, reset_after_s: float) -> None:
        """The server said 429: send nothing until its reset time has passed."""
        self.blocked_until = max(self.blocked_until, now + reset_after_s)

    def unblock(self) -> None:
        self.blocked_until = 0.0

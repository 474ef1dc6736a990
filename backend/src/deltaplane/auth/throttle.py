"""Login throttling per username and per client IP (in-process; one API process by design).

A password check is `begin` (before any await) ... `end`: attempts still in flight count against
the limit, so a burst of simultaneous guesses cannot all pass the check before the first failure
is recorded.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        window_seconds: float,
        lockout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.lockout = lockout_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._pending: dict[str, int] = {}  # attempts begun and not yet ended, per key

    @staticmethod
    def keys(username: str, ip: str) -> tuple[str, str]:
        return f"user:{username.strip().lower()}", f"ip:{ip}"

    def retry_after(self, username: str, ip: str) -> int:
        """Seconds the caller must wait before trying again (0 = allowed)."""
        now = self.clock()
        wait = 0.0
        for key in self.keys(username, ip):
            until = self._locked_until.get(key, 0.0)
            if until > now:
                wait = max(wait, until - now)
        return math.ceil(wait)

    def begin(self, username: str, ip: str) -> int:
        """Reserve an attempt: 0 = go ahead (call `end` afterwards), else seconds to wait."""
        wait = self.retry_after(username, ip)
        if wait:
            return wait
        now = self.clock()
        keys = self.keys(username, ip)
        for key in keys:
            recent = sum(1 for t in self._failures.get(key, ()) if now - t <= self.window)
            if recent + self._pending.get(key, 0) >= self.max_failures:
                return 1  # enough attempts are in flight to reach the limit: they settle in well under 1 s
        for key in keys:
            self._pending[key] = self._pending.get(key, 0) + 1
        return 0

    def end(self, username: str, ip: str, *, failed: bool | None) -> None:
        """Release a `begin` reservation: failed=True records a failure, False a success, None neither."""
        for key in self.keys(username, ip):
            left = self._pending.get(key, 0) - 1
            if left > 0:
                self._pending[key] = left
            else:
                self._pending.pop(key, None)
        if failed is True:
            self.record_failure(username, ip)
        elif failed is False:
            self.record_success(username, ip)

    def record_failure(self, username: str, ip: str) -> None:
        now = self.clock()
        for key in self.keys(username, ip):
            window = self._failures.setdefault(key, deque())
            window.append(now)
            while window and now - window[0] > self.window:
                window.popleft()
            if len(window) >= self.max_failures:
                self._locked_until[key] = now + self.lockout
                window.clear()
        if len(self._failures) > 100_000:
            self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] <= self.window}

    def record_success(self, username: str, ip: str) -> None:
        user_key, _ = self.keys(username, ip)
        self._failures.pop(user_key, None)
        self._locked_until.pop(user_key, None)

"""Login throttling per username and per client IP (in-process; one API process by design)."""

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

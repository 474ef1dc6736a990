"""Clocks: the simulator never reads wall time directly, so tests drive time by hand."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...

    def resume_from(self, moment: datetime) -> None:
        """Continue no earlier than `moment` (after a restart from a saved state)."""
        ...


class SimulatedClock:
    """Time moves only when a test (or a driver loop) calls advance(); sleepers wake in order."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2025, 1, 30, 9, 0, tzinfo=UTC)
        self._waiters: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        return self.set(self._now + timedelta(seconds=seconds))

    def set(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError("a simulated clock never goes backwards")
        self._now = moment
        while self._waiters and self._waiters[0][0] <= moment:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
        return moment

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self._now + timedelta(seconds=seconds), next(self._seq), fut))
        await fut

    def resume_from(self, moment: datetime) -> None:
        if moment > self._now:
            self.set(moment)


class RealClock:
    """Wall time, optionally sped up: simulated = anchor + (wall elapsed) x time_scale."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None):
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._anchor_wall = time.monotonic()
        self._anchor_sim = start or datetime.now(UTC)

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._anchor_wall) * self.time_scale
        return self._anchor_sim + timedelta(seconds=elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.time_scale)

    def resume_from(self, moment: datetime) -> None:
        # at real speed the saved time is already in the past; a sped-up clock continues from it
        if self.time_scale != 1.0 and moment > self.now():
            self._anchor_wall = time.monotonic()
            self._anchor_sim = moment

"""A small cache for values read from the database, dropped the moment a commit changes them.

Usage (single event loop, no locking needed):

    value = await cache.get_or_load(key, read_from_db)

which is: `get`, else `gen = generation(key)` before reading the database and `put(key, gen,
value)` after (ignored if the key was invalidated meanwhile). Concurrent misses of one key share
one load (no stampede when an entry expires under load), but never a load that started before
the latest invalidation.

`invalidate(key)` / `invalidate_all()` are called by commit listeners (db/changes.py) after the
COMMIT, so a read that overlapped a commit is never stored, and a read that starts after it sees
the new rows. `follow_commits(handler)` registers such a listener; `load_through` caches only
while one is registered (before start-up and after shutdown nothing would drop a stale entry). Entries also expire after `ttl` seconds: a safety net for changes no listener sees
(another process, bulk SQL).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from deltaplane.db.changes import Change, on_commit

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Generation = tuple[int, int]


class GenerationCache(Generic[K, V]):
    def __init__(self, ttl: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._values: dict[K, tuple[float, Generation, V]] = {}  # key -> (stored at, generation, value)
        self._key_gen: dict[K, int] = {}
        self._all_gen = 0
        self._loads: dict[K, tuple[Generation, asyncio.Future[V]]] = {}
        self.hits = 0
        self.misses = 0
        self._unlisten: Callable[[], None] | None = None

    def generation(self, key: K) -> Generation:
        """A token that changes whenever `key` (or everything) is invalidated."""
        return (self._all_gen, self._key_gen.get(key, 0))

    def get(self, key: K) -> V | None:
        entry = self._values.get(key)
        if entry is None or entry[1] != self.generation(key) or self.clock() - entry[0] >= self.ttl:
            self.misses += 1
            return None
        self.hits += 1
        return entry[2]

    def put(self, key: K, generation: Generation, value: V) -> bool:
        """Store `value` read under `generation`; refused (False) if the key changed since."""
        if generation != self.generation(key):
            return False
        if len(self._values) >= self.max_entries and key not in self._values:
            self._values.clear()
        self._values[key] = (self.clock(), generation, value)
        return True

    async def get_or_load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, else the result of `load()` (stored unless invalidated meanwhile).
        Exceptions are not cached; every caller sharing the failed load gets them."""
        value = self.get(key)
        if value is not None:
            return value
        gen = self.generation(key)
        pending = self._loads.get(key)
        if pending is None or pending[0] != gen:  # a load started before the last invalidation cannot be shared
            fut = asyncio.ensure_future(self._load_and_put(key, gen, load))
            pending = (gen, fut)
            self._loads[key] = pending
            fut.add_done_callback(lambda f: self._load_done(key, f))
        return await asyncio.shield(pending[1])

    async def _load_and_put(self, key: K, gen: Generation, load: Callable[[], Awaitable[V]]) -> V:
        value = await load()
        self.put(key, gen, value)
        return value

    def _load_done(self, key: K, fut: asyncio.Future[V]) -> None:
        current = self._loads.get(key)
        if current is not None and current[1] is fut:
            del self._loads[key]
        if not fut.cancelled():
            fut.exception()  # retrieved here: every waiter may have gone away

    # -- following commits (db/changes.py) ----------------------------------------------------------
    def follow_commits(self, handler: Callable[[list[Change]], None]) -> None:
        """Start caching; `handler` turns each commit's changes into `invalidate` calls."""
        if self._unlisten is None:
            self.invalidate_all()
            self._unlisten = on_commit(handler)

    def stop_following(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        self.invalidate_all()

    async def load_through(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """`get_or_load` while following commits, else `load()` every time."""
        if self._unlisten is None:
            return await load()
        return await self.get_or_load(key, load)

    def invalidate(self, key: K) -> None:
        self._key_gen[key] = self._key_gen.get(key, 0) + 1
        self._values.pop(key, None)
        if len(self._key_gen) > self.max_entries:
            self.invalidate_all()

    def invalidate_all(self) -> None:
        self._all_gen += 1
        self._key_gen.clear()
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

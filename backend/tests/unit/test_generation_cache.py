"""core/cache.GenerationCache and db/changes: what caches of database rows rely on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Integer, String
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from deltaplane.core.cache import GenerationCache
from deltaplane.db.changes import Change, on_commit


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_get_put_and_invalidate_one_key() -> None:
    cache: GenerationCache[int, str] = GenerationCache(10.0)
    assert cache.get(1) is None
    assert cache.put(1, cache.generation(1), "one") and cache.put(2, cache.generation(2), "two")
    assert cache.get(1) == "one" and cache.get(2) == "two"
    cache.invalidate(1)
    assert cache.get(1) is None and cache.get(2) == "two"


def test_a_read_that_overlapped_an_invalidation_is_not_stored() -> None:
    cache: GenerationCache[int, str] = GenerationCache(10.0)
    gen = cache.generation(7)  # a reader starts
    cache.invalidate(7)  # a commit lands while it reads
    assert cache.put(7, gen, "stale") is False
    assert cache.get(7) is None
    gen = cache.generation(7)
    cache.invalidate_all()
    assert cache.put(7, gen, "stale") is False and cache.get(7) is None
    assert cache.put(7, cache.generation(7), "fresh") and cache.get(7) == "fresh"


def test_entries_expire_after_ttl() -> None:
    clock = FakeClock()
    cache: GenerationCache[str, int] = GenerationCache(5.0, clock=clock)
    cache.put("k", cache.generation("k"), 1)
    clock.now += 4.9
    assert cache.get("k") == 1
    clock.now += 0.2
    assert cache.get("k") is None


def test_size_is_bounded() -> None:
    cache: GenerationCache[int, int] = GenerationCache(60.0, max_entries=3)
    for i in range(10):
        cache.put(i, cache.generation(i), i)
        assert len(cache) <= 3
    assert cache.get(9) == 9


async def test_get_or_load_shares_one_load_but_not_across_an_invalidation() -> None:
    cache: GenerationCache[str, int] = GenerationCache(60.0)
    release = asyncio.Event()
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        n = loads
        if n == 1:
            await release.wait()
        return n

    first = [asyncio.ensure_future(cache.get_or_load("k", load)) for _ in range(10)]
    for _ in range(5):  # let the readers and the load they share start
        await asyncio.sleep(0)
    assert loads == 1  # ten concurrent misses, one load
    cache.invalidate("k")  # a commit lands while it runs
    assert await cache.get_or_load("k", load) == 2  # a later reader does not wait for the old load
    release.set()
    assert [await f for f in first] == [1] * 10
    assert cache.get("k") == 2 and loads == 2  # the overlapping load's result was not stored


async def test_get_or_load_does_not_cache_failures() -> None:
    cache: GenerationCache[str, int] = GenerationCache(60.0)

    async def boom() -> int:
        raise LookupError("nope")

    results = await asyncio.gather(*(cache.get_or_load("k", boom) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)

    async def ok() -> int:
        return 5

    assert await cache.get_or_load("k", ok) == 5


class _Base(DeclarativeBase):
    pass


class Thing(_Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(20))


@pytest.fixture
async def things(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(_Base.metadata.create_all)
    seen: list[list[Change]] = []
    remove = on_commit(seen.append)
    try:
        yield async_sessionmaker(engine, expire_on_commit=True), seen
    finally:
        remove()
        await engine.dispose()


async def test_commit_listeners_get_changed_rows_after_commit_only(things) -> None:  # type: ignore[no-untyped-def]
    maker, seen = things
    async with maker() as db:
        db.add(Thing(id=1, name="a"))
        await db.flush()
        assert seen == []  # flushed, not committed: nobody is told yet
        await db.commit()
    assert [(c.model, c.values["id"], c.values["name"]) for c in seen[0]] == [(Thing, 1, "a")]
    async with maker() as db:
        row = await db.get(Thing, 1)
        assert row is not None
        row.name = "b"
        await db.flush()
        await db.rollback()  # rolled back: no notification
    assert len(seen) == 1
    async with maker() as db:
        row = await db.get(Thing, 1)
        assert row is not None
        row.name = "c"
        await db.commit()  # expire_on_commit: values were copied at flush, no lazy load needed
        await db.delete(await db.get(Thing, 1))
        await db.commit()
    assert [(c.values["id"], c.values["name"]) for c in seen[1]] == [(1, "c")]
    assert [c.values["id"] for c in seen[2]] == [1]


async def test_load_through_caches_only_while_following_commits(things) -> None:  # type: ignore[no-untyped-def]
    maker, _ = things
    cache: GenerationCache[int, str] = GenerationCache(60.0)
    loads = 0

    async def load_name() -> str:
        nonlocal loads
        loads += 1
        async with maker() as db:
            row = await db.get(Thing, 1)
            return "" if row is None else row.name

    def handler(changes: list[Change]) -> None:
        for change in changes:
            if change.model is Thing:
                cache.invalidate(change.values["id"])

    async with maker() as db:
        db.add(Thing(id=1, name="a"))
        await db.commit()
    assert [await cache.load_through(1, load_name) for _ in range(2)] == ["a", "a"] and loads == 2  # not following
    cache.follow_commits(handler)
    assert [await cache.load_through(1, load_name) for _ in range(2)] == ["a", "a"] and loads == 3  # cached
    async with maker() as db:
        (await db.get(Thing, 1)).name = "b"
        await db.commit()
    assert await cache.load_through(1, load_name) == "b" and loads == 4  # the commit dropped it
    cache.stop_following()
    async with maker() as db:
        (await db.get(Thing, 1)).name = "c"
        await db.commit()  # no listener now: a cached "b" would be stale...
    assert await cache.load_through(1, load_name) == "c" and loads == 5  # ...so nothing is cached

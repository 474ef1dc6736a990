"""Shared fixtures: a real SQLite file per test, the real app, an HTTP client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from deltaplane.app import create_app
from deltaplane.settings import Settings

ADMIN_PASSWORD = "admin-pass-123"


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "log_dir": str(tmp_path / "logs"),
        "log_to_stdout": False,
        "serve_spa": False,
        "jwt_secret": "test-secret-" + "x" * 40,
        "initial_admin_password": ADMIN_PASSWORD,
        "backend_log_ingest_enabled": False,
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app_factory(tmp_path: Path) -> Callable[..., Litestar]:
    def factory(**overrides: Any) -> Litestar:
        return create_app(make_settings(tmp_path, **overrides))

    return factory


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient]:
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as c:
        yield c


@asynccontextmanager
async def in_loop_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan and requests in the test's own event loop (background services included),
    unlike AsyncTestClient which runs the app in a portal thread."""
    # The lifespan runs in a task of its own: async fixtures set up and tear down in different
    # tasks, and the lifespan's task group must be entered and exited by the same one.
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    waiter = asyncio.ensure_future(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # start-up failed: raise it here
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            yield c
    finally:
        stop.set()
        await task


async def login(client: AsyncTestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def make_viewer(client: AsyncTestClient, admin_headers: dict[str, str], username: str = "viewer1") -> dict[str, str]:
    password = "viewer-pass-123"
    r = await client.post("/api/users", json={"username": username, "password": password, "role": "viewer"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    return await login(client, username, password)

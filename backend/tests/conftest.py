"""Shared fixtures: a real SQLite file per test, the real app, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

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


async def login(client: AsyncTestClient, username: str = "admin", password: str = ADMIN_PASSWORD) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def make_viewer(client: AsyncTestClient, admin_headers: dict[str, str], username: str = "viewer1") -> dict[str, str]:
    password = "viewer-pass-123"
    r = await client.post("/api/users", json={"username": username, "password": password, "role": "viewer"}, headers=admin_headers)
    assert r.status_code == 201, r.text
    return await login(client, username, password)

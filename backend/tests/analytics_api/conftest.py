"""An app with the analytics and sessions controllers mounted, plus a DB helper and auth headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from deltaplane.app import create_app
from tests.conftest import login, make_settings


@pytest.fixture
async def app(tmp_path: Path) -> Litestar:
    return create_app(make_settings(tmp_path))


@pytest.fixture
async def api(app: Litestar) -> AsyncIterator[Any]:
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1") as client:
        client.headers.update(await login(client))
        yield client


@pytest.fixture
def db(app: Litestar) -> Any:
    """``async with db() as session:`` a write session on the app's database (commits on exit)."""
    maker = app.state.services.sessionmaker

    class _Ctx:
        async def __aenter__(self) -> Any:
            self.s = maker()
            return await self.s.__aenter__()

        async def __aexit__(self, *exc: Any) -> None:
            if exc[0] is None:
                await self.s.commit()
            await self.s.__aexit__(*exc)

    return _Ctx

"""Process-wide services shared by controllers, middleware and background tasks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.datastructures import State
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from deltaplane.auth.principals import PrincipalCache
from deltaplane.auth.services import WsTicketStore
from deltaplane.auth.throttle import LoginThrottle
from deltaplane.settings import Settings


@dataclass
class AppServices:
    settings: Settings
    jwt_secret: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    read_sessionmaker: async_sessionmaker
    throttle: LoginThrottle
    ws_tickets: WsTicketStore
    # Each check returns {"name", "ok", ...details}; feature areas append theirs at start-up.
    readiness_checks: list[Callable[[], Awaitable[dict[str, Any]]]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    # Signed-in accounts, cached between the commits that change them (started by the app lifespan).
    principals: PrincipalCache = field(default_factory=PrincipalCache)


def get_services(state: State) -> AppServices:
    return state.services

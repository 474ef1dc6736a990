"""Application factory: plugins, routes, middleware and lifespan services."""

from __future__ import annotations

import gc
import logging
import secrets
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state, set_aa_scope_state
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.types import ControllerRouterHandler, Scope
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from deltaplane import __version__
from deltaplane.analytics.controllers import AnalyticsController
from deltaplane.analytics.lifespan import analytics_lifespan
from deltaplane.auth.controllers import AuthController, UserController
from deltaplane.auth.middleware import AuthMiddleware
from deltaplane.auth.services import WsTicketStore, ensure_initial_admin
from deltaplane.auth.throttle import LoginThrottle
from deltaplane.core.errors import (
    database_error_handler,
    http_exception_handler,
    internal_error_handler,
    json_too_deep_handler,
    undecodable_body_handler,
)
from deltaplane.core.logging import configure_logging
from deltaplane.core.middleware import RequestContextMiddleware
from deltaplane.core.request_checks import check_request
from deltaplane.core.services import AppServices
from deltaplane.db.engine import create_engine, create_sessionmaker
from deltaplane.db.migrate import upgrade_database
from deltaplane.logs import LogsController, logs_lifespan
from deltaplane.realtime.controllers import realtime_socket
from deltaplane.realtime.hub import RealtimeHub
from deltaplane.realtime.logs_topic import logs_topic_lifespan
from deltaplane.settings import Settings, get_settings
from deltaplane.strategy.controllers import (
    EngineController,
    ExchangeController,
    MarketController,
    StrategyController,
)
from deltaplane.strategy.history import SessionsController
from deltaplane.strategy.lifespan import strategy_lifespan
from deltaplane.system.controllers import SystemController
from deltaplane.system.spa import serve_spa

logger = logging.getLogger("deltaplane.app")

#: Hooks feature areas register to take part in start-up/shutdown: async context managers
#: receiving the AppServices (log tailer, strategy engine, realtime hub, ...).
LifespanHook = Callable[[AppServices], Any]


def api_route_handlers() -> list[ControllerRouterHandler]:
    return [
        SystemController,
        AuthController,
        UserController,
        realtime_socket,
        StrategyController,
        EngineController,
        MarketController,
        ExchangeController,
        SessionsController,
        AnalyticsController,
        LogsController,
    ]


def lifespan_hooks() -> list[LifespanHook]:
    # Order matters: logs first (the hub's `logs` topic subscribes to the tailer), engine last.
    return [logs_lifespan, logs_topic_lifespan, analytics_lifespan, strategy_lifespan]


def _announce_admin(username: str, password: str) -> None:
    # Printed, never logged: the password must not reach logs/backend.log.
    banner = (
        "\n" + "=" * 72 + "\n"
        f"  Deltaplane first start: created admin account\n"
        f"    username: {username}\n"
        f"    password: {password}\n"
        "  This is shown once. Sign in and change it under Settings.\n" + "=" * 72 + "\n"
    )
    sys.stdout.write(banner)
    sys.stdout.flush()


@dataclass
class RequestSessionConfig(SQLAlchemyAsyncConfig):
    """The request's `db_session`: read-only (deferred BEGIN) for GET/HEAD, a writer otherwise.

    A writer session starts with BEGIN IMMEDIATE and so queues for SQLite's one write lock behind
    the strategy engine and the log tailer; a GET only reads and must not wait for (or hold up)
    trading writes. A GET handler that has to write says so with `opt={"db_write": True}`.
    """

    read_sessionmaker: Any = None

    def provide_session(self, state: State, scope: Scope) -> AsyncSession:
        if (
            self.read_sessionmaker is not None
            and scope.get("method") in ("GET", "HEAD")
            and get_aa_scope_state(scope, self.session_scope_key) is None
            and not scope["route_handler"].opt.get("db_write")
        ):
            session = self.read_sessionmaker()
            set_aa_scope_state(scope, self.session_scope_key, session)
            return session
        return super().provide_session(state, scope)


def create_app(
    settings: Settings | None = None,
    *,
    extra_route_handlers: Sequence[ControllerRouterHandler] = (),
    extra_lifespan_hooks: Sequence[LifespanHook] = (),
) -> Litestar:
    settings = settings or get_settings()
    configure_logging(level=settings.log_level, log_file=settings.log_file, to_stdout=settings.log_to_stdout)
    jwt_secret = settings.jwt_secret or secrets.token_urlsafe(48)
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    services = AppServices(
        settings=settings,
        jwt_secret=jwt_secret,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        read_sessionmaker=create_sessionmaker(engine, readonly=True),
        throttle=LoginThrottle(
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_failure_window_seconds,
            lockout_seconds=settings.login_lockout_seconds,
        ),
        ws_tickets=WsTicketStore(settings.ws_ticket_ttl_seconds),
    )
    services.extras["hub"] = RealtimeHub()
    hooks = [*lifespan_hooks(), *extra_lifespan_hooks]

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(upgrade_database, settings.database_url)
        async with services.sessionmaker() as db:
            created = await ensure_initial_admin(db, settings)
            await db.commit()
        services.principals.start()
        if created:
            _announce_admin(*created)
        logger.info(
            "Deltaplane started",
            extra={"event": "app_started", "version": __version__, "environment": settings.environment, "exchange": settings.exchange},
        )
        from contextlib import AsyncExitStack

        async with AsyncExitStack() as stack:
            for hook in hooks:
                await stack.enter_async_context(hook(services))
            # Everything built at start-up lives as long as the process: keep it out of the cyclic
            # GC, whose full passes over ~150k objects otherwise stall the event loop for 40+ ms.
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()
                logger.info("Deltaplane stopping", extra={"event": "app_stopping"})
        services.principals.stop()
        await engine.dispose()

    db_config = RequestSessionConfig(
        read_sessionmaker=services.read_sessionmaker,
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        create_all=False,
    )
    handlers: list[ControllerRouterHandler] = [*api_route_handlers(), *extra_route_handlers]
    if settings.serve_spa:
        handlers.append(serve_spa)
    cors = None
    if settings.allowed_origins:
        cors = CORSConfig(allow_origins=list(settings.allowed_origins), allow_credentials=True, allow_headers=["*"])
    app = Litestar(
        route_handlers=handlers,
        plugins=[SQLAlchemyPlugin(config=db_config)],
        middleware=[DefineMiddleware(AuthMiddleware, exclude_from_auth_key="exclude_from_auth", scopes={"http"})],
        lifespan=[lifespan],
        before_request=check_request,
        exception_handlers={
            HTTPException: http_exception_handler,
            RecursionError: json_too_deep_handler,
            UnicodeDecodeError: undecodable_body_handler,
            OperationalError: database_error_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(
            title="Deltaplane API",
            version=__version__,
            path="/api/docs",
            render_plugins=[SwaggerRenderPlugin()],
            use_handler_docstrings=True,
        ),
        cors_config=cors,
        request_max_body_size=settings.max_request_body_bytes,
        debug=False,
        logging_config=None,
    )
    app.state.services = services
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler, rate_limit_per_minute=settings.rate_limit_per_minute)
    return app

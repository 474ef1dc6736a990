"""Authentication middleware: Bearer access token or X-API-Key on every non-excluded route."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from deltaplane.auth import services as auth_services
from deltaplane.core import context
from deltaplane.core.services import AppServices


async def authenticate(connection: ASGIConnection) -> AuthenticationResult:
    svc: AppServices = connection.app.state.services
    header = connection.headers.get("authorization", "")
    api_key = connection.headers.get("x-api-key")
    try:
        if header.lower().startswith("bearer "):
            # Cached between the commits that change the account; a miss is a read-only lookup
            # (a deferred BEGIN, so authentication never queues behind writers).
            user = await svc.principals.from_access_token(svc.read_sessionmaker, svc.jwt_secret, header[7:].strip())
        elif api_key:
            async with svc.sessionmaker() as db:
                user = await auth_services.principal_from_api_key(db, api_key.strip())
                await db.commit()  # last_used_at
        else:
            raise NotAuthorizedException("authentication required: send a Bearer token or X-API-Key")
    except auth_services.AuthFailed as exc:
        raise NotAuthorizedException(str(exc)) from exc
    context.user_var.set(user.username)
    return AuthenticationResult(user=user, auth=user.via)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        return await authenticate(connection)

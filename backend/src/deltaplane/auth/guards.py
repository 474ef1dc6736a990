"""Route guards. Roles are enforced here, declaratively, never with `if` inside handlers.

Guards are `async def` on purpose: Litestar runs a plain `def` guard in a worker thread on every
request (anyio.to_thread), a thread hop that cost more than the whole runtime read.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from deltaplane.auth.schemas import AuthUser


def _user(connection: ASGIConnection) -> AuthUser:
    user = connection.scope.get("user")
    if not isinstance(user, AuthUser):
        raise NotAuthorizedException("authentication required")
    return user


async def requires_viewer(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Any signed-in user (viewer or admin): read-only access."""
    _user(connection)


async def requires_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Admins only: trading actions, configuration and user management."""
    if _user(connection).role != "admin":
        raise PermissionDeniedException("this action requires the admin role")


ROLE_GUARDS = (requires_viewer, requires_admin)


async def requires_interactive_session(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A signed-in session (Bearer access token), not an API key: for minting new credentials, so a
    leaked key cannot mint more keys that outlive its own revocation."""
    if _user(connection).via != "token":
        raise PermissionDeniedException("this action requires a signed-in session, not an API key")

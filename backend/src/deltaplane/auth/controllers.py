"""Auth and user-management routes (thin: rules live in auth.services)."""

from __future__ import annotations

import logging

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, NotFoundException, TooManyRequestsException
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from deltaplane.auth import services
from deltaplane.auth.guards import requires_admin, requires_interactive_session, requires_viewer
from deltaplane.auth.models import ApiKey, User
from deltaplane.auth.passwords import verify_password_off_loop
from deltaplane.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    AuthUser,
    ChangePasswordRequest,
    LoginRequest,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from deltaplane.core.errors import ConflictError, FieldError, error_body
from deltaplane.core.params import DbId
from deltaplane.core.services import AppServices
from deltaplane.core.text import name_key, name_problem, normalize_name
from deltaplane.db.base import utcnow
from deltaplane.system.metrics import LOGIN_FAILURES

logger = logging.getLogger("deltaplane.auth")

REFRESH_COOKIE = "dp_refresh"
REFRESH_COOKIE_PATH = "/api/auth"
API_KEY_NAME_MAX_LENGTH = 64  # the api_keys.name column


def request_ip(request: Request) -> str:
    svc: AppServices = request.app.state.services
    if svc.settings.trust_proxy_headers:
        real = request.headers.get("x-real-ip") or (request.headers.get("x-forwarded-for") or "").split(",")[0].strip()
        if real:
            return real
    return request.client.host if request.client else "unknown"


def _refresh_cookie(svc: AppServices, value: str, *, clear: bool = False) -> Cookie:
    return Cookie(
        key=REFRESH_COOKIE,
        value="" if clear else value,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=svc.settings.cookie_secure,
        max_age=0 if clear else svc.settings.refresh_token_ttl_seconds,
    )


def _too_many(wait: int, what: str) -> TooManyRequestsException:
    return TooManyRequestsException(detail=f"too many failed {what}; try again in {wait} s", headers={"Retry-After": str(wait)})


def login_failed_fields(known_username: str | None, typed: str) -> dict[str, object]:
    """Log fields naming who failed to sign in. What was typed is logged only when it names an
    account: otherwise it may be a password typed into the username field (logs are readable by
    every viewer), so only its length is kept."""
    if known_username is not None:
        return {"username": known_username, "username_known": True}
    return {"username_known": False, "username_length": len(typed)}


async def end_live_sessions(request: Request, db_session: AsyncSession, user_id: int, reason: str) -> None:
    """Close the account's open WebSockets (disabled, deleted, password changed).

    Committed first: a socket reconnecting between the close and a later commit would still pass
    the ticket check against the old account state."""
    await db_session.commit()
    hub = request.app.state.services.extras.get("hub")
    if hub is not None:
        hub.close_user(user_id, reason)


def _token_response(svc: AppServices, issued: services.IssuedSession) -> Response[TokenResponse]:
    body = TokenResponse(
        access_token=issued.access_token, token_type="bearer", expires_in=issued.expires_in, user=services.user_read(issued.user)
    )
    return Response(body, cookies=[_refresh_cookie(svc, issued.refresh_token)], headers={"Cache-Control": "no-store"})


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", exclude_from_auth=True, status_code=200, summary="Sign in and receive an access token")
    async def login(self, request: Request, data: LoginRequest, db_session: AsyncSession) -> Response[TokenResponse]:
        svc: AppServices = request.app.state.services
        ip = request_ip(request)
        # Reserved before the first await: simultaneous attempts count while still in flight.
        wait = svc.throttle.begin(data.username, ip)
        if wait:
            raise _too_many(wait, "sign-in attempts")
        failed: bool | None = None  # None: neither outcome (an unexpected error) only frees the slot
        try:
            issued = await services.login(db_session, svc.settings, svc.jwt_secret, data.username, data.password)
            failed = False
        except services.AuthFailed as exc:
            failed = True
            LOGIN_FAILURES.inc()
            fields = login_failed_fields(exc.username, data.username)
            logger.warning("sign-in failed", extra={"event": "login_failed", **fields, "client_ip": ip})
            raise NotAuthorizedException(str(exc)) from exc
        finally:
            svc.throttle.end(data.username, ip, failed=failed)
        logger.info("signed in", extra={"event": "login_succeeded", "username": issued.user.username, "client_ip": ip})
        return _token_response(svc, issued)

    @post("/refresh", operation_id="refresh", exclude_from_auth=True, status_code=200, summary="Rotate the refresh cookie")
    async def refresh(self, request: Request, db_session: AsyncSession) -> Response[TokenResponse]:
        svc: AppServices = request.app.state.services
        raw = request.cookies.get(REFRESH_COOKIE)
        if not raw:
            raise NotAuthorizedException("no refresh cookie; please sign in")
        try:
            issued = await services.refresh(db_session, svc.settings, svc.jwt_secret, raw)
        except services.AuthFailed as exc:
            # Reuse detection revoked rows: keep that write even though we answer 401.
            await db_session.commit()
            return Response(
                error_body(401, str(exc)),
                status_code=401,
                cookies=[_refresh_cookie(svc, "", clear=True)],
            )
        return _token_response(svc, issued)

    @post("/logout", operation_id="logout", exclude_from_auth=True, status_code=HTTP_204_NO_CONTENT, summary="Revoke this browser's session")
    async def logout(self, request: Request, db_session: AsyncSession) -> Response[None]:
        svc: AppServices = request.app.state.services
        raw = request.cookies.get(REFRESH_COOKIE)
        if raw:
            await services.revoke_refresh_family(db_session, raw)
        return Response(None, status_code=HTTP_204_NO_CONTENT, cookies=[_refresh_cookie(svc, "", clear=True)])

    @get("/me", operation_id="getMe", guards=[requires_viewer], summary="The signed-in user")
    async def me(self, request: Request[AuthUser, str, object], db_session: AsyncSession) -> UserRead:
        user = await db_session.get(User, request.user.id)
        if user is None:
            raise NotAuthorizedException("account no longer exists")
        return services.user_read(user)

    @post("/password", operation_id="changePassword", guards=[requires_viewer], status_code=HTTP_204_NO_CONTENT)
    async def change_password(self, request: Request[AuthUser, str, object], data: ChangePasswordRequest, db_session: AsyncSession) -> None:
        svc: AppServices = request.app.state.services
        ip = request_ip(request)
        # Guessing the current password is a login attempt: same throttle, same username key.
        wait = svc.throttle.begin(request.user.username, ip)
        if wait:
            raise _too_many(wait, "password checks")
        failed: bool | None = None
        try:
            user = await db_session.get(User, request.user.id)
            ok = await verify_password_off_loop(user.password_hash if user else None, data.current_password)
            failed = not ok
        finally:
            svc.throttle.end(request.user.username, ip, failed=failed)
        if user is None or not ok:
            raise FieldError("current_password", "is not correct", status_code=400)
        # Only now, with the current password verified, may an answer depend on it.
        if data.current_password == data.new_password:
            raise FieldError("new_password", "must differ from the current password")
        await services.set_password(db_session, user, data.new_password)
        logger.info("password changed", extra={"event": "password_changed", "username": user.username})
        await end_live_sessions(request, db_session, user.id, "password changed; sign in again")

    @post("/ws-ticket", operation_id="createWsTicket", guards=[requires_viewer], status_code=HTTP_201_CREATED)
    async def ws_ticket(self, request: Request[AuthUser, str, object], db_session: AsyncSession) -> dict[str, object]:
        svc: AppServices = request.app.state.services
        user = await db_session.get(User, request.user.id)
        if user is None or not user.is_active:
            raise NotAuthorizedException("account is disabled")
        # Bound to the account as it is now: redeeming re-checks it (realtime/controllers.py).
        return {"ticket": svc.ws_tickets.issue(request.user, services.AccountState.of(user)), "expires_in": svc.ws_tickets.ttl}

    @get("/api-keys", operation_id="listApiKeys", guards=[requires_viewer])
    async def list_api_keys(self, request: Request[AuthUser, str, object], db_session: AsyncSession) -> list[ApiKeyRead]:
        rows = await db_session.scalars(select(ApiKey).where(ApiKey.user_id == request.user.id).order_by(ApiKey.id))
        return [_key_read(r) for r in rows]

    @post("/api-keys", operation_id="createApiKey", guards=[requires_viewer, requires_interactive_session], status_code=HTTP_201_CREATED)
    async def create_api_key(self, request: Request[AuthUser, str, object], data: ApiKeyCreate, db_session: AsyncSession) -> ApiKeyCreated:
        name = normalize_name(data.name)
        problem = name_problem(name, max_length=API_KEY_NAME_MAX_LENGTH)
        if problem:
            raise FieldError("name", problem)
        # Only the user's active keys: a revoked key's name may be reused when rotating a key.
        active = await db_session.scalars(select(ApiKey.name).where(ApiKey.user_id == request.user.id, ApiKey.revoked_at.is_(None)))
        if name_key(name) in {name_key(n) for n in active}:
            raise ConflictError(detail=f"name: you already have an API key named {name!r}", extra=[{"field": "name", "message": "already exists"}])
        full, row = await services.create_api_key(db_session, request.user.id, name)
        logger.info("API key created", extra={"event": "api_key_created", "key_prefix": row.prefix})
        return ApiKeyCreated(key=full, api_key=_key_read(row))

    @delete("/api-keys/{key_id:int}", operation_id="revokeApiKey", guards=[requires_viewer], status_code=HTTP_204_NO_CONTENT)
    async def revoke_api_key(self, request: Request[AuthUser, str, object], key_id: DbId, db_session: AsyncSession) -> None:
        row = await db_session.get(ApiKey, key_id)
        if row is None or row.user_id != request.user.id:
            raise NotFoundException(f"API key {key_id} not found")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        logger.info("API key revoked", extra={"event": "api_key_revoked", "key_prefix": row.prefix})


def _key_read(row: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(id=row.id, name=row.name, prefix=row.prefix, created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    guards = [requires_admin]

    @get("/", operation_id="listUsers")
    async def list_users(self, db_session: AsyncSession) -> list[UserRead]:
        return [services.user_read(u) for u in await db_session.scalars(select(User).order_by(User.id))]

    @post("/", operation_id="createUser", status_code=HTTP_201_CREATED)
    async def create_user(self, request: Request, data: UserCreate, db_session: AsyncSession) -> UserRead:
        user = await services.create_user(db_session, data.username, data.password, data.role)
        logger.info("user created", extra={"event": "user_created", "username": user.username, "role": user.role})
        return services.user_read(user)

    @patch("/{user_id:int}", operation_id="updateUser")
    async def update_user(self, request: Request[AuthUser, str, object], user_id: DbId, data: UserUpdate, db_session: AsyncSession) -> UserRead:
        user = await db_session.get(User, user_id)
        if user is None:
            raise NotFoundException(f"user {user_id} not found")
        losing_admin = user.role == "admin" and (data.role == "viewer" or data.is_active is False)
        if losing_admin and await services.count_admins(db_session, exclude_user_id=user.id) == 0:
            raise ConflictError(detail="role: cannot demote or disable the last active admin", extra=[{"field": "role", "message": "last active admin"}])
        if data.role is not None:
            user.role = data.role
        if data.is_active is not None:
            user.is_active = data.is_active
            if not data.is_active:
                await services.revoke_all_sessions(db_session, user.id)
        if data.password is not None:
            try:
                await services.set_password(db_session, user, data.password)
            except FieldError as exc:
                raise FieldError("password", exc.extra[0]["message"]) from exc  # type: ignore[index]
        logger.info("user updated", extra={"event": "user_updated", "target_user": user.username, "role": user.role, "is_active": user.is_active})
        if data.is_active is False or data.password is not None:
            reason = "account disabled" if data.is_active is False else "password reset by an admin; sign in again"
            await end_live_sessions(request, db_session, user.id, reason)
        return services.user_read(user)

    @delete("/{user_id:int}", operation_id="deleteUser", status_code=HTTP_204_NO_CONTENT)
    async def delete_user(self, request: Request[AuthUser, str, object], user_id: DbId, db_session: AsyncSession) -> None:
        if user_id == request.user.id:
            raise ConflictError(detail="user_id: you cannot delete your own account", extra=[{"field": "user_id", "message": "cannot delete yourself"}])
        user = await db_session.get(User, user_id)
        if user is None:
            raise NotFoundException(f"user {user_id} not found")
        if user.role == "admin" and await services.count_admins(db_session, exclude_user_id=user.id) == 0:
            raise ConflictError(detail="user_id: cannot delete the last active admin")
        await db_session.delete(user)
        logger.info("user deleted", extra={"event": "user_deleted", "target_user": user.username})
        await end_live_sessions(request, db_session, user.id, "account deleted")

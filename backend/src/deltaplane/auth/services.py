"""Account and session logic: login, refresh rotation with reuse detection, API keys, users."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deltaplane.auth import tokens
from deltaplane.auth.models import ApiKey, RefreshToken, User
from deltaplane.auth.passwords import (
    generate_password,
    hash_password_off_loop,
    password_problem,
    verify_password_off_loop,
)
from deltaplane.auth.schemas import AuthUser, UserRead
from deltaplane.core.errors import ConflictError, FieldError
from deltaplane.db.base import utcnow
from deltaplane.settings import Settings

logger = logging.getLogger("deltaplane.auth")


class AuthFailed(Exception):
    def __init__(self, message: str, *, username: str | None = None) -> None:
        super().__init__(message)
        # The account's own username when the attempt named an existing account (safe to log);
        # None otherwise: what was typed may be a password typed into the wrong field.
        self.username = username


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    """Exact integer microseconds since the epoch (float timestamps can be off by one)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def account_stamp(user: User) -> int:
    """What tells this account apart from a later one given the same id (SQLite reuses the
    highest freed users.id): its creation time in microseconds. Carried by access tokens."""
    return _micros(user.created_at)


def user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        is_active=user.is_active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


@dataclass(slots=True)
class IssuedSession:
    access_token: str
    expires_in: int
    refresh_token: str
    user: User


async def _issue_refresh(db: AsyncSession, settings: Settings, user: User, family_id: str) -> str:
    raw = tokens.new_refresh_token()
    db.add(
        RefreshToken(
            token_hash=tokens.sha256_hex(raw),
            family_id=family_id,
            user_id=user.id,
            issued_at=utcnow(),
            expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    return raw


def _issue_access(settings: Settings, jwt_secret: str, user: User) -> tuple[str, int]:
    return tokens.issue_access_token(
        jwt_secret, user_id=user.id, username=user.username, role=user.role, ttl_seconds=settings.access_token_ttl_seconds,
        account=account_stamp(user),
    )


async def login(db: AsyncSession, settings: Settings, jwt_secret: str, username: str, password: str) -> IssuedSession:
    user = await db.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    ok = await verify_password_off_loop(user.password_hash if user else None, password)
    if not user or not ok or not user.is_active:
        raise AuthFailed("invalid username or password", username=user.username if user else None)
    user.last_login_at = utcnow()
    access, ttl = _issue_access(settings, jwt_secret, user)
    refresh = await _issue_refresh(db, settings, user, tokens.new_family_id())
    return IssuedSession(access, ttl, refresh, user)


async def refresh(db: AsyncSession, settings: Settings, jwt_secret: str, raw_token: str) -> IssuedSession:
    """Rotate a refresh token. Presenting an already-rotated token revokes its whole family."""
    row = await db.scalar(select(RefreshToken).where(RefreshToken.token_hash == tokens.sha256_hex(raw_token)))
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise AuthFailed("refresh token is not valid")
    if row.used_at is not None:
        await db.execute(
            update(RefreshToken).where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=now)
        )
        logger.warning(
            "refresh token reuse detected; session family revoked",
            extra={"event": "refresh_token_reuse", "user_id": row.user_id, "family_id": row.family_id},
        )
        raise AuthFailed("refresh token was already used; please sign in again")
    if row.expires_at <= now:
        raise AuthFailed("refresh token expired")
    user = await db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AuthFailed("account is disabled")
    row.used_at = now
    access, ttl = _issue_access(settings, jwt_secret, user)
    new_raw = await _issue_refresh(db, settings, user, row.family_id)
    return IssuedSession(access, ttl, new_raw, user)


async def revoke_refresh_family(db: AsyncSession, raw_token: str) -> None:
    row = await db.scalar(select(RefreshToken).where(RefreshToken.token_hash == tokens.sha256_hex(raw_token)))
    if row is not None:
        await db.execute(
            update(RefreshToken).where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=utcnow())
        )


async def revoke_all_sessions(db: AsyncSession, user_id: int) -> None:
    await db.execute(update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=utcnow()))


@dataclass(frozen=True, slots=True)
class AccountState:
    """What authenticating a token needs from the account (cached by auth/principals.py)."""

    id: int
    username: str
    role: str
    is_active: bool
    password_changed_ts: int
    stamp: int  # account_stamp(): which account holding this id
    password_changed_us: int  # exact, for tickets (which carry no issue time of their own)

    @classmethod
    def of(cls, user: User) -> AccountState:
        return cls(id=user.id, username=user.username, role=user.role, is_active=user.is_active,
                   password_changed_ts=int(user.password_changed_at.timestamp()), stamp=account_stamp(user),
                   password_changed_us=_micros(user.password_changed_at))


async def load_account(sessionmaker: async_sessionmaker[AsyncSession], user_id: int) -> AccountState | None:
    async with sessionmaker() as db:
        user = await db.get(User, user_id)
        return None if user is None else AccountState.of(user)


def check_principal(claims: tokens.AccessClaims, account: AccountState | None) -> AuthUser:
    if account is None or not account.is_active:
        raise AuthFailed("account is disabled")
    # Same id, other account (deleted, then the id reused): refused. Tokens without the claim too.
    if claims.account is None or claims.account != account.stamp:
        raise AuthFailed("token was issued to another account")
    # A password change ends every token issued before it (1 s slack for same-second issue).
    if claims.issued_at + 1 < account.password_changed_ts:
        raise AuthFailed("token predates the last password change")
    return AuthUser(id=account.id, username=account.username, role=account.role, via="token")  # type: ignore[arg-type]


async def principal_from_access_token(db: AsyncSession, jwt_secret: str, token: str) -> AuthUser:
    """Uncached: verify the token and read the account (requests go through auth/principals.py)."""
    try:
        claims = tokens.decode_access_token(jwt_secret, token)
    except tokens.TokenError as exc:
        raise AuthFailed(f"invalid access token: {exc}") from exc
    user = await db.get(User, claims.user_id)
    return check_principal(claims, None if user is None else AccountState.of(user))


_API_KEY_TOUCH_SECONDS = 60


async def principal_from_api_key(db: AsyncSession, raw_key: str) -> AuthUser:
    prefix = tokens.parse_api_key(raw_key)
    if prefix is None:
        raise AuthFailed("malformed API key")
    row = await db.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, tokens.sha256_hex(raw_key)):
        raise AuthFailed("invalid API key")
    user = await db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AuthFailed("account is disabled")
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > _API_KEY_TOUCH_SECONDS:
        row.last_used_at = now
    return AuthUser(id=user.id, username=user.username, role=user.role, via="api_key")  # type: ignore[arg-type]


async def revoke_api_keys(db: AsyncSession, user_id: int) -> None:
    await db.execute(update(ApiKey).where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None)).values(revoked_at=utcnow()))


async def create_api_key(db: AsyncSession, user_id: int, name: str) -> tuple[str, ApiKey]:
    full, prefix = tokens.new_api_key()
    row = ApiKey(user_id=user_id, name=name.strip(), prefix=prefix, key_hash=tokens.sha256_hex(full), created_at=utcnow())
    db.add(row)
    await db.flush()
    return full, row


async def count_admins(db: AsyncSession, exclude_user_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(User).where(User.role == "admin", User.is_active.is_(True))
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    return int(await db.scalar(stmt) or 0)


async def create_user(db: AsyncSession, username: str, password: str, role: str) -> User:
    problem = password_problem(password, username)
    if problem:
        raise FieldError("password", problem)
    exists = await db.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if exists is not None:
        raise ConflictError(detail=f"username: '{username}' is already taken", extra=[{"field": "username", "message": "already taken"}])
    now = utcnow()
    user = User(username=username, password_hash=await hash_password_off_loop(password), role=role, is_active=True, created_at=now, password_changed_at=now)
    db.add(user)
    await db.flush()
    return user


async def set_password(db: AsyncSession, user: User, new_password: str) -> None:
    problem = password_problem(new_password, user.username)
    if problem:
        raise FieldError("new_password", problem)
    user.password_hash = await hash_password_off_loop(new_password)
    # Second resolution: tokens issued in the same second as the change stay valid only for that second.
    user.password_changed_at = utcnow()
    await revoke_all_sessions(db, user.id)
    # API keys too: a new password is how a user takes the account back from whoever stole a session,
    # and a key that session created would otherwise outlive it.
    await revoke_api_keys(db, user.id)


async def ensure_initial_admin(db: AsyncSession, settings: Settings) -> tuple[str, str] | None:
    """Create the first admin when there are no users. Returns (username, password) if it generated one."""
    if await db.scalar(select(func.count()).select_from(User)):
        return None
    username = settings.initial_admin_username or "admin"
    password = settings.initial_admin_password or generate_password()
    problem = password_problem(password, username)
    if problem:
        raise ValueError(f"INITIAL_ADMIN_PASSWORD {problem}")
    now = utcnow()
    db.add(User(username=username, password_hash=await hash_password_off_loop(password), role="admin", is_active=True, created_at=now, password_changed_at=now))
    await db.flush()
    logger.info("initial admin account created", extra={"event": "initial_admin_created", "username": username})
    return (username, password) if not settings.initial_admin_password else None


def new_ws_ticket() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class TicketGrant:
    """A redeemed ticket: who it was issued to, and their account as it was then."""

    user: AuthUser
    account: AccountState


def check_ticket_account(grant: TicketGrant, account: AccountState | None) -> AuthUser:
    """The principal a redeemed ticket stands for, if its account is still the one it was issued to."""
    if account is None or not account.is_active:
        raise AuthFailed("account is disabled")
    if account.stamp != grant.account.stamp:
        raise AuthFailed("ticket was issued to another account")
    if account.password_changed_us != grant.account.password_changed_us:
        raise AuthFailed("password changed since the ticket was issued")
    return AuthUser(id=account.id, username=account.username, role=account.role, via="ticket")  # type: ignore[arg-type]


class WsTicketStore:
    """Single-use, short-lived tickets that let a browser authenticate a WebSocket without a token in the URL."""

    def __init__(self, ttl_seconds: int, clock=time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self._tickets: dict[str, tuple[float, TicketGrant]] = {}

    def issue(self, user: AuthUser, account: AccountState) -> str:
        now = self.clock()
        self._tickets = {k: v for k, v in self._tickets.items() if v[0] > now}
        ticket = new_ws_ticket()
        self._tickets[ticket] = (now + self.ttl, TicketGrant(user, account))
        return ticket

    def redeem(self, ticket: str) -> TicketGrant | None:
        """Use up a ticket. The caller must still check the account (check_ticket_account)."""
        entry = self._tickets.pop(ticket, None)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

"""Bearer-token authentication without a database round-trip (or a JWT verification) per request.

Every request with an access token still gets the full check of `principal_from_access_token`:
a valid signature and expiry, an existing and active account, and a token issued after the last
password change; the role comes from the account, not the token. What is cached:
  * verified claims per token string (HS256 verification is the costly part): a cached token is
    re-verified once it expires, so an expired token is refused exactly as before;
  * each account's auth state (username, role, active, password changed at). It is dropped
    right after any commit in this process that writes the account (disable, role change,
    password change, delete: db/changes.py), so those take effect on the very next request;
    changes this process cannot see (another process, raw SQL) within USER_TTL_SECONDS.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deltaplane.auth import tokens
from deltaplane.auth.models import User
from deltaplane.auth.schemas import AuthUser
from deltaplane.auth.services import AccountState, AuthFailed, check_principal
from deltaplane.core.cache import GenerationCache
from deltaplane.db.changes import Change

USER_TTL_SECONDS = 10.0
TOKEN_CACHE_SIZE = 4096


class PrincipalCache:
    def __init__(self, *, ttl: float = USER_TTL_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.accounts: GenerationCache[int, AccountState | None] = GenerationCache(ttl)
        self.clock = clock
        self._claims: dict[str, tokens.AccessClaims] = {}

    def start(self) -> None:
        """Listen to commits; until then (and after stop) every request reads the account."""
        self.accounts.follow_commits(self.on_commit)

    def stop(self) -> None:
        self.accounts.stop_following()

    def on_commit(self, changes: list[Change]) -> None:
        for model, values in changes:
            if model is User:
                uid = values.get("id")
                if uid is None:
                    self.accounts.invalidate_all()
                else:
                    self.accounts.invalidate(uid)

    def claims(self, secret: str, token: str) -> tokens.AccessClaims:
        """Verified claims of `token` (raises AuthFailed like an uncached verification would)."""
        cached = self._claims.get(token)
        if cached is not None:
            if cached.expires_at > self.clock():
                return cached
            del self._claims[token]
        try:
            claims = tokens.decode_access_token(secret, token)
        except tokens.TokenError as exc:
            raise AuthFailed(f"invalid access token: {exc}") from exc
        if len(self._claims) >= TOKEN_CACHE_SIZE:
            self._claims.clear()
        self._claims[token] = claims
        return claims

    async def from_access_token(self, sessionmaker: async_sessionmaker[AsyncSession], secret: str, token: str) -> AuthUser:
        claims = self.claims(secret, token)

        async def load() -> AccountState | None:
            async with sessionmaker() as db:
                user = await db.get(User, claims.user_id)
                return None if user is None else AccountState.of(user)

        # Concurrent requests of one account share one read (no stampede when it expires under load).
        return check_principal(claims, await self.accounts.load_through(claims.user_id, load))

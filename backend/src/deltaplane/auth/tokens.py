"""Access tokens (short-lived HS256 JWTs), opaque refresh tokens, API keys and WS tickets."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

ISSUER = "deltaplane"
AUDIENCE = "deltaplane-api"
ALGORITHM = "HS256"


class TokenError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    username: str
    role: str
    issued_at: int
    expires_at: int
    token_id: str
    # The account instance the token was issued to (services.account_stamp); None when absent.
    account: int | None = None


def issue_access_token(
    secret: str, *, user_id: int, username: str, role: str, ttl_seconds: int, account: int | None = None, now: float | None = None
) -> tuple[str, int]:
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {
        "sub": str(user_id),
        "name": username,
        "role": role,
        "typ": "access",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "jti": uuid.uuid4().hex,
    }
    if account is not None:
        claims["acct"] = account
    return jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_seconds


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """Verify signature, algorithm (HS256 only: `alg: none` and others are refused), expiry and audience."""
    try:
        options = {"require": ["exp", "iat", "sub", "aud", "iss"]}
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER, options=options)
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if claims.get("typ") != "access":
        raise TokenError("not an access token")
    account = claims.get("acct")
    if account is not None and (not isinstance(account, int) or isinstance(account, bool)):
        raise TokenError("malformed claims")
    try:
        return AccessClaims(
            user_id=int(claims["sub"]),
            username=str(claims.get("name", "")),
            role=str(claims.get("role", "")),
            issued_at=int(claims["iat"]),
            expires_at=int(claims["exp"]),
            token_id=str(claims.get("jti", "")),
            account=account,
        )
    except (KeyError, ValueError) as exc:
        raise TokenError("malformed claims") from exc


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def new_family_id() -> str:
    return uuid.uuid4().hex


API_KEY_PREFIX = "dp"


def new_api_key() -> tuple[str, str]:
    """Return (full key shown once, lookup prefix). Format: dp_<prefix>_<secret>."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}", prefix


def parse_api_key(key: str) -> str | None:
    """Return the lookup prefix of a well-formed key, else None."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or len(parts[1]) != 8 or len(parts[2]) < 16:
        return None
    return parts[1]

"""Wire schemas for accounts and auth (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

# \A...\Z, not ^...$: `$` also matches before a final newline, which let "admin2\n" through.
Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"\A[A-Za-z0-9_.@-]+\Z")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Role = Literal["admin", "viewer"]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Password


class UserRead(msgspec.Struct):
    id: int
    username: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None


class TokenResponse(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    user: UserRead


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: Role = "viewer"


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None


class ApiKeyCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ApiKeyRead(msgspec.Struct):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(msgspec.Struct):
    key: str
    api_key: ApiKeyRead


class WsTicket(msgspec.Struct):
    ticket: str
    expires_in: int


class AuthUser(msgspec.Struct, frozen=True):
    """The authenticated principal attached to `request.user`."""

    id: int
    username: str
    role: Role
    via: Literal["token", "api_key", "ticket"]

"""Bearer auth is cached between commits (auth/principals.py): account changes still bite at once."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from deltaplane.auth import services as auth_services
from deltaplane.auth import tokens
from deltaplane.auth.principals import USER_TTL_SECONDS, PrincipalCache
from deltaplane.auth.services import AuthFailed
from deltaplane.db.base import utcnow
from deltaplane.settings import Settings
from tests.conftest import login, make_viewer

PROBE = "/api/strategies"  # any viewer route that does not itself read the account (unlike /api/auth/me)


def _services(client: AsyncTestClient) -> Any:
    return client.app.state.services


async def test_requests_after_the_first_do_not_read_the_account(client: AsyncTestClient) -> None:
    admin = await login(client)
    cache: PrincipalCache = _services(client).principals
    assert (await client.get("/api/auth/me", headers=admin)).status_code == 200
    misses = cache.accounts.misses
    for _ in range(5):
        assert (await client.get("/api/auth/me", headers=admin)).status_code == 200
    assert cache.accounts.misses == misses and cache.accounts.hits >= 5


async def test_disabling_an_account_refuses_its_cached_token_at_once(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    assert (await client.get(PROBE, headers=viewer)).status_code == 200  # cached now
    viewer_id = next(u["id"] for u in (await client.get("/api/users", headers=admin)).json() if u["username"] == "viewer1")
    assert (await client.patch(f"/api/users/{viewer_id}", json={"is_active": False}, headers=admin)).status_code == 200
    r = await client.get(PROBE, headers=viewer)
    assert r.status_code == 401 and "disabled" in r.json()["detail"]
    assert (await client.patch(f"/api/users/{viewer_id}", json={"is_active": True}, headers=admin)).status_code == 200
    assert (await client.get(PROBE, headers=viewer)).status_code == 200


async def test_role_changes_apply_to_the_next_request(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    assert (await client.get("/api/users", headers=viewer)).status_code == 403  # cached as viewer
    viewer_id = next(u["id"] for u in (await client.get("/api/users", headers=admin)).json() if u["username"] == "viewer1")
    assert (await client.patch(f"/api/users/{viewer_id}", json={"role": "admin"}, headers=admin)).status_code == 200
    assert (await client.get("/api/users", headers=viewer)).status_code == 200
    assert (await client.patch(f"/api/users/{viewer_id}", json={"role": "viewer"}, headers=admin)).status_code == 200
    assert (await client.get("/api/users", headers=viewer)).status_code == 403


async def test_password_change_refuses_older_cached_tokens_at_once(client: AsyncTestClient, monkeypatch: Any) -> None:
    admin = await login(client)
    assert (await client.get(PROBE, headers=admin)).status_code == 200  # cached
    # The change happens 10 s after the token was issued: outside the 1 s same-second slack.
    monkeypatch.setattr(auth_services, "utcnow", lambda: utcnow() + timedelta(seconds=10))
    r = await client.post("/api/auth/password", json={"current_password": "admin-pass-123", "new_password": "new-password-456"},
                          headers=admin)
    assert r.status_code == 204
    r = await client.get(PROBE, headers=admin)
    assert r.status_code == 401 and "password change" in r.json()["detail"]


async def test_deleting_an_account_refuses_its_cached_token(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    assert (await client.get(PROBE, headers=viewer)).status_code == 200
    viewer_id = next(u["id"] for u in (await client.get("/api/users", headers=admin)).json() if u["username"] == "viewer1")
    assert (await client.delete(f"/api/users/{viewer_id}", headers=admin)).status_code == 204
    assert (await client.get(PROBE, headers=viewer)).status_code == 401


async def test_changes_no_commit_listener_sees_apply_within_the_ttl(client: AsyncTestClient, settings: Settings) -> None:
    """Another process (or raw SQL) disabling an account: refused once the cached entry expires."""
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    assert (await client.get(PROBE, headers=viewer)).status_code == 200
    now = [time.monotonic()]
    cache: PrincipalCache = _services(client).principals
    cache.accounts.clock = lambda: now[0]
    assert (await client.get(PROBE, headers=viewer)).status_code == 200
    db_file = settings.database_url.split("///", 1)[1]
    with sqlite3.connect(db_file) as conn:
        conn.execute("UPDATE users SET is_active = 0 WHERE username = 'viewer1'")
    assert (await client.get(PROBE, headers=viewer)).status_code == 200  # still cached: the listener never saw it
    now[0] += USER_TTL_SECONDS
    assert (await client.get(PROBE, headers=viewer)).status_code == 401


def test_cached_claims_are_verified_again_once_the_token_expires(monkeypatch: Any) -> None:
    secret = "s" * 48
    token, _ = tokens.issue_access_token(secret, user_id=1, username="a", role="admin", ttl_seconds=60)
    clock = [time.time()]
    cache = PrincipalCache(clock=lambda: clock[0])
    calls: list[str] = []
    real = tokens.decode_access_token

    def counting(s: str, t: str) -> tokens.AccessClaims:
        calls.append(t)
        return real(s, t)

    monkeypatch.setattr(tokens, "decode_access_token", counting)
    assert cache.claims(secret, token).user_id == 1
    assert cache.claims(secret, token).user_id == 1
    assert len(calls) == 1  # verified once
    clock[0] += 61  # past `exp`: not served from the cache any more

    def expired(s: str, t: str) -> tokens.AccessClaims:
        calls.append(t)
        raise tokens.TokenError("Signature has expired")

    monkeypatch.setattr(tokens, "decode_access_token", expired)
    try:
        cache.claims(secret, token)
    except AuthFailed as exc:
        assert "expired" in str(exc)
    else:
        raise AssertionError("an expired cached token was accepted")
    assert len(calls) == 2
    monkeypatch.setattr(tokens, "decode_access_token", real)
    try:
        cache.claims(secret, "not-a-token")
    except AuthFailed as exc:
        assert str(exc).startswith("invalid access token")
    else:
        raise AssertionError("garbage accepted")

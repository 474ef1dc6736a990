"""Security review findings on accounts and sessions, each over HTTP (or WS) against the real app.

1. a deleted user's token must not sign in as the next account given the same id;
2. concurrent wrong passwords still hit the login throttle; argon2 runs off the event loop;
3. password changes revoke API keys; only an interactive session may create API keys;
4. the current-password check of POST /api/auth/password is throttled like a login;
5. WS tickets and open sockets end with the account (disabled, deleted, password changed);
6. a failed sign-in logs the username only when it names an account.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient, TestClient

from deltaplane.app import create_app
from deltaplane.auth.passwords import _DUMMY_HASH
from deltaplane.auth.throttle import LoginThrottle
from tests.conftest import ADMIN_PASSWORD, in_loop_client, login, make_settings, make_viewer

# Only a guard against hanging forever if the server stops answering: never a timing assertion.
GUARD_S = 30.0
VIEWER_PASSWORD = "viewer-pass-123"


async def _user_id(client: Any, admin: dict[str, str], username: str) -> int:
    users = (await client.get("/api/users", headers=admin)).json()
    return next(u["id"] for u in users if u["username"] == username)


# --- 1. tokens are bound to the account instance, not just its id ---------------------------------


async def test_a_deleted_users_token_does_not_sign_in_as_the_next_user_with_its_id(client: AsyncTestClient) -> None:
    admin = await login(client)
    created = await client.post("/api/users", json={"username": "tmpuser", "password": VIEWER_PASSWORD, "role": "viewer"}, headers=admin)
    tmp_id = created.json()["id"]
    r = await client.post("/api/auth/login", json={"username": "tmpuser", "password": VIEWER_PASSWORD})
    old = {"Authorization": f"Bearer {r.json()['access_token']}"}
    old_cookie = r.cookies["dp_refresh"]
    old_key = (await client.post("/api/auth/api-keys", json={"name": "k"}, headers=old)).json()["key"]
    assert (await client.get("/api/auth/me", headers=old)).status_code == 200  # cached as tmpuser

    assert (await client.delete(f"/api/users/{tmp_id}", headers=admin)).status_code == 204
    new = await client.post("/api/users", json={"username": "newadmin", "password": "newadmin-pass-1", "role": "admin"}, headers=admin)
    assert new.json()["id"] == tmp_id  # SQLite hands the id out again: the premise of the attack

    me = await client.get("/api/auth/me", headers=old)
    assert me.status_code == 401, me.text
    assert (await client.get("/api/users", headers=old)).status_code == 401
    # Refresh tokens and API keys die with the account (ON DELETE CASCADE): not inherited either.
    assert (await client.post("/api/auth/refresh", cookies={"dp_refresh": old_cookie})).status_code == 401
    assert (await client.get("/api/auth/me", headers={"X-API-Key": old_key})).status_code == 401
    # The new account's own token works.
    fresh = await login(client, "newadmin", "newadmin-pass-1")
    assert (await client.get("/api/auth/me", headers=fresh)).json()["username"] == "newadmin"


async def test_a_correctly_signed_token_without_the_account_claim_is_refused(client: AsyncTestClient, settings: Any) -> None:
    admin = await login(client)
    claims = jwt.decode(admin["Authorization"][7:], options={"verify_signature": False})
    assert "acct" in claims
    bare = jwt.encode({k: v for k, v in claims.items() if k != "acct"}, settings.jwt_secret, algorithm="HS256")
    r = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {bare}"})
    assert r.status_code == 401
    wrong = jwt.encode({**claims, "acct": claims["acct"] + 1}, settings.jwt_secret, algorithm="HS256")
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {wrong}"})).status_code == 401


# --- 2. login throttle under concurrency; argon2 off the event loop ------------------------------


async def test_simultaneous_wrong_passwords_are_throttled(app_factory: Any) -> None:
    app = app_factory(login_max_failures=5)
    async with in_loop_client(app) as c:
        body = {"username": "admin", "password": "wrong-password-x"}
        codes = [r.status_code for r in await asyncio.gather(*(c.post("/api/auth/login", json=body) for _ in range(30)))]
        assert codes.count(401) == 5 and codes.count(429) == 25, codes
        # Locked now, even with the right password.
        assert (await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})).status_code == 429


async def test_password_hashing_and_checks_run_in_a_worker_thread(app_factory: Any, monkeypatch: Any) -> None:
    seen: list[tuple[str, int, str]] = []
    real_verify, real_hash = PasswordHasher.verify, PasswordHasher.hash

    def verify(self: PasswordHasher, hash: str, password: str) -> bool:  # noqa: A002
        seen.append(("verify", threading.get_ident(), hash))
        return real_verify(self, hash, password)

    def hash_(self: PasswordHasher, password: str, *, salt: bytes | None = None) -> str:
        seen.append(("hash", threading.get_ident(), ""))
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    loop_thread = threading.get_ident()
    async with in_loop_client(app_factory(login_max_failures=100)) as c:
        seen.clear()  # start-up (the initial admin) is not a request
        admin = await login(c)
        assert (await c.post("/api/auth/login", json={"username": "admin", "password": "wrong-password-x"})).status_code == 401
        assert (await c.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password-x"})).status_code == 401
        viewer = await make_viewer(c, admin)  # hashes the new password
        r = await c.post("/api/auth/password", json={"current_password": VIEWER_PASSWORD, "new_password": "viewer-pass-456"}, headers=viewer)
        assert r.status_code == 204
    assert {kind for kind, _, _ in seen} == {"verify", "hash"}
    assert all(ident != loop_thread for _, ident, _ in seen), seen
    # The unknown user was still checked against the dummy hash (same cost as a real account).
    assert any(kind == "verify" and h == _DUMMY_HASH for kind, _, h in seen)


def test_throttle_counts_attempts_in_flight() -> None:
    now = [1000.0]
    t = LoginThrottle(max_failures=3, window_seconds=60, lockout_seconds=120, clock=lambda: now[0])
    assert [t.begin("bob", "1.2.3.4") for _ in range(4)] == [0, 0, 0, 1]  # the 4th would exceed the limit
    for _ in range(3):
        t.end("bob", "1.2.3.4", failed=True)
    assert t.begin("bob", "1.2.3.4") == 120  # locked
    now[0] += 121
    assert t.begin("bob", "1.2.3.4") == 0
    t.end("bob", "1.2.3.4", failed=False)  # a success clears the username's failures
    assert t.begin("BOB", "5.6.7.8") == 0
    t.end("bob", "5.6.7.8", failed=None)  # neither (a crash): only releases the slot
    assert t.begin("bob", "5.6.7.8") == 0


# --- 3. API keys: revoked by password changes, created only by interactive sessions -----------------


async def test_changing_the_password_revokes_the_users_api_keys(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    key = (await client.post("/api/auth/api-keys", json={"name": "script"}, headers=viewer)).json()["key"]
    assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 200
    r = await client.post("/api/auth/password", json={"current_password": VIEWER_PASSWORD, "new_password": "viewer-pass-456"}, headers=viewer)
    assert r.status_code == 204
    assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 401
    viewer = await login(client, "viewer1", "viewer-pass-456")
    listed = (await client.get("/api/auth/api-keys", headers=viewer)).json()
    assert listed and all(k["revoked_at"] is not None for k in listed)


async def test_an_admin_password_reset_revokes_the_users_api_keys(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    key = (await client.post("/api/auth/api-keys", json={"name": "script"}, headers=viewer)).json()["key"]
    admin_key = (await client.post("/api/auth/api-keys", json={"name": "mine"}, headers=admin)).json()["key"]
    viewer_id = await _user_id(client, admin, "viewer1")
    assert (await client.patch(f"/api/users/{viewer_id}", json={"password": "reset-pass-789"}, headers=admin)).status_code == 200
    assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 401
    assert (await client.get("/api/auth/me", headers={"X-API-Key": admin_key})).status_code == 200  # only that user's keys


async def test_only_an_interactive_session_can_create_api_keys(client: AsyncTestClient) -> None:
    admin = await login(client)
    key = (await client.post("/api/auth/api-keys", json={"name": "first"}, headers=admin)).json()["key"]
    r = await client.post("/api/auth/api-keys", json={"name": "second"}, headers={"X-API-Key": key})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    names = [k["name"] for k in (await client.get("/api/auth/api-keys", headers=admin)).json()]
    assert names == ["first"]


# --- 4. the current-password check is throttled ------------------------------------------------------


async def test_guessing_the_current_password_is_throttled(app_factory: Any) -> None:
    async with AsyncTestClient(app=app_factory(login_max_failures=3)) as c:
        admin = await login(c)
        viewer = await make_viewer(c, admin)
        for guess in ("guess-one-111", "guess-two-222"):
            r = await c.post("/api/auth/password", json={"current_password": guess, "new_password": "viewer-pass-456"}, headers=viewer)
            assert r.status_code == 400
        # current == new: a wrong guess is "not correct" (400), never "must differ" (which would confirm it).
        same = "guess-three-33"
        r = await c.post("/api/auth/password", json={"current_password": same, "new_password": same}, headers=viewer)
        assert r.status_code == 400 and r.json()["fields"][0]["field"] == "current_password"
        # Locked: even the right password is refused, and so is signing in with it.
        r = await c.post("/api/auth/password", json={"current_password": VIEWER_PASSWORD, "new_password": "viewer-pass-456"}, headers=viewer)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert (await c.post("/api/auth/login", json={"username": "viewer1", "password": VIEWER_PASSWORD})).status_code == 429


async def test_must_differ_is_checked_only_after_the_current_password_verified(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    r = await client.post("/api/auth/password", json={"current_password": VIEWER_PASSWORD, "new_password": VIEWER_PASSWORD}, headers=viewer)
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "new_password"


# --- 5. WebSocket tickets and open sockets end with the account ------------------------------------


def _login_sync(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _viewer_sync(client: TestClient, admin: dict[str, str], username: str = "viewer1") -> tuple[int, dict[str, str]]:
    r = client.post("/api/users", json={"username": username, "password": VIEWER_PASSWORD, "role": "viewer"}, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()["id"], _login_sync(client, username, VIEWER_PASSWORD)


def _ws_ticket(client: TestClient, headers: dict[str, str]) -> str:
    r = client.post("/api/auth/ws-ticket", headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def _end_account(client: TestClient, admin: dict[str, str], viewer: dict[str, str], user_id: int, how: str) -> None:
    if how == "disabled":
        r = client.patch(f"/api/users/{user_id}", json={"is_active": False}, headers=admin)
    elif how == "deleted":
        r = client.delete(f"/api/users/{user_id}", headers=admin)
    elif how == "password_reset":
        r = client.patch(f"/api/users/{user_id}", json={"password": "reset-pass-789"}, headers=admin)
    else:
        r = client.post("/api/auth/password", json={"current_password": VIEWER_PASSWORD, "new_password": "viewer-pass-456"}, headers=viewer)
    assert r.status_code in (200, 204), r.text


HOW = ["disabled", "deleted", "password_reset", "password_changed"]


@pytest.mark.parametrize("how", HOW)
def test_a_ticket_issued_before_the_account_ended_does_not_connect(tmp_path: Any, how: str) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app=app) as client:
        admin = _login_sync(client, "admin", ADMIN_PASSWORD)
        user_id, viewer = _viewer_sync(client, admin)
        ticket = _ws_ticket(client, viewer)
        _end_account(client, admin, viewer, user_id, how)
        with client.websocket_connect(f"/api/ws?ticket={ticket}") as ws:
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json(timeout=GUARD_S)
            assert exc.value.code == 4001


def test_a_ticket_of_a_deleted_user_does_not_connect_as_the_next_user_with_its_id(tmp_path: Any) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app=app) as client:
        admin = _login_sync(client, "admin", ADMIN_PASSWORD)
        user_id, viewer = _viewer_sync(client, admin, "tmpuser")
        ticket = _ws_ticket(client, viewer)
        assert client.delete(f"/api/users/{user_id}", headers=admin).status_code == 204
        r = client.post("/api/users", json={"username": "newadmin", "password": "newadmin-pass-1", "role": "admin"}, headers=admin)
        assert r.json()["id"] == user_id
        with client.websocket_connect(f"/api/ws?ticket={ticket}") as ws:
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json(timeout=GUARD_S)
            assert exc.value.code == 4001


@pytest.mark.parametrize("how", HOW)
def test_an_open_socket_is_closed_when_the_account_ends(tmp_path: Any, how: str) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app=app) as client:
        admin = _login_sync(client, "admin", ADMIN_PASSWORD)
        user_id, viewer = _viewer_sync(client, admin)
        with client.websocket_connect(f"/api/ws?ticket={_ws_ticket(client, admin)}") as admin_ws, \
             client.websocket_connect(f"/api/ws?ticket={_ws_ticket(client, viewer)}") as ws:  # fmt: skip
            assert ws.receive_json(timeout=GUARD_S)["type"] == "welcome"
            assert admin_ws.receive_json(timeout=GUARD_S)["type"] == "welcome"
            ws.send_json({"type": "subscribe", "topic": "alerts"})
            assert ws.receive_json(timeout=GUARD_S)["type"] == "subscribed"
            _end_account(client, admin, viewer, user_id, how)
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json(timeout=GUARD_S)
            assert exc.value.code == 4001
            # Other users' sockets stay open.
            admin_ws.send_json({"type": "ping"})
            assert admin_ws.receive_json(timeout=GUARD_S)["type"] == "pong"


# --- 6. failed sign-ins do not log what was typed as an unknown username ---------------------------


async def test_login_failed_logs_only_known_usernames(client: AsyncTestClient, caplog: Any) -> None:
    caplog.set_level(logging.INFO, logger="deltaplane.auth")
    typed = "MySecretPassw0rd!"  # a password typed into the username field
    assert (await client.post("/api/auth/login", json={"username": typed, "password": "whatever-123"})).status_code == 401
    assert (await client.post("/api/auth/login", json={"username": " Admin ", "password": "wrong-password-x"})).status_code == 401
    failed = [r for r in caplog.records if getattr(r, "event", None) == "login_failed"]
    assert len(failed) == 2
    unknown, known = failed
    assert all(typed not in str(v) for v in unknown.__dict__.values())
    assert typed not in unknown.getMessage()
    assert getattr(unknown, "username", None) is None and unknown.username_known is False
    assert unknown.username_length == len(typed)
    assert known.username == "admin" and known.username_known is True  # the account's own spelling


"""Auth flows over HTTP against a real SQLite file."""

from __future__ import annotations

import time

import jwt
import pytest
from litestar.testing import AsyncTestClient

from deltaplane.app import create_app
from deltaplane.auth import tokens
from tests.conftest import ADMIN_PASSWORD, login, make_settings, make_viewer


async def test_health_is_public_and_other_routes_need_a_token(client: AsyncTestClient) -> None:
    assert (await client.get("/api/health")).status_code == 200
    r = await client.get("/api/auth/me")
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "unauthorized" and body["correlation_id"] == r.headers["x-correlation-id"]


async def test_login_me_and_refresh_cookie_attributes(client: AsyncTestClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900 and body["user"]["role"] == "admin"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api/auth" in cookie
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "admin"


async def test_wrong_password_and_unknown_user_get_the_same_401(client: AsyncTestClient) -> None:
    a = await client.post("/api/auth/login", json={"username": "admin", "password": "wrong-password"})
    b = await client.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]


async def test_refresh_rotates_and_reuse_revokes_the_family(client: AsyncTestClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    first = r.cookies["dp_refresh"]
    r2 = await client.post("/api/auth/refresh", cookies={"dp_refresh": first})
    assert r2.status_code == 200
    second = r2.cookies["dp_refresh"]
    assert second != first
    # Replaying the rotated token is theft: 401 and the whole family dies, including `second`.
    replay = await client.post("/api/auth/refresh", cookies={"dp_refresh": first})
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    after = await client.post("/api/auth/refresh", cookies={"dp_refresh": second})
    assert after.status_code == 401


async def test_logout_revokes_refresh(client: AsyncTestClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    cookie = r.cookies["dp_refresh"]
    out = await client.post("/api/auth/logout", cookies={"dp_refresh": cookie})
    assert out.status_code == 204
    assert (await client.post("/api/auth/refresh", cookies={"dp_refresh": cookie})).status_code == 401


async def test_expired_and_tampered_and_alg_none_tokens_are_refused(client: AsyncTestClient, settings) -> None:
    secret = settings.jwt_secret
    expired, _ = tokens.issue_access_token(secret, user_id=1, username="admin", role="admin", ttl_seconds=60, now=time.time() - 3600)
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"})).status_code == 401
    wrong_key, _ = tokens.issue_access_token("another-secret-" + "y" * 40, user_id=1, username="admin", role="admin", ttl_seconds=60)
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {wrong_key}"})).status_code == 401
    good, _ = tokens.issue_access_token(secret, user_id=1, username="admin", role="admin", ttl_seconds=60)
    claims = jwt.decode(good, options={"verify_signature": False})
    none_token = jwt.encode({**claims, "role": "admin"}, key=None, algorithm="none")
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {none_token}"})).status_code == 401
    head, payload, sig = good.split(".")
    tampered_claims = jwt.utils.base64url_encode(jwt.utils.force_bytes(__import__("json").dumps({**claims, "sub": "2"}))).decode()
    assert (await client.get("/api/auth/me", headers={"Authorization": f"Bearer {head}.{tampered_claims}.{sig}"})).status_code == 401


async def test_access_token_expires_after_configured_ttl(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, access_token_ttl_seconds=1))
    async with AsyncTestClient(app=app) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.json()["expires_in"] == 1
        claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == 1


async def test_login_throttle_per_username_then_retry_after(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, login_max_failures=3))
    async with AsyncTestClient(app=app) as c:
        for _ in range(3):
            assert (await c.post("/api/auth/login", json={"username": "admin", "password": "nope-nope-nope"})).status_code == 401
        blocked = await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["error"] == "too_many_requests"


async def test_login_throttle_per_ip_across_usernames(tmp_path) -> None:
    app = create_app(make_settings(tmp_path, login_max_failures=3))
    async with AsyncTestClient(app=app) as c:
        for i in range(3):
            await c.post("/api/auth/login", json={"username": f"user{i}", "password": "nope-nope-nope"})
        assert (await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})).status_code == 429


async def test_change_password_revokes_sessions_and_old_password(client: AsyncTestClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    cookie = r.cookies["dp_refresh"]
    bad = await client.post("/api/auth/password", json={"current_password": "wrong-one-xx", "new_password": "new-password-456"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["fields"][0]["field"] == "current_password"
    short = await client.post("/api/auth/password", json={"current_password": ADMIN_PASSWORD, "new_password": "short"}, headers=headers)
    assert short.status_code == 422 and short.json()["fields"][0]["field"] == "new_password"
    ok = await client.post("/api/auth/password", json={"current_password": ADMIN_PASSWORD, "new_password": "new-password-456"}, headers=headers)
    assert ok.status_code == 204
    assert (await client.post("/api/auth/refresh", cookies={"dp_refresh": cookie})).status_code == 401
    assert (await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})).status_code == 401
    await login(client, "admin", "new-password-456")


async def test_api_keys_created_once_used_recorded_and_revoked(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    created = await client.post("/api/auth/api-keys", json={"name": "grafana"}, headers=viewer)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("dp_")
    listed = (await client.get("/api/auth/api-keys", headers=viewer)).json()
    assert listed[0]["last_used_at"] is None and "key" not in listed[0]
    me = await client.get("/api/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["role"] == "viewer"
    # The key carries its owner's role: a viewer key cannot manage users.
    assert (await client.get("/api/users", headers={"X-API-Key": key})).status_code == 403
    listed = (await client.get("/api/auth/api-keys", headers=viewer)).json()
    assert listed[0]["last_used_at"] is not None
    # Another user cannot revoke it.
    assert (await client.delete(f"/api/auth/api-keys/{listed[0]['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"/api/auth/api-keys/{listed[0]['id']}", headers=viewer)).status_code == 204
    assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 401
    assert (await client.get("/api/auth/me", headers={"X-API-Key": "dp_garbage"})).status_code == 401


async def test_user_management_rules(client: AsyncTestClient) -> None:
    admin = await login(client)
    dup = await client.post("/api/users", json={"username": "admin", "password": "whatever-123", "role": "viewer"}, headers=admin)
    assert dup.status_code == 409 and dup.json()["fields"][0]["field"] == "username"
    bad_role = await client.post("/api/users", json={"username": "bob", "password": "whatever-123", "role": "root"}, headers=admin)
    assert bad_role.status_code == 422 and bad_role.json()["fields"][0]["field"] == "role"
    weak = await client.post("/api/users", json={"username": "bob", "password": "bob", "role": "viewer"}, headers=admin)
    assert weak.status_code == 422 and weak.json()["fields"][0]["field"] == "password"
    users = (await client.get("/api/users", headers=admin)).json()
    me_id = users[0]["id"]
    assert (await client.patch(f"/api/users/{me_id}", json={"role": "viewer"}, headers=admin)).status_code == 409
    assert (await client.delete(f"/api/users/{me_id}", headers=admin)).status_code == 409
    bob = await client.post("/api/users", json={"username": "bob", "password": "bob-password-1", "role": "viewer"}, headers=admin)
    bob_id = bob.json()["id"]
    bob_headers = await login(client, "bob", "bob-password-1")
    assert (await client.patch(f"/api/users/{bob_id}", json={"is_active": False}, headers=admin)).status_code == 200
    assert (await client.get("/api/auth/me", headers=bob_headers)).status_code == 401
    assert (await client.delete(f"/api/users/{bob_id}", headers=admin)).status_code == 204
    assert len((await client.get("/api/users", headers=admin)).json()) == 1


async def test_unknown_fields_and_bad_json_are_422_naming_the_field(client: AsyncTestClient) -> None:
    r = await client.post("/api/auth/login", json={"username": "admin", "password": "x", "extra": 1})
    assert r.status_code == 422 and "extra" in r.json()["detail"]
    r = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["error"]


@pytest.mark.parametrize("secret", ["", "change-me", "short"])
def test_production_refuses_weak_jwt_secret(secret: str) -> None:
    from deltaplane.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings({"ENVIRONMENT": "production", "JWT_SECRET": secret}, env_file="/nonexistent")


def test_production_refuses_wildcard_cors() -> None:
    from deltaplane.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="ALLOWED_ORIGINS"):
        load_settings({"ENVIRONMENT": "production", "JWT_SECRET": "z" * 48, "ALLOWED_ORIGINS": "*"}, env_file="/nonexistent")


def test_settings_parse_errors_name_the_variable() -> None:
    from deltaplane.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="PORT"):
        load_settings({"PORT": "eighty"}, env_file="/nonexistent")
    s = load_settings({"PORT": "8123", "HOST": "0.0.0.0", "ALLOWED_ORIGINS": "https://a.example, https://b.example"}, env_file="/nonexistent")
    assert s.port == 8123 and s.host == "0.0.0.0" and s.allowed_origins == ("https://a.example", "https://b.example")

"""Auth attacks over HTTP against the real app, beyond tests/api/test_auth.py and test_route_guards.py.

Already covered there (not repeated): alg none, wrong key, expired, tampered `sub`, refresh reuse
revoking the family, viewer token on every admin route, revoked API key, per-user and per-IP
throttle, WS without / with a reused ticket (4001), foreign Origin (4003).
"""

from __future__ import annotations

import json
import time

import jwt
import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient, TestClient

from deltaplane.auth import tokens
from tests.api.test_route_guards import api_endpoints, concrete
from tests.conftest import ADMIN_PASSWORD, login, make_viewer
from tests.hardening.support import error_shape_problem, hardening_app

SECRET = "test-secret-" + "x" * 40  # tests.conftest.make_settings


def _b64(obj: dict) -> str:
    return jwt.utils.base64url_encode(json.dumps(obj).encode()).decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


async def _assert_401(client: AsyncTestClient, headers: dict[str, str], path: str = "/api/auth/me") -> None:
    r = await client.get(path, headers=headers)
    assert r.status_code == 401, r.text
    assert error_shape_problem(401, r.headers, r.content) is None
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


async def test_role_escalation_in_payload_with_old_signature_is_refused(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        viewer = await make_viewer(client, await login(client))
        token = viewer["Authorization"][7:]
        head, _, sig = token.split(".")
        forged = f"{head}.{_b64({**_claims(token), 'role': 'admin'})}.{sig}"
        await _assert_401(client, {"Authorization": f"Bearer {forged}"})
        r = await client.get("/api/users", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401


async def test_role_claim_is_not_trusted_even_when_correctly_signed(tmp_path) -> None:
    """Defence in depth: the role comes from the database, so a leaked secret + viewer id is still a viewer."""
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        viewer = await make_viewer(client, await login(client))
        claims = _claims(viewer["Authorization"][7:])
        signed, _ = tokens.issue_access_token(SECRET, user_id=int(claims["sub"]), username="viewer1", role="admin", ttl_seconds=60,
                                              account=claims["acct"])  # the account binding, copied: tokens without it are refused
        h = {"Authorization": f"Bearer {signed}"}
        assert (await client.get("/api/auth/me", headers=h)).json()["role"] == "viewer"
        r = await client.post("/api/engine/kill", headers=h)
        assert r.status_code == 403 and r.json()["error"] == "forbidden"


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
async def test_other_hmac_algorithms_with_the_right_key_are_refused(tmp_path, alg: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        good = (await login(client))["Authorization"][7:]
        other = jwt.encode(_claims(good), SECRET, algorithm=alg)
        await _assert_401(client, {"Authorization": f"Bearer {other}"})


@pytest.mark.parametrize(
    "mutation",
    [
        {"aud": "someone-else"},
        {"iss": "evil"},
        {"typ": "refresh"},
        {"nbf": int(time.time()) + 3600},
        {"sub": "not-a-number"},
        {"exp": None},
    ],
    ids=["aud", "iss", "typ", "nbf-future", "sub-nonint", "no-exp"],
)
async def test_correctly_signed_but_wrong_claims_are_refused(tmp_path, mutation: dict) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        claims = _claims((await login(client))["Authorization"][7:])
        claims.update(mutation)
        claims = {k: v for k, v in claims.items() if v is not None}
        await _assert_401(client, {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"})


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer a.b", "Bearer ....", "Bearer " + "A" * 20_000, "Basic YWRtaW46YWRtaW4=", "bearer\x00x"],
    ids=["empty", "space", "two-parts", "dots", "huge", "basic", "nul"],
)
async def test_garbage_authorization_headers_are_401(tmp_path, header: str) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        r = await client.get("/api/auth/me", headers={"Authorization": header})
        assert r.status_code == 401, r.text
        assert error_shape_problem(401, r.headers, r.content) is None


async def test_token_refresh_cookie_and_api_key_of_a_deleted_user_are_refused(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        admin = await login(client)
        created = await client.post("/api/users", json={"username": "gone", "password": "gone-password-1", "role": "admin"}, headers=admin)
        uid = created.json()["id"]
        r = await client.post("/api/auth/login", json={"username": "gone", "password": "gone-password-1"})
        access, refresh = r.json()["access_token"], r.cookies["dp_refresh"]
        key = (await client.post("/api/auth/api-keys", json={"name": "ci"}, headers={"Authorization": f"Bearer {access}"})).json()["key"]
        client.cookies.clear()
        assert (await client.delete(f"/api/users/{uid}", headers=admin)).status_code == 204
        await _assert_401(client, {"Authorization": f"Bearer {access}"})
        # The deleted admin's token must not reach an admin route either.
        assert (await client.post("/api/engine/kill", headers={"Authorization": f"Bearer {access}"})).status_code == 401
        assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 401
        client.cookies.set("dp_refresh", refresh, path="/api/auth")
        r = await client.post("/api/auth/refresh")
        assert r.status_code == 401 and error_shape_problem(401, r.headers, r.content) is None


async def test_refresh_token_reuse_after_logout_and_garbage_cookie(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        cookie = r.cookies["dp_refresh"]
        client.cookies.clear()
        assert (await client.post("/api/auth/logout", cookies={"dp_refresh": cookie})).status_code == 204
        client.cookies.clear()
        for value in (cookie, "", "x" * 5000, "'; DROP TABLE refresh_tokens; --"):
            r = await client.post("/api/auth/refresh", cookies={"dp_refresh": value})
            client.cookies.clear()
            assert r.status_code == 401 and error_shape_problem(401, r.headers, r.content) is None


async def test_viewer_api_key_on_every_admin_route_is_403(tmp_path) -> None:
    from deltaplane.auth.guards import requires_admin
    from tests.api.test_route_guards import _guards

    app = hardening_app(tmp_path)
    async with AsyncTestClient(app=app) as client:
        viewer = await make_viewer(client, await login(client))
        key = (await client.post("/api/auth/api-keys", json={"name": "v"}, headers=viewer)).json()["key"]
        admin_routes = [(m, p) for m, p, h in api_endpoints(app) if requires_admin in _guards(h)]
        assert len(admin_routes) >= 10
        for method, path in admin_routes:
            r = await client.request(method, concrete(path), json={} if method in ("POST", "PUT", "PATCH") else None, headers={"X-API-Key": key})
            assert r.status_code == 403, f"{method} {path} -> {r.status_code}"
            assert error_shape_problem(403, r.headers, r.content) is None


async def test_api_key_with_known_prefix_but_wrong_secret_is_refused(tmp_path) -> None:
    async with AsyncTestClient(app=hardening_app(tmp_path)) as client:
        admin = await login(client)
        key = (await client.post("/api/auth/api-keys", json={"name": "k"}, headers=admin)).json()["key"]
        prefix = key.split("_")[1]
        for forged in (f"dp_{prefix}_{'A' * 32}", key[:-1] + ("A" if key[-1] != "A" else "B"), key + "x", f"dp_{prefix}_", "dp__" + "x" * 40):
            r = await client.get("/api/auth/me", headers={"X-API-Key": forged})
            assert r.status_code == 401, forged
        assert (await client.get("/api/auth/me", headers={"X-API-Key": key})).status_code == 200


async def test_forwarded_for_does_not_bypass_the_ip_throttle_when_proxy_headers_are_untrusted(tmp_path) -> None:
    app = hardening_app(tmp_path, login_max_failures=3, trust_proxy_headers=False)
    async with AsyncTestClient(app=app) as client:
        for i in range(3):
            r = await client.post(
                "/api/auth/login",
                json={"username": f"nobody{i}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.0.0.{i}"},
            )
            assert r.status_code == 401
        r = await client.post("/api/auth/login", json={"username": "fresh", "password": "wrong-password"}, headers={"X-Forwarded-For": "10.9.9.9"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert error_shape_problem(429, r.headers, r.content) is None


async def test_username_case_variants_share_one_throttle_bucket(tmp_path) -> None:
    app = hardening_app(tmp_path, login_max_failures=3, trust_proxy_headers=True)
    async with AsyncTestClient(app=app) as client:
        for i, name in enumerate(("admin", "ADMIN", " Admin ")):
            # A different (trusted) client IP each time: only the per-user bucket can trip.
            r = await client.post("/api/auth/login", json={"username": name, "password": "wrong-password"}, headers={"X-Real-IP": f"10.1.0.{i}"})
            assert r.status_code == 401
        r = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers={"X-Real-IP": "10.2.0.1"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0


# --- WebSocket ---------------------------------------------------------------------------------


def _ticket(client: TestClient) -> str:
    token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
    return client.post("/api/auth/ws-ticket", headers={"Authorization": f"Bearer {token}"}).json()["ticket"]


def _close_code(client: TestClient, url: str, headers: dict[str, str] | None = None) -> int:
    with client.websocket_connect(url, headers=headers or {}) as ws:
        with pytest.raises(WebSocketDisconnect) as exc:
            ws.receive_json()
    return exc.value.code


def test_expired_ws_ticket_is_closed_4001(tmp_path) -> None:
    app = hardening_app(tmp_path)
    now = [1000.0]
    app.state.services.ws_tickets.clock = lambda: now[0]
    with TestClient(app=app) as client:
        ticket = _ticket(client)
        now[0] += app.state.services.settings.ws_ticket_ttl_seconds + 1
        assert _close_code(client, f"/api/ws?ticket={ticket}") == 4001
        fresh = _ticket(client)  # a fresh ticket still works at the same (moved) time
        with client.websocket_connect(f"/api/ws?ticket={fresh}") as ws:
            assert ws.receive_json()["type"] == "welcome"


def test_access_token_or_api_key_in_place_of_a_ticket_is_closed_4001(tmp_path) -> None:
    app = hardening_app(tmp_path)
    with TestClient(app=app) as client:
        token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
        assert _close_code(client, f"/api/ws?ticket={token}") == 4001
        assert _close_code(client, f"/api/ws?token={token}") == 4001
        assert _close_code(client, "/api/ws", headers={"Authorization": f"Bearer {token}"}) == 4001
        assert _close_code(client, "/api/ws?ticket=" + "A" * 4096) == 4001


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example", "http://testserver.local:1"])
def test_foreign_origins_are_refused_4003_and_do_not_burn_the_ticket(tmp_path, origin: str) -> None:
    app = hardening_app(tmp_path)
    with TestClient(app=app) as client:
        ticket = _ticket(client)
        assert _close_code(client, f"/api/ws?ticket={ticket}", headers={"Origin": origin}) == 4003

"""Every route is enumerated: a new unguarded route fails this test."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from deltaplane.app import create_app
from deltaplane.auth.guards import requires_admin, requires_viewer
from deltaplane.logs.controllers import requires_log_writer
from deltaplane.system.controllers import requires_metrics_access
from tests.conftest import login, make_settings, make_viewer

# Routes that are deliberately reachable without a token, each with its reason.
PUBLIC = {
    ("GET", "/api/health"),  # liveness for orchestrators
    ("GET", "/api/health/ready"),  # readiness for orchestrators
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),  # authenticated by the httpOnly refresh cookie
    ("POST", "/api/auth/logout"),  # only revokes the presented refresh cookie
}
# Public but guarded by its own credential check.
SELF_GUARDED = {
    ("GET", "/api/metrics"): requires_metrics_access,  # METRICS_TOKEN or admin
    ("POST", "/api/logs/batch"): requires_log_writer,  # signed-in user or LOG_INGEST_API_KEY
}


def api_endpoints(app: Litestar) -> list[tuple[str, str, object]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api"):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                if method in ("HEAD", "OPTIONS"):
                    continue
                found.append((method, route.path, handler))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _guards(handler) -> set:
    # The raw guard callables declared on the handler and every layer that owns it.
    return {g for layer in handler.ownership_layers for g in (layer.guards or [])}


async def test_every_api_route_is_public_by_intent_or_guarded(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    endpoints = api_endpoints(app)
    assert len(endpoints) >= 15
    for method, path, handler in endpoints:
        if path.startswith("/api/docs"):
            continue
        key = (method, path)
        guards = _guards(handler)
        if key in PUBLIC:
            continue
        if key in SELF_GUARDED:
            assert SELF_GUARDED[key] in guards, key
            continue
        assert guards & {requires_viewer, requires_admin}, f"{method} {path} has no role guard"
        assert not handler.opt.get("exclude_from_auth") or guards, f"{method} {path} skips auth without a guard"


async def test_every_non_public_route_answers_401_without_credentials(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    async with AsyncTestClient(app=app) as client:
        for method, path, _ in api_endpoints(app):
            if (method, path) in PUBLIC:
                continue
            r = await client.request(method, concrete(path), json={} if method in ("POST", "PUT", "PATCH") else None)
            assert r.status_code == 401, f"{method} {path} -> {r.status_code}"
            assert r.json()["error"] == "unauthorized"


async def test_admin_routes_refuse_viewers_with_403(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    async with AsyncTestClient(app=app) as client:
        admin = await login(client)
        viewer = await make_viewer(client, admin)
        admin_routes = [(m, p) for m, p, h in api_endpoints(app) if requires_admin in _guards(h)]
        assert admin_routes, "expected admin-only routes"
        for method, path in admin_routes:
            r = await client.request(method, concrete(path), json={} if method in ("POST", "PUT", "PATCH") else None, headers=viewer)
            assert r.status_code == 403, f"{method} {path} -> {r.status_code}"
        assert (await client.get("/api/metrics", headers=viewer)).status_code == 403


async def test_openapi_requires_auth_and_every_operation_has_an_id(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/api/docs/openapi.json")).status_code == 401
        admin = await login(client)
        schema = (await client.get("/api/docs/openapi.json", headers=admin)).json()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert op.get("operationId"), f"{method} {path} lacks an operation id"

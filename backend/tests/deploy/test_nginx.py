"""docker/nginx.conf, run by the system's real nginx on loopback, in front of a backend.

Upstreams ("upstream" fixture, each test runs against the ones it can):
  stub  tests/deploy/stub_backend.py under uvicorn: echoes what it received (headers, WS frames)
  real  the actual API: `deltaplane serve` on a temporary SQLite file (skipped only when
        backend/src/deltaplane/cli.py does not exist yet, or DEPLOY_TEST_REAL_BACKEND=0)

The production config is used verbatim except for the lines tagged "# test-rewrite:" in it:
  listen 80 ...            -> listen 127.0.0.1:<free port>
  server backend:8001 ...  -> server 127.0.0.1:<upstream port> ...
  root /usr/share/nginx/html -> root <SPA dist: frontend/dist if built, else a fake one>
  access_log /var/log/...  -> access_log <tmp>/access.log (read back by the tests)
plus temp-path directives inserted after "http {" (Debian's compiled paths need root) and, on
the command line, -p <tmp> -g "daemon off; pid <tmp>/nginx.pid; error_log <tmp>/error.log;"
and "user root;" when running as root (otherwise workers drop to nobody and cannot read tmp).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[3]
BACKEND = REPO / "backend"
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "scripts"))
from nginx_local import render_conf  # noqa: E402  (shared with the e2e suite)

CONF = REPO / "docker" / "nginx.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
HERE = Path(__file__).resolve().parent
ADMIN_PASSWORD = "Nginx-Test-Admin-Pass-42"

pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx binary not installed (apt-get install -y nginx-light; `make test` does it)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = log.read_text() if log and log.exists() else ""
            pytest.fail(f"{what} exited with {proc.returncode}: {detail[-3000:]}")
        try:
            r = httpx.get(url, timeout=1.0)
            if r.status_code == 200:
                return
            last = r.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.05)
    detail = log.read_text() if log and log.exists() else ""
    pytest.fail(f"{what} not up at {url} within {timeout}s (last: {last!r}) {detail[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@dataclass
class Upstream:
    kind: str
    port: int


def _real_backend_available() -> bool:
    return (BACKEND / "src" / "deltaplane" / "cli.py").exists() and os.environ.get(
        "DEPLOY_TEST_REAL_BACKEND", "1"
    ) != "0"


@pytest.fixture(scope="module")
def stub_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    port = free_port()
    log = tmp_path_factory.mktemp("stub") / "stub.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "stub_backend:app",
                "--app-dir",
                str(HERE),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--ws",
                "websockets-sansio",
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", proc, 20, "stub backend", log)
        yield Upstream("stub", port)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def real_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstream]:
    if not _real_backend_available():
        pytest.skip(
            "real backend not available yet (backend/src/deltaplane/cli.py missing or DEPLOY_TEST_REAL_BACKEND=0)"
        )
    tmp = tmp_path_factory.mktemp("real")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DELTA", "PAPER_", "BACKEND_LOG"))}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        ENVIRONMENT="production",
        JWT_SECRET="t" * 48,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp / 'deltaplane.db'}",
        LOG_DIR=str(tmp / "logs"),
        INITIAL_ADMIN_PASSWORD=ADMIN_PASSWORD,
        SERVE_SPA="false",
        SPA_DIST=str(tmp / "nodist"),
        TRUST_PROXY_HEADERS="true",
        EXCHANGE="paper",
        LOG_TO_STDOUT="false",
        DELTAPLANE_ENV_FILE=str(tmp / "no.env"),
        AUTO_MIGRATE="true",
    )
    log = tmp / "serve.log"
    exe = BACKEND / ".venv" / "bin" / "deltaplane"
    cmd = [str(exe), "serve"] if exe.exists() else [sys.executable, "-m", "deltaplane.cli", "serve"]
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=fh, stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/api/health", proc, 40, "deltaplane serve", log)
        yield Upstream("real", port)
    finally:
        stop(proc)


@pytest.fixture(params=["stub", "real"])
def upstream(request: pytest.FixtureRequest) -> Upstream:
    return request.getfixturevalue(f"{request.param}_upstream")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built SPA when there is one, else a fake dist with a hashed bundle."""
    real = REPO / "frontend" / "dist"
    if (real / "index.html").exists() and list((real / "assets").glob("*.js")):
        return real
    d = tmp_path_factory.mktemp("dist")
    (d / "assets").mkdir()
    (d / "index.html").write_text(
        '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head>'
        '<body><div id="root"></div></body></html>\n'
    )
    (d / "assets" / "app-abc123.js").write_text(
        "export const strikes = [" + ",".join(str(i) for i in range(3000)) + "];\n"
    )
    (d / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    return d


def bundle(dist: Path) -> Path:
    return max((dist / "assets").glob("*.js"), key=lambda p: p.stat().st_size)


@dataclass
class Nginx:
    port: int
    tmp: Path
    upstream: Upstream | None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def access_log(self) -> list[dict]:
        path = self.tmp / "access.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def wait_log(self, predicate, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.access_log():
                if predicate(entry):
                    return entry
            time.sleep(0.02)
        raise AssertionError(f"no matching access-log line in {self.access_log()}")


def start_nginx(
    tmp: Path, upstream_port: int, root: Path, upstream: Upstream | None
) -> tuple[Nginx, subprocess.Popen]:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(
        render_conf(CONF.read_text(), listen_port=port, upstream_port=upstream_port, root=root, tmp=tmp)
    )
    globals_ = f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log warn;"
    if os.geteuid() == 0:
        globals_ += " user root;"
    err = tmp / "nginx.stderr"
    with open(err, "w") as fh:
        proc = subprocess.Popen(
            [NGINX, "-p", str(tmp), "-c", str(conf), "-g", globals_], stdout=fh, stderr=subprocess.STDOUT
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/nginx-health", proc, 10, "nginx", err)
    except BaseException:
        stop(proc)
        raise
    return Nginx(port, tmp, upstream), proc


@pytest.fixture
def nginx(tmp_path: Path, upstream: Upstream, dist: Path) -> Iterator[Nginx]:
    """A fresh nginx per test (fresh rate-limit zones) in front of the parametrized upstream."""
    server, proc = start_nginx(tmp_path, upstream.port, dist, upstream)
    try:
        yield server
    finally:
        stop(proc)


@pytest.fixture
def stub_nginx(tmp_path: Path, stub_upstream: Upstream, dist: Path) -> Iterator[Nginx]:
    server, proc = start_nginx(tmp_path, stub_upstream.port, dist, stub_upstream)
    try:
        yield server
    finally:
        stop(proc)


SPA_CSP = re.compile(r"default-src 'self'")


def assert_security_headers(r: httpx.Response, *, spa: bool) -> None:
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]
    assert r.headers.get_list("x-frame-options") == ["DENY"]
    assert r.headers["referrer-policy"]
    if spa:
        csp = r.headers["content-security-policy"]
        for part in (
            "default-src 'self'",
            "connect-src 'self' ws: wss:",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
        ):
            assert part in csp, f"{part!r} missing from CSP {csp!r}"


# --- SPA --------------------------------------------------------------------------------------


def test_deep_links_fall_back_to_index(stub_nginx: Nginx, dist: Path) -> None:
    index = (dist / "index.html").read_text()
    for path in ("/", "/strategies/42/runtime", "/logs?level=ERROR", "/analytics/"):
        r = httpx.get(stub_nginx.base + path)
        assert r.status_code == 200, path
        assert r.text == index, path
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache", path
        assert_security_headers(r, spa=True)
    r = httpx.get(stub_nginx.base + "/index.html")
    assert r.headers["cache-control"] == "no-cache"


def test_hashed_assets_are_immutable_and_gzipped(stub_nginx: Nginx, dist: Path) -> None:
    js = bundle(dist)
    url = f"{stub_nginx.base}/assets/{js.name}"
    r = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in r.headers["vary"]
    assert r.content == js.read_bytes()  # httpx decompressed it
    raw = httpx.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == js.read_bytes()
    assert_security_headers(r, spa=True)
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as s:
        assert gzip.decompress(b"".join(s.iter_raw())) == js.read_bytes()


def test_missing_asset_is_404_not_the_spa(stub_nginx: Nginx) -> None:
    r = httpx.get(stub_nginx.base + "/assets/app-doesnotexist.js")
    assert r.status_code == 404
    assert "immutable" not in r.headers.get("cache-control", "")


# --- API proxy ----------------------------------------------------------------------------------


def test_api_health_and_correlation_id(nginx: Nginx) -> None:
    r = httpx.get(nginx.base + "/api/health", headers={"X-Correlation-ID": "corr-abc-123"})
    assert r.status_code == 200
    assert r.headers["x-correlation-id"] == "corr-abc-123"
    assert_security_headers(r, spa=False)
    # nginx adds no CSP of its own on /api (the API's own policy, e.g. for /api/docs, wins).
    assert len(r.headers.get_list("content-security-policy")) <= 1
    assert "cache-control" not in r.headers or "immutable" not in r.headers["cache-control"]
    nginx.wait_log(
        lambda e: e["path"] == "/api/health" and e["correlation_id"] == "corr-abc-123" and e["status"] == 200
    )

    # None sent: nginx generates one from $request_id; the API receives and echoes it.
    r = httpx.get(nginx.base + "/api/health")
    generated = r.headers["x-correlation-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated), generated
    entry = nginx.wait_log(lambda e: e["correlation_id"] == generated)
    assert entry["request_id"] == generated and entry["upstream_status"] == "200"

    # A hostile value is replaced, never passed on or logged raw.
    r = httpx.get(nginx.base + "/api/health", headers={"X-Correlation-ID": 'x" injected'})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-correlation-id"])


def test_forwarded_headers_reach_the_backend(stub_nginx: Nginx) -> None:
    r = httpx.get(stub_nginx.base + "/api/echo?x=1", headers={"X-Request-ID": "req-77"})
    seen = r.json()
    h = seen["headers"]
    assert h["host"] == f"127.0.0.1:{stub_nginx.port}"
    assert h["x-real-ip"] == "127.0.0.1"
    assert h["x-forwarded-for"] == "127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-correlation-id"] == "req-77"  # X-Request-ID is honoured when no correlation id
    # A TLS proxy in front reports https, which survives; a client-supplied X-Forwarded-For does
    # not (the backend trusts the header: a forged address would be logged and rate-limited).
    seen = httpx.get(
        stub_nginx.base + "/api/echo",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    ).json()
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    big = httpx.get(stub_nginx.base + "/api/big", headers={"Accept-Encoding": "gzip"})
    assert big.headers["content-encoding"] == "gzip" and len(big.json()["rows"]) == 800


def test_websocket_upgrade_through_nginx(stub_nginx: Nginx) -> None:
    from websockets.sync.client import connect

    with connect(
        f"ws://127.0.0.1:{stub_nginx.port}/api/ws",
        additional_headers={"X-Correlation-ID": "ws-corr-1"},
        open_timeout=5,
        close_timeout=2,
    ) as ws:
        hello = json.loads(ws.recv(timeout=5))["hello"]
        assert hello["upgrade"].lower() == "websocket"
        assert hello["x-correlation-id"] == "ws-corr-1"
        assert hello["x-forwarded-for"] == "127.0.0.1"
        for i in range(3):
            ws.send(f"ping-{i}")
            assert ws.recv(timeout=5) == f"echo:ping-{i}"
    stub_nginx.wait_log(lambda e: e["path"] == "/api/ws" and e["status"] == 101)


def test_websocket_upgrade_reaches_real_backend(tmp_path: Path, real_upstream: Upstream, dist: Path) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    server, proc = start_nginx(tmp_path, real_upstream.port, dist, real_upstream)
    try:
        login = httpx.post(
            server.base + "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert login.status_code in (200, 201), login.text
        token = login.json()["access_token"]
        t = httpx.post(server.base + "/api/auth/ws-ticket", headers={"Authorization": f"Bearer {token}"})
        assert t.status_code in (200, 201), t.text
        try:
            with connect(
                f"ws://127.0.0.1:{server.port}/api/ws?ticket={t.json()['ticket']}",
                additional_headers={"Origin": server.base},
                open_timeout=5,
                close_timeout=2,
            ):
                pass
        except InvalidStatus as exc:
            if exc.response.status_code == 404:
                pytest.skip("the real backend has no /api/ws route yet")
            raise
        server.wait_log(lambda e: e["path"] == "/api/ws" and e["status"] == 101)
    finally:
        stop(proc)


def test_login_is_rate_limited_by_nginx(nginx: Nginx) -> None:
    results = []
    for _ in range(20):
        r = httpx.post(
            nginx.base + "/api/auth/login", json={"username": "admin", "password": "wrong-password"}
        )
        results.append(r)
    by_nginx = [r for r in results if r.status_code == 429 and r.headers.get("x-limited-by") == "nginx"]
    # 1 + burst 5 go through; the rest of an instant burst is refused by nginx.
    assert all(r.headers.get("x-limited-by") != "nginx" for r in results[:6]), [
        r.status_code for r in results
    ]
    assert len(by_nginx) >= 12, [r.status_code for r in results]
    body = by_nginx[0].json()
    assert body["error"] == "too_many_requests" and body["correlation_id"]
    assert by_nginx[0].headers["retry-after"] == "60"
    # Other API routes are not affected by the login budget.
    assert httpx.get(nginx.base + "/api/health").status_code == 200


def test_oversize_body_is_413(nginx: Nginx) -> None:
    r = httpx.post(
        nginx.base + "/api/logs/batch",
        content=b"x" * (3 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"] == "payload_too_large"


def test_access_log_is_json_with_correlation_ids(stub_nginx: Nginx) -> None:
    httpx.get(stub_nginx.base + "/strategies/1")
    httpx.get(stub_nginx.base + "/api/health?secret=tok", headers={"X-Correlation-ID": "log-check"})
    entry = stub_nginx.wait_log(lambda e: e["correlation_id"] == "log-check")
    assert entry["path"] == "/api/health" and "secret" not in json.dumps(entry)
    for e in stub_nginx.access_log():
        assert {"timestamp", "level", "event", "correlation_id", "status", "method", "path"} <= e.keys()
    assert not any(e["path"] == "/nginx-health" for e in stub_nginx.access_log())


def test_backend_down_gives_json_502(tmp_path: Path, dist: Path) -> None:
    # Hold a bound but never-listening port: connections are refused, and nothing else can take
    # the port meanwhile (a merely "free" port could be grabbed by another process).
    import socket

    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    dead.bind(("127.0.0.1", 0))
    server, proc = start_nginx(tmp_path, dead.getsockname()[1], dist, None)
    try:
        r = httpx.get(server.base + "/api/health")
        assert r.status_code == 502
        assert r.json()["error"] == "backend_unavailable"
        assert httpx.get(server.base + "/").status_code == 200  # the SPA still loads
    finally:
        stop(proc)
        dead.close()

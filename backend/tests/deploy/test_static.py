"""Static checks of the production packaging: Dockerfiles, compose file, .env.prod.example, scripts."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
import yaml

from deltaplane.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[3]


def dockerfile(path: Path) -> list[list[tuple[str, str]]]:
    """Stages of (INSTRUCTION, args) with continuation lines joined and comments dropped."""
    lines, buf = [], ""
    for raw in path.read_text().splitlines():
        if not buf and (raw.lstrip().startswith("#") or not raw.strip()):
            continue
        if raw.lstrip().startswith("#"):
            continue
        buf += raw.rstrip()
        if buf.endswith("\\"):
            buf = buf[:-1] + " "
            continue
        lines.append(buf.strip())
        buf = ""
    stages: list[list[tuple[str, str]]] = []
    for line in lines:
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instr, args.strip()))
    return stages


def find(stage: list[tuple[str, str]], instr: str) -> list[str]:
    return [args for i, args in stage if i == instr]


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


def test_backend_dockerfile() -> None:
    stages = dockerfile(REPO / "docker" / "backend.Dockerfile")
    assert len(stages) >= 2, "multi-stage build"
    builder, runtime = stages[0], stages[-1]
    assert "AS builder" in find(builder, "FROM")[0]
    assert find(runtime, "FROM")[0].startswith("python:3.11-slim")
    assert any("--from=builder" in c for c in find(runtime, "COPY")), "runtime copies the built venv"
    assert not any("backend/src" in c for c in find(runtime, "COPY")), "no source tree in the runtime image"
    args = " ".join(find(runtime, "ARG"))
    assert "APP_UID" in args and "APP_GID" in args
    users = find(runtime, "USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any("${APP_UID}" in r for r in find(runtime, "RUN")), "user created with the build-arg UID"
    (hc,) = find(runtime, "HEALTHCHECK")
    assert "/api/health" in hc and "urllib" in hc and "curl" not in hc
    exec_form(hc.split("CMD", 1)[1].strip())
    (cmd,) = find(runtime, "CMD")
    argv = exec_form(cmd)
    assert argv[0] in {"deltaplane", "uvicorn"}
    env = " ".join(find(runtime, "ENV"))
    assert "PORT=8001" in env or "8001" in " ".join(argv)
    assert "8001" in " ".join(find(runtime, "EXPOSE"))
    assert not any("apt-get install" in r and "build-essential" in r for r in find(runtime, "RUN"))


def test_frontend_dockerfile() -> None:
    stages = dockerfile(REPO / "docker" / "frontend.Dockerfile")
    assert len(stages) == 2
    build, runtime = stages
    assert find(build, "FROM")[0].startswith("node:20")
    runs = " ".join(find(build, "RUN"))
    assert "npm ci" in runs and "npm run build" in runs
    assert find(runtime, "FROM")[0].startswith("nginx:")
    copies = find(runtime, "COPY")
    assert any("docker/nginx.conf" in c for c in copies)
    assert any("--from=build" in c and "/usr/share/nginx/html" in c for c in copies)
    assert find(runtime, "HEALTHCHECK")
    exec_form(find(runtime, "CMD")[0])


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.prod.yml").read_text())


def test_compose_services_and_network(compose: dict) -> None:
    services = compose["services"]
    assert {"backend", "frontend"} <= services.keys()
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"frontend"}, "only nginx is published"
    assert services["frontend"]["ports"] == ["${HTTP_PORT:-80}:80"]
    assert compose["networks"]["app-net"]["driver"] == "bridge"
    for name, svc in services.items():
        assert svc["networks"] == ["app-net"], name
        assert svc["logging"]["driver"] == "json-file", name
        assert {"max-size", "max-file"} <= svc["logging"]["options"].keys(), name
    assert services["backend"]["image"] == "deltaplane-backend:${IMAGE_TAG:-latest}"
    assert services["frontend"]["image"] == "deltaplane-frontend:${IMAGE_TAG:-latest}"
    assert services["backend"]["build"]["args"] == {
        "APP_UID": "${APP_UID:-1000}",
        "APP_GID": "${APP_GID:-1000}",
    }


def test_compose_backend_state_health_and_order(compose: dict) -> None:
    services = compose["services"]
    for name in ("backend", "migrate"):
        svc = services[name]
        assert "./data:/app/data" in svc["volumes"] and "./logs:/app/logs" in svc["volumes"], name
        assert svc["env_file"] == ".env.prod", name
        assert svc["environment"]["AUTO_MIGRATE"] == "false" and svc["environment"]["SERVE_SPA"] == "false"
    assert services["migrate"]["command"] == ["deltaplane", "migrate"]
    assert services["backend"]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["frontend"]["depends_on"] == {"backend": {"condition": "service_healthy"}}
    for name in ("backend", "frontend"):
        svc = services[name]
        assert svc["restart"] == "unless-stopped", name
        assert svc["healthcheck"]["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries"} <= svc["healthcheck"].keys()
    assert "/api/health" in " ".join(services["backend"]["healthcheck"]["test"])
    assert "8001" in " ".join(services["backend"]["healthcheck"]["test"])


def parse_env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.prod.example").read_text().splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def test_env_example_covers_every_setting() -> None:
    values = parse_env_example()
    fields = {f.name.upper() for f in msgspec.structs.fields(Settings)}
    missing = sorted(fields - values.keys())
    assert not missing, f".env.prod.example lacks {missing}"
    assert {"APP_UID", "APP_GID", "HTTP_PORT"} <= values.keys()
    assert values["ENVIRONMENT"] == "production"
    assert values["DATABASE_URL"] == "sqlite+aiosqlite:////app/data/deltaplane.db"
    assert values["LOG_DIR"] == "/app/logs" and values["SERVE_SPA"] == "false"
    assert values["EXCHANGE"] == "paper" and values["LIVE_TRADING_ENABLED"] == "false"
    assert values["DELTA_API_KEY"] == "" and values["DELTA_API_SECRET"] == ""
    text = (REPO / ".env.prod.example").read_text()
    assert "secrets.token_urlsafe" in text.split("JWT_SECRET=")[0].rsplit("===", 1)[-1]


def test_env_example_values_parse_and_placeholder_is_refused() -> None:
    values = {k: v for k, v in parse_env_example().items() if k not in {"APP_UID", "APP_GID", "HTTP_PORT"}}
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings(env=values, env_file="/nonexistent")
    settings = load_settings(env={**values, "JWT_SECRET": "k" * 48}, env_file="/nonexistent")
    assert settings.is_production and not settings.live_trading_enabled


def test_nginx_conf_keeps_test_rewrite_tags_and_modules() -> None:
    text = (REPO / "docker" / "nginx.conf").read_text()
    for tag in ("listen", "upstream", "root", "access_log"):
        assert text.count(f"# test-rewrite: {tag}") == 1, tag
    assert "server backend:8001" in text
    assert re.search(r"^\s*(user|pid)\s", text, re.M) is None, (
        "user/pid come from the image / test command line"
    )
    assert "escape=json" in text and "$correlation_id" in text


SCRIPTS = sorted((REPO / "scripts").glob("*.sh"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_pass_shellcheck(script: Path) -> None:
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0
    assert script.stat().st_mode & 0o111, f"{script.name} is not executable"
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (apt-get install -y shellcheck)")
    result = subprocess.run(["shellcheck", "-x", str(script)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_scripts_present() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"deploy_prod.sh", "backup.sh", "restore.sh"} <= names
    head = (REPO / "scripts" / "deploy_prod.sh").read_text()
    assert "set -Eeuo pipefail" in head

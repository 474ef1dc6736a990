"""scripts/deploy_prod.sh against a real local git remote and a recording `docker` stand-in.

Layout built per test (all under tmp_path):
  remote.git   bare repo, branch main, two commits (c1 -> c2)
  deploy/      clone at c1 = the production checkout: a local edit to a tracked file, plus
               git-ignored .env.prod, data/deltaplane.db (alembic rev "rev1"), logs/backend.log
  fakes/       tests/deploy/fakes/{docker,curl} (bash) first on PATH; every call lands in calls.log
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FAKES = Path(__file__).resolve().parent / "fakes"
SECRET = "x" * 12 + "Q7f3kP9sLw2mN8vR4tY6uE1aZ5cD0bG"  # 43 chars, no placeholder words

GITIGNORE = """.env.prod
data/*
!data/.gitkeep
logs/*
!logs/.gitkeep
"""

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=_git_env()
    ).stdout.strip()


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="Deploy Test",
        GIT_AUTHOR_EMAIL="deploy@test.invalid",
        GIT_COMMITTER_NAME="Deploy Test",
        GIT_COMMITTER_EMAIL="deploy@test.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
    )
    return env


@dataclass
class Site:
    tmp: Path
    remote: Path
    root: Path
    c1: str
    c2: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def calls_file(self) -> Path:
        return self.tmp / "calls.log"

    @property
    def tag1(self) -> str:
        return self.c1[:12]

    @property
    def tag2(self) -> str:
        return self.c2[:12]

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {**self.env, **extra_env}
        return subprocess.run(
            ["bash", str(self.root / "scripts" / "deploy_prod.sh"), *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def popen(self, *args: str, **extra_env: str) -> subprocess.Popen[str]:
        env = {**self.env, **extra_env}
        return subprocess.Popen(
            ["bash", str(self.root / "scripts" / "deploy_prod.sh"), *args],
            cwd=self.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def calls(self) -> list[tuple[tuple[str, ...], str | None]]:
        """Recorded calls, with the checkout's absolute path replaced by <root>."""
        if not self.calls_file.exists():
            return []
        out = []
        for line in self.calls_file.read_text().splitlines():
            tag, *args = line.split("\x1f")
            if tag == "<curl>":
                args, tag = ["<curl>", *args], None
            argv = tuple(a.replace(str(self.root), "<root>") for a in args)
            out.append((argv, None if tag == "<unset>" else tag))
        return out

    def docker_argvs(self) -> list[tuple[str, ...]]:
        return [argv for argv, _ in self.calls() if argv[:1] != ("<curl>",)]

    def deploy_log(self) -> list[str]:
        path = self.root / "data" / "deployments.log"
        return path.read_text().splitlines() if path.exists() else []

    def db_revision(self) -> str:
        con = sqlite3.connect(self.root / "data" / "deltaplane.db")
        try:
            return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            con.close()


@pytest.fixture
def site(tmp_path: Path) -> Site:
    remote = tmp_path / "remote.git"
    seed = tmp_path / "seed"
    root = tmp_path / "deploy"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True, env=_git_env())
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    for rel in (
        "scripts/deploy_prod.sh",
        "scripts/backup.sh",
        "scripts/restore.sh",
        "docker-compose.prod.yml",
    ):
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, seed / rel)
    (seed / ".gitignore").write_text(GITIGNORE)
    for d in ("data", "logs"):
        (seed / d).mkdir()
        (seed / d / ".gitkeep").write_text("")
    (seed / "README.txt").write_text("version 1\n")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "c1")
    c1 = git(seed, "rev-parse", "HEAD")
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "origin", "main")
    subprocess.run(["git", "clone", "-q", str(remote), str(root)], check=True, env=_git_env())
    (seed / "README.txt").write_text("version 2\n")
    (seed / "NEW_FEATURE.txt").write_text("added in c2\n")
    git(seed, "commit", "-q", "-am", "c2")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "c2 feature", "--allow-empty")
    c2 = git(seed, "rev-parse", "HEAD")
    git(seed, "push", "-q", "origin", "main")

    # Production state in the checkout: local edit + git-ignored runtime files.
    (root / "README.txt").write_text("version 1 + hotfix made on the server\n")
    (root / ".env.prod").write_text(
        f"ENVIRONMENT=production\nJWT_SECRET={SECRET}\nAPP_UID={os.getuid()}\nAPP_GID={os.getgid()}\n"
        "HTTP_PORT=18999\nDATABASE_URL=sqlite+aiosqlite:////app/data/deltaplane.db\n"
    )
    db = root / "data" / "deltaplane.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    con.execute("INSERT INTO alembic_version VALUES ('rev1')")
    con.execute("CREATE TABLE trades (id INTEGER PRIMARY KEY, pnl REAL)")
    con.executemany("INSERT INTO trades (pnl) VALUES (?)", [(i * 1.5,) for i in range(100)])
    con.commit()
    con.close()
    (root / "logs" / "backend.log").write_text('{"level":"INFO","event":"app_started"}\n')

    state = tmp_path / "state"
    state.mkdir()
    fakes = tmp_path / "fakes"
    shutil.copytree(FAKES, fakes)
    for f in fakes.iterdir():
        f.chmod(0o755)
    env = _git_env()
    env.update(
        PATH=f"{fakes}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        FAKE_DOCKER_LOG=str(tmp_path / "calls.log"),
        FAKE_DOCKER_STATE=str(state),
        FAKE_DOCKER_DB=str(db),
        FAKE_DOCKER_IMAGES=f"{c2[:12]} t-new1 t-new2 {c1[:12]} t-old3 latest <none>",
        DEPLOY_MIN_FREE_MB="1",
        DEPLOY_HEALTH_TIMEOUT="10",
        DEPLOY_HEALTH_INTERVAL="0.05",
    )
    for key in ("DEPLOY_BRANCH", "DEPLOY_REMOTE", "IMAGE_TAG", "DOCKER", "GIT", "CURL"):
        env.pop(key, None)
    return Site(tmp=tmp_path, remote=remote, root=root, c1=c1, c2=c2, env=env)


def snapshot(root: Path) -> dict[str, bytes]:
    files = [root / ".env.prod", root / "data" / "deltaplane.db", root / "logs" / "backend.log"]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


COMPOSE = ("compose", "--env-file", "<root>/.env.prod", "-f", "<root>/docker-compose.prod.yml")
PREFLIGHT = [
    ("compose", "version"),
    ("info", "--format", "{{.ServerVersion}}"),
    (*COMPOSE, "config", "--quiet"),
]
PS = (*COMPOSE, "ps", "--all", "--format", "{{.Service}} {{.State}} {{.Health}}")


def test_help_exits_zero_and_touches_nothing(site: Site) -> None:
    result = site.run("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: scripts/deploy_prod.sh" in result.stdout
    assert "--dry-run" in result.stdout
    assert site.calls() == []


def test_successful_deploy(site: Site) -> None:
    before = snapshot(site.root)
    result = site.run()
    assert result.returncode == 0, result.stdout + result.stderr

    # The checkout is at the new commit; the local edit went into a labelled stash.
    assert git(site.root, "rev-parse", "HEAD") == site.c2
    assert (site.root / "README.txt").read_text() == "version 2\n"
    stashes = git(site.root, "stash", "list").splitlines()
    assert len(stashes) == 1
    label = re.search(r"deploy-\d{8}-\d{6}$", stashes[0])
    assert label, stashes
    stashed = git(site.root, "stash", "show", "--include-untracked", "--name-only", "stash@{0}").split()
    assert stashed == ["README.txt"]
    assert "hotfix" in git(site.root, "stash", "show", "-p", "stash@{0}")

    # Runtime state survived byte for byte and is still ignored.
    assert snapshot(site.root) == before
    assert git(site.root, "status", "--porcelain") == ""

    # Exactly these docker calls, in this order, with the new commit's tag where it matters.
    expected = [
        *PREFLIGHT,
        (*COMPOSE, "build", "--pull"),
        (*COMPOSE, "up", "-d", "--remove-orphans"),
        PS,
        ("image", "tag", f"deltaplane-backend:{site.tag2}", "deltaplane-backend:latest"),
        ("image", "ls", "deltaplane-backend", "--format", "{{.Tag}}"),
        ("image", "rm", "deltaplane-backend:t-old3"),
        ("image", "tag", f"deltaplane-frontend:{site.tag2}", "deltaplane-frontend:latest"),
        ("image", "ls", "deltaplane-frontend", "--format", "{{.Tag}}"),
        ("image", "rm", "deltaplane-frontend:t-old3"),
        ("image", "prune", "--force"),
    ]
    assert site.docker_argvs() == expected
    tags = {argv[len(COMPOSE)]: tag for argv, tag in site.calls() if argv[: len(COMPOSE)] == COMPOSE}
    assert tags["build"] == site.tag2 and tags["up"] == site.tag2

    # Smoke check through the published port.
    curl = [argv for argv, _ in site.calls() if argv[:1] == ("<curl>",)]
    assert len(curl) == 1 and "http://127.0.0.1:18999/api/health" in curl[0]

    # A verified backup was taken before `up` (i.e. before migrations).
    backups = sorted((site.root / "data" / "backups").glob("deltaplane-*.db"))
    assert len(backups) == 1 and re.fullmatch(r"deltaplane-\d{8}-\d{6}\.db", backups[0].name)
    con = sqlite3.connect(backups[0])
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM trades").fetchone()[0] == 100
    con.close()

    # Append-only deployment log.
    lines = site.deploy_log()
    assert len(lines) == 1
    assert re.match(
        rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ result=success old={site.c1} new={site.c2} branch=main ",
        lines[0],
    ), lines[0]
    assert f"stash={label.group(0)}" in lines[0] and "backup=data/backups/deltaplane-" in lines[0]

    # The closing summary tells how to check the log tailer and where the viewer is.
    assert "/api/health/ready" in result.stdout and "Log Viewer" in result.stdout

    # Re-running is safe: same commit, no new stash, a second success line.
    again = site.run()
    assert again.returncode == 0, again.stderr
    assert git(site.root, "rev-parse", "HEAD") == site.c2
    assert len(git(site.root, "stash", "list").splitlines()) == 1
    assert len(site.deploy_log()) == 2 and "result=success" in site.deploy_log()[1]


def test_failed_health_rolls_back_to_previous_commit_and_images(site: Site) -> None:
    before = snapshot(site.root)
    result = site.run(FAKE_DOCKER_FAIL_TAG=site.c2[:12])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ROLLED BACK" in result.stdout

    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert snapshot(site.root) == before  # schema did not move: database untouched

    calls = site.calls()
    ups = [(argv, tag) for argv, tag in calls if argv[len(COMPOSE) : len(COMPOSE) + 1] == ("up",)]
    assert [tag for _, tag in ups] == [site.tag2, site.tag1]
    argvs = site.docker_argvs()
    assert argvs[: len(PREFLIGHT) + 3] == [
        *PREFLIGHT,
        (*COMPOSE, "build", "--pull"),
        (*COMPOSE, "up", "-d", "--remove-orphans"),
        PS,
    ]
    assert argvs[-2:] == [(*COMPOSE, "up", "-d", "--remove-orphans"), PS]
    assert not any(a[:2] in {("image", "rm"), ("image", "prune")} for a in argvs), (
        "no pruning after a failed deploy"
    )

    lines = site.deploy_log()
    assert len(lines) == 1
    assert f"result=rolled_back old={site.c1} new={site.c2}" in lines[0]
    assert 'detail="health check failed"' in lines[0]


def test_rollback_restores_backup_when_migration_moved_the_schema(site: Site) -> None:
    result = site.run(
        FAKE_DOCKER_FAIL_TAG=site.c2[:12],
        FAKE_DOCKER_MIGRATE_TAG=site.c2[:12],
        FAKE_DOCKER_MIGRATE_REV="rev2",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert site.db_revision() == "rev1", "old code must get the pre-migration database back"
    aside = list((site.root / "data").glob("deltaplane.db.pre-restore-*"))
    assert aside, "the migrated database is kept aside, not deleted"
    argvs = site.docker_argvs()
    stop = argvs.index((*COMPOSE, "stop", "frontend", "backend"))
    last_up = len(argvs) - 1 - argvs[::-1].index((*COMPOSE, "up", "-d", "--remove-orphans"))
    assert stop < last_up
    assert "result=rolled_back" in site.deploy_log()[0]


def test_failed_smoke_check_through_nginx_rolls_back(site: Site) -> None:
    result = site.run(FAKE_CURL_FAIL="1")
    assert result.returncode == 1
    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert "result=rolled_back" in site.deploy_log()[0]


def test_failed_build_keeps_old_commit(site: Site) -> None:
    result = site.run(FAKE_DOCKER_FAIL_BUILD="1")
    assert result.returncode == 1
    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert "result=rolled_back" in site.deploy_log()[0]
    assert not (site.root / "data" / "backups").exists() or not list(
        (site.root / "data" / "backups").iterdir()
    )


def test_dry_run_changes_nothing(site: Site) -> None:
    before = snapshot(site.root)
    head = git(site.root, "rev-parse", "HEAD")
    remote_ref = git(site.root, "rev-parse", "origin/main")
    result = site.run("--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr

    assert git(site.root, "rev-parse", "HEAD") == head
    assert git(site.root, "rev-parse", "origin/main") == remote_ref, "not even a fetch"
    assert git(site.root, "stash", "list") == ""
    assert "hotfix" in (site.root / "README.txt").read_text()
    assert snapshot(site.root) == before
    assert not (site.root / "data" / "deployments.log").exists()
    assert not (site.root / "data" / "backups").exists()
    assert not (site.root / "data" / ".deploy.lock").exists()

    # Only read-only docker calls ran; the mutating ones were printed instead.
    assert site.docker_argvs() == PREFLIGHT
    out = result.stdout
    for needle in (
        "stash push --message deploy-",
        "fetch --prune origin main",
        "reset --hard origin/main",
        f"IMAGE_TAG={site.tag2}",
        "build --pull",
        "up -d --remove-orphans",
        "scripts/backup.sh",
    ):
        assert needle in out, f"{needle!r} missing from dry-run output"
    assert "DRY RUN complete" in out


def test_second_concurrent_deploy_refuses(site: Site) -> None:
    block = site.tmp / "block"
    block.mkdir()
    first = site.popen(FAKE_DOCKER_BLOCK_DIR=str(block))
    try:
        deadline = time.monotonic() + 30
        while not (block / "started").exists():  # first deploy is inside `docker compose build`
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "first deploy never reached the build step"
            time.sleep(0.02)
        second = site.run()
        assert second.returncode == 75, second.stdout + second.stderr
        assert "another deploy is already running" in second.stderr
    finally:
        (block / "release").write_text("")
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, out + err
    assert len(site.deploy_log()) == 1
    assert git(site.root, "rev-parse", "HEAD") == site.c2


def test_lock_held_by_another_process(site: Site) -> None:
    lock = site.root / "data" / ".deploy.lock"
    with open(lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = site.run()
    assert result.returncode == 75
    assert "another deploy is already running" in result.stderr
    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert not any(a[len(COMPOSE) : len(COMPOSE) + 1] in {("build",), ("up",)} for a in site.docker_argvs())


@pytest.mark.parametrize(
    ("secret", "needle"),
    [
        ("", "JWT_SECRET is not set"),
        ("CHANGE-ME", "placeholder or shorter"),
        ("short-but-real-123", "placeholder or shorter"),
        ("change-me-please-to-a-long-random-string-xx", "placeholder"),
    ],
)
def test_preflight_rejects_weak_jwt_secret(site: Site, secret: str, needle: str) -> None:
    env_file = site.root / ".env.prod"
    env_file.write_text(env_file.read_text().replace(f"JWT_SECRET={SECRET}", f"JWT_SECRET={secret}"))
    result = site.run()
    assert result.returncode == 2
    assert needle in result.stderr
    assert git(site.root, "rev-parse", "HEAD") == site.c1
    assert site.deploy_log() == []


def test_preflight_requires_env_file_and_ignored_state(site: Site) -> None:
    (site.root / ".env.prod").rename(site.tmp / "env.bak")
    result = site.run()
    assert result.returncode == 2 and ".env.prod is missing" in result.stderr
    (site.tmp / "env.bak").rename(site.root / ".env.prod")

    (site.root / ".gitignore").write_text("logs/*\n")  # .env.prod and data/ no longer ignored
    result = site.run()
    assert result.returncode == 2 and "is not git-ignored" in result.stderr
    assert git(site.root, "stash", "list") == ""


def test_preflight_checks_free_disk(site: Site) -> None:
    result = site.run(DEPLOY_MIN_FREE_MB=str(10**12))
    assert result.returncode == 2 and "DEPLOY_MIN_FREE_MB" in result.stderr
    assert site.calls()[-1][0] == (*COMPOSE, "config", "--quiet")


def test_preflight_needs_docker_compose(site: Site, tmp_path: Path) -> None:
    nodocker = tmp_path / "nodocker"
    nodocker.mkdir()
    (nodocker / "docker").write_text('#!/bin/sh\necho "docker: unknown command: docker $1" >&2\nexit 1\n')
    (nodocker / "docker").chmod(0o755)
    result = site.run(PATH=f"{nodocker}{os.pathsep}{os.environ['PATH']}")
    assert result.returncode == 2 and "docker compose" in result.stderr

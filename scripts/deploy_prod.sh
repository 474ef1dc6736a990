#!/usr/bin/env bash
# Deltaplane: update the production checkout to the latest commit of a branch and redeploy the
# docker compose stack, with a backup before migrating and an automatic rollback on failure.
# Run `scripts/deploy_prod.sh --help` for the steps and knobs; docs/operations.md for the runbook.
#
# Everything lives in main(), called on the last line: bash reads a script while running it, and
# this file is replaced by `git reset` halfway through a deploy.

set -Eeuo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/deploy_prod.sh [--dry-run] [--branch NAME] [--remote NAME] [--help]

Updates this checkout to <remote>/<branch> and redeploys docker-compose.prod.yml:
  1. preflight: docker + `docker compose`, daemon reachable, compose file valid, .env.prod with
     a strong JWT_SECRET, data/ logs/ .env.prod git-ignored, free disk >= DEPLOY_MIN_FREE_MB
  2. lock (one deploy at a time; a second one exits 75 at once)
  3. stash local changes to tracked files as "deploy-YYYYmmdd-HHMMSS" (ignored files untouched)
  4. checkout <branch>, fetch, hard reset to <remote>/<branch>; remember the old commit
  5. docker compose build --pull, images tagged with the new commit's short sha (IMAGE_TAG)
  6. scripts/backup.sh (consistent SQLite copy into data/backups) before migrations run
  7. docker compose up -d (the one-shot `migrate` service runs first), wait for health
  8. on failure: reset to the old commit, restore the backup if the schema moved, start the
     old commit's images (IMAGE_TAG=<old sha>), exit 1
  9. tag the deployed images :latest, prune old image tags (keep DEPLOY_KEEP_IMAGES)
 10. append a line to data/deployments.log and print how to verify the deploy

Options:
  --dry-run        print every command that would change something, change nothing
  --branch NAME    branch to deploy (default: $DEPLOY_BRANCH or main)
  --remote NAME    git remote (default: $DEPLOY_REMOTE or origin)
  -h, --help       this help

Environment (also read from .env.prod when not set):
  DEPLOY_BRANCH=main  DEPLOY_REMOTE=origin  DEPLOY_MIN_FREE_MB=2048  DEPLOY_HEALTH_TIMEOUT=180
  DEPLOY_HEALTH_INTERVAL=3  DEPLOY_KEEP_IMAGES=3  DEPLOY_LOG=data/deployments.log
  DEPLOY_LOCK_FILE=data/.deploy.lock  COMPOSE_FILE_NAME=docker-compose.prod.yml
  DOCKER=docker  GIT=git  CURL=curl   (commands are looked up on PATH)

Exit codes: 0 deployed, 1 failed (rolled back when possible), 2 usage/preflight, 75 locked.
EOF
}

# ---------------------------------------------------------------------------------------------
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER="${DOCKER:-docker}"
GIT="${GIT:-git}"
CURL="${CURL:-curl}"
DRY_RUN=0
STEP="start"
OLD_SHA=""
NEW_SHA=""
OLD_TAG=""
NEW_TAG=""
BACKUP_FILE=""
STASH_LABEL=""
STARTED_AT=0

log() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
warn() { printf '[deploy %s] WARNING: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
    local code="${2:-2}"
    printf '[deploy] ERROR: %s\n' "$1" >&2
    exit "$code"
}

# Print a command the way a shell would accept it back.
show() {
    local out="" arg
    for arg in "$@"; do out+=" $(printf '%q' "$arg")"; done
    printf '%s' "${out# }"
}

# run CMD...: execute a command that changes something; in --dry-run only print it.
run() {
    if ((DRY_RUN)); then
        printf '[dry-run] %s\n' "$(show "$@")"
        return 0
    fi
    printf '+ %s\n' "$(show "$@")"
    "$@"
}

# Value of KEY: the environment first, then the last KEY= line of .env.prod, then a default.
env_get() {
    local key="$1" default="${2:-}" line value
    if [[ -n "${!key:-}" ]]; then
        printf '%s' "${!key}"
        return 0
    fi
    if [[ -f "$ROOT/.env.prod" ]]; then
        line="$(grep -E "^[[:space:]]*(export[[:space:]]+)?${key}=" "$ROOT/.env.prod" | tail -n 1 || true)"
        if [[ -n "$line" ]]; then
            value="${line#*=}"
            value="${value%$'\r'}"
            value="${value#\"}" && value="${value%\"}"
            value="${value#\'}" && value="${value%\'}"
            printf '%s' "$value"
            return 0
        fi
    fi
    printf '%s' "$default"
}

compose() {
    "$DOCKER" compose --env-file "$ROOT/.env.prod" -f "$ROOT/$COMPOSE_FILE_NAME" "$@"
}

# compose with IMAGE_TAG set, through run() (so it is printed / skipped in --dry-run).
compose_tagged() {
    local tag="$1"
    shift
    run env IMAGE_TAG="$tag" "$DOCKER" compose --env-file "$ROOT/.env.prod" -f "$ROOT/$COMPOSE_FILE_NAME" "$@"
}

record() {
    # Append-only deployment log: ISO time, old -> new commit, result, details.
    local result="$1" detail="${2:-}" line
    line="$(date -u +%Y-%m-%dT%H:%M:%SZ) result=${result} old=${OLD_SHA:-none} new=${NEW_SHA:-none} branch=${BRANCH} user=$(id -un 2>/dev/null || echo "?") duration=$(($(date +%s) - STARTED_AT))s"
    [[ -n "$STASH_LABEL" ]] && line+=" stash=${STASH_LABEL}"
    [[ -n "$BACKUP_FILE" ]] && line+=" backup=${BACKUP_FILE#"$ROOT"/}"
    [[ -n "$detail" ]] && line+=" detail=\"${detail}\""
    if ((DRY_RUN)); then
        printf '[dry-run] would append to %s: %s\n' "$DEPLOY_LOG" "$line"
        return 0
    fi
    mkdir -p "$(dirname "$DEPLOY_LOG")"
    printf '%s\n' "$line" >>"$DEPLOY_LOG"
}

# ---------------------------------------------------------------------------------------------
preflight() {
    STEP="preflight"
    command -v "$GIT" >/dev/null 2>&1 || die "git not found on PATH"
    command -v "$DOCKER" >/dev/null 2>&1 || die "docker not found on PATH (install Docker Engine 24+)"
    "$DOCKER" compose version >/dev/null 2>&1 ||
        die "'docker compose' does not work: install the Docker Compose v2 plugin (docker-compose-plugin)"
    "$DOCKER" info --format '{{.ServerVersion}}' >/dev/null 2>&1 ||
        die "cannot reach the docker daemon (is it running? is $(id -un) in the docker group?)"
    [[ -f "$ROOT/$COMPOSE_FILE_NAME" ]] || die "$COMPOSE_FILE_NAME not found in $ROOT"
    [[ -f "$ROOT/.env.prod" ]] ||
        die ".env.prod is missing: cp .env.prod.example .env.prod, then set JWT_SECRET (see docs/operations.md)"

    local secret
    secret="$(env_get_file JWT_SECRET)"
    if [[ -z "$secret" ]]; then
        die "JWT_SECRET is not set in .env.prod; generate one: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    fi
    local lower="${secret,,}"
    if ((${#secret} < 32)) || [[ "$lower" == *change* || "$lower" == *placeholder* || "$lower" == *example* || "$lower" == *replace* || "$lower" == *"<"* ]]; then
        die "JWT_SECRET in .env.prod is a placeholder or shorter than 32 characters; generate one: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    fi

    "$GIT" -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$ROOT is not a git checkout"
    # Runtime state must never be stashed or reset: insist that git ignores it.
    local path
    for path in .env.prod data/deltaplane.db logs/backend.log; do
        "$GIT" -C "$ROOT" check-ignore -q --no-index "$path" ||
            die "$path is not git-ignored; add '.env.prod', 'data/*' and 'logs/*' to .gitignore before deploying"
    done
    if "$GIT" -C "$ROOT" ls-files --error-unmatch .env.prod >/dev/null 2>&1; then
        die ".env.prod is tracked by git; run: git rm --cached .env.prod (it holds secrets)"
    fi

    "$DOCKER" compose --env-file "$ROOT/.env.prod" -f "$ROOT/$COMPOSE_FILE_NAME" config --quiet ||
        die "$COMPOSE_FILE_NAME does not validate with .env.prod (see the message above)"

    local free_mb
    free_mb="$(df -Pm "$ROOT" | awk 'NR==2 {print $4}')"
    if [[ -z "$free_mb" ]] || ((free_mb < MIN_FREE_MB)); then
        die "only ${free_mb:-?} MB free on the disk holding $ROOT; need at least ${MIN_FREE_MB} MB (DEPLOY_MIN_FREE_MB); try: docker system prune"
    fi
    log "preflight ok (free disk ${free_mb} MB)"
}

# JWT_SECRET must come from the file the containers read, not from this shell.
env_get_file() {
    local key="$1" line value
    line="$(grep -E "^[[:space:]]*(export[[:space:]]+)?${key}=" "$ROOT/.env.prod" | tail -n 1 || true)"
    value="${line#*=}"
    value="${value%$'\r'}"
    value="${value#\"}" && value="${value%\"}"
    value="${value#\'}" && value="${value%\'}"
    printf '%s' "$value"
}

take_lock() {
    STEP="lock"
    if ((DRY_RUN)); then
        log "[dry-run] would take the lock $LOCK_FILE"
        return 0
    fi
    mkdir -p "$(dirname "$LOCK_FILE")"
    if command -v flock >/dev/null 2>&1; then
        exec 9>>"$LOCK_FILE"
        if ! flock -n 9; then
            printf '[deploy] ERROR: another deploy is already running (lock %s held); wait for it to finish\n' "$LOCK_FILE" >&2
            exit 75
        fi
    else
        if ! mkdir "$LOCK_FILE.d" 2>/dev/null; then
            printf '[deploy] ERROR: another deploy is already running (lock %s.d exists; remove it only if no deploy runs)\n' "$LOCK_FILE" >&2
            exit 75
        fi
        LOCK_DIR_HELD="$LOCK_FILE.d"
    fi
}

update_checkout() {
    STEP="update"
    OLD_SHA="$("$GIT" -C "$ROOT" rev-parse HEAD)"
    OLD_TAG="$("$GIT" -C "$ROOT" rev-parse --short=12 HEAD)"

    if [[ -n "$("$GIT" -C "$ROOT" status --porcelain --untracked-files=no)" ]]; then
        STASH_LABEL="deploy-$(date +%Y%m%d-%H%M%S)"
        log "local changes to tracked files: stashing them as '$STASH_LABEL'"
        # Tracked files only: ignored (.env.prod, data/, logs/) and untracked files stay put.
        run "$GIT" -C "$ROOT" stash push --message "$STASH_LABEL"
    fi

    if ((DRY_RUN)); then
        local remote_sha
        remote_sha="$("$GIT" -C "$ROOT" ls-remote "$REMOTE" "refs/heads/$BRANCH" | awk '{print $1}' || true)"
        NEW_SHA="${remote_sha:-<$REMOTE/$BRANCH>}"
        NEW_TAG="${NEW_SHA:0:12}"
        run "$GIT" -C "$ROOT" checkout "$BRANCH"
        run "$GIT" -C "$ROOT" fetch --prune "$REMOTE" "$BRANCH"
        run "$GIT" -C "$ROOT" reset --hard "$REMOTE/$BRANCH"
        return 0
    fi

    run "$GIT" -C "$ROOT" fetch --prune "$REMOTE" "$BRANCH"
    if "$GIT" -C "$ROOT" show-ref --verify --quiet "refs/heads/$BRANCH"; then
        run "$GIT" -C "$ROOT" checkout "$BRANCH"
    else
        run "$GIT" -C "$ROOT" checkout -b "$BRANCH" "$REMOTE/$BRANCH"
    fi
    run "$GIT" -C "$ROOT" reset --hard "$REMOTE/$BRANCH"
    NEW_SHA="$("$GIT" -C "$ROOT" rev-parse HEAD)"
    NEW_TAG="$("$GIT" -C "$ROOT" rev-parse --short=12 HEAD)"
    if [[ "$OLD_SHA" == "$NEW_SHA" ]]; then
        log "already at $NEW_TAG; rebuilding and restarting anyway (safe to re-run)"
    else
        log "updating $OLD_TAG -> $NEW_TAG"
    fi
}

prepare_dirs() {
    local uid gid
    uid="$(env_get APP_UID 1000)"
    gid="$(env_get APP_GID 1000)"
    run mkdir -p "$ROOT/data" "$ROOT/logs" "$ROOT/data/backups"
    # The containers run as APP_UID:APP_GID and write to these bind mounts.
    if [[ "$(id -u)" == 0 ]]; then
        local dir
        for dir in "$ROOT/data" "$ROOT/logs"; do
            if [[ ! -d "$dir" ]] || [[ "$(stat -c '%u:%g' "$dir")" != "$uid:$gid" ]]; then
                run chown "$uid:$gid" "$dir"
            fi
        done
    fi
}

# Alembic revision of the SQLite database (empty when unknown / not SQLite).
db_revision() {
    local db
    db="$(sqlite_host_path)"
    [[ -n "$db" && -f "$db" ]] || return 0
    command -v python3 >/dev/null 2>&1 || return 0
    python3 - "$db" <<'PY' 2>/dev/null || true
import sqlite3, sys
try:
    con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    print(",".join(sorted(r[0] for r in con.execute("SELECT version_num FROM alembic_version"))))
except Exception:
    pass
PY
}

# Host path of the SQLite database named by DATABASE_URL (/app/data/... -> ./data/...).
sqlite_host_path() {
    local url path
    url="$(env_get_file DATABASE_URL)"
    url="${url:-sqlite+aiosqlite:////app/data/deltaplane.db}"
    [[ "$url" == sqlite* ]] || return 0
    path="${url#*:///}"
    case "$path" in
    /app/data/*) printf '%s' "$ROOT/data/${path#/app/data/}" ;;
    *) printf '%s' "$path" ;;
    esac
}

wait_healthy() {
    # Poll the compose services' health until both are healthy, one is unhealthy/exited, or timeout.
    local deadline=$((SECONDS + HEALTH_TIMEOUT)) status backend frontend
    if ((DRY_RUN)); then
        log "[dry-run] would wait up to ${HEALTH_TIMEOUT}s for backend and frontend to be healthy"
        return 0
    fi
    while :; do
        status="$(compose ps --all --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null || true)"
        backend="$(awk '$1=="backend" {print $2 "/" $3}' <<<"$status")"
        frontend="$(awk '$1=="frontend" {print $2 "/" $3}' <<<"$status")"
        if [[ "$backend" == */healthy && "$frontend" == */healthy ]]; then
            log "backend and frontend are healthy"
            return 0
        fi
        if [[ "$backend" == */unhealthy || "$frontend" == */unhealthy || "$backend" == exited* || "$backend" == dead* || "$frontend" == exited* || "$frontend" == dead* ]]; then
            warn "service failed: backend=${backend:-missing} frontend=${frontend:-missing}"
            return 1
        fi
        if ((SECONDS >= deadline)); then
            warn "not healthy after ${HEALTH_TIMEOUT}s: backend=${backend:-missing} frontend=${frontend:-missing}"
            return 1
        fi
        sleep "$HEALTH_INTERVAL"
    done
}

# Through the published port: proves nginx -> API works end to end.
smoke_check() {
    local port url
    port="$(env_get HTTP_PORT 80)"
    port="${port##*:}" # HTTP_PORT may be "127.0.0.1:8080"
    url="http://127.0.0.1:${port}/api/health"
    if ((DRY_RUN)); then
        log "[dry-run] would GET $url"
        return 0
    fi
    if ! command -v "$CURL" >/dev/null 2>&1; then
        warn "curl not found: skipping the check of $url"
        return 0
    fi
    if "$CURL" -fsS --max-time 10 -H "X-Correlation-ID: deploy-${NEW_TAG}" "$url" >/dev/null; then
        log "GET $url -> 200 through nginx"
        return 0
    fi
    warn "GET $url failed through nginx"
    return 1
}

rollback() {
    local reason="$1"
    trap - ERR
    STEP="rollback"
    warn "deploy of ${NEW_TAG:-?} failed ($reason): rolling back to $OLD_TAG"
    compose logs --no-color --tail 60 backend migrate 2>&1 | sed 's/^/    /' >&2 || true
    run "$GIT" -C "$ROOT" reset --hard "$OLD_SHA"
    local now_rev
    now_rev="$(db_revision)"
    if [[ -n "$BACKUP_FILE" && "$now_rev" != "$DB_REV_BEFORE" ]]; then
        warn "database schema moved ($DB_REV_BEFORE -> $now_rev): restoring $BACKUP_FILE for the old code"
        run "$ROOT/scripts/restore.sh" --yes --no-start "$BACKUP_FILE"
    fi
    if compose_tagged "$OLD_TAG" up -d --remove-orphans && wait_healthy; then
        record "rolled_back" "$reason"
        log "ROLLED BACK: running the previous commit $OLD_TAG again"
    else
        record "rollback_failed" "$reason"
        warn "ROLLBACK FAILED: the previous images did not come up healthy either; see docs/operations.md#rollback"
    fi
    [[ -n "$STASH_LABEL" ]] && log "your local changes are in: git stash list | grep $STASH_LABEL"
    exit 1
}

prune_images() {
    STEP="prune"
    local repo tag kept=0
    for repo in deltaplane-backend deltaplane-frontend; do
        run "$DOCKER" image tag "$repo:$NEW_TAG" "$repo:latest" || warn "could not tag $repo:latest"
        kept=0
        # Newest first; keep the deployed one, the previous one and DEPLOY_KEEP_IMAGES in total.
        while read -r tag; do
            [[ -z "$tag" || "$tag" == "<none>" || "$tag" == latest ]] && continue
            if [[ "$tag" == "$NEW_TAG" || "$tag" == "$OLD_TAG" ]] || ((kept < KEEP_IMAGES)); then
                kept=$((kept + 1))
                continue
            fi
            run "$DOCKER" image rm "$repo:$tag" || warn "could not remove $repo:$tag (in use?)"
        done < <(
            if ((DRY_RUN)); then :; else "$DOCKER" image ls "$repo" --format '{{.Tag}}' 2>/dev/null || true; fi
        )
    done
    # Dangling layers left by rebuilds.
    run "$DOCKER" image prune --force >/dev/null || warn "docker image prune failed"
}

summary() {
    local port
    port="$(env_get HTTP_PORT 80)"
    port="${port##*:}"
    cat <<EOF

==================================================================================
 Deltaplane deployed: ${OLD_TAG:-none} -> ${NEW_TAG}  (branch ${BRANCH})
==================================================================================
 Deployment log : ${DEPLOY_LOG#"$ROOT"/}
 Backup         : ${BACKUP_FILE:-none (no database yet)}
 Stashed changes: ${STASH_LABEL:-none}${STASH_LABEL:+  (git stash list; git stash show -p stash^{/$STASH_LABEL})}

 Verify:
   docker compose --env-file .env.prod -f $COMPOSE_FILE_NAME ps
   curl -s http://127.0.0.1:${port}/api/health/ready | python3 -m json.tool
     -> "checks": database ok, engine ok, log tailer lag (seconds behind logs/backend.log)
   docker compose --env-file .env.prod -f $COMPOSE_FILE_NAME logs -f backend
   tail -f logs/backend.log | jq -c '{timestamp, level, event, message}'
 Log tailer / background tasks:
   open http://<this-host>:${port}/ -> sign in -> "Log Viewer" tab: new lines from this
   deploy (event app_started, correlation id deploy-${NEW_TAG}) appear within seconds;
   the summary cards show the ingestion lag.
==================================================================================
EOF
}

# shellcheck disable=SC2317  # invoked by the ERR trap
on_error() {
    local code=$? line="$1"
    trap - ERR
    warn "step '$STEP' failed (exit $code, line $line)"
    case "$STEP" in
    build | backup | up | health) rollback "step $STEP failed" ;;
    update)
        if [[ -n "$OLD_SHA" ]]; then
            record "failed" "git update failed"
            run "$GIT" -C "$ROOT" reset --hard "$OLD_SHA" || true
        fi
        ;;
    esac
    exit "$code"
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    [[ -n "${LOCK_DIR_HELD:-}" ]] && rmdir "$LOCK_DIR_HELD" 2>/dev/null
    return 0
}

main() {
    while (($#)); do
        case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        -n | --dry-run) DRY_RUN=1 ;;
        --branch)
            [[ $# -ge 2 ]] || die "--branch needs a value"
            export DEPLOY_BRANCH="$2"
            shift
            ;;
        --remote)
            [[ $# -ge 2 ]] || die "--remote needs a value"
            export DEPLOY_REMOTE="$2"
            shift
            ;;
        *) die "unknown argument: $1 (see --help)" ;;
        esac
        shift
    done

    STARTED_AT="$(date +%s)"
    COMPOSE_FILE_NAME="${COMPOSE_FILE_NAME:-docker-compose.prod.yml}"
    BRANCH="$(env_get DEPLOY_BRANCH main)"
    REMOTE="$(env_get DEPLOY_REMOTE origin)"
    MIN_FREE_MB="$(env_get DEPLOY_MIN_FREE_MB 2048)"
    HEALTH_TIMEOUT="$(env_get DEPLOY_HEALTH_TIMEOUT 180)"
    HEALTH_INTERVAL="$(env_get DEPLOY_HEALTH_INTERVAL 3)"
    KEEP_IMAGES="$(env_get DEPLOY_KEEP_IMAGES 3)"
    DEPLOY_LOG="$(env_get DEPLOY_LOG "$ROOT/data/deployments.log")"
    LOCK_FILE="$(env_get DEPLOY_LOCK_FILE "$ROOT/data/.deploy.lock")"
    LOCK_DIR_HELD=""
    DB_REV_BEFORE=""
    cd "$ROOT"
    ((DRY_RUN)) && log "DRY RUN: nothing will be changed"

    preflight
    take_lock
    trap cleanup EXIT
    trap 'on_error $LINENO' ERR

    update_checkout
    prepare_dirs

    STEP="build"
    log "building images deltaplane-{backend,frontend}:$NEW_TAG"
    compose_tagged "$NEW_TAG" build --pull

    STEP="backup"
    DB_REV_BEFORE="$(db_revision)"
    if ((DRY_RUN)); then
        run "$ROOT/scripts/backup.sh"
    else
        printf '+ %s\n' "$ROOT/scripts/backup.sh"
        BACKUP_FILE="$("$ROOT/scripts/backup.sh" | tail -n 1)"
        [[ "$BACKUP_FILE" == */* ]] || BACKUP_FILE=""
    fi

    STEP="up"
    compose_tagged "$NEW_TAG" up -d --remove-orphans

    STEP="health"
    if ! wait_healthy; then
        rollback "health check failed"
    fi
    if ! smoke_check; then
        rollback "GET /api/health through nginx failed"
    fi

    trap - ERR
    prune_images || warn "image pruning failed (deploy itself succeeded)"
    STEP="done"
    record "success"
    if ((DRY_RUN)); then
        log "DRY RUN complete: nothing was changed"
        return 0
    fi
    summary
}

main "$@"
exit

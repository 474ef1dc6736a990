#!/usr/bin/env bash
# Deltaplane: restore the SQLite database from a backup made by scripts/backup.sh.
#
#   scripts/restore.sh [--yes] [--no-stop] [--no-start] [--db FILE] BACKUP_FILE | --latest
#
# Procedure (each step stops on error, nothing is deleted):
#   1. verify the backup: PRAGMA integrity_check on a copy (gunzipped if .gz)
#   2. stop the stack (docker compose stop frontend backend) so nothing writes
#   3. move the current database and its -wal/-shm files aside as <db>.pre-restore-YYYYmmdd-HHMMSS
#   4. copy the backup in (temp file + rename), owned by APP_UID:APP_GID, verify again
#   5. start the stack (docker compose up -d; the migrate one-shot upgrades an older schema)

set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DOCKER="${DOCKER:-docker}"

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'USAGE'
Options:
  --yes        do not ask for confirmation (needed when stdin is not a terminal)
  --no-stop    do not stop the stack first (it is already stopped)
  --no-start   do not start the stack afterwards (scripts/deploy_prod.sh rollback)
  --db FILE    database to replace (default: from DATABASE_URL in .env.prod, like backup.sh)
  --latest     use the newest file in data/backups
USAGE
}

err() { printf '[restore] ERROR: %s\n' "$*" >&2; }
info() { printf '[restore] %s\n' "$*"; }

env_file_value() {
    local key="$1" line value
    [[ -f "$ROOT/.env.prod" ]] || return 0
    line="$(grep -E "^[[:space:]]*${key}=" "$ROOT/.env.prod" | tail -n 1 || true)"
    value="${line#*=}"
    value="${value%$'\r'}"
    value="${value#\"}" && value="${value%\"}"
    value="${value#\'}" && value="${value%\'}"
    printf '%s' "$value"
}

default_db() {
    if [[ -n "${DELTAPLANE_DB:-}" ]]; then
        printf '%s' "$DELTAPLANE_DB"
        return
    fi
    local url path
    url="${DATABASE_URL:-$(env_file_value DATABASE_URL)}"
    url="${url:-sqlite+aiosqlite:////app/data/deltaplane.db}"
    if [[ "$url" != sqlite* ]]; then
        err "DATABASE_URL is not SQLite: restore PostgreSQL with pg_restore/psql instead"
        exit 2
    fi
    path="${url#*:///}"
    case "$path" in
    /app/data/*) printf '%s' "$ROOT/data/${path#/app/data/}" ;;
    *) printf '%s' "$path" ;;
    esac
}

compose() {
    "$DOCKER" compose --env-file "$ROOT/.env.prod" -f "$ROOT/docker-compose.prod.yml" "$@"
}

verify() {
    python3 - "$1" <<'PY'
import sqlite3, sys
con = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
result = con.execute("PRAGMA integrity_check").fetchall()
tables = con.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
if result != [("ok",)]:
    sys.exit(f"[restore] integrity_check failed on {sys.argv[1]}: {result[:5]}")
print(f"[restore] {sys.argv[1]}: integrity_check ok, {tables} tables")
PY
}

main() {
    local yes=0 stop=1 start=1 db="" backup="" latest=0
    while (($#)); do
        case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        -y | --yes) yes=1 ;;
        --no-stop) stop=0 ;;
        --no-start) start=0 ;;
        --latest) latest=1 ;;
        --db)
            db="${2:?--db needs a file}"
            shift
            ;;
        -*)
            err "unknown option: $1 (see --help)"
            exit 2
            ;;
        *) backup="$1" ;;
        esac
        shift
    done
    if ((latest)); then
        backup="$(find "${BACKUP_DIR:-$ROOT/data/backups}" -maxdepth 1 -type f \( -name 'deltaplane-*.db' -o -name 'deltaplane-*.db.gz' \) -printf '%T@ %p\n' 2>/dev/null | sort -k1,1n -k2 | tail -n 1 | cut -d' ' -f2-)"
    fi
    [[ -n "$backup" ]] || {
        usage >&2
        exit 2
    }
    [[ -f "$backup" ]] || {
        err "backup file not found: $backup"
        exit 2
    }
    [[ -n "$db" ]] || db="$(default_db)"
    command -v python3 >/dev/null 2>&1 || {
        err "python3 is required"
        exit 2
    }

    # 1. verify the backup (on a private copy, gunzipped if needed).
    local staging
    staging="$(dirname "$db")/.restore-$$.db"
    mkdir -p "$(dirname "$db")"
    trap 'rm -f -- "$staging"' EXIT
    if [[ "$backup" == *.gz ]]; then
        gzip -dc -- "$backup" >"$staging"
    else
        cp -- "$backup" "$staging"
    fi
    verify "$staging"

    if ((!yes)); then
        if [[ ! -t 0 ]]; then
            err "refusing to replace $db without --yes (stdin is not a terminal)"
            exit 2
        fi
        local answer
        read -r -p "Replace $db with $backup? The stack will be stopped. [y/N] " answer
        [[ "$answer" == [yY]* ]] || {
            info "aborted, nothing changed"
            exit 1
        }
    fi

    # 2. stop writers.
    if ((stop)); then
        info "stopping the stack"
        compose stop frontend backend
    fi

    # 3. keep the current database (and its WAL: a stale -wal must not be replayed on the copy).
    local stamp suffix
    stamp="$(date +%Y%m%d-%H%M%S)"
    for suffix in "" "-wal" "-shm"; do
        if [[ -e "$db$suffix" ]]; then
            mv -- "$db$suffix" "$db.pre-restore-$stamp$suffix"
            info "moved aside: $db.pre-restore-$stamp$suffix"
        fi
    done

    # 4. put the backup in place atomically, owned by the container user.
    mv -- "$staging" "$db"
    trap - EXIT
    if [[ "$(id -u)" == 0 ]]; then
        local uid gid
        uid="${APP_UID:-$(env_file_value APP_UID)}"
        gid="${APP_GID:-$(env_file_value APP_GID)}"
        chown "${uid:-1000}:${gid:-1000}" "$db"
    fi
    chmod 640 "$db"
    verify "$db"
    info "restored $backup -> $db"

    # 5. start again.
    if ((start)); then
        info "starting the stack"
        compose up -d
        info "check: docker compose --env-file .env.prod -f docker-compose.prod.yml ps; curl -s http://127.0.0.1:\${HTTP_PORT:-80}/api/health/ready"
    else
        info "not starting the stack (--no-start)"
    fi
}

main "$@"
exit

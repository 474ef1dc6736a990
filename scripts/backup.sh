#!/usr/bin/env bash
# Deltaplane: online-consistent backup of the SQLite database.
#
#   scripts/backup.sh [--db FILE] [--dest DIR] [--keep N] [--gzip] [--help]
#
# Uses SQLite's online backup API (python3's sqlite3 module, no extra dependency), so it is
# safe while the API is running and writing (WAL mode). The copy is checked with
# PRAGMA integrity_check before it counts; older backups beyond --keep are deleted.
# The path of the new backup is the last line printed on stdout (scripts/deploy_prod.sh reads
# it). Exit 0 with no path when there is no database yet (first install).
#
# Cron example (daily 03:15, as the user that owns the checkout):
#   15 3 * * * cd /srv/deltaplane && scripts/backup.sh --gzip >>logs/backup.log 2>&1

set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
    cat <<'USAGE'
Usage: scripts/backup.sh [--db FILE] [--dest DIR] [--keep N] [--gzip]

  --db FILE    database file (default: from DATABASE_URL in .env.prod; /app/data/X -> data/X;
               or $DELTAPLANE_DB; fallback data/deltaplane.db)
  --dest DIR   backup directory (default: $BACKUP_DIR or data/backups)
  --keep N     keep the newest N backups (default: $BACKUP_KEEP or 14)
  --gzip       compress the verified copy (deltaplane-YYYYmmdd-HHMMSS.db.gz)
Output file: <dest>/deltaplane-YYYYmmdd-HHMMSS.db[.gz]
USAGE
}

err() { printf '[backup] ERROR: %s\n' "$*" >&2; }
info() { printf '[backup] %s\n' "$*" >&2; }

# DATABASE_URL from the environment or .env.prod, mapped from the container path to the host.
default_db() {
    if [[ -n "${DELTAPLANE_DB:-}" ]]; then
        printf '%s' "$DELTAPLANE_DB"
        return
    fi
    local url="${DATABASE_URL:-}" line path
    if [[ -z "$url" && -f "$ROOT/.env.prod" ]]; then
        line="$(grep -E '^[[:space:]]*DATABASE_URL=' "$ROOT/.env.prod" | tail -n 1 || true)"
        url="${line#*=}"
        url="${url%$'\r'}"
        url="${url#\"}" && url="${url%\"}"
        url="${url#\'}" && url="${url%\'}"
    fi
    url="${url:-sqlite+aiosqlite:////app/data/deltaplane.db}"
    if [[ "$url" != sqlite* ]]; then
        err "DATABASE_URL is not SQLite ($url): back up PostgreSQL with pg_dump instead"
        exit 2
    fi
    path="${url#*:///}"
    case "$path" in
    /app/data/*) printf '%s' "$ROOT/data/${path#/app/data/}" ;;
    *) printf '%s' "$path" ;;
    esac
}

main() {
    local db="" dest="${BACKUP_DIR:-$ROOT/data/backups}" keep="${BACKUP_KEEP:-14}" gzip_it=0
    while (($#)); do
        case "$1" in
        -h | --help)
            usage
            exit 0
            ;;
        --db)
            db="${2:?--db needs a file}"
            shift
            ;;
        --dest)
            dest="${2:?--dest needs a directory}"
            shift
            ;;
        --keep)
            keep="${2:?--keep needs a number}"
            shift
            ;;
        --gzip) gzip_it=1 ;;
        *)
            err "unknown argument: $1 (see --help)"
            exit 2
            ;;
        esac
        shift
    done
    [[ "$keep" =~ ^[0-9]+$ && "$keep" -ge 1 ]] || {
        err "--keep / BACKUP_KEEP must be a positive integer"
        exit 2
    }
    [[ -n "$db" ]] || db="$(default_db)"
    if [[ ! -f "$db" ]]; then
        info "no database at $db yet: nothing to back up"
        exit 0
    fi
    command -v python3 >/dev/null 2>&1 || {
        err "python3 is required (sqlite3 online backup API)"
        exit 2
    }

    mkdir -p "$dest"
    local stamp target n=1
    stamp="$(date +%Y%m%d-%H%M%S)"
    target="$dest/deltaplane-$stamp.db"
    while [[ -e "$target" || -e "$target.gz" ]]; do
        target="$dest/deltaplane-$stamp-$n.db"
        n=$((n + 1))
    done

    info "backing up $db -> $target"
    # Write to a temporary name first: a crash never leaves a half backup that looks valid.
    python3 - "$db" "$target.partial" <<'PY'
import sqlite3, sys
src_path, dst_path = sys.argv[1], sys.argv[2]
src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=30)
dst = sqlite3.connect(dst_path)
with dst:
    src.backup(dst, pages=1024)
src.close()
result = dst.execute("PRAGMA integrity_check").fetchall()
dst.execute("PRAGMA journal_mode=DELETE")
dst.close()
if result != [("ok",)]:
    sys.stderr.write(f"[backup] integrity_check failed: {result[:5]}\n")
    sys.exit(3)
PY
    mv "$target.partial" "$target"
    if ((gzip_it)); then
        gzip -9 "$target"
        target="$target.gz"
    fi
    chmod 600 "$target"
    info "verified (PRAGMA integrity_check = ok), $(du -h "$target" | cut -f1)"

    # Rotation: keep the newest $keep (by modification time, then name).
    local old
    while IFS= read -r old; do
        [[ -n "$old" ]] || continue
        info "rotating out $(basename "$old")"
        rm -f -- "$old"
    done < <(find "$dest" -maxdepth 1 -type f \( -name 'deltaplane-*.db' -o -name 'deltaplane-*.db.gz' \) -printf '%T@ %p\n' |
        sort -k1,1nr -k2r | cut -d' ' -f2- | tail -n +"$((keep + 1))")

    printf '%s\n' "$target"
}

main "$@"
exit

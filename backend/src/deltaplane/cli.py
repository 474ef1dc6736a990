"""`deltaplane` command: serve, migrate, create-admin, openapi."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from deltaplane.settings import get_settings

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"Deltaplane serving on http://{host}:{port}  (exchange={settings.exchange}, db={settings.database_url})", flush=True)
    uvicorn.run(
        "deltaplane.app:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=settings.trust_proxy_headers,
        ws="websockets-sansio",
        lifespan="on",
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from deltaplane.db.migrate import head_revisions, upgrade_database
    from deltaplane.settings import get_settings

    settings = get_settings()
    upgrade_database(settings.database_url)
    print(f"database at head {sorted(head_revisions())}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    import asyncio

    from deltaplane.auth.services import create_user
    from deltaplane.db.engine import create_engine, create_sessionmaker
    from deltaplane.db.migrate import upgrade_database
    from deltaplane.settings import get_settings

    settings = get_settings()
    upgrade_database(settings.database_url)
    password = args.password or getpass.getpass(f"password for {args.username}: ")

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine)() as db:
                await create_user(db, args.username, password, args.role)
                await db.commit()
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except Exception as exc:  # print the field-level reason, not a traceback
        print(f"error: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 2
    print(f"created {args.role} {args.username}")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("SERVE_SPA", "false")
    os.environ.setdefault("LOG_TO_STDOUT", "false")
    os.environ.setdefault("BACKEND_LOG_INGEST_ENABLED", "false")
    os.environ.setdefault("DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    os.environ.setdefault("LOG_DIR", str(Path(os.environ.get("TMPDIR", "/tmp")) / "deltaplane-openapi-logs"))
    import msgspec

    from deltaplane.app import create_app

    schema = create_app().openapi_schema.to_schema()
    # Round-trip through msgspec: defaults may be msgspec Structs that json cannot encode.
    plain = msgspec.json.decode(msgspec.json.encode(schema, enc_hook=str))
    text = json.dumps(plain, indent=2, sort_keys=True) + "\n"
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deltaplane", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API (and the SPA in embedded mode)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(func=_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    admin = sub.add_parser("create-admin", help="create a user (default role admin)")
    admin.add_argument("username")
    admin.add_argument("--password", help="omit to be prompted")
    admin.add_argument("--role", default="admin", choices=["admin", "viewer"])
    admin.set_defaults(func=_create_admin)
    oa = sub.add_parser("openapi", help="write the OpenAPI schema (for the typed frontend client)")
    oa.add_argument("--out")
    oa.set_defaults(func=_openapi)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as exc:
        from deltaplane.settings import SettingsError

        if isinstance(exc, SettingsError):
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())

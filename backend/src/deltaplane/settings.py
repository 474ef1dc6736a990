"""Typed settings, read once from the environment and an optional `.env` file.

Every knob the product has lives here, so operators find them in one place and
`.env.prod.example` can be checked against this list.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
from dotenv import dotenv_values

#: repository root (backend/src/deltaplane/settings.py -> ../../..)
REPO_ROOT = Path(__file__).resolve().parents[3]

WEAK_SECRETS = {"", "change-me", "changeme", "secret", "jwt-secret", "dev", "test"}


class SettingsError(ValueError):
    """Raised when the configuration is unsafe or malformed; the message names the variable."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    # --- application ---------------------------------------------------------------------------
    environment: str = "development"  # development | production | test
    host: str = "127.0.0.1"
    port: int = 8000
    app_name: str = "Deltaplane"
    serve_spa: bool = True  # embedded mode: the API also serves frontend/dist at /
    spa_dist: str = str(REPO_ROOT / "frontend" / "dist")
    auto_migrate: bool = True  # apply migrations at start-up (embedded mode)

    # --- database ------------------------------------------------------------------------------
    database_url: str = f"sqlite+aiosqlite:///{REPO_ROOT / 'data' / 'deltaplane.db'}"
    sqlite_busy_timeout_ms: int = 5000

    # --- security ------------------------------------------------------------------------------
    jwt_secret: str = ""  # empty in development -> a random per-process secret is generated
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 7 * 24 * 3600
    ws_ticket_ttl_seconds: int = 30
    allowed_origins: tuple[str, ...] = ()
    cookie_secure: bool = False
    initial_admin_username: str = "admin"
    initial_admin_password: str = ""
    login_max_failures: int = 5  # per username and per IP inside the window
    login_failure_window_seconds: int = 300
    login_lockout_seconds: int = 300
    rate_limit_per_minute: int = 1200  # per client IP across the API
    max_request_body_bytes: int = 1_048_576
    metrics_token: str = ""  # bearer token for Prometheus scrapes (admins may also read)
    trust_proxy_headers: bool = False  # take the client IP from X-Real-IP/X-Forwarded-For (behind our nginx)

    # --- logging -------------------------------------------------------------------------------
    log_level: str = "INFO"
    log_dir: str = str(REPO_ROOT / "logs")
    log_file_name: str = "backend.log"
    log_to_stdout: bool = True
    backend_log_ingest_enabled: bool = True
    # tail in a child process (SQLite only) so a burst of log lines never slows the API down
    backend_log_ingest_process: bool = True
    backend_log_path: str = ""  # default: <log_dir>/backend.log
    backend_log_poll_interval: float = 0.5
    backend_log_batch_size: int = 500  # lines per transaction: ~10 ms of write lock at most
    backend_log_retention_days: int = 7
    log_ingest_api_key: str = ""
    log_batch_max_entries: int = 100
    log_batch_max_entry_bytes: int = 16_384

    # --- exchange ------------------------------------------------------------------------------
    exchange: str = "paper"  # paper | delta
    live_trading_enabled: bool = False
    delta_env: str = "india"  # india | india-testnet | global | global-testnet
    delta_api_key: str = ""
    delta_api_secret: str = ""
    delta_base_url: str = ""
    delta_ws_url: str = ""
    delta_timeout_seconds: float = 10.0
    # A signed read (weight 3) this often keeps the exchange health shown in Live Control true while
    # nothing trades, and clears a rate-limited/degraded state once Delta answers again. 0 = off.
    delta_health_interval_seconds: float = 15.0
    paper_seed: int = 7
    paper_initial_balance: float = 10_000.0
    paper_btc_spot: float = 90_000.0
    paper_eth_spot: float = 3_000.0
    paper_volatility: float = 0.55
    paper_drift: float = 0.0
    paper_tick_interval: float = 1.0
    paper_time_scale: float = 1.0  # >1 speeds up the simulated clock (demos, e2e)
    # Simulated network latency of paper order placement, wall-clock ms (crash tests): the order
    # reaches the paper exchange after PAPER_ORDER_LATENCY_MS, its answer arrives
    # PAPER_ORDER_REPLY_LATENCY_MS after the exchange acted. 0 = instant (the default).
    paper_order_latency_ms: int = 0
    paper_order_reply_latency_ms: int = 0

    # --- alerts --------------------------------------------------------------------------------
    alert_webhook_url: str = ""
    alert_webhook_format: str = "json"  # json | telegram
    alert_telegram_chat_id: str = ""

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def log_file(self) -> Path:
        return Path(self.backend_log_path) if self.backend_log_path else Path(self.log_dir) / self.log_file_name

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_FIELDS = {f.name: f for f in msgspec.structs.fields(Settings)}


def _coerce(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            low = raw.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"{name.upper()}: cannot parse {raw!r} as {type(default).__name__}") from exc
    return raw


def load_settings(env: dict[str, str] | None = None, env_file: str | Path | None = None) -> Settings:
    """Build settings from `env` (default: os.environ) layered over an optional .env file."""
    source: dict[str, str] = {}
    file = Path(env_file) if env_file else Path(os.environ.get("DELTAPLANE_ENV_FILE", REPO_ROOT / ".env"))
    if file.is_file():
        source.update({k: v for k, v in dotenv_values(file).items() if v is not None})
    source.update(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for name, field in _FIELDS.items():
        key = name.upper()
        if key in source:
            values[name] = _coerce(name, source[key], field.default)
    settings = Settings(**values)
    validate_settings(settings)
    return settings


def validate_settings(settings: Settings) -> None:
    if settings.environment not in {"development", "production", "test"}:
        raise SettingsError("ENVIRONMENT must be development, production or test")
    if settings.exchange not in {"paper", "delta"}:
        raise SettingsError("EXCHANGE must be paper or delta")
    if settings.delta_env not in {"india", "india-testnet", "global", "global-testnet"}:
        raise SettingsError("DELTA_ENV must be india, india-testnet, global or global-testnet")
    if settings.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise SettingsError("LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    if settings.access_token_ttl_seconds <= 0 or settings.refresh_token_ttl_seconds <= 0:
        raise SettingsError("ACCESS_TOKEN_TTL_SECONDS and REFRESH_TOKEN_TTL_SECONDS must be positive")
    if settings.paper_order_latency_ms < 0 or settings.paper_order_reply_latency_ms < 0:
        raise SettingsError("PAPER_ORDER_LATENCY_MS and PAPER_ORDER_REPLY_LATENCY_MS must be >= 0")
    if settings.alert_webhook_format not in {"json", "telegram"}:
        raise SettingsError("ALERT_WEBHOOK_FORMAT must be json or telegram")
    if settings.is_production:
        secret = settings.jwt_secret
        if secret.lower() in WEAK_SECRETS or len(secret) < 32:
            raise SettingsError(
                "JWT_SECRET is missing or weak: production needs at least 32 random characters "
                "(generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        if any(origin.strip() == "*" for origin in settings.allowed_origins):
            raise SettingsError("ALLOWED_ORIGINS must list exact origins in production, not '*'")
    if settings.exchange == "delta" and settings.live_trading_enabled:
        if not (settings.delta_api_key and settings.delta_api_secret):
            raise SettingsError("DELTA_API_KEY and DELTA_API_SECRET are required when LIVE_TRADING_ENABLED=true")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

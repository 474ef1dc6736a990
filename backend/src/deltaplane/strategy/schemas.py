"""Wire schemas for strategies, actions, runtime, preview, risk and market data."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from deltaplane.exchange.health import ExchangeHealthRead

ActionName = Literal["start", "pause", "resume", "stop", "flatten"]


class StrategyRead(msgspec.Struct):
    id: int
    name: str
    version: int
    state: str
    detail: str
    mode: str
    underlying: str
    config: dict[str, Any]
    run_version: int | None
    created_at: datetime
    updated_at: datetime


class StrategySaved(msgspec.Struct):
    strategy: StrategyRead
    applies_from: Literal["now", "next_entry"]


class StrategyVersionRead(msgspec.Struct):
    version: int
    config: dict[str, Any]
    created_at: datetime
    created_by: str


class ActionRequest(msgspec.Struct, forbid_unknown_fields=True):
    action: ActionName


class ActionResult(msgspec.Struct):
    strategy_id: int
    action: str
    state: str


class PreviewLeg(msgspec.Struct):
    symbol: str
    kind: str
    strike: str
    mark: str
    best_bid: str | None
    best_ask: str | None
    delta: float
    iv: float | None


class PreviewResult(msgspec.Struct):
    ok: bool
    message: str
    expiry: datetime | None = None
    spot: str | None = None
    call: PreviewLeg | None = None
    put: PreviewLeg | None = None
    credit: str | None = None
    credit_per_unit: str | None = None
    breakeven_upper: str | None = None
    breakeven_lower: str | None = None
    max_loss_premium: str | None = None
    take_profit_premium: str | None = None
    quantity: int | None = None
    contract_value: str | None = None


class RiskRead(msgspec.Struct):
    max_running_strategies: int
    max_contracts_per_leg: int
    max_open_legs: int
    daily_loss_limit_usd: str | None
    breaker_tripped_at: datetime | None
    breaker_reason: str | None
    kill_switch_at: datetime | None
    #: today's (UTC) realised + open PnL, what the daily loss limit is compared with
    day_pnl_usd: str


class RiskUpdate(msgspec.Struct, forbid_unknown_fields=True):
    max_running_strategies: int | None = None
    max_contracts_per_leg: int | None = None
    max_open_legs: int | None = None
    daily_loss_limit_usd: str | None = None
    clear_daily_loss_limit: bool = False


class ChainRow(msgspec.Struct):
    strike: str
    call_symbol: str | None
    put_symbol: str | None
    call_mark: str | None
    call_bid: str | None
    call_ask: str | None
    call_delta: float | None
    call_iv: float | None
    put_mark: str | None
    put_bid: str | None
    put_ask: str | None
    put_delta: float | None
    put_iv: float | None


class ChainRead(msgspec.Struct):
    underlying: str
    expiry: datetime
    spot: str
    rows: list[ChainRow]


class ExchangeStatus(msgspec.Struct):
    paper: bool
    live_configured: bool
    live_trading_enabled: bool
    delta_env: str
    credentials_present: bool
    base_url: str
    health: ExchangeHealthRead | None = None  # the live adapter's health; None on a paper-only deployment


class ConnectionTest(msgspec.Struct):
    """Result of probing the active exchange (credentials are never echoed)."""

    ok: bool
    exchange: str
    detail: str
    auth_ok: bool | None = None
    clock_skew_s: float | None = None
    rate_limit_remaining: int | None = None

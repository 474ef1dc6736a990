"""Strategy persistence: versioned configs, sessions (one entry→exit run), legs, orders, fills,
the append-only event timeline, and the account-level risk state.

Every engine decision is written here *before* it is acted on, so a restart can reconcile.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from deltaplane.db.base import Base, utcnow
from deltaplane.db.types import DecimalText

Money = DecimalText()


class Strategy(Base):
    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    config_json: Mapped[str] = mapped_column(Text, nullable=False)
    # Desired run status set by the trader (idle | running | paused) and the engine's state.
    run_status: Mapped[str] = mapped_column(String(16), nullable=False, default="idle")
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="idle")
    state_detail: Mapped[str] = mapped_column(Text, nullable=False, default="")
    run_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # config version of the current run
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class StrategyVersion(Base):
    __tablename__ = "strategy_versions"
    __table_args__ = (UniqueConstraint("strategy_id", "version", name="uq_strategy_versions_strategy_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"), index=True, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    config_json: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")


class TradingSession(Base):
    __tablename__ = "trading_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id"), index=True, nullable=False)
    strategy_version: Mapped[int] = mapped_column(Integer, nullable=False)
    config_json: Mapped[str] = mapped_column(Text, nullable=False)  # the snapshot this run keeps
    mode: Mapped[str] = mapped_column(String(8), nullable=False)
    underlying: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), index=True, nullable=False)  # entering|open|exiting|closed|error
    trading_day: Mapped[date] = mapped_column(Date, nullable=False)
    expiry: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False)
    exit_deadline: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False)
    entry_started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False)
    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), index=True, nullable=True)
    exit_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    credit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))  # USD received selling
    debit: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))  # USD paid buying back
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    gross_pnl: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    net_pnl: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    peak_profit_pct: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    trailing_lock_pct: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)


class Leg(Base):
    __tablename__ = "legs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(4), nullable=False)  # call | put
    symbol: Mapped[str] = mapped_column(String(40), nullable=False)
    strike: Mapped[Decimal] = mapped_column(Money, nullable=False)
    contract_value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    target_qty: Mapped[int] = mapped_column(Integer, nullable=False)
    entry_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # contracts sold
    entry_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # avg premium per unit
    exit_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # contracts bought back
    exit_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")  # pending|open|closing|closed|failed
    entry_delta: Mapped[float | None] = mapped_column(nullable=True)


class EngineOrder(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"), index=True, nullable=False)
    leg_id: Mapped[int] = mapped_column(ForeignKey("legs.id", ondelete="CASCADE"), index=True, nullable=False)
    client_order_id: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    exchange_order_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    purpose: Mapped[str] = mapped_column(String(8), nullable=False)  # entry | exit | unwind
    symbol: Mapped[str] = mapped_column(String(40), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    order_type: Mapped[str] = mapped_column(String(8), nullable=False)
    time_in_force: Mapped[str] = mapped_column(String(4), nullable=False)
    reduce_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    limit_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    filled_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    avg_fill_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    fees: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal(0))
    # intent (written, not yet sent) | open | closed (filled) | cancelled | rejected
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="intent")
    attempt: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False, default=utcnow)


class EngineFill(Base):
    __tablename__ = "fills"
    __table_args__ = (UniqueConstraint("order_id", "exchange_fill_id", name="uq_fills_order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False)
    session_id: Mapped[str] = mapped_column(ForeignKey("trading_sessions.id", ondelete="CASCADE"), index=True, nullable=False)
    exchange_fill_id: Mapped[str] = mapped_column(String(64), nullable=False)
    symbol: Mapped[str] = mapped_column(String(40), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    fee: Mapped[Decimal] = mapped_column(Money, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), nullable=False)


class SessionEvent(Base):
    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    strategy_id: Mapped[int] = mapped_column(Integer, index=True, nullable=False)
    session_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    timestamp: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(48), nullable=False)
    level: Mapped[str] = mapped_column(String(8), nullable=False, default="info")
    message: Mapped[str] = mapped_column(Text, nullable=False)
    data_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")


class RiskState(Base):
    """Single-row account-level risk configuration and circuit breaker."""

    __tablename__ = "risk_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    max_running_strategies: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    max_contracts_per_leg: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    max_open_legs: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    daily_loss_limit_usd: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    breaker_tripped_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    breaker_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    kill_switch_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)

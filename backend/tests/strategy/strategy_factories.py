"""Builders shared by the strategy rule tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from deltaplane.strategy.config import StrategyConfig
from deltaplane.strategy.rules.exits import MarketState, PositionState
from deltaplane.strategy.rules.strikes import ChainQuote

D = Decimal
EXPIRY = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 31, 4, 0, tzinfo=UTC)  # 09:30 IST


def cfg(**overrides: Any) -> StrategyConfig:
    base: dict[str, Any] = {"name": "test strangle"}
    base.update(overrides)
    return StrategyConfig(**base)


def quote(kind: str, strike: int | str | Decimal, delta: float, bid: str | Decimal | None = "100",
          ask: str | Decimal | None = None, mark: str | Decimal | None = None,
          expiry: datetime = EXPIRY) -> ChainQuote:
    strike_d = D(str(strike))
    bid_d = D(str(bid)) if bid is not None else None
    ask_d = D(str(ask)) if ask is not None else (bid_d + D(10) if bid_d is not None else None)
    mark_d = D(str(mark)) if mark is not None else (bid_d + D(5) if bid_d is not None else D(1))
    prefix = "C" if kind == "call" else "P"
    return ChainQuote(symbol=f"{prefix}-BTC-{strike_d}-310125", kind=kind, strike=strike_d, expiry=expiry,
                      mark=mark_d, best_bid=bid_d, best_ask=ask_d, delta=delta, iv=0.5)


def position(call: str = "100", put: str = "100", *, entered_at: datetime = NOW,
             exit_deadline: datetime | None = None, expiry: datetime = EXPIRY, quantity: int = 10,
             **kw: Any) -> PositionState:
    return PositionState(call_entry_price=D(call), put_entry_price=D(put), quantity=quantity,
                         contract_value=D("0.001"), entered_at=entered_at, expiry=expiry,
                         exit_deadline=exit_deadline or entered_at + timedelta(hours=6), **kw)


def market(call: str | Decimal, put: str | Decimal) -> MarketState:
    return MarketState(call_mark=D(str(call)), put_mark=D(str(put)))

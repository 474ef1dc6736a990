"""The market interface the strategy engine talks to, and the value types that cross it.

Prices and money are `Decimal` (USD per 1 underlying unit for option marks, as Delta quotes
them); greeks and implied vols are floats. All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

import msgspec

OptionKind = Literal["call", "put"]
Side = Literal["buy", "sell"]
OrderType = Literal["limit", "market"]
TimeInForce = Literal["gtc", "ioc"]
OrderState = Literal["open", "pending", "closed", "cancelled"]

CLIENT_ORDER_ID_MAX_LEN = 32


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str  # C-BTC-90000-310125
    product_id: int
    underlying: str  # BTC | ETH
    kind: OptionKind
    strike: Decimal
    expiry: datetime  # 12:00 UTC
    contract_value: Decimal  # underlying units per contract
    tick_size: Decimal


class Ticker(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    mark: Decimal
    best_bid: Decimal | None
    best_ask: Decimal | None
    bid_size: int
    ask_size: int
    delta: float
    gamma: float
    theta: float  # USD per underlying unit per calendar day
    vega: float  # USD per underlying unit per 1 vol point (0.01)
    mark_iv: float  # annualised, 0.55 = 55 %
    spot: Decimal
    timestamp: datetime
    product_id: int | None = None
    source: str = ""  # paper | ws | rest: where this tick came from


class OrderRequest(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    side: Side
    size: int
    order_type: OrderType = "limit"
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = "gtc"
    reduce_only: bool = False
    client_order_id: str = ""

    def validate(self) -> None:
        """Raise ValueError naming the field when the request is malformed."""
        if self.side not in ("buy", "sell"):
            raise ValueError("side must be buy or sell")
        if not isinstance(self.size, int) or self.size <= 0:
            raise ValueError("size must be a positive integer number of contracts")
        if self.order_type not in ("limit", "market"):
            raise ValueError("order_type must be limit or market")
        if self.order_type == "limit" and (self.limit_price is None or self.limit_price <= 0):
            raise ValueError("limit_price must be positive for a limit order")
        if self.time_in_force not in ("gtc", "ioc"):
            raise ValueError("time_in_force must be gtc or ioc")
        if not self.client_order_id or len(self.client_order_id) > CLIENT_ORDER_ID_MAX_LEN:
            raise ValueError(f"client_order_id is required and at most {CLIENT_ORDER_ID_MAX_LEN} characters")


class Order(msgspec.Struct, kw_only=True):
    id: int
    client_order_id: str | None
    symbol: str
    side: Side
    size: int
    unfilled_size: int
    state: OrderState
    order_type: OrderType = "limit"
    limit_price: Decimal | None = None
    time_in_force: TimeInForce = "gtc"
    average_fill_price: Decimal | None = None
    paid_commission: Decimal = Decimal(0)
    reduce_only: bool = False
    created_at: datetime | None = None
    product_id: int | None = None

    @property
    def filled_size(self) -> int:
        return self.size - self.unfilled_size


class Fill(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    order_id: int | None
    client_order_id: str | None
    symbol: str
    side: Side
    size: int
    price: Decimal
    commission: Decimal
    created_at: datetime
    role: str = "taker"  # taker | maker | settlement


class Position(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    size: int  # signed contracts: negative = short
    entry_price: Decimal | None
    realized_pnl: Decimal = Decimal(0)
    product_id: int | None = None


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    asset: str  # USD
    balance: Decimal
    available_balance: Decimal


@runtime_checkable
class Exchange(Protocol):
    """The only way the strategy engine touches a market (paper or live)."""

    name: str

    async def instruments(self, underlying: str, expiry: datetime | None = None) -> list[Instrument]: ...

    async def expiries(self, underlying: str) -> list[datetime]: ...

    async def chain(self, underlying: str, expiry: datetime) -> list[Ticker]: ...

    async def ticker(self, symbol: str) -> Ticker: ...

    async def spot(self, underlying: str) -> Decimal: ...

    async def place_order(self, req: OrderRequest) -> Order:
        """Idempotent by client_order_id: the same id twice returns the first order."""
        ...

    async def cancel_order(self, *, client_order_id: str | None = None, order_id: int | None = None,
                           symbol: str | None = None) -> Order: ...

    async def get_order(self, order_id: int) -> Order: ...

    async def get_order_by_client_id(self, client_order_id: str) -> Order | None: ...

    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def positions(self) -> list[Position]: ...

    async def balances(self) -> list[Balance]: ...

    async def fills(self, since: datetime | None = None) -> list[Fill]: ...

    def ticks(self, symbols: Sequence[str]) -> AsyncIterator[Ticker]:
        """Ticker updates for `symbols` until the iterator is closed (aclose())."""
        ...

    async def close(self) -> None: ...


def option_symbol(kind: OptionKind, underlying: str, strike: Decimal | int, expiry: datetime) -> str:
    """Delta's option symbol: C-BTC-90000-310125 (strike without trailing zeros, expiry DDMMYY)."""
    strike_text = format(Decimal(strike).normalize(), "f")
    return f"{'C' if kind == 'call' else 'P'}-{underlying}-{strike_text}-{expiry:%d%m%y}"


def parse_option_symbol(symbol: str) -> tuple[OptionKind, str, Decimal, datetime]:
    """Inverse of option_symbol; the expiry comes back at 12:00 UTC."""
    from datetime import UTC

    try:
        kind_letter, underlying, strike_text, date_text = symbol.split("-")
        kind: OptionKind = {"C": "call", "P": "put"}[kind_letter]
        expiry = datetime.strptime(date_text, "%d%m%y").replace(hour=12, tzinfo=UTC)
        return kind, underlying, Decimal(strike_text), expiry
    except (ValueError, KeyError) as exc:
        raise ValueError(f"not an option symbol: {symbol!r}") from exc

"""Input records for analytics: what a closed trade, an open session and a timeline row look like.

These are plain frozen msgspec structs so the pure metric functions never touch the database;
the analytics service maps ORM rows onto them.

One ledger, one subtraction: every leg and every trade carries ``gross_pnl`` (price PnL before
fees) and ``fees`` (fees paid, a positive number), and ``net_pnl`` is *derived* as
``gross_pnl - fees`` in exactly one place (the properties below). Nothing downstream subtracts
fees again — the predecessor did, and reported every trade short by its fees.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

import msgspec

__all__ = ["LegRecord", "OpenPosition", "TimelineRow", "TradeRecord"]

LegKind = Literal["call", "put"]
TimelineEntryType = Literal["order", "fill", "event"]
ZERO = Decimal(0)


def _require_aware(field: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: datetime must be timezone-aware (UTC)")


class LegRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One option leg of a closed session (a short call or a short put)."""

    symbol: str
    kind: LegKind
    strike: Decimal
    quantity: Decimal  # contracts, positive; direction is implied by the strategy (short)
    entry_price: Decimal
    exit_price: Decimal | None  # None when the leg expired/settled without a closing fill
    gross_pnl: Decimal  # USD, before fees
    fees: Decimal  # USD paid, entry + exit, >= 0

    @property
    def net_pnl(self) -> Decimal:
        return self.gross_pnl - self.fees


class TradeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One closed session = one trade. Money in USD as Decimal; datetimes aware (UTC)."""

    session_id: str
    strategy_id: str
    strategy_name: str
    underlying: str  # BTC | ETH
    opened_at: datetime
    closed_at: datetime  # the trade is attributed to the day/range of its close
    credit: Decimal  # premium collected when selling the legs
    debit: Decimal  # premium paid to buy the legs back (0 if they expired worthless)
    gross_pnl: Decimal  # before fees
    fees: Decimal  # all fees of the session, >= 0
    exit_reason: str  # e.g. take_profit | max_loss | leg_stop | trailing | exit_time | manual | expiry
    legs: tuple[LegRecord, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("opened_at", self.opened_at)
        _require_aware("closed_at", self.closed_at)
        if self.closed_at < self.opened_at:
            raise ValueError("closed_at: must not be before opened_at")

    @property
    def net_pnl(self) -> Decimal:
        return self.gross_pnl - self.fees

    @property
    def premium_kept(self) -> Decimal:
        """Premium collected minus premium paid to close (before fees)."""
        return self.credit - self.debit

    @classmethod
    def from_legs(cls, legs: Iterable[LegRecord], **fields: Any) -> TradeRecord:
        """Build a trade whose gross PnL and fees are the sums of its legs (the single ledger)."""
        legs = tuple(legs)
        return cls(
            gross_pnl=sum((leg.gross_pnl for leg in legs), ZERO),
            fees=sum((leg.fees for leg in legs), ZERO),
            legs=legs,
            **fields,
        )


class OpenPosition(msgspec.Struct, frozen=True, kw_only=True):
    """A session that is still open: its PnL is unrealised and reported apart from realised PnL."""

    session_id: str
    strategy_id: str
    strategy_name: str
    underlying: str
    opened_at: datetime
    credit: Decimal  # premium collected so far
    unrealized_pnl: Decimal  # mark-to-market of the open legs, before fees
    fees: Decimal = ZERO  # fees already paid (entry fills)

    @property
    def net_unrealized_pnl(self) -> Decimal:
        return self.unrealized_pnl - self.fees


class TimelineRow(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a session's append-only timeline, as exported in the CSV ``timeline`` section."""

    timestamp: datetime
    session_id: str
    strategy_id: str
    entry_type: TimelineEntryType
    order_id: str | None = None
    symbol: str | None = None
    side: str | None = None  # buy | sell
    quantity: Decimal | None = None
    price: Decimal | None = None
    fee: Decimal | None = None
    realized_pnl: Decimal | None = None  # as booked by the engine's ledger; never re-derived here
    message: str = ""
    metadata: dict[str, Any] | None = None

"""Market layer: the Exchange protocol, the paper simulator and the live Delta adapter."""

from deltaplane.exchange.errors import (
    AuthError,
    ExchangeError,
    NotFound,
    OrderRejected,
    OrderStatusUnknown,
    RateLimitError,
    Timeout,
    Unavailable,
)
from deltaplane.exchange.protocol import (
    Balance,
    Exchange,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    Position,
    Ticker,
    option_symbol,
    parse_option_symbol,
)

__all__ = [
    "AuthError", "Balance", "Exchange", "ExchangeError", "Fill", "Instrument", "NotFound", "Order", "OrderRejected",
    "OrderRequest", "OrderStatusUnknown", "Position", "RateLimitError", "Ticker", "Timeout", "Unavailable",
    "option_symbol", "parse_option_symbol",
]

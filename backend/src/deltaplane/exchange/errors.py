"""Typed exchange errors: the engine branches on the class, never on message text."""

from __future__ import annotations

from typing import Any


class ExchangeError(Exception):
    """Base class. `code` is the exchange's machine code when it gave one."""

    def __init__(self, message: str = "", *, code: str | None = None, context: dict[str, Any] | None = None):
        super().__init__(message or code or self.__class__.__name__)
        self.code = code
        self.context = dict(context or {})


class AuthError(ExchangeError):
    """Key, signature, IP whitelist or expired-signature problems (HTTP 401/403)."""


class RateLimitError(ExchangeError):
    """Over the weighted budget; `reset_after_s` says when the window reopens."""

    def __init__(self, message: str = "", *, reset_after_s: float, code: str | None = "rate_limited",
                 context: dict[str, Any] | None = None):
        super().__init__(message or f"rate limited, retry in {reset_after_s:.3f}s", code=code, context=context)
        self.reset_after_s = reset_after_s


class OrderRejected(ExchangeError):
    """The exchange (or simulator) refused the order; nothing was placed."""

    def __init__(self, code: str, context: dict[str, Any] | None = None, message: str = ""):
        super().__init__(message or code, code=code, context=context)


class NotFound(ExchangeError):
    """Unknown symbol, order id or client order id."""


class Unavailable(ExchangeError):
    """The exchange is down or answered 5xx; the request did not (provably) take effect."""


class Timeout(ExchangeError):
    """No answer in time; for writes the outcome is unknown until looked up."""


class OrderStatusUnknown(Unavailable):
    """An order placement's outcome could not be established (placed? not placed?).

    Raised only after the adapter tried to look the order up by client_order_id and could not;
    the caller must reconcile by that id before doing anything else with the leg.
    """


def is_transient(exc: BaseException) -> bool:
    """Worth trying again after a pause: rate limits, outages, timeouts, an expired signature.

    Not an `OrderStatusUnknown`: an order that may exist must be reconciled, never placed again.
    """
    if isinstance(exc, OrderStatusUnknown):
        return False
    if isinstance(exc, (RateLimitError, Unavailable, Timeout)):
        return True
    return isinstance(exc, AuthError) and (exc.code or "").lower() in ("expired_signature", "signatureexpired")


def refused_before_processing(exc: BaseException) -> bool:
    """The exchange turned the request away before acting on it (429, 401/403): nothing was placed."""
    return isinstance(exc, (RateLimitError, AuthError))

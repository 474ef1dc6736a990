"""Price walk for marketable limit orders (pure).

Attempt 0 is placed at the touch (sell at the best bid, buy at the best ask). Each further attempt
concedes an equal step more, reaching exactly `max_slippage_pct` from the initial touch on the last
attempt and never going beyond it. Prices are rounded to the tick grid *towards the touch* (sells
up, buys down), so rounding can never break the slippage bound. After the last attempt the engine
may send an IOC market order (`should_market_fallback`).

The anchor is the touch at attempt 0: pass it back as `anchor_price` on later attempts so that a
market running away cannot drag the walk past the bound.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

OrderSide = Literal["buy", "sell"]
ExecutionStep = Literal["done", "limit", "market", "give_up"]
HUNDRED = Decimal(100)


def touch_price(side: OrderSide, best_bid: Decimal | None, best_ask: Decimal | None,
                mark: Decimal | None) -> Decimal:
    """The price a marketable order starts at: bid for sells, ask for buys, the mark without a quote."""
    quote = best_bid if side == "sell" else best_ask
    if quote is not None and quote > 0:
        return quote
    if mark is not None and mark > 0:
        return mark
    raise ValueError(f"no {'bid' if side == 'sell' else 'ask'} and no mark to price a {side} order")


def round_to_tick(price: Decimal, tick_size: Decimal, side: OrderSide) -> Decimal:
    """Round onto the tick grid towards the touch: sells up (ceiling), buys down (floor)."""
    if tick_size <= 0:
        raise ValueError("tick_size must be positive")
    steps = (price / tick_size).to_integral_value(rounding=ROUND_CEILING if side == "sell" else ROUND_FLOOR)
    return (steps * tick_size).normalize() if steps else Decimal(0)


def slippage_bound(side: OrderSide, anchor: Decimal, max_slippage_pct: Decimal) -> Decimal:
    """The worst price allowed: anchor -/+ max_slippage_pct %."""
    factor = max_slippage_pct / HUNDRED
    return anchor * (1 - factor) if side == "sell" else anchor * (1 + factor)


def limit_price_for_attempt(side: OrderSide, best_bid: Decimal | None, best_ask: Decimal | None,
                            mark: Decimal | None, attempt: int, limit_attempts: int,
                            max_slippage_pct: Decimal, tick_size: Decimal, *,
                            anchor_price: Decimal | None = None) -> Decimal:
    """Limit price of attempt `attempt` (0-based) out of `limit_attempts`.

    Sells walk down from the anchor, buys walk up; monotone across attempts, on the tick grid,
    within max_slippage_pct of the anchor, and at least one tick.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    if limit_attempts < 1:
        raise ValueError("limit_attempts must be >= 1")
    if max_slippage_pct < 0:
        raise ValueError("max_slippage_pct must be >= 0")
    anchor = anchor_price if anchor_price is not None else touch_price(side, best_bid, best_ask, mark)
    step = min(attempt, limit_attempts - 1)
    fraction = Decimal(step) / Decimal(limit_attempts - 1) if limit_attempts > 1 else Decimal(0)
    concession = anchor * max_slippage_pct / HUNDRED * fraction
    raw = anchor - concession if side == "sell" else anchor + concession
    price = round_to_tick(raw, tick_size, side)
    return max(price, tick_size)  # an exchange rejects a zero or negative limit


def execution_step(*, filled: bool, attempts_made: int, limit_attempts: int, market_fallback: bool,
                   urgent: bool = False) -> ExecutionStep:
    """What to do next for one leg: another limit attempt, a market order, or give up.

    `urgent` (flatten, kill switch) skips the walk and goes to market at once.
    """
    if filled:
        return "done"
    if urgent:
        return "market"
    if attempts_made < limit_attempts:
        return "limit"
    return "market" if market_fallback else "give_up"


def should_market_fallback(*, attempts_made: int, limit_attempts: int, unfilled_size: int,
                           market_fallback: bool, urgent: bool = False) -> bool:
    """True when size remains and either the exit is urgent or every limit attempt is spent and
    the config allows a market fallback."""
    step = execution_step(filled=unfilled_size <= 0, attempts_made=attempts_made,
                          limit_attempts=limit_attempts, market_fallback=market_fallback, urgent=urgent)
    return step == "market"

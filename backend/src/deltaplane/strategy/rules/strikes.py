"""Which call and put to sell (pure).

Inputs are `ChainQuote`s, a minimal view of the option chain the engine maps exchange tickers to.
Common to every mode:
- only out-of-the-money strikes are candidates (call strike > spot, put strike < spot): a short
  strangle never sells an in-the-money leg, so a found selection always has
  call strike > spot > put strike;
- a candidate needs a positive best bid (we sell at the bid; no bid, no credit);
- selection is independent of the chain's order (ties are broken by documented keys).

Modes:
- delta: |delta| within [delta_low, delta_high] (inclusive). `band_centre` picks the |delta|
  closest to the band's middle (ties: the smaller |delta|, i.e. further out of the money);
  `highest_in_band` picks the largest |delta| (ties: further out of the money). Final tie: symbol.
- premium: best bid strictly inside (premium_low, premium_high); picks the bid closest to the
  middle of the range (ties: further out of the money, then symbol).
- distance: call strike >= spot x (1 + d%), put strike <= spot x (1 - d%); the nearest such
  strike on each side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Literal

import msgspec

from deltaplane.strategy.config import DeltaPick, StrategyConfig, StrikeMode
from deltaplane.strategy.rules.outcomes import NoTrade

OptionKind = Literal["call", "put"]
HUNDRED = Decimal(100)


class ChainQuote(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    kind: OptionKind
    strike: Decimal
    expiry: datetime
    mark: Decimal
    best_bid: Decimal | None
    best_ask: Decimal | None
    delta: float  # signed: calls > 0, puts < 0
    iv: float | None = None


class StrikeParams(msgspec.Struct, frozen=True, kw_only=True):
    strike_mode: StrikeMode
    delta_pick: DeltaPick = "band_centre"
    delta_low: Decimal = Decimal("0.10")
    delta_high: Decimal = Decimal("0.15")
    premium_low: Decimal | None = None
    premium_high: Decimal | None = None
    distance_pct: Decimal | None = None
    quantity: int = 1
    contract_value: Decimal = Decimal("0.001")  # underlying units per contract (BTC 0.001, ETH 0.01)
    max_loss_pct: Decimal = Decimal(50)
    take_profit_pct: Decimal = Decimal(60)


def strike_params_from_config(cfg: StrategyConfig, *, contract_value: Decimal) -> StrikeParams:
    return StrikeParams(
        strike_mode=cfg.strike_mode, delta_pick=cfg.delta_pick, delta_low=cfg.delta_low,
        delta_high=cfg.delta_high, premium_low=cfg.premium_low, premium_high=cfg.premium_high,
        distance_pct=cfg.distance_pct, quantity=cfg.quantity, contract_value=contract_value,
        max_loss_pct=cfg.max_loss_pct, take_profit_pct=cfg.take_profit_pct,
    )


class StrikeSelection(msgspec.Struct, frozen=True, kw_only=True):
    call: ChainQuote
    put: ChainQuote
    expiry: datetime
    spot: Decimal
    credit_per_unit: Decimal  # call bid + put bid, USD per underlying unit
    credit: Decimal  # USD received for the whole strangle: per unit x contract_value x quantity
    breakeven_upper: Decimal  # call strike + credit per unit
    breakeven_lower: Decimal  # put strike - credit per unit
    # combined premium (call + put, per unit) at which the max-loss / take-profit exits fire
    max_loss_premium: Decimal
    take_profit_premium: Decimal
    quantity: int
    contract_value: Decimal


def abs_delta(quote: ChainQuote) -> Decimal:
    # via str: the float's shortest repr, so 0.15 compares equal to Decimal("0.15")
    return abs(Decimal(repr(float(quote.delta))))


def _sellable(quote: ChainQuote, spot: Decimal) -> bool:
    if quote.best_bid is None or quote.best_bid <= 0:
        return False
    return quote.strike > spot if quote.kind == "call" else quote.strike < spot


def _otm_distance(quote: ChainQuote, spot: Decimal) -> Decimal:
    return abs(quote.strike - spot)


def _pick(candidates: list[ChainQuote], key: Callable[[ChainQuote], tuple]) -> ChainQuote | None:
    return min(candidates, key=key) if candidates else None


def select_strikes(chain: Iterable[ChainQuote], params: StrikeParams, spot: Decimal, *,
                   expiry: datetime | None = None) -> StrikeSelection | NoTrade:
    """The call and the put to sell, or NoTrade(code, message) saying why not.

    `chain` should hold one expiry; pass `expiry` to filter a mixed chain.
    """
    if spot <= 0:
        return NoTrade(code="bad_spot", message=f"spot must be positive, got {spot}")
    quotes = list(chain)
    if expiry is not None:
        quotes = [q for q in quotes if q.expiry == expiry]
    expiries = {q.expiry for q in quotes}
    if not quotes:
        return NoTrade(code="empty_chain", message="no option quotes for the chosen expiry")
    if len(expiries) > 1:
        return NoTrade(code="mixed_expiries", message="the chain mixes expiries; pass the expiry to use")
    the_expiry = next(iter(expiries))

    calls = [q for q in quotes if q.kind == "call" and _sellable(q, spot)]
    puts = [q for q in quotes if q.kind == "put" and _sellable(q, spot)]

    if params.strike_mode == "delta":
        call, put = _by_delta(calls, params), _by_delta(puts, params)
        band = f"|delta| in [{params.delta_low}, {params.delta_high}]"
    elif params.strike_mode == "premium":
        if params.premium_low is None or params.premium_high is None:
            return NoTrade(code="bad_params", message="premium mode needs premium_low and premium_high")
        call, put = _by_premium(calls, params, spot), _by_premium(puts, params, spot)
        band = f"bid strictly inside ({params.premium_low}, {params.premium_high})"
    elif params.strike_mode == "distance":
        if params.distance_pct is None or params.distance_pct <= 0:
            return NoTrade(code="bad_params", message="distance mode needs distance_pct > 0")
        call, put = _by_distance(calls, puts, params.distance_pct, spot)
        band = f"at least {params.distance_pct}% from spot {spot}"
    else:  # pragma: no cover
        return NoTrade(code="bad_params", message=f"unknown strike mode {params.strike_mode!r}")

    missing = [kind for kind, q in (("call", call), ("put", put)) if q is None]
    if missing:
        return NoTrade(code="no_strike_in_band",
                       message=f"no sellable out-of-the-money {' or '.join(missing)} with {band}")
    assert call is not None and put is not None
    return _selection(call, put, the_expiry, spot, params)


def _by_delta(candidates: list[ChainQuote], params: StrikeParams) -> ChainQuote | None:
    low, high = params.delta_low, params.delta_high
    inside = [q for q in candidates if low <= abs_delta(q) <= high]
    if params.delta_pick == "highest_in_band":
        return _pick(inside, lambda q: (-abs_delta(q), -abs(q.strike), q.symbol) if q.kind == "call"
                     else (-abs_delta(q), q.strike, q.symbol))
    centre = (low + high) / 2
    # further OTM = higher call strike / lower put strike
    return _pick(inside, lambda q: (abs(abs_delta(q) - centre), abs_delta(q),
                                    -q.strike if q.kind == "call" else q.strike, q.symbol))


def _by_premium(candidates: list[ChainQuote], params: StrikeParams, spot: Decimal) -> ChainQuote | None:
    low, high = params.premium_low, params.premium_high
    assert low is not None and high is not None
    inside = [q for q in candidates if q.best_bid is not None and low < q.best_bid < high]
    centre = (low + high) / 2
    return _pick(inside, lambda q: (abs((q.best_bid or Decimal(0)) - centre), -_otm_distance(q, spot), q.symbol))


def _by_distance(calls: list[ChainQuote], puts: list[ChainQuote], distance_pct: Decimal,
                 spot: Decimal) -> tuple[ChainQuote | None, ChainQuote | None]:
    call_floor = spot * (1 + distance_pct / HUNDRED)
    put_ceiling = spot * (1 - distance_pct / HUNDRED)
    call = _pick([q for q in calls if q.strike >= call_floor], lambda q: (q.strike, q.symbol))
    put = _pick([q for q in puts if q.strike <= put_ceiling], lambda q: (-q.strike, q.symbol))
    return call, put


def _selection(call: ChainQuote, put: ChainQuote, expiry: datetime, spot: Decimal,
               params: StrikeParams) -> StrikeSelection:
    assert call.best_bid is not None and put.best_bid is not None
    per_unit = call.best_bid + put.best_bid
    return StrikeSelection(
        call=call, put=put, expiry=expiry, spot=spot,
        credit_per_unit=per_unit,
        credit=per_unit * params.contract_value * params.quantity,
        breakeven_upper=call.strike + per_unit,
        breakeven_lower=put.strike - per_unit,
        max_loss_premium=per_unit * (1 + params.max_loss_pct / HUNDRED),
        take_profit_premium=per_unit * (1 - params.take_profit_pct / HUNDRED),
        quantity=params.quantity, contract_value=params.contract_value,
    )

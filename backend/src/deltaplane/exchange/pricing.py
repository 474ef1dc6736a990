"""Black-76 option pricing on the forward (pure functions, floats, no I/O).

Units: prices are in the same currency as the forward (USD per 1 underlying unit, as Delta
quotes marks); `t_years` is the time to expiry in years (ACT/365); `rate` is the continuously
compounded discount rate (0 for crypto options settled in cash). Greeks are with respect to
the forward: delta and gamma per 1 unit of forward, vega per 1.00 of vol (divide by 100 for a
vol point), theta per year of calendar time (divide by 365 for a day).
"""

from __future__ import annotations

import math
from typing import NamedTuple

SQRT2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SECONDS_PER_YEAR = 365.0 * 86400.0
_erf = math.erf
_exp = math.exp
_log = math.log
_sqrt = math.sqrt


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + _erf(x / SQRT2))


def norm_pdf(x: float) -> float:
    return INV_SQRT_2PI * _exp(-0.5 * x * x)


class Black76(NamedTuple):
    """Price and greeks of the call and the put at one strike (they share d1/d2)."""

    call: float
    put: float
    call_delta: float
    put_delta: float
    gamma: float
    vega: float  # per 1.00 vol
    call_theta: float  # per year
    put_theta: float  # per year


def black76(forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> Black76:
    """Call and put under Black-76; at or after expiry the intrinsic values (greeks at the limit)."""
    df = _exp(-rate * t_years) if rate else 1.0
    if t_years <= 0.0 or vol <= 0.0:
        call = max(forward - strike, 0.0) * df
        put = max(strike - forward, 0.0) * df
        itm = 1.0 if forward > strike else 0.0
        return Black76(call, put, df * itm, df * (itm - 1.0), 0.0, 0.0, rate * call, rate * put)
    sd = vol * _sqrt(t_years)
    d1 = (_log(forward / strike) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    nd1 = 0.5 * (1.0 + _erf(d1 / SQRT2))
    nd2 = 0.5 * (1.0 + _erf(d2 / SQRT2))
    pdf = INV_SQRT_2PI * _exp(-0.5 * d1 * d1)
    call = df * (forward * nd1 - strike * nd2)
    # parity instead of a second pair of cdfs: C - P = DF (F - K)
    put = call - df * (forward - strike)
    decay = -df * forward * pdf * vol / (2.0 * _sqrt(t_years))
    return Black76(
        call=call,
        put=put,
        call_delta=df * nd1,
        put_delta=df * (nd1 - 1.0),
        gamma=df * pdf / (forward * sd),
        vega=df * forward * pdf * _sqrt(t_years),
        call_theta=decay + rate * call,
        put_theta=decay + rate * put,
    )


def black76_price(kind: str, forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> float:
    result = black76(forward, strike, t_years, vol, rate)
    return result.call if kind == "call" else result.put


def black76_delta(kind: str, forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> float:
    result = black76(forward, strike, t_years, vol, rate)
    return result.call_delta if kind == "call" else result.put_delta


def black76_gamma(forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> float:
    return black76(forward, strike, t_years, vol, rate).gamma


def black76_vega(forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> float:
    return black76(forward, strike, t_years, vol, rate).vega


def black76_theta(kind: str, forward: float, strike: float, t_years: float, vol: float, rate: float = 0.0) -> float:
    result = black76(forward, strike, t_years, vol, rate)
    return result.call_theta if kind == "call" else result.put_theta


def smile_vol(atm_vol: float, forward: float, strike: float, t_years: float, *, skew: float = -0.05,
              curvature: float = 0.08, floor: float = 0.05, cap: float = 3.0) -> float:
    """Implied vol at `strike`: a quadratic smile in standardised log-moneyness.

    m = ln(K/F) / sqrt(T) keeps the smile comparable across expiries; the negative skew makes
    downside puts richer, as in crypto markets. Clamped so deep wings stay finite.
    """
    root_t = _sqrt(max(t_years, 1e-6))
    m = _log(strike / forward) / root_t
    m = max(-2.5, min(2.5, m))
    vol = atm_vol * (1.0 + skew * m + curvature * m * m)
    return min(cap, max(floor, vol))


def implied_vol(kind: str, price: float, forward: float, strike: float, t_years: float, rate: float = 0.0,
                *, low: float = 1e-4, high: float = 5.0, tol: float = 1e-10) -> float | None:
    """Invert Black-76 by bisection (robust, monotone in vol); None when no vol fits the price."""
    if t_years <= 0.0:
        return None
    lo_price = black76_price(kind, forward, strike, t_years, low, rate)
    hi_price = black76_price(kind, forward, strike, t_years, high, rate)
    if not lo_price - tol <= price <= hi_price + tol:
        return None
    for _ in range(200):
        mid = 0.5 * (low + high)
        if black76_price(kind, forward, strike, t_years, mid, rate) < price:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return 0.5 * (low + high)

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.exchange.pricing import black76, implied_vol, norm_cdf, smile_vol


def test_atm_zero_rate_textbook():
    # F = K = 100, sigma 20 %, 1 year: C = P = 100 (2 N(0.1) - 1) = 7.9656
    res = black76(100.0, 100.0, 1.0, 0.2)
    assert res.call == pytest.approx(7.965567, abs=1e-5)
    assert res.put == pytest.approx(res.call, abs=1e-12)


def test_haug_black76_example():
    # Haug, Complete Guide to Option Pricing Formulas: F=19, K=19, T=0.75, r=10 %, vol 28 % -> 1.7011
    res = black76(19.0, 19.0, 0.75, 0.28, rate=0.10)
    assert res.call == pytest.approx(1.7011, abs=1e-4)
    assert res.put == pytest.approx(1.7011, abs=1e-4)


def test_hull_black_scholes_equivalence():
    # Hull: S=42, K=40, r=10 %, vol 20 %, T=0.5 -> call 4.76, put 0.81 (BS = Black-76 on F = S e^{rT})
    forward = 42 * math.exp(0.10 * 0.5)
    res = black76(forward, 40.0, 0.5, 0.2, rate=0.10)
    assert res.call == pytest.approx(4.7594, abs=1e-3)
    assert res.put == pytest.approx(0.8086, abs=1e-3)


def test_hull_greeks_example():
    # Hull: S=49, K=50, r=5 %, vol 20 %, T=0.3846: delta 0.522, gamma 0.066, vega 12.1
    t, r = 0.3846, 0.05
    growth = math.exp(r * t)
    res = black76(49 * growth, 50.0, t, 0.2, rate=r)
    assert res.call == pytest.approx(2.40, abs=0.01)
    assert res.call_delta * growth == pytest.approx(0.522, abs=1e-3)  # dC/dS = dC/dF * dF/dS
    assert res.gamma * growth**2 == pytest.approx(0.066, abs=1e-3)
    assert res.vega == pytest.approx(12.1, abs=0.05)


@given(f=st.floats(1_000, 200_000), k_share=st.floats(0.6, 1.4), t=st.floats(0.001, 1.0), vol=st.floats(0.1, 1.5))
def test_greeks_match_finite_differences(f, k_share, t, vol):
    k = f * k_share
    res = black76(f, k, t, vol)
    h = f * 1e-4
    up, down = black76(f + h, k, t, vol), black76(f - h, k, t, vol)
    assert res.call_delta == pytest.approx((up.call - down.call) / (2 * h), abs=1e-4)
    assert res.put_delta == pytest.approx((up.put - down.put) / (2 * h), abs=1e-4)
    scale = max(res.gamma, 1e-9)
    assert (up.call - 2 * res.call + down.call) / h**2 == pytest.approx(res.gamma, rel=1e-2, abs=scale * 1e-2 + 1e-9)
    dv = 1e-5
    assert res.vega == pytest.approx((black76(f, k, t, vol + dv).call - black76(f, k, t, vol - dv).call) / (2 * dv),
                                     rel=1e-4, abs=1e-6 * f)
    dt = t * 1e-5
    theta_fd = -(black76(f, k, t + dt, vol).call - black76(f, k, t - dt, vol).call) / (2 * dt)
    assert res.call_theta == pytest.approx(theta_fd, rel=1e-3, abs=1e-6 * f)


@given(f=st.floats(100, 200_000), k_share=st.floats(0.5, 1.5), t=st.floats(0.0, 2.0), vol=st.floats(0.05, 2.0),
       r=st.floats(0.0, 0.1))
def test_put_call_parity_and_bounds(f, k_share, t, vol, r):
    k = f * k_share
    res = black76(f, k, t, vol, r)
    df = math.exp(-r * t)
    assert res.call - res.put == pytest.approx(df * (f - k), abs=1e-9 * f)
    assert res.call >= df * max(f - k, 0) - 1e-9 * f
    assert res.put >= -1e-9 * f
    assert 0.0 <= res.call_delta <= 1.0 and -1.0 <= res.put_delta <= 0.0


def test_expired_is_intrinsic():
    res = black76(100.0, 90.0, 0.0, 0.5)
    assert (res.call, res.put, res.call_delta) == (10.0, 0.0, 1.0)


def test_implied_vol_inverts_price():
    price = black76(90_000.0, 95_000.0, 7 / 365, 0.6).call
    assert implied_vol("call", price, 90_000.0, 95_000.0, 7 / 365) == pytest.approx(0.6, abs=1e-7)
    assert implied_vol("call", -1.0, 100.0, 100.0, 1.0) is None
    assert norm_cdf(0.0) == 0.5


def test_smile_is_atm_at_the_money_and_richer_in_the_wings():
    atm = smile_vol(0.5, 100.0, 100.0, 0.1)
    assert atm == pytest.approx(0.5)
    assert smile_vol(0.5, 100.0, 80.0, 0.1) > atm
    assert smile_vol(0.5, 100.0, 80.0, 0.1) > smile_vol(0.5, 100.0, 120.0, 0.1)  # downside skew

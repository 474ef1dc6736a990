from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deltaplane.strategy.rules.execution import (
    execution_step,
    limit_price_for_attempt,
    round_to_tick,
    should_market_fallback,
    slippage_bound,
    touch_price,
)

TICK = D("0.5")


def test_sell_walk() -> None:
    prices = [limit_price_for_attempt("sell", D(100), D(110), D(105), k, 3, D(5), TICK) for k in range(4)]
    assert prices == [D(100), D("97.5"), D(95), D(95)]  # clamped after the last attempt


def test_buy_walk() -> None:
    prices = [limit_price_for_attempt("buy", D(100), D(110), D(105), k, 3, D(5), TICK) for k in range(3)]
    assert prices == [D(110), D("112.5"), D("115.5")]  # 115.5 is the bound exactly


def test_rounding_never_breaks_the_bound() -> None:
    # sell: 100 - 3 % = 97 -> 97.0 on a 0.5 grid; 100 - 3.3 % = 96.7 -> rounds UP to 97
    assert limit_price_for_attempt("sell", D(100), None, None, 1, 2, D("3.3"), TICK) == D(97)
    # buy: 100 + 3.3 % = 103.3 -> rounds DOWN to 103
    assert limit_price_for_attempt("buy", None, D(100), None, 1, 2, D("3.3"), TICK) == D(103)


def test_anchor_holds_when_the_market_runs() -> None:
    # the bid fell to 80 but the walk stays anchored to the first touch (100)
    assert limit_price_for_attempt("sell", D(80), D(90), D(85), 2, 3, D(5), TICK, anchor_price=D(100)) == D(95)


def test_single_attempt_and_zero_slippage() -> None:
    assert limit_price_for_attempt("sell", D(100), D(101), None, 0, 1, D(5), TICK) == D(100)
    assert limit_price_for_attempt("sell", D(100), D(101), None, 5, 3, D(0), TICK) == D(100)


def test_missing_quotes() -> None:
    assert touch_price("sell", None, D(10), D(9)) == D(9)
    assert touch_price("buy", D(8), D(0), D(9)) == D(9)
    with pytest.raises(ValueError):
        touch_price("sell", None, None, None)
    with pytest.raises(ValueError):
        limit_price_for_attempt("sell", D(1), D(2), None, -1, 3, D(5), TICK)
    with pytest.raises(ValueError):
        limit_price_for_attempt("sell", D(1), D(2), None, 0, 0, D(5), TICK)
    with pytest.raises(ValueError):
        round_to_tick(D(1), D(0), "buy")


def test_never_below_one_tick() -> None:
    assert limit_price_for_attempt("sell", D("0.5"), D(1), None, 1, 2, D(50), TICK) == D("0.5")


@pytest.mark.parametrize(("kw", "expected"), [
    ({"filled": True, "attempts_made": 0, "limit_attempts": 3, "market_fallback": True}, "done"),
    ({"filled": False, "attempts_made": 0, "limit_attempts": 3, "market_fallback": True}, "limit"),
    ({"filled": False, "attempts_made": 2, "limit_attempts": 3, "market_fallback": False}, "limit"),
    ({"filled": False, "attempts_made": 3, "limit_attempts": 3, "market_fallback": True}, "market"),
    ({"filled": False, "attempts_made": 3, "limit_attempts": 3, "market_fallback": False}, "give_up"),
    ({"filled": False, "attempts_made": 0, "limit_attempts": 3, "market_fallback": False, "urgent": True}, "market"),
    ({"filled": True, "attempts_made": 0, "limit_attempts": 3, "market_fallback": False, "urgent": True}, "done"),
])
def test_execution_step(kw, expected) -> None:
    assert execution_step(**kw) == expected


def test_should_market_fallback() -> None:
    assert should_market_fallback(attempts_made=3, limit_attempts=3, unfilled_size=2, market_fallback=True)
    assert not should_market_fallback(attempts_made=3, limit_attempts=3, unfilled_size=0, market_fallback=True)
    assert not should_market_fallback(attempts_made=2, limit_attempts=3, unfilled_size=2, market_fallback=True)
    assert not should_market_fallback(attempts_made=3, limit_attempts=3, unfilled_size=2, market_fallback=False)
    assert should_market_fallback(attempts_made=0, limit_attempts=3, unfilled_size=2, market_fallback=False, urgent=True)


ticks = st.sampled_from([D("0.1"), D("0.5"), D(1), D(5)])


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["buy", "sell"]), st.integers(min_value=1, max_value=20000), ticks,
       st.integers(min_value=1, max_value=10), st.decimals(min_value=D(0), max_value=D(50), places=2))
def test_walk_properties(side, touch_ticks, tick, attempts, slip) -> None:
    touch = touch_ticks * tick
    bid, ask = (touch, touch + tick) if side == "sell" else (touch - tick, touch)
    prices = [limit_price_for_attempt(side, bid, ask, None, k, attempts, slip, tick) for k in range(attempts + 2)]
    bound = slippage_bound(side, touch, slip)
    assert prices[0] == touch
    for p in prices:
        assert (p / tick) == (p / tick).to_integral_value()  # on the grid
        assert p > 0
        if side == "sell":
            assert bound <= p <= touch or p == tick
        else:
            assert touch <= p <= bound
    pairs = list(zip(prices, prices[1:], strict=False))
    if side == "sell":
        assert all(b <= a for a, b in pairs)
    else:
        assert all(b >= a for a, b in pairs)

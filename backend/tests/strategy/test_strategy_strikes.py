from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st
from strategy_factories import EXPIRY, cfg, quote

from deltaplane.strategy.rules.outcomes import NoTrade
from deltaplane.strategy.rules.strikes import (
    ChainQuote,
    StrikeParams,
    StrikeSelection,
    abs_delta,
    select_strikes,
    strike_params_from_config,
)

SPOT = D(100000)


def chain() -> list[ChainQuote]:
    return [
        quote("call", 102000, 0.30, "900"), quote("call", 104000, 0.18, "500"),
        quote("call", 105000, 0.14, "350"), quote("call", 106000, 0.12, "250"),
        quote("call", 107000, 0.09, "150"), quote("call", 98000, 0.70, "2500"),
        quote("put", 98000, -0.29, "850"), quote("put", 96000, -0.16, "420"),
        quote("put", 95000, -0.125, "300"), quote("put", 94000, -0.11, "220"),
        quote("put", 93000, -0.08, "120"), quote("put", 102000, -0.72, "2600"),
    ]


def params(**kw) -> StrikeParams:
    base = {"strike_mode": "delta", "quantity": 10, "contract_value": D("0.001")}
    base.update(kw)
    return StrikeParams(**base)


def test_delta_band_centre() -> None:
    sel = select_strikes(chain(), params(), SPOT)
    assert isinstance(sel, StrikeSelection)
    # centre 0.125: call 0.12 (distance .005) beats 0.14 (.015); put -0.125 is exact
    assert (sel.call.strike, sel.put.strike) == (D(106000), D(95000))
    assert sel.credit_per_unit == D(550)
    assert sel.credit == D(550) * D("0.001") * 10
    assert sel.breakeven_upper == D(106550) and sel.breakeven_lower == D(94450)
    assert sel.max_loss_premium == D(825)  # 550 x 1.5
    assert sel.take_profit_premium == D(220)  # 550 x 0.4
    assert sel.expiry == EXPIRY


def test_delta_highest_in_band() -> None:
    sel = select_strikes(chain(), params(delta_pick="highest_in_band"), SPOT)
    assert isinstance(sel, StrikeSelection)
    assert (sel.call.strike, sel.put.strike) == (D(105000), D(95000))


def test_band_edges_are_inclusive() -> None:
    sel = select_strikes(chain(), params(delta_low=D("0.14"), delta_high=D("0.16")), SPOT)
    assert isinstance(sel, StrikeSelection)
    assert abs_delta(sel.call) == D("0.14") and abs_delta(sel.put) == D("0.16")


def test_empty_band_is_no_trade() -> None:
    got = select_strikes(chain(), params(delta_low=D("0.40"), delta_high=D("0.45")), SPOT)
    assert isinstance(got, NoTrade) and got.code == "no_strike_in_band"
    assert "call or put" in got.message


def test_one_side_missing_is_no_trade() -> None:
    only_calls = [q for q in chain() if q.kind == "call"]
    got = select_strikes(only_calls, params(), SPOT)
    assert isinstance(got, NoTrade) and "put" in got.message and "call or" not in got.message


def test_itm_and_unbid_options_are_never_sold() -> None:
    # an ITM call with a band delta (odd, but possible in a skewed chain) and a band put with no bid
    weird = [quote("call", 99000, 0.12, "100"), quote("put", 95000, -0.12, None), quote("put", 94000, -0.13, "0")]
    got = select_strikes(weird, params(), SPOT)
    assert isinstance(got, NoTrade)


def test_tie_break_is_deterministic_and_prefers_further_otm() -> None:
    q = [quote("call", 105000, 0.12, "300"), quote("call", 106000, 0.13, "250"),
         quote("put", 95000, -0.12, "300"), quote("put", 94000, -0.13, "250")]
    a = select_strikes(q, params(), SPOT)
    b = select_strikes(list(reversed(q)), params(), SPOT)
    assert a == b and isinstance(a, StrikeSelection)
    assert a.call.strike == D(105000)  # same distance to centre: smaller |delta| wins
    same = [quote("call", 105000, 0.12, "300"), quote("call", 106000, 0.12, "250"),
            quote("put", 95000, -0.12, "300"), quote("put", 94000, -0.12, "250")]
    s = select_strikes(same, params(delta_pick="highest_in_band"), SPOT)
    assert isinstance(s, StrikeSelection) and (s.call.strike, s.put.strike) == (D(106000), D(94000))


def test_premium_mode_strictly_inside() -> None:
    p = params(strike_mode="premium", premium_low=D(250), premium_high=D(450))
    sel = select_strikes(chain(), p, SPOT)
    assert isinstance(sel, StrikeSelection)
    assert sel.call.best_bid == D(350) and sel.put.best_bid in (D(300), D(420))
    assert D(250) < sel.put.best_bid < D(450)
    # bounds are exclusive: a band exactly [250, 350] admits nothing strictly inside on the call side
    none = select_strikes(chain(), params(strike_mode="premium", premium_low=D(250), premium_high=D(350)), SPOT)
    assert isinstance(none, NoTrade)
    assert isinstance(select_strikes(chain(), params(strike_mode="premium"), SPOT), NoTrade)


def test_distance_mode_nearest_beyond_distance() -> None:
    sel = select_strikes(chain(), params(strike_mode="distance", distance_pct=D(5)), SPOT)
    assert isinstance(sel, StrikeSelection)
    assert (sel.call.strike, sel.put.strike) == (D(105000), D(95000))
    sel = select_strikes(chain(), params(strike_mode="distance", distance_pct=D("5.5")), SPOT)
    assert isinstance(sel, StrikeSelection) and (sel.call.strike, sel.put.strike) == (D(106000), D(94000))
    far = select_strikes(chain(), params(strike_mode="distance", distance_pct=D(20)), SPOT)
    assert isinstance(far, NoTrade)


def test_chain_hygiene() -> None:
    assert isinstance(select_strikes([], params(), SPOT), NoTrade)
    assert isinstance(select_strikes(chain(), params(), D(0)), NoTrade)
    from datetime import timedelta

    other = [quote("call", 105000, 0.12, "300", expiry=EXPIRY + timedelta(days=1))]
    mixed = select_strikes(chain() + other, params(), SPOT)
    assert isinstance(mixed, NoTrade) and mixed.code == "mixed_expiries"
    assert isinstance(select_strikes(chain() + other, params(), SPOT, expiry=EXPIRY), StrikeSelection)


def test_params_from_config() -> None:
    p = strike_params_from_config(cfg(quantity=3, delta_pick="highest_in_band"), contract_value=D("0.01"))
    assert (p.quantity, p.contract_value, p.delta_pick, p.strike_mode) == (3, D("0.01"), "highest_in_band", "delta")


# ---------------------------------------------------------------- properties

deltas = st.decimals(min_value=D("0.01"), max_value=D("0.60"), places=3)
bids = st.one_of(st.none(), st.decimals(min_value=D("0"), max_value=D("3000"), places=1))


@st.composite
def chains(draw) -> list[ChainQuote]:
    quotes = []
    for kind in ("call", "put"):
        strikes = draw(st.lists(st.integers(min_value=80, max_value=120), min_size=0, max_size=12, unique=True))
        for k in strikes:
            d = float(draw(deltas))
            quotes.append(quote(kind, k * 1000, d if kind == "call" else -d, draw(bids)))
    return draw(st.permutations(quotes))


bands = st.tuples(st.decimals(min_value=D("0.01"), max_value=D("0.5"), places=2),
                  st.decimals(min_value=D("0.01"), max_value=D("0.3"), places=2)).map(lambda t: (t[0], t[0] + t[1]))


@settings(max_examples=300, deadline=None)
@given(chains(), bands, st.sampled_from(["band_centre", "highest_in_band"]))
def test_delta_selection_properties(quotes: list[ChainQuote], band, pick) -> None:
    low, high = band
    p = params(delta_low=low, delta_high=high, delta_pick=pick)
    got = select_strikes(quotes, p, SPOT)
    assert select_strikes(list(reversed(quotes)), p, SPOT) == got  # order-independent, deterministic
    eligible = {kind: [q for q in quotes if q.kind == kind and low <= abs_delta(q) <= high
                       and q.best_bid and q.best_bid > 0
                       and (q.strike > SPOT if kind == "call" else q.strike < SPOT)] for kind in ("call", "put")}
    if not eligible["call"] or not eligible["put"]:
        assert isinstance(got, NoTrade)
        return
    assert isinstance(got, StrikeSelection)
    for leg in (got.call, got.put):
        assert low <= abs_delta(leg) <= high
    assert got.call.strike > SPOT > got.put.strike
    assert got.credit_per_unit > 0 and got.breakeven_upper > got.call.strike and got.breakeven_lower < got.put.strike
    if pick == "highest_in_band":
        assert abs_delta(got.call) == max(abs_delta(q) for q in eligible["call"])
    else:
        centre = (low + high) / 2
        assert abs(abs_delta(got.put) - centre) == min(abs(abs_delta(q) - centre) for q in eligible["put"])


@settings(max_examples=200, deadline=None)
@given(chains(), st.decimals(min_value=D(1), max_value=D(2000), places=0), st.decimals(min_value=D(1), max_value=D(1500), places=0))
def test_premium_selection_strictly_inside(quotes, low, width) -> None:
    high = low + width
    got = select_strikes(quotes, params(strike_mode="premium", premium_low=low, premium_high=high), SPOT)
    if isinstance(got, StrikeSelection):
        for leg in (got.call, got.put):
            assert leg.best_bid is not None and low < leg.best_bid < high
        assert got.call.strike > SPOT > got.put.strike


@settings(max_examples=200, deadline=None)
@given(chains(), st.decimals(min_value=D("0.5"), max_value=D(25), places=1))
def test_distance_selection_bounds(quotes, dist) -> None:
    got = select_strikes(quotes, params(strike_mode="distance", distance_pct=dist), SPOT)
    if isinstance(got, StrikeSelection):
        assert got.call.strike >= SPOT * (1 + dist / 100)
        assert got.put.strike <= SPOT * (1 - dist / 100)

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from deltaplane.exchange.fees import OptionFeeSchedule, option_fee

CV = Decimal("0.001")


def test_fee_is_rate_on_notional_when_below_cap():
    # notional = 90,000 x 0.001 x 10 = 900 -> 0.03 % = 0.27; premium = 1,000 x 0.001 x 10 = 10 -> cap 0.35
    assert option_fee(spot=Decimal(90000), price=Decimal(1000), contract_value=CV, size=10) == Decimal("0.27")


def test_fee_is_capped_at_share_of_premium_for_cheap_options():
    # premium = 5 x 0.001 x 10 = 0.05 -> cap 3.5 % = 0.00175 < 0.27
    assert option_fee(spot=Decimal(90000), price=Decimal(5), contract_value=CV, size=10) == Decimal("0.00175")


def test_schedule_is_configurable():
    schedule = OptionFeeSchedule(rate=Decimal("0.0005"), cap_share=Decimal("0.10"))
    assert option_fee(spot=Decimal(90000), price=Decimal(1000), contract_value=CV, size=10,
                      schedule=schedule) == Decimal("0.45")


@given(spot=st.decimals(min_value=1, max_value=500_000, places=2),
       price=st.decimals(min_value=0, max_value=50_000, places=2),
       size=st.integers(min_value=-1000, max_value=1000),
       cv=st.sampled_from([Decimal("0.001"), Decimal("0.01")]),
       rate=st.decimals(min_value=0, max_value=Decimal("0.01"), places=5),
       cap=st.decimals(min_value=0, max_value=Decimal("0.5"), places=4))
def test_fee_invariants(spot, price, size, cv, rate, cap):
    schedule = OptionFeeSchedule(rate=rate, cap_share=cap)
    fee = option_fee(spot=spot, price=price, contract_value=cv, size=size, schedule=schedule)
    premium = price * cv * abs(size)
    assert fee >= 0
    assert fee <= cap * premium + Decimal("0.000000005")  # quantized to 1e-8
    assert fee <= rate * spot * cv * abs(size) + Decimal("0.000000005")

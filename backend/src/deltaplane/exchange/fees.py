"""Delta Exchange options fee model (pure).

fee = min(rate x notional, cap_share x premium), where
notional = spot x contract_value x size and premium = price x contract_value x size.
The cap keeps cheap far-OTM options from paying more in fees than they cost.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import msgspec

FEE_QUANTUM = Decimal("0.00000001")


class OptionFeeSchedule(msgspec.Struct, frozen=True, kw_only=True):
    rate: Decimal = Decimal("0.0003")  # 0.03 % of notional
    cap_share: Decimal = Decimal("0.035")  # 3.5 % of premium


DEFAULT_OPTION_FEES = OptionFeeSchedule()


def option_notional(spot: Decimal, contract_value: Decimal, size: int) -> Decimal:
    return spot * contract_value * abs(size)


def option_premium(price: Decimal, contract_value: Decimal, size: int) -> Decimal:
    return price * contract_value * abs(size)


def option_fee(*, spot: Decimal, price: Decimal, contract_value: Decimal, size: int,
               schedule: OptionFeeSchedule = DEFAULT_OPTION_FEES) -> Decimal:
    """Commission in USD for trading `size` contracts at `price`; never negative, never above the cap."""
    by_notional = schedule.rate * option_notional(spot, contract_value, size)
    cap = schedule.cap_share * option_premium(price, contract_value, size)
    fee = max(Decimal(0), min(by_notional, cap))
    return fee.quantize(FEE_QUANTUM, rounding=ROUND_HALF_UP) if fee else Decimal(0)

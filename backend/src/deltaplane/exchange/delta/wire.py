"""Delta REST/WS wire schemas (msgspec) and conversions to and from the protocol types.

Decoding is lenient where Delta is: decimals arrive as strings, sizes sometimes as strings,
booleans sometimes as "true"/"false", timestamps as µs integers or ISO text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec

from deltaplane.exchange.protocol import (
    Balance,
    Fill,
    Instrument,
    Order,
    Position,
    Ticker,
    parse_option_symbol,
)


class ErrorBody(msgspec.Struct, kw_only=True):
    code: str = "unknown"
    context: dict[str, Any] | None = None


class Envelope(msgspec.Struct, kw_only=True):
    success: bool = False
    result: Any = None
    error: ErrorBody | str | None = None
    message: str | None = None
    meta: dict[str, Any] | None = None


class UnderlyingAssetWire(msgspec.Struct, kw_only=True):
    symbol: str


class ProductWire(msgspec.Struct, kw_only=True):
    id: int
    symbol: str
    contract_type: str
    strike_price: Decimal | None = None
    settlement_time: str | None = None
    contract_value: Decimal = Decimal(0)
    tick_size: Decimal = Decimal(0)
    state: str = "live"
    trading_status: str | None = None
    underlying_asset: UnderlyingAssetWire | None = None


class GreeksWire(msgspec.Struct, kw_only=True):
    delta: Decimal | None = None
    gamma: Decimal | None = None
    rho: Decimal | None = None
    theta: Decimal | None = None
    vega: Decimal | None = None


class QuotesWire(msgspec.Struct, kw_only=True):
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    bid_size: Decimal | None = None
    ask_size: Decimal | None = None
    bid_iv: Decimal | None = None
    ask_iv: Decimal | None = None
    mark_iv: Decimal | None = None


class TickerWire(msgspec.Struct, kw_only=True):
    symbol: str
    product_id: int | None = None
    strike_price: Decimal | None = None
    spot_price: Decimal | None = None
    mark_price: Decimal | None = None
    mark_vol: Decimal | None = None
    oi: Decimal | None = None
    greeks: GreeksWire | None = None
    quotes: QuotesWire | None = None
    timestamp: int | None = None  # µs


class OrderWire(msgspec.Struct, kw_only=True):
    id: int
    product_id: int | None = None
    product_symbol: str | None = None
    size: int
    unfilled_size: int = 0
    side: str
    order_type: str = "limit_order"
    limit_price: Decimal | None = None
    average_fill_price: Decimal | None = None
    state: str
    time_in_force: str | None = "gtc"
    reduce_only: bool | str = False
    client_order_id: str | None = None
    paid_commission: Decimal | None = None
    created_at: str | int | None = None


class PositionWire(msgspec.Struct, kw_only=True):
    product_id: int | None = None
    product_symbol: str | None = None
    size: int = 0
    entry_price: Decimal | None = None
    realized_pnl: Decimal | None = None


class BalanceWire(msgspec.Struct, kw_only=True):
    asset_symbol: str
    balance: Decimal
    available_balance: Decimal | None = None


class FillWire(msgspec.Struct, kw_only=True):
    id: int
    order_id: int | str | None = None
    client_order_id: str | None = None
    product_symbol: str
    side: str
    size: int
    price: Decimal
    commission: Decimal = Decimal(0)
    created_at: str | int | None = None
    role: str = "taker"


def convert(obj: Any, typ: type) -> Any:
    """Lenient conversion of decoded JSON into a wire struct (strings -> numbers allowed)."""
    return msgspec.convert(obj, typ, strict=False)


def parse_time(value: str | int | float | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        seconds = number / 1e6 if number > 1e14 else number / 1e3 if number > 1e11 else number
        return datetime.fromtimestamp(seconds, UTC)
    text = value.replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _bool(value: bool | str) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _f(value: Decimal | None) -> float:
    return float(value) if value is not None else 0.0


# --- wire -> protocol ------------------------------------------------------------------------------

def instrument_from_wire(p: ProductWire) -> Instrument | None:
    if p.contract_type not in ("call_options", "put_options"):
        return None
    try:
        kind, underlying, strike, expiry = parse_option_symbol(p.symbol)
    except ValueError:
        return None
    settlement = parse_time(p.settlement_time) or expiry
    return Instrument(symbol=p.symbol, product_id=p.id,
                      underlying=p.underlying_asset.symbol if p.underlying_asset else underlying,
                      kind="call" if p.contract_type == "call_options" else "put",
                      strike=p.strike_price if p.strike_price is not None else strike, expiry=settlement,
                      contract_value=p.contract_value, tick_size=p.tick_size)


def ticker_from_wire(t: TickerWire, source: str = "rest") -> Ticker:
    q = t.quotes or QuotesWire()
    g = t.greeks or GreeksWire()
    iv = q.mark_iv if q.mark_iv is not None else t.mark_vol
    iv_f = _f(iv)
    if iv_f > 5:  # some payloads give vol in percent
        iv_f /= 100.0
    return Ticker(symbol=t.symbol, product_id=t.product_id, mark=t.mark_price or Decimal(0),
                  best_bid=q.best_bid if q.best_bid else None, best_ask=q.best_ask if q.best_ask else None,
                  bid_size=int(q.bid_size or 0), ask_size=int(q.ask_size or 0),
                  delta=_f(g.delta), gamma=_f(g.gamma), theta=_f(g.theta), vega=_f(g.vega), mark_iv=iv_f,
                  spot=t.spot_price or Decimal(0),
                  timestamp=parse_time(t.timestamp) or datetime.now(UTC), source=source)


def ticker_from_ws(msg: dict[str, Any]) -> list[Ticker]:
    """Both socket shapes: the compact `ticker` message of the new public endpoint
    ({"type":"ticker","sy","sp","ts","d":[{"s","m","g":[δ,γ,ρ,θ,ν],"q":[ask,ask_size,bid,bid_size,mid]}]})
    and the verbose legacy `v2/ticker` message (REST ticker fields at the top level)."""
    if "d" not in msg:
        return [ticker_from_wire(convert(msg, TickerWire), source="ws")]
    out = []
    stamp = parse_time(msg.get("ts")) or datetime.now(UTC)
    for entry in msg.get("d") or []:
        symbol = entry.get("s") or msg.get("sy")
        if not symbol:
            continue
        greeks = [Decimal(str(x)) if x not in (None, "") else None for x in (entry.get("g") or [])] + [None] * 5
        quotes = list(entry.get("q") or []) + [None] * 5
        ask, ask_size, bid, bid_size = (None if v in (None, "") else Decimal(str(v)) for v in quotes[:4])
        iv_raw = entry.get("iv")
        iv = float(iv_raw) if iv_raw not in (None, "") else 0.0
        out.append(Ticker(symbol=symbol, product_id=entry.get("i") if isinstance(entry.get("i"), int) else None,
                          mark=Decimal(str(entry.get("m") or 0)), best_bid=bid or None, best_ask=ask or None,
                          bid_size=int(bid_size or 0), ask_size=int(ask_size or 0),
                          delta=_f(greeks[0]), gamma=_f(greeks[1]), theta=_f(greeks[3]), vega=_f(greeks[4]),
                          mark_iv=iv / 100.0 if iv > 5 else iv,
                          spot=Decimal(str(entry.get("sp") or msg.get("sp") or 0)), timestamp=stamp, source="ws"))
    return out


_ORDER_TYPES = {"limit_order": "limit", "market_order": "market"}


def order_from_wire(o: OrderWire, symbol_by_product: dict[int, str] | None = None) -> Order:
    symbol = o.product_symbol or (symbol_by_product or {}).get(o.product_id or -1, "")
    return Order(id=o.id, client_order_id=o.client_order_id, symbol=symbol, side=o.side, size=o.size,
                 unfilled_size=o.unfilled_size, state=o.state, order_type=_ORDER_TYPES.get(o.order_type, "limit"),
                 limit_price=o.limit_price, time_in_force=o.time_in_force or "gtc",
                 average_fill_price=o.average_fill_price, paid_commission=o.paid_commission or Decimal(0),
                 reduce_only=_bool(o.reduce_only), created_at=parse_time(o.created_at), product_id=o.product_id)


def position_from_wire(p: PositionWire, symbol_by_product: dict[int, str] | None = None) -> Position:
    symbol = p.product_symbol or (symbol_by_product or {}).get(p.product_id or -1, "")
    return Position(symbol=symbol, size=p.size, entry_price=p.entry_price, realized_pnl=p.realized_pnl or Decimal(0),
                    product_id=p.product_id)


def balance_from_wire(b: BalanceWire) -> Balance:
    return Balance(asset=b.asset_symbol, balance=b.balance,
                   available_balance=b.available_balance if b.available_balance is not None else b.balance)


def fill_from_wire(f: FillWire) -> Fill:
    order_id = int(f.order_id) if f.order_id not in (None, "") else None
    return Fill(id=f.id, order_id=order_id, client_order_id=f.client_order_id, symbol=f.product_symbol,
                side=f.side, size=f.size, price=f.price, commission=f.commission,
                created_at=parse_time(f.created_at) or datetime.now(UTC), role=f.role)


# --- protocol -> wire (used by the fake server) ------------------------------------------------------

def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def product_to_wire(i: Instrument, state: str = "live") -> dict[str, Any]:
    return {"id": i.product_id, "symbol": i.symbol,
            "contract_type": "call_options" if i.kind == "call" else "put_options",
            "strike_price": _s(i.strike), "settlement_time": i.expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "contract_value": _s(i.contract_value), "tick_size": _s(i.tick_size), "state": state,
            "trading_status": "operational", "underlying_asset": {"symbol": i.underlying}}


def ticker_to_wire(t: Ticker, strike: Decimal | None = None) -> dict[str, Any]:
    return {"symbol": t.symbol, "product_id": t.product_id, "strike_price": _s(strike), "spot_price": _s(t.spot),
            "mark_price": _s(t.mark), "mark_vol": f"{t.mark_iv:.6f}", "oi": "0",
            "greeks": {"delta": f"{t.delta:.6f}", "gamma": f"{t.gamma:.8f}", "rho": "0",
                       "theta": f"{t.theta:.6f}", "vega": f"{t.vega:.6f}"},
            "quotes": {"best_bid": _s(t.best_bid), "best_ask": _s(t.best_ask), "bid_size": str(t.bid_size),
                       "ask_size": str(t.ask_size), "bid_iv": None, "ask_iv": None,
                       "mark_iv": f"{t.mark_iv:.6f}"},
            "timestamp": to_micros(t.timestamp)}


def ticker_to_ws_compact(tickers: list[Ticker]) -> dict[str, Any]:
    stamp = to_micros(tickers[0].timestamp) if tickers else 0
    return {"type": "ticker", "ts": stamp, "sp": _s(tickers[0].spot) if tickers else None,
            "d": [{"s": t.symbol, "i": t.product_id, "m": _s(t.mark), "sp": _s(t.spot), "iv": f"{t.mark_iv:.6f}",
                   "g": [f"{t.delta:.6f}", f"{t.gamma:.8f}", "0", f"{t.theta:.6f}", f"{t.vega:.6f}"],
                   "q": [_s(t.best_ask), t.ask_size, _s(t.best_bid), t.bid_size, _s(t.mark)]} for t in tickers]}


def order_to_wire(o: Order) -> dict[str, Any]:
    return {"id": o.id, "product_id": o.product_id, "product_symbol": o.symbol, "size": o.size,
            "unfilled_size": o.unfilled_size, "side": o.side,
            "order_type": "market_order" if o.order_type == "market" else "limit_order",
            "limit_price": _s(o.limit_price), "average_fill_price": _s(o.average_fill_price), "state": o.state,
            "time_in_force": o.time_in_force, "reduce_only": o.reduce_only, "client_order_id": o.client_order_id,
            "paid_commission": _s(o.paid_commission),
            "created_at": o.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if o.created_at else None}


def position_to_wire(p: Position) -> dict[str, Any]:
    return {"product_id": p.product_id, "product_symbol": p.symbol, "size": p.size,
            "entry_price": _s(p.entry_price), "realized_pnl": _s(p.realized_pnl)}


def balance_to_wire(b: Balance) -> dict[str, Any]:
    return {"asset_symbol": b.asset, "balance": _s(b.balance), "available_balance": _s(b.available_balance)}


def fill_to_wire(f: Fill) -> dict[str, Any]:
    return {"id": f.id, "order_id": str(f.order_id) if f.order_id is not None else None,
            "client_order_id": f.client_order_id, "product_symbol": f.symbol, "side": f.side, "size": f.size, "price": _s(f.price), "commission": _s(f.commission),
            "created_at": to_micros(f.created_at), "role": f.role}

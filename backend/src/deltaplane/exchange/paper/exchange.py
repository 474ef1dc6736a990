"""PaperExchange: a seeded, deterministic simulated Delta account behind the Exchange protocol."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from deltaplane.exchange.clock import Clock, SimulatedClock
from deltaplane.exchange.errors import NotFound, OrderRejected
from deltaplane.exchange.fees import OptionFeeSchedule, option_fee
from deltaplane.exchange.paper.market import (
    MarketSimulator,
    PaperConfig,
    QuoteBook,
    depth_levels,
    listed_expiries,
    strike_grid,
    year_fraction,
)
from deltaplane.exchange.paper.store import PaperStateStore
from deltaplane.exchange.protocol import (
    Balance,
    Fill,
    Instrument,
    Order,
    OrderRequest,
    Position,
    Ticker,
    option_symbol,
    parse_option_symbol,
)

log = logging.getLogger("deltaplane.exchange.paper")
SNAPSHOT_VERSION = 1
ZERO = Decimal(0)


def product_id_for(symbol: str) -> int:
    """Stable id per symbol (same across restarts and processes)."""
    return zlib.crc32(symbol.encode()) & 0x7FFFFFFF


class _PositionBook(msgspec.Struct, kw_only=True):
    symbol: str
    size: int = 0
    entry_price: Decimal | None = None
    realized_pnl: Decimal = ZERO


class PaperExchange:
    name = "paper"

    def __init__(self, config: PaperConfig | None = None, *, clock: Clock | None = None,
                 store: PaperStateStore | None = None):
        self.config = config or PaperConfig()
        self.clock: Clock = clock or SimulatedClock()
        self.store = store
        self.fees = OptionFeeSchedule(rate=self.config.fee_rate, cap_share=self.config.fee_cap_share)
        self.market = MarketSimulator(self.config, self.clock.now())
        self.quotes = QuoteBook(self.config)
        self.balance = self.config.initial_balance
        self.orders: dict[int, Order] = {}
        self.order_ids_by_client_id: dict[str, int] = {}
        self.book: dict[str, _PositionBook] = {}
        self.fill_log: list[Fill] = []
        self.next_order_id = 1
        self.next_fill_id = 1
        self._forced_partial: int | None = None
        self._consumed: dict[tuple[str, str], tuple[int, int]] = {}  # (symbol, side) -> (step, qty)
        self._dirty = False
        self._save_lock = asyncio.Lock()
        self._grid_cache: dict[tuple[str, datetime, int], list[int]] = {}

    # --- lifecycle / persistence ----------------------------------------------------------------

    @classmethod
    async def open(cls, config: PaperConfig | None = None, *, clock: Clock | None = None,
                   store: PaperStateStore | None = None) -> PaperExchange:
        """Build and restore the saved account (if any) from `store`."""
        exchange = cls(config, clock=clock, store=store)
        if store is not None:
            snapshot = await store.load()
            if snapshot:
                exchange.restore(snapshot)
                log.info("paper state restored", extra={"event": "paper_state_restored",
                                                        "account": exchange.config.account,
                                                        "orders": len(exchange.orders)})
        return exchange

    def snapshot(self) -> dict[str, Any]:
        return {
            "version": SNAPSHOT_VERSION,
            "account": self.config.account,
            "seed": self.config.seed,
            "market": self.market.snapshot(),
            "balance": str(self.balance),
            "orders": msgspec.to_builtins(list(self.orders.values())),
            "positions": msgspec.to_builtins(list(self.book.values())),
            "fills": msgspec.to_builtins(self.fill_log),
            "next_order_id": self.next_order_id,
            "next_fill_id": self.next_fill_id,
        }

    def restore(self, data: dict[str, Any]) -> None:
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported paper snapshot version {data.get('version')!r}")
        self.market.restore(data["market"])
        self.balance = Decimal(data["balance"])
        self.orders = {o.id: o for o in msgspec.convert(data["orders"], list[Order])}
        self.order_ids_by_client_id = {o.client_order_id: o.id for o in self.orders.values() if o.client_order_id}
        self.book = {p.symbol: p for p in msgspec.convert(data["positions"], list[_PositionBook])}
        self.fill_log = msgspec.convert(data["fills"], list[Fill])
        self.next_order_id = int(data["next_order_id"])
        self.next_fill_id = int(data["next_fill_id"])
        self.clock.resume_from(self.market.time)

    async def save(self) -> None:
        async with self._save_lock:
            await self._save_locked()

    async def _save_locked(self) -> None:
        # One save at a time, each snapshotting when it starts: concurrent saves (two legs placed
        # at once) used to be able to commit out of order, an older snapshot overwriting a newer
        # one, so a crash "forgot" an order its caller had already been told about.
        self._dirty = False  # a change made while this write is in flight marks it dirty again
        try:
            if self.store is not None:
                await self.store.save(self.snapshot())
        except BaseException:
            self._dirty = True
            raise

    async def _flush(self) -> None:
        """Return only once every change made so far is saved (by this call or an in-flight one)."""
        async with self._save_lock:
            if self._dirty:
                await self._save_locked()

    async def close(self) -> None:
        await self.save()

    # --- time ------------------------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the market to the clock: walk the spot, settle expiries passed, match resting orders."""
        now = self.clock.now()
        if now <= self.market.time:
            return
        for expiry in sorted(self._expiries_in_use()):
            if self.market.time < expiry <= now:
                self.market.walk_to(expiry)
                self._settle(expiry)
        if self.market.walk_to(now):
            self._match_resting()

    def _expiries_in_use(self) -> set[datetime]:
        symbols = {p.symbol for p in self.book.values() if p.size} | {
            o.symbol for o in self.orders.values() if o.state == "open"}
        return {parse_option_symbol(s)[3] for s in symbols}

    # --- market data -----------------------------------------------------------------------------

    def _check_underlying(self, underlying: str) -> None:
        try:
            self.config.spec(underlying)
        except KeyError:
            raise NotFound(f"unknown underlying {underlying!r}", code="invalid_contract") from None

    def _strikes(self, underlying: str, expiry: datetime) -> list[int]:
        spec = self.config.spec(underlying)
        coarse = spec.strike_steps[-1][1]
        spot = self.market.spots[underlying]
        center = int(round(spot / coarse)) * coarse  # coarse centre: the listed grid rarely moves
        key = (underlying, expiry, center)
        grid = self._grid_cache.get(key)
        if grid is None:
            t = max(year_fraction(self.market.time, expiry), 0.0)
            grid = strike_grid(center, t, spec.vol * self.config.iv_premium, spec.strike_steps)
            if len(self._grid_cache) > 512:
                self._grid_cache.clear()
            self._grid_cache[key] = grid
        held = {int(parse_option_symbol(s)[2]) for s in self._symbols_in_use()
                if s.split("-")[1] == underlying and parse_option_symbol(s)[3] == expiry}
        return sorted(set(grid) | held) if held else grid

    def _symbols_in_use(self) -> set[str]:
        return {p.symbol for p in self.book.values() if p.size} | {
            o.symbol for o in self.orders.values() if o.state == "open"}

    def _listed(self, underlying: str) -> list[datetime]:
        c = self.config
        return listed_expiries(self.clock.now(), daily=c.daily_expiries, weekly=c.weekly_expiries,
                               monthly=c.monthly_expiries)

    async def expiries(self, underlying: str) -> list[datetime]:
        self._check_underlying(underlying)
        self.sync()
        await self._flush()
        return self._listed(underlying)

    async def instruments(self, underlying: str, expiry: datetime | None = None) -> list[Instrument]:
        self._check_underlying(underlying)
        self.sync()
        await self._flush()
        spec = self.config.spec(underlying)
        out: list[Instrument] = []
        for exp in [expiry] if expiry else self._listed(underlying):
            for strike in self._strikes(underlying, exp):
                for kind in ("call", "put"):
                    symbol = option_symbol(kind, underlying, strike, exp)
                    out.append(Instrument(symbol=symbol, product_id=product_id_for(symbol), underlying=underlying,
                                          kind=kind, strike=Decimal(strike), expiry=exp,
                                          contract_value=spec.contract_value, tick_size=spec.tick_size))
        return out

    def chain_now(self, underlying: str, expiry: datetime) -> list[Ticker]:
        """Synchronous chain (used by chain() and the benchmark)."""
        self.sync()
        spec = self.config.spec(underlying)
        spot, now, step = self.market.spots[underlying], self.clock.now(), self.market.step
        suffix = f"-{expiry:%d%m%y}"
        out: list[Ticker] = []
        pair = self.quotes.pair
        for strike in self._strikes(underlying, expiry):
            call_symbol = f"C-{underlying}-{strike}{suffix}"
            put_symbol = f"P-{underlying}-{strike}{suffix}"
            call, put = pair(spec, spot, strike, expiry, now, step, product_id_for(call_symbol),
                             product_id_for(put_symbol), call_symbol, put_symbol)
            out.append(call)
            out.append(put)
        return out

    async def chain(self, underlying: str, expiry: datetime) -> list[Ticker]:
        self._check_underlying(underlying)
        if expiry <= self.clock.now():
            raise NotFound(f"expiry {expiry.isoformat()} has passed", code="invalid_contract")
        tickers = self.chain_now(underlying, expiry)
        await self._flush()
        return tickers

    def ticker_now(self, symbol: str) -> Ticker:
        kind, underlying, strike, expiry = self._parse(symbol)
        spec = self.config.spec(underlying)
        call, put = self.quotes.pair(spec, self.market.spots[underlying], int(strike), expiry, self.clock.now(),
                                     self.market.step, product_id_for(symbol), product_id_for(symbol), symbol,
                                     symbol)
        return call if kind == "call" else put

    async def ticker(self, symbol: str) -> Ticker:
        self.sync()
        await self._flush()
        return self.ticker_now(symbol)

    async def spot(self, underlying: str) -> Decimal:
        self._check_underlying(underlying)
        self.sync()
        await self._flush()
        return Decimal(f"{self.market.spots[underlying]:.2f}")

    def instrument(self, symbol: str) -> Instrument:
        kind, underlying, strike, expiry = self._parse(symbol)
        spec = self.config.spec(underlying)
        return Instrument(symbol=symbol, product_id=product_id_for(symbol), underlying=underlying, kind=kind,
                          strike=strike, expiry=expiry, contract_value=spec.contract_value,
                          tick_size=spec.tick_size)

    def _parse(self, symbol: str) -> tuple[str, str, Decimal, datetime]:
        try:
            kind, underlying, strike, expiry = parse_option_symbol(symbol)
            self.config.spec(underlying)
        except (ValueError, KeyError):
            raise NotFound(f"unknown symbol {symbol!r}", code="invalid_contract") from None
        if expiry <= self.clock.now() or strike <= 0 or strike != strike.to_integral_value():
            raise NotFound(f"symbol {symbol!r} is not live", code="invalid_contract")
        return kind, underlying, strike, expiry

    async def ticks(self, symbols: Sequence[str], interval_s: float | None = None) -> AsyncIterator[Ticker]:
        """A snapshot now, then one ticker per symbol every `interval_s` of clock time."""
        interval = timedelta(seconds=interval_s or self.config.tick_interval_s)
        due = self.clock.now()
        while True:
            # sleep until the next due time (not a fixed interval after resuming): a clock advanced
            # while the consumer was busy must not be missed
            wait = (due - self.clock.now()).total_seconds()
            if wait > 0:
                await self.clock.sleep(wait)
            self.sync()
            await self._flush()
            for symbol in symbols:
                yield self.ticker_now(symbol)
            due += interval
            now = self.clock.now()
            if due < now - interval:  # far behind (clock jumped): skip to now
                due = now

    # --- trading ---------------------------------------------------------------------------------

    def force_partial_fill(self, max_size: int) -> None:
        """Test hook: the next order's immediate execution fills at most `max_size` contracts."""
        self._forced_partial = max_size

    async def place_order(self, req: OrderRequest) -> Order:
        """Place (or, for a known client_order_id, look up) an order.

        `PaperConfig.order_latency_s` / `order_reply_latency_s` simulate the network around it (wall
        time, default 0 = none): the request reaches the simulated exchange after the first, and the
        answer reaches the caller the second after the exchange acted (and saved its state). Crash
        tests use them to kill the process while an order is on the wire in either direction.
        """
        if self.config.order_latency_s > 0:
            await asyncio.sleep(self.config.order_latency_s)
        order = await self._place_order(req)
        if self.config.order_reply_latency_s > 0:
            await asyncio.sleep(self.config.order_reply_latency_s)
        return order

    async def _place_order(self, req: OrderRequest) -> Order:
        self.sync()
        existing = self.order_ids_by_client_id.get(req.client_order_id)
        if existing is not None:
            await self._flush()
            return msgspec.structs.replace(self.orders[existing])
        try:
            req.validate()
        except ValueError as exc:
            raise OrderRejected("bad_schema", {"schema_errors": [str(exc)]}) from None
        try:
            inst = self.instrument(req.symbol)
        except NotFound:
            raise OrderRejected("invalid_contract", {"symbol": req.symbol}) from None
        ticker = self.ticker_now(req.symbol)
        self._check_reduce_only(req)
        self._check_margin(req, inst, ticker)
        order = Order(id=self.next_order_id, client_order_id=req.client_order_id, symbol=req.symbol, side=req.side,
                      size=req.size, unfilled_size=req.size, state="open", order_type=req.order_type,
                      limit_price=req.limit_price if req.order_type == "limit" else None,
                      time_in_force=req.time_in_force, reduce_only=req.reduce_only, created_at=self.clock.now(),
                      product_id=inst.product_id)
        self.next_order_id += 1
        self.orders[order.id] = order
        self.order_ids_by_client_id[req.client_order_id] = order.id
        cap, self._forced_partial = self._forced_partial, None
        self._execute_now(order, ticker, inst, cap)
        if order.unfilled_size and (order.order_type == "market" or order.time_in_force == "ioc"):
            order.state = "cancelled"
        self._dirty = True
        log.info("paper order placed", extra={"event": "paper_order_placed", "order_id": order.id,
                                              "client_order_id": order.client_order_id, "symbol": order.symbol,
                                              "side": order.side, "size": order.size, "state": order.state,
                                              "filled": order.filled_size})
        await self._flush()
        return msgspec.structs.replace(order)

    def _check_reduce_only(self, req: OrderRequest) -> None:
        if not req.reduce_only:
            return
        held = self.book.get(req.symbol)
        size = held.size if held else 0
        reducing = (req.side == "buy" and size < 0) or (req.side == "sell" and size > 0)
        if not reducing or req.size > abs(size):
            raise OrderRejected("reduce_only_would_increase_position",
                                {"position_size": size, "order_size": req.size, "side": req.side})

    def margin_in_use(self) -> Decimal:
        used = ZERO
        for pos in self.book.values():
            if pos.size < 0:
                inst = self.instrument_unchecked(pos.symbol)
                used += self._short_margin(inst, -pos.size)
        for order in self.orders.values():
            if order.state == "open" and not order.reduce_only:
                inst = self.instrument_unchecked(order.symbol)
                if order.side == "sell":
                    used += self._short_margin(inst, order.unfilled_size)
                elif order.limit_price is not None:
                    used += order.limit_price * inst.contract_value * order.unfilled_size
        return used

    def instrument_unchecked(self, symbol: str) -> Instrument:
        kind, underlying, strike, expiry = parse_option_symbol(symbol)
        spec = self.config.spec(underlying)
        return Instrument(symbol=symbol, product_id=product_id_for(symbol), underlying=underlying, kind=kind,
                          strike=strike, expiry=expiry, contract_value=spec.contract_value, tick_size=spec.tick_size)

    def _short_margin(self, inst: Instrument, size: int) -> Decimal:
        spot = Decimal(f"{self.market.spots[inst.underlying]:.2f}")
        return self.config.margin_share * spot * inst.contract_value * size

    def _check_margin(self, req: OrderRequest, inst: Instrument, ticker: Ticker) -> None:
        if req.reduce_only:
            return
        available = self.balance - self.margin_in_use()
        if req.side == "sell":
            held = self.book.get(req.symbol)
            opening = req.size - max(held.size if held else 0, 0)
            need = self._short_margin(inst, max(opening, 0))
        else:
            price = req.limit_price if req.order_type == "limit" else (ticker.best_ask or ticker.mark)
            need = (price or ZERO) * inst.contract_value * req.size * Decimal("1.04")  # premium + fee headroom
        if need > available:
            raise OrderRejected("insufficient_margin", {"required": str(need), "available": str(available)})

    def _touch_left(self, symbol: str, side: str, quoted: int) -> int:
        step, used = self._consumed.get((symbol, side), (-1, 0))
        return quoted - used if step == self.market.step else quoted

    def _consume(self, symbol: str, side: str, qty: int) -> None:
        step, used = self._consumed.get((symbol, side), (-1, 0))
        self._consumed[(symbol, side)] = (self.market.step, (used if step == self.market.step else 0) + qty)
        if len(self._consumed) > 4096:
            self._consumed = {k: v for k, v in self._consumed.items() if v[0] == self.market.step}

    def _fillable(self, order: Order, wanted: int) -> int:
        """Clamp a reduce-only order to what still reduces the position."""
        if not order.reduce_only:
            return wanted
        held = self.book.get(order.symbol)
        size = held.size if held else 0
        if (order.side == "buy" and size < 0) or (order.side == "sell" and size > 0):
            return min(wanted, abs(size))
        return 0

    def _execute_now(self, order: Order, ticker: Ticker, inst: Instrument, cap: int | None) -> None:
        book_side = "ask" if order.side == "buy" else "bid"
        remaining = order.unfilled_size if cap is None else min(order.unfilled_size, cap)
        if order.order_type == "market":
            levels = depth_levels(ticker, book_side, self.config.depth_levels, inst.tick_size)
        else:
            touch = ticker.best_ask if order.side == "buy" else ticker.best_bid
            size = ticker.ask_size if order.side == "buy" else ticker.bid_size
            marketable = touch is not None and (
                (order.side == "buy" and order.limit_price >= touch)
                or (order.side == "sell" and order.limit_price <= touch))
            levels = [(touch, size)] if marketable else []
        for i, (price, size) in enumerate(levels):
            available = self._touch_left(order.symbol, book_side, size) if i == 0 else size
            qty = self._fillable(order, min(remaining, available))
            if qty <= 0:
                break
            self._apply_fill(order, qty, price, "taker", inst, ticker.spot)
            if i == 0:
                self._consume(order.symbol, book_side, qty)
            remaining -= qty
            if remaining <= 0:
                break

    def _match_resting(self) -> None:
        """Resting limits fill at their own price when the market has crossed them."""
        for order in sorted((o for o in self.orders.values() if o.state == "open"), key=lambda o: o.id):
            try:
                ticker = self.ticker_now(order.symbol)
            except NotFound:
                continue
            if order.side == "buy":
                crossed = ticker.best_ask is not None and order.limit_price >= ticker.best_ask
                quoted, side = ticker.ask_size, "ask"
            else:
                crossed = ticker.best_bid is not None and order.limit_price <= ticker.best_bid
                quoted, side = ticker.bid_size, "bid"
            if not crossed:
                continue
            qty = self._fillable(order, min(order.unfilled_size, self._touch_left(order.symbol, side, quoted)))
            if order.reduce_only and qty == 0:
                order.state = "cancelled"
                self._dirty = True
                continue
            if qty > 0:
                self._apply_fill(order, qty, order.limit_price, "maker", self.instrument_unchecked(order.symbol),
                                 ticker.spot)
                self._consume(order.symbol, side, qty)

    def _apply_fill(self, order: Order, qty: int, price: Decimal, role: str, inst: Instrument,
                    spot: Decimal) -> None:
        fee = option_fee(spot=spot, price=price, contract_value=inst.contract_value, size=qty, schedule=self.fees)
        signed = qty if order.side == "buy" else -qty
        self.balance -= signed * price * inst.contract_value + fee
        self._move_position(order.symbol, signed, price, inst.contract_value)
        filled_before = order.size - order.unfilled_size
        prev_avg = order.average_fill_price or ZERO
        order.average_fill_price = (prev_avg * filled_before + price * qty) / (filled_before + qty)
        order.unfilled_size -= qty
        order.paid_commission += fee
        if order.unfilled_size == 0:
            order.state = "closed"
        self.fill_log.append(Fill(id=self.next_fill_id, order_id=order.id, client_order_id=order.client_order_id,
                                  symbol=order.symbol, side=order.side, size=qty, price=price, commission=fee,
                                  created_at=self.clock.now(), role=role))
        self.next_fill_id += 1
        self._dirty = True

    def _move_position(self, symbol: str, signed: int, price: Decimal, contract_value: Decimal) -> None:
        pos = self.book.setdefault(symbol, _PositionBook(symbol=symbol))
        old = pos.size
        new = old + signed
        if old == 0 or (old > 0) == (signed > 0):  # opening or adding: average the entry
            entry = pos.entry_price or ZERO
            pos.entry_price = (entry * abs(old) + price * abs(signed)) / abs(new)
        else:  # reducing (maybe flipping): realise PnL on the closed part
            closed = min(abs(signed), abs(old))
            direction = 1 if old > 0 else -1
            pos.realized_pnl += (price - (pos.entry_price or ZERO)) * contract_value * closed * direction
            if abs(signed) > abs(old):
                pos.entry_price = price
            elif new == 0:
                pos.entry_price = None
        pos.size = new
        if new == 0:
            del self.book[symbol]

    def _settle(self, expiry: datetime) -> None:
        """Cash-settle every position of `expiry` at the index, cancel its open orders."""
        for order in self.orders.values():
            if order.state == "open" and parse_option_symbol(order.symbol)[3] == expiry:
                order.state = "cancelled"
                self._dirty = True
        for symbol in list(self.book):
            kind, underlying, strike, exp = parse_option_symbol(symbol)
            if exp != expiry:
                continue
            pos = self.book[symbol]
            spot = Decimal(f"{self.market.spots[underlying]:.2f}")
            intrinsic = max(spot - strike, ZERO) if kind == "call" else max(strike - spot, ZERO)
            cv = self.config.spec(underlying).contract_value
            self.balance += pos.size * intrinsic * cv
            self.fill_log.append(Fill(id=self.next_fill_id, order_id=None, client_order_id=None, symbol=symbol,
                                      side="sell" if pos.size > 0 else "buy", size=abs(pos.size), price=intrinsic,
                                      commission=ZERO, created_at=expiry, role="settlement"))
            self.next_fill_id += 1
            log.info("paper position settled", extra={"event": "paper_position_settled", "symbol": symbol,
                                                      "size": pos.size, "settlement_price": str(intrinsic)})
            del self.book[symbol]
            self._dirty = True

    async def cancel_order(self, *, client_order_id: str | None = None, order_id: int | None = None,
                           symbol: str | None = None) -> Order:
        self.sync()
        order = self._find(client_order_id, order_id)
        if order.state != "open":
            await self._flush()
            raise OrderRejected("open_order_not_found", {"id": order.id, "state": order.state})
        order.state = "cancelled"
        self._dirty = True
        await self._flush()
        return msgspec.structs.replace(order)

    async def cancel_all(self, symbol: str | None = None) -> list[Order]:
        self.sync()
        done = []
        for order in self.orders.values():
            if order.state == "open" and (symbol is None or order.symbol == symbol):
                order.state = "cancelled"
                done.append(msgspec.structs.replace(order))
                self._dirty = True
        await self._flush()
        return done

    def _find(self, client_order_id: str | None, order_id: int | None) -> Order:
        if order_id is not None and order_id in self.orders:
            return self.orders[order_id]
        if client_order_id is not None and client_order_id in self.order_ids_by_client_id:
            return self.orders[self.order_ids_by_client_id[client_order_id]]
        raise NotFound("order not found", code="open_order_not_found",
                       context={"id": order_id, "client_order_id": client_order_id})

    async def get_order(self, order_id: int) -> Order:
        self.sync()
        await self._flush()
        return msgspec.structs.replace(self._find(None, order_id))

    async def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        self.sync()
        await self._flush()
        oid = self.order_ids_by_client_id.get(client_order_id)
        return None if oid is None else msgspec.structs.replace(self.orders[oid])

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        self.sync()
        await self._flush()
        return [msgspec.structs.replace(o) for o in self.orders.values()
                if o.state == "open" and (symbol is None or o.symbol == symbol)]

    async def positions(self) -> list[Position]:
        self.sync()
        await self._flush()
        return [Position(symbol=p.symbol, size=p.size, entry_price=p.entry_price, realized_pnl=p.realized_pnl,
                         product_id=product_id_for(p.symbol)) for p in self.book.values() if p.size]

    async def balances(self) -> list[Balance]:
        self.sync()
        await self._flush()
        return [Balance(asset="USD", balance=self.balance, available_balance=self.balance - self.margin_in_use())]

    async def fills(self, since: datetime | None = None) -> list[Fill]:
        self.sync()
        await self._flush()
        return [f for f in self.fill_log if since is None or f.created_at >= since]

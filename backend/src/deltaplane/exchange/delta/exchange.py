"""DeltaExchange: the live adapter (REST v2 + public WebSocket) behind the Exchange protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from deltaplane.exchange.delta.environments import DeltaEnvironment, resolve_environment
from deltaplane.exchange.delta.rest import DeltaRestClient
from deltaplane.exchange.delta.stream import TickerStream
from deltaplane.exchange.delta.wire import (
    BalanceWire,
    FillWire,
    OrderWire,
    PositionWire,
    ProductWire,
    TickerWire,
    balance_from_wire,
    convert,
    fill_from_wire,
    instrument_from_wire,
    order_from_wire,
    position_from_wire,
    ticker_from_wire,
    to_micros,
)
from deltaplane.exchange.errors import (
    AuthError,
    ExchangeError,
    NotFound,
    OrderRejected,
    OrderStatusUnknown,
    Timeout,
    Unavailable,
)
from deltaplane.exchange.health import ExchangeHealth
from deltaplane.exchange.protocol import Balance, Fill, Instrument, Order, OrderRequest, Position, Ticker

if TYPE_CHECKING:
    from deltaplane.settings import Settings

log = logging.getLogger("deltaplane.exchange.delta")

OPTION_TYPES = "call_options,put_options"


class ConnectionReport(msgspec.Struct, kw_only=True):
    environment: str
    base_url: str
    auth_ok: bool
    clock_skew_s: float | None  # server minus local
    rate_limit_remaining: int
    error: str | None = None


#: Delta refuses a signed request whose timestamp is older than this (seconds); see
#: ../shared/reference/delta-exchange-api.md. Signatures carry the learned server clock offset.
SIGNATURE_WINDOW_S = 5.0
SETTLE_MARGIN_S = 1.0


class DeltaExchange:
    name = "delta"

    def __init__(self, rest: DeltaRestClient, *, environment: DeltaEnvironment, product_ttl_s: float = 300.0,
                 place_attempts: int = 2, lookup_before_place: bool = True,
                 stream_options: dict[str, Any] | None = None):
        self.rest = rest
        self.environment = environment
        self.product_ttl_s = product_ttl_s
        self.place_attempts = place_attempts
        self.lookup_before_place = lookup_before_place
        self.stream_options = dict(stream_options or {})
        self._products: dict[str, Instrument] = {}
        self._symbol_by_id: dict[int, str] = {}
        self._products_loaded_at = float("-inf")
        self._placed: dict[str, int] = {}  # client_order_id -> order id, placed by this process
        self._last_spot: dict[str, tuple[float, Decimal]] = {}
        self._probe_task: asyncio.Task[None] | None = None

    @property
    def health(self) -> ExchangeHealth:
        """What the adapter is going through (rate limits, 5xx, socket drops, auth); see exchange/health.py."""
        return self.rest.health

    @classmethod
    def create(cls, environment: str = "india", *, api_key: str = "", api_secret: str = "", base_url: str = "",
               ws_url: str = "", timeout_s: float = 10.0, **options: Any) -> DeltaExchange:
        env = resolve_environment(environment, base_url=base_url, ws_url=ws_url)
        rest_keys = {"read_retries", "retry_backoff_s", "max_rate_wait_s", "budget", "time_fn", "sleep",
                     "transport", "user_agent", "health"}
        rest = DeltaRestClient(env.rest_url, api_key=api_key, api_secret=api_secret, timeout_s=timeout_s,
                               **{k: v for k, v in options.items() if k in rest_keys})
        rest_free = {k: v for k, v in options.items() if k not in rest_keys}
        return cls(rest, environment=env, **rest_free)

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe_task
            self._probe_task = None
        self.health.close()
        await self.rest.aclose()

    # --- health probe ----------------------------------------------------------------------------

    def start_health_probe(self, interval_s: float) -> None:
        """Every `interval_s`, one signed single-attempt read (weight 3): the health picture stays true
        while nothing trades (an outage or a clock drift shows before an exit needs the exchange), and
        a non-ok state clears as soon as the exchange answers again. Waits out a rate limit."""
        if self._probe_task is None and interval_s > 0 and self.rest.has_credentials:
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_loop(interval_s),
                                                                      name="delta-health-probe")

    async def _probe_loop(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(max(interval_s, self.health.blocked_for()))
            if self.health.blocked_for() > 0:
                continue
            try:
                await self.rest.request("GET", "/v2/wallet/balances", auth=True, idempotent=False)
            except ExchangeError:
                pass  # recorded by the client's health reports
            except Exception:  # noqa: BLE001 - the probe must never die
                log.warning("delta health probe failed", extra={"event": "delta_probe_failed"}, exc_info=True)

    # --- products --------------------------------------------------------------------------------

    async def _load_products(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._products_loaded_at < self.product_ttl_s:
            return
        products: dict[str, Instrument] = {}
        after: str | None = None
        for _ in range(100):  # bounded pagination
            resp = await self.rest.request("GET", "/v2/products", params={
                "contract_types": OPTION_TYPES, "states": "live", "page_size": 500, "after": after})
            for raw in resp.result or []:
                inst = instrument_from_wire(convert(raw, ProductWire))
                if inst is not None:
                    products[inst.symbol] = inst
            after = (resp.meta or {}).get("after")
            if not after:
                break
        self._products = products
        self._symbol_by_id = {i.product_id: s for s, i in products.items()}
        self._products_loaded_at = now
        log.info("delta products loaded", extra={"event": "delta_products_loaded", "count": len(products)})

    async def instrument(self, symbol: str) -> Instrument:
        await self._load_products()
        inst = self._products.get(symbol)
        if inst is None:
            await self._load_products(force=True)
            inst = self._products.get(symbol)
        if inst is None:
            raise NotFound(f"unknown symbol {symbol!r}", code="invalid_contract")
        return inst

    async def instruments(self, underlying: str, expiry: datetime | None = None) -> list[Instrument]:
        await self._load_products()
        return sorted((i for i in self._products.values() if i.underlying == underlying
                       and (expiry is None or i.expiry == expiry)), key=lambda i: (i.expiry, i.strike, i.kind))

    async def expiries(self, underlying: str) -> list[datetime]:
        await self._load_products()  # products are fetched with states=live: every expiry listed is live
        return sorted({i.expiry for i in self._products.values() if i.underlying == underlying})

    # --- market data -----------------------------------------------------------------------------

    def _ticker(self, raw: Any, source: str = "rest") -> Ticker:
        ticker = ticker_from_wire(convert(raw, TickerWire), source=source)
        if ticker.product_id is None and ticker.symbol in self._products:
            ticker = msgspec.structs.replace(ticker, product_id=self._products[ticker.symbol].product_id)
        return ticker

    async def chain(self, underlying: str, expiry: datetime) -> list[Ticker]:
        resp = await self.rest.request("GET", "/v2/tickers", params={
            "contract_types": OPTION_TYPES, "underlying_asset_symbols": underlying,
            "expiry_date": expiry.strftime("%d-%m-%Y")})
        tickers = [self._ticker(raw) for raw in resp.result or []]
        if tickers:
            self._last_spot[underlying] = (time.monotonic(), tickers[0].spot)
        return tickers

    async def ticker(self, symbol: str) -> Ticker:
        resp = await self.rest.request("GET", f"/v2/tickers/{symbol}")
        return self._ticker(resp.result)

    async def spot(self, underlying: str) -> Decimal:
        cached = self._last_spot.get(underlying)
        if cached and time.monotonic() - cached[0] < 5.0:
            return cached[1]
        expiries = await self.expiries(underlying)
        if not expiries:
            raise NotFound(f"no live {underlying} options", code="invalid_contract")
        chain = await self.chain(underlying, expiries[0])
        if not chain:
            raise Unavailable(f"empty {underlying} chain", code="unavailable")
        return chain[0].spot

    async def _poll_tickers(self, symbols: list[str]) -> list[Ticker]:
        out = []
        for symbol in symbols:
            out.append(await self.ticker(symbol))
        return out

    def ticker_stream(self, symbols: Sequence[str]) -> TickerStream:
        return TickerStream(self.environment.ws_public_url, symbols, poll=self._poll_tickers,
                            channel=self.environment.ticker_channel, health=self.health, **self.stream_options)

    async def ticks(self, symbols: Sequence[str]) -> AsyncIterator[Ticker]:
        stream = self.ticker_stream(symbols)
        stream.start()
        try:
            async for ticker in stream:
                yield ticker
        finally:
            await stream.stop()

    # --- orders ----------------------------------------------------------------------------------

    def _order(self, raw: Any) -> Order:
        return order_from_wire(convert(raw, OrderWire), self._symbol_by_id)

    async def place_order(self, req: OrderRequest) -> Order:
        try:
            req.validate()
        except ValueError as exc:
            raise OrderRejected("bad_schema", {"schema_errors": [str(exc)]}) from None
        if self.lookup_before_place or req.client_order_id in self._placed:
            # idempotent by client_order_id, also across restarts: one weight-1 read per order
            existing = await self.get_order_by_client_id(req.client_order_id)
            if existing is not None:
                return existing
        inst = await self.instrument(req.symbol)
        body: dict[str, Any] = {"product_id": inst.product_id, "product_symbol": inst.symbol, "size": req.size,
                                "side": req.side,
                                "order_type": "limit_order" if req.order_type == "limit" else "market_order",
                                "time_in_force": req.time_in_force, "reduce_only": req.reduce_only,
                                "post_only": False, "client_order_id": req.client_order_id}
        if req.order_type == "limit" and req.limit_price is not None:
            body["limit_price"] = format(req.limit_price, "f")
        for attempt in range(1, self.place_attempts + 1):
            sent_at = self.rest.time_fn()
            try:
                resp = await self.rest.request("POST", "/v2/orders", body=body, auth=True, idempotent=False)
            except (Timeout, Unavailable) as exc:
                # outcome unknown: the order may exist. Look it up before anything else.
                log.warning("order placement outcome unknown", extra={
                    "event": "order_place_unknown", "client_order_id": req.client_order_id,
                    "attempt": attempt, "error": type(exc).__name__})
                # A request still in flight could be processed after a lookup that finds nothing.
                # Delta refuses a request whose signature is older than its window, so once that
                # window has passed since we signed it, "not found" means "never will be".
                settle = sent_at + SIGNATURE_WINDOW_S + SETTLE_MARGIN_S - self.rest.time_fn()
                if settle > 0:
                    await self.rest.sleep(settle)
                try:
                    found = await self.get_order_by_client_id(req.client_order_id)
                except ExchangeError as lookup_exc:
                    raise OrderStatusUnknown(
                        "order placement outcome unknown and the lookup failed", code="order_status_unknown",
                        context={"client_order_id": req.client_order_id,
                                 "lookup_error": type(lookup_exc).__name__}) from exc
                if found is not None:
                    self._placed[req.client_order_id] = found.id
                    log.info("order found after lost answer", extra={
                        "event": "order_place_reconciled", "client_order_id": req.client_order_id,
                        "order_id": found.id})
                    return found
                if attempt == self.place_attempts:
                    raise
                continue  # proven absent: placing again cannot duplicate it
            order = self._order(resp.result)
            self._placed[req.client_order_id] = order.id
            log.info("order placed", extra={"event": "order_placed", "client_order_id": req.client_order_id,
                                            "order_id": order.id, "symbol": req.symbol, "side": req.side,
                                            "size": req.size, "state": order.state})
            return order
        raise AssertionError("unreachable")

    async def get_order(self, order_id: int) -> Order:
        resp = await self.rest.request("GET", f"/v2/orders/{order_id}", auth=True)
        return self._order(resp.result)

    async def get_order_by_client_id(self, client_order_id: str) -> Order | None:
        try:
            resp = await self.rest.request("GET", f"/v2/orders/client_order_id/{client_order_id}", auth=True)
        except NotFound:
            return None
        except OrderRejected as exc:
            if exc.code in ("open_order_not_found", "order_not_found", "not_found"):
                return None
            raise
        return self._order(resp.result) if resp.result else None

    async def cancel_order(self, *, client_order_id: str | None = None, order_id: int | None = None,
                           symbol: str | None = None) -> Order:
        if client_order_id is None and order_id is None:
            raise ValueError("cancel_order needs client_order_id or order_id")
        if symbol is not None:
            product_id = (await self.instrument(symbol)).product_id
        else:
            current = (await self.get_order(order_id) if order_id is not None
                       else await self.get_order_by_client_id(client_order_id or ""))
            if current is None or current.product_id is None:
                raise NotFound("order not found", code="open_order_not_found",
                               context={"client_order_id": client_order_id})
            product_id = current.product_id
        body: dict[str, Any] = {"product_id": product_id}
        if order_id is not None:
            body["id"] = order_id
        else:
            body["client_order_id"] = client_order_id
        try:
            resp = await self.rest.request("DELETE", "/v2/orders", body=body, auth=True, idempotent=False)
        except (Timeout, Unavailable):
            found = (await self.get_order(order_id) if order_id is not None
                     else await self.get_order_by_client_id(client_order_id or ""))
            if found is not None and found.state in ("cancelled", "closed"):
                return found
            raise
        order = self._order(resp.result)
        log.info("order cancelled", extra={"event": "order_cancelled", "order_id": order.id,
                                           "client_order_id": order.client_order_id})
        return order

    async def cancel_all(self) -> None:
        await self.rest.request("DELETE", "/v2/orders/all", body={}, auth=True, idempotent=False)

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        params: dict[str, Any] = {"states": "open,pending"}
        if symbol is not None:
            params["product_ids"] = (await self.instrument(symbol)).product_id
        resp = await self.rest.request("GET", "/v2/orders", params=params, auth=True)
        return [self._order(raw) for raw in resp.result or []]

    async def positions(self) -> list[Position]:
        resp = await self.rest.request("GET", "/v2/positions/margined", auth=True)
        out = [position_from_wire(convert(raw, PositionWire), self._symbol_by_id) for raw in resp.result or []]
        return [p for p in out if p.size]

    async def position(self, symbol: str) -> Position:
        """Real-time position of one product (the margined list may lag ~10 s)."""
        inst = await self.instrument(symbol)
        resp = await self.rest.request("GET", "/v2/positions", params={"product_id": inst.product_id}, auth=True)
        pos = position_from_wire(convert(resp.result or {}, PositionWire), self._symbol_by_id)
        return msgspec.structs.replace(pos, symbol=symbol, product_id=inst.product_id)

    async def balances(self) -> list[Balance]:
        resp = await self.rest.request("GET", "/v2/wallet/balances", auth=True)
        return [balance_from_wire(convert(raw, BalanceWire)) for raw in resp.result or []]

    async def fills(self, since: datetime | None = None) -> list[Fill]:
        params: dict[str, Any] = {"page_size": 500}
        if since is not None:
            params["start_time"] = to_micros(since)
        resp = await self.rest.request("GET", "/v2/fills", params=params, auth=True)
        return [fill_from_wire(convert(raw, FillWire)) for raw in resp.result or []]

    # --- diagnostics -----------------------------------------------------------------------------

    async def test_connection(self) -> ConnectionReport:
        """Auth works? How far is our clock from the server's? How much rate budget is left?"""
        auth_ok, error = False, None
        self.rest.clock_offset_s = 0.0
        try:
            await self.rest.request("GET", "/v2/wallet/balances", auth=True)
            auth_ok = True
        except AuthError as exc:
            error = exc.code or "auth_error"
        except ExchangeError as exc:
            error = exc.code or type(exc).__name__
        skew: float | None = self.rest.clock_offset_s or None
        if skew is None:
            server = self.rest.server_time_from_date()
            skew = None if server is None else round(server - self.rest.time_fn(), 3)
        log.info("delta connection tested", extra={"event": "delta_connection_tested", "auth_ok": auth_ok,
                                                   "clock_skew_s": skew, "error": error})
        return ConnectionReport(environment=self.environment.name, base_url=self.rest.base_url, auth_ok=auth_ok,
                                clock_skew_s=skew, rate_limit_remaining=self.rest.remaining_budget(), error=error)


def delta_exchange_from_settings(settings: Settings, **options: Any) -> DeltaExchange:
    return DeltaExchange.create(settings.delta_env, api_key=settings.delta_api_key,
                                api_secret=settings.delta_api_secret, base_url=settings.delta_base_url,
                                ws_url=settings.delta_ws_url, timeout_s=settings.delta_timeout_seconds, **options)

"""A fake Delta Exchange (REST v2 + public WebSocket) on loopback, backed by PaperExchange.

Raw ASGI so the server sees the exact bytes sent: signatures are verified against the raw path,
query string and body, inside the 5-second window; the weighted rate limit is enforced; tests
inject faults through `server.faults`, or, for a server in another process (`control=True`,
`--control`), over HTTP under `/_control/` (not a Delta path; no auth, loopback only):

    POST   /_control/faults      {"kind", "match"?, "count"?, "params"?} (or a list of them)
    DELETE /_control/faults      drop every pending fault
    POST   /_control/sockets     {"refuse"?: n next handshakes, "drop"?: true} -> {"dropped"}
    POST   /_control/clock_skew  {"seconds"}: the server clock runs ahead (+) or behind (-)
    GET    /_control/state       pending/fired faults, orders, positions, socket counters
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs

import msgspec
import uvicorn

from deltaplane.exchange.clock import SimulatedClock
from deltaplane.exchange.delta.ratelimit import RateBudget, endpoint_weight
from deltaplane.exchange.delta.signing import SIGNATURE_VALIDITY_S, verify
from deltaplane.exchange.delta.wire import (
    balance_to_wire,
    fill_to_wire,
    order_to_wire,
    parse_time,
    position_to_wire,
    product_to_wire,
    ticker_to_wire,
    ticker_to_ws_compact,
)
from deltaplane.exchange.errors import NotFound, OrderRejected
from deltaplane.exchange.fake_delta.faults import Faults
from deltaplane.exchange.paper import PaperConfig, PaperExchange
from deltaplane.exchange.paper.market import depth_levels
from deltaplane.exchange.protocol import OrderRequest

log = logging.getLogger("deltaplane.exchange.fake_delta")

PUBLIC_PREFIXES = ("/v2/products", "/v2/tickers", "/v2/l2orderbook")


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _error(status: int, code: str, context: dict[str, Any] | None = None) -> HttpError:
    err: dict[str, Any] = {"code": code}
    if context is not None:
        err["context"] = context
    return HttpError(status, {"success": False, "error": err})


class RequestRecord(msgspec.Struct, kw_only=True):
    method: str
    path: str
    query: str
    status: int = 0
    api_key: str | None = None
    fault: str | None = None


class _Socket:
    def __init__(self, send: Callable[[dict[str, Any]], Any]):
        self._send = send
        self.symbols: set[str] = set()
        self.heartbeat = False
        self.closed = False
        self.lock = asyncio.Lock()

    async def send_json(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            if not self.closed:
                await self._send({"type": "websocket.send", "text": json.dumps(payload)})

    async def close(self, code: int = 1011) -> None:
        async with self.lock:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(Exception):
                    await self._send({"type": "websocket.close", "code": code})


class FakeDeltaServer:
    def __init__(self, *, paper: PaperExchange | None = None, clock: SimulatedClock | None = None,
                 api_keys: dict[str, str] | None = None, rate_limit: int = 10_000, window_s: float = 300.0,
                 time_fn: Callable[[], float] = time.time, heartbeat_interval_s: float = 30.0,
                 seed: int = 7, control: bool = False):
        self.clock = clock or (paper.clock if paper is not None else SimulatedClock())  # type: ignore[assignment]
        self.paper = paper or PaperExchange(PaperConfig(seed=seed, initial_balance=Decimal("100000")),
                                            clock=self.clock)
        self.api_keys = dict(api_keys if api_keys is not None else {"test-key": "test-secret"})
        self.rate_limit, self.window_s = rate_limit, window_s
        self.time_fn = time_fn
        self.clock_skew_s = 0.0  # fault: the server's clock runs ahead (+) or behind (-)
        self.heartbeat_interval_s = heartbeat_interval_s
        self.faults = Faults()
        self.control = control
        self.requests: list[RequestRecord] = []
        self.order_posts: Counter[str] = Counter()  # client_order_id -> POST /v2/orders received
        self.ws_connects = 0
        self.ws_subscribes = 0
        self._refuse_ws = 0
        self._sockets: set[_Socket] = set()
        self._budgets: dict[str, RateBudget] = {}
        self._release = asyncio.Event()  # lets hung handlers finish at shutdown
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._auto_task: asyncio.Task[None] | None = None
        self.base_url = ""
        self.ws_url = ""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted sockets inherit this: headers and body go out as separate writes, and Nagle +
        # delayed ACK would otherwise add ~40 ms to every loopback round-trip
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self, host=host, port=port, log_level="warning", lifespan="off",
                                ws="websockets-sansio", timeout_graceful_shutdown=1, access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        for _ in range(500):  # bounded start-up wait
            if self._server.started:
                break
            await asyncio.sleep(0.01)
        if not self._server.started:
            raise RuntimeError("fake Delta server did not start")
        self.base_url = f"http://{host}:{port}"
        self.ws_url = f"ws://{host}:{port}/"
        return self.base_url

    async def stop(self) -> None:
        if self._auto_task:
            self._auto_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._auto_task
        self._release.set()
        for sock in list(self._sockets):
            await sock.close(1001)
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=5)

    async def __aenter__(self) -> FakeDeltaServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_auto_ticks(self, interval_s: float = 1.0) -> None:
        """Manual runs: advance the simulated market in real time and push tickers."""
        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                self.clock.advance(interval_s)
                await self.publish_tickers()
        self._auto_task = asyncio.create_task(loop())

    # --- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    def server_time(self) -> float:
        return self.time_fn() + self.clock_skew_s

    async def _http(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method = scope["method"]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode()
        query = scope.get("query_string", b"").decode()
        if self.control and path.startswith("/_control/"):
            try:
                status, payload = 200, await self._control(method, path, body)
            except HttpError as exc:
                status, payload = exc.status, exc.body
            data = json.dumps(payload).encode()
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
            await send({"type": "http.response.body", "body": data})
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        record = RequestRecord(method=method, path=path, query=query, api_key=headers.get("api-key"))
        self.requests.append(record)
        status, payload, extra_headers = 200, None, {}
        try:
            payload = await self._handle(method, path, query, body, headers, scope, record)
        except HttpError as exc:
            status, payload, extra_headers = exc.status, exc.body, exc.headers
        except _Hang:
            return  # the client has given up; nothing to send
        record.status = status
        data = json.dumps(payload).encode()
        response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
        response_headers += [(k.encode(), v.encode()) for k, v in extra_headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": data})

    async def _handle(self, method: str, path: str, query: str, body: bytes, headers: dict[str, str],
                      scope: dict[str, Any], record: RequestRecord) -> dict[str, Any]:
        if not headers.get("user-agent"):
            raise HttpError(403, {"error": "Forbidden", "message": "Request blocked by CDN"})
        client = (scope.get("client") or ("?", 0))[0]
        self._rate_limit(headers.get("api-key") or client, method, path)
        fault = self.faults.take(method, path)
        after: str | None = None
        if fault is not None:
            record.fault = fault.kind
            after = await self._fault_before(fault)
        public = path.startswith(PUBLIC_PREFIXES) and method == "GET"
        if not public:
            self._authenticate(method, path, query, body, headers)
        if fault is not None and fault.kind == "partial_fill":
            self.paper.force_partial_fill(int(fault.params.get("size", 1)))
        if fault is not None and fault.kind == "reject":
            raise _error(400, fault.params.get("code", "insufficient_margin"), fault.params.get("context", {}))
        result = await self._route(method, path, parse_qs(query), body)
        if after == "server_error_after":
            raise _error(int(fault.params.get("status", 500)), "internal_server_error")
        if after == "lost_response":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), timeout=float(fault.params.get("seconds", 5.0)))
            raise _Hang()
        return result

    async def _fault_before(self, fault: Any) -> str | None:
        kind, params = fault.kind, fault.params
        if kind == "rate_limit":
            raise HttpError(429, {"success": False, "error": {"code": "rate_limit_exceeded"}},
                            {"X-RATE-LIMIT-RESET": str(int(params.get("reset_ms", 100)))})
        if kind == "server_error":
            status = int(params.get("status", 503))
            raise _error(status, "unavailable" if status == 503 else "internal_server_error")
        if kind == "delay":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), timeout=float(params.get("seconds", 1.0)))
            return None
        if kind == "expired_signature":
            now = self.server_time()
            raise _error(401, "expired_signature", {"request_time": int(now) - 30,
                                                    "server_time": int(params.get("server_time", now))})
        if kind == "expired_signature_string":
            raise HttpError(401, {"success": False, "error": "SignatureExpired",
                                  "message": "your signature has expired"})
        return kind if kind in ("server_error_after", "lost_response") else None

    def _rate_limit(self, key: str, method: str, path: str) -> None:
        budget = self._budgets.setdefault(key, RateBudget(limit=self.rate_limit, window_s=self.window_s))
        now = self.server_time()
        if not budget.try_consume(now, endpoint_weight(method, path)):
            raise HttpError(429, {"success": False, "error": {"code": "rate_limit_exceeded"}},
                            {"X-RATE-LIMIT-RESET": str(int(budget.reset_after(now) * 1000))})

    def _authenticate(self, method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> None:
        key, signature, timestamp = headers.get("api-key"), headers.get("signature"), headers.get("timestamp")
        if not key or key not in self.api_keys:
            raise _error(401, "invalid_api_key")
        if not signature or not timestamp:
            raise _error(401, "invalid_signature")
        try:
            request_time = int(timestamp)
        except ValueError:
            raise _error(401, "invalid_signature") from None
        now = self.server_time()
        if abs(now - request_time) > SIGNATURE_VALIDITY_S:
            raise _error(401, "expired_signature", {"request_time": request_time, "server_time": int(now)})
        if not verify(self.api_keys[key], signature, method, timestamp, path, f"?{query}" if query else "",
                      body.decode()):
            raise _error(401, "invalid_signature")

    # --- control API (tests in another process) -------------------------------------------------

    async def _control(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            raise HttpError(400, {"error": "body is not JSON"}) from None
        if path == "/_control/faults" and method == "POST":
            items = data if isinstance(data, list) else [data]
            try:
                for item in items:
                    self.faults.queue(str(item["kind"]), match=str(item.get("match", "")), count=int(item.get("count", 1)),
                                      **dict(item.get("params") or {}))
            except (KeyError, TypeError, ValueError) as exc:
                raise HttpError(400, {"error": str(exc)}) from None
            return {"queued": len(items), "pending": len(self.faults.pending)}
        if path == "/_control/faults" and method == "DELETE":
            self.faults.clear()
            return {"pending": 0}
        if path == "/_control/sockets" and method == "POST":
            if "refuse" in data:
                self.refuse_sockets(int(data["refuse"]))
            dropped = await self.drop_sockets() if data.get("drop") else 0
            return {"dropped": dropped, "refusing": self._refuse_ws}
        if path == "/_control/clock_skew" and method == "POST":
            self.clock_skew_s = float(data.get("seconds", 0.0))
            return {"clock_skew_s": self.clock_skew_s}
        if path == "/_control/state" and method == "GET":
            fired = Counter(kind for kind, _, _ in self.faults.fired)
            orders = [{"id": o.id, "client_order_id": o.client_order_id, "symbol": o.symbol, "side": o.side, "size": o.size,
                       "filled": o.filled_size, "state": o.state, "reduce_only": o.reduce_only}
                      for o in self.paper.orders.values()]
            return {"pending": [{"kind": f.kind, "match": f.match, "count": f.count} for f in self.faults.pending],
                    "fired": dict(fired), "order_posts": dict(self.order_posts), "orders": orders,
                    "positions": {p.symbol: p.size for p in await self.paper.positions() if p.size},
                    "ws_connects": self.ws_connects, "ws_subscribes": self.ws_subscribes, "sockets": len(self._sockets),
                    "refusing": self._refuse_ws}
        raise HttpError(404, {"error": f"no control route {method} {path}"})

    # --- REST routes -----------------------------------------------------------------------------

    def _symbol_for_product(self, product_id: int) -> str:
        for underlying in ("BTC", "ETH"):
            for expiry in self.paper._listed(underlying):
                for strike in self.paper._strikes(underlying, expiry):
                    for letter in ("C", "P"):
                        symbol = f"{letter}-{underlying}-{strike}-{expiry:%d%m%y}"
                        if product_id == _pid(symbol):
                            return symbol
        raise _error(400, "invalid_contract", {"product_id": product_id})

    async def _route(self, method: str, path: str, q: dict[str, list[str]], body: bytes) -> dict[str, Any]:
        paper = self.paper
        one = {k: v[0] for k, v in q.items()}
        parts = path.strip("/").split("/")
        try:
            if method == "GET" and path == "/v2/products":
                return await self._products(one)
            if method == "GET" and path == "/v2/tickers":
                return await self._tickers(one)
            if method == "GET" and len(parts) == 3 and parts[1] == "tickers":
                ticker = await paper.ticker(parts[2])
                return _ok(ticker_to_wire(ticker, paper.instrument(parts[2]).strike))
            if method == "GET" and len(parts) == 3 and parts[1] == "l2orderbook":
                ticker = await paper.ticker(parts[2])
                tick = paper.instrument(parts[2]).tick_size
                levels = paper.config.depth_levels
                return _ok({"symbol": parts[2], "buy": [{"price": str(p), "size": s} for p, s in
                                                        depth_levels(ticker, "bid", levels, tick)],
                            "sell": [{"price": str(p), "size": s} for p, s in depth_levels(ticker, "ask", levels, tick)]})
            if method == "POST" and path == "/v2/orders":
                return await self._place(body)
            if method == "DELETE" and path == "/v2/orders":
                data = json.loads(body or b"{}")
                oid = data.get("id")
                order = await paper.cancel_order(order_id=int(oid) if oid is not None else None,
                                                  client_order_id=data.get("client_order_id"))
                return _ok(order_to_wire(order))
            if method == "DELETE" and path == "/v2/orders/all":
                await paper.cancel_all()
                return _ok({})
            if method == "GET" and path.startswith("/v2/orders/client_order_id/"):
                order = await paper.get_order_by_client_id(parts[3])
                if order is None:
                    raise _error(404, "not_found")
                return _ok(order_to_wire(order))
            if method == "GET" and path == "/v2/orders":
                states = set((one.get("states") or "open,pending").split(","))
                ids = {int(x) for x in one["product_ids"].split(",")} if one.get("product_ids") else None
                orders = [o for o in paper.orders.values() if o.state in states
                          and (ids is None or o.product_id in ids)]
                return _ok([order_to_wire(o) for o in orders])
            if method == "GET" and len(parts) == 3 and parts[1] == "orders" and parts[2].isdigit():
                return _ok(order_to_wire(await paper.get_order(int(parts[2]))))
            if method == "GET" and path == "/v2/positions/margined":
                return _ok([position_to_wire(p) for p in await paper.positions()])
            if method == "GET" and path == "/v2/positions":
                pid = int(one.get("product_id", "0"))
                match = [p for p in await paper.positions() if p.product_id == pid]
                return _ok(position_to_wire(match[0]) if match else {"product_id": pid, "size": 0,
                                                                      "entry_price": None})
            if method == "GET" and path == "/v2/wallet/balances":
                return _ok([balance_to_wire(b) for b in await paper.balances()])
            if method == "GET" and path == "/v2/fills":
                since = parse_time(one["start_time"]) if one.get("start_time") else None
                return _ok([fill_to_wire(f) for f in await paper.fills(since)])
        except OrderRejected as exc:
            raise _error(400, exc.code or "bad_schema", exc.context) from None
        except NotFound as exc:
            status = 400 if method == "DELETE" else 404
            raise _error(status, exc.code or "not_found", exc.context) from None
        raise _error(404, "not_found", {"path": path})

    async def _products(self, one: dict[str, str]) -> dict[str, Any]:
        types = set((one.get("contract_types") or "call_options,put_options").split(","))
        instruments = []
        for underlying in ("BTC", "ETH"):
            instruments += await self.paper.instruments(underlying)
        rows = [product_to_wire(i) for i in instruments if
                ("call_options" if i.kind == "call" else "put_options") in types]
        offset = int(one.get("after") or 0)
        size = min(int(one.get("page_size") or 100), 1000)
        page = rows[offset:offset + size]
        after = str(offset + size) if offset + size < len(rows) else None
        return {"success": True, "result": page, "meta": {"after": after, "before": None}}

    async def _tickers(self, one: dict[str, str]) -> dict[str, Any]:
        underlyings = (one.get("underlying_asset_symbols") or "BTC").split(",")
        types = set((one.get("contract_types") or "call_options,put_options").split(","))
        rows = []
        for underlying in underlyings:
            expiries = await self.paper.expiries(underlying)
            if one.get("expiry_date"):
                wanted = datetime.strptime(one["expiry_date"], "%d-%m-%Y").replace(hour=12, tzinfo=UTC)
                expiries = [e for e in expiries if e == wanted]
            for expiry in expiries:
                for t in await self.paper.chain(underlying, expiry):
                    kind = "call_options" if t.symbol.startswith("C-") else "put_options"
                    if kind in types:
                        rows.append(ticker_to_wire(t, Decimal(t.symbol.split("-")[2])))
        return _ok(rows)

    async def _place(self, body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except ValueError:
            raise _error(400, "bad_schema", {"schema_errors": ["body is not JSON"]}) from None
        cid = data.get("client_order_id") or ""
        self.order_posts[cid] += 1
        symbol = data.get("product_symbol") or self._symbol_for_product(int(data.get("product_id", 0)))
        try:
            limit = Decimal(str(data["limit_price"])) if data.get("limit_price") not in (None, "") else None
        except InvalidOperation:
            raise _error(400, "bad_schema", {"schema_errors": ["limit_price"]}) from None
        reduce_only = data.get("reduce_only", False)
        req = OrderRequest(symbol=symbol, side=data.get("side", ""), size=int(data.get("size", 0)),
                           order_type="market" if data.get("order_type") == "market_order" else "limit",
                           limit_price=limit, time_in_force=data.get("time_in_force", "gtc"),
                           reduce_only=reduce_only if isinstance(reduce_only, bool) else reduce_only == "true",
                           client_order_id=cid)
        order = await self.paper.place_order(req)
        return _ok(order_to_wire(order))

    # --- WebSocket -------------------------------------------------------------------------------

    def refuse_sockets(self, count: int) -> None:
        """Reject the next `count` WebSocket handshakes (the socket endpoint is 'down')."""
        self._refuse_ws = count

    async def drop_sockets(self) -> int:
        sockets = list(self._sockets)
        for sock in sockets:
            await sock.close(1011)
        return len(sockets)

    async def publish_tickers(self) -> int:
        """Push one compact ticker message per subscribed socket; returns messages sent."""
        sent = 0
        for sock in list(self._sockets):
            if sock.symbols and not sock.closed:
                tickers = [await self.paper.ticker(s) for s in sorted(sock.symbols)]
                await sock.send_json(ticker_to_ws_compact(tickers))
                sent += 1
        return sent

    async def _websocket(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if self._refuse_ws > 0:
            self._refuse_ws -= 1
            await send({"type": "websocket.close", "code": 1013})
            return
        await send({"type": "websocket.accept"})
        sock = _Socket(send)
        self._sockets.add(sock)
        self.ws_connects += 1
        beat: asyncio.Task[None] | None = None
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    data = json.loads(message.get("text") or message.get("bytes") or b"{}")
                except ValueError:
                    continue
                kind = data.get("type")
                if kind == "enable_heartbeat" and beat is None:
                    sock.heartbeat = True
                    beat = asyncio.create_task(self._heartbeat(sock))
                elif kind == "subscribe":
                    channels = (data.get("payload") or {}).get("channels") or []
                    for channel in channels:
                        if channel.get("name") in ("ticker", "v2/ticker"):
                            sock.symbols.update(channel.get("symbols") or [])
                    self.ws_subscribes += 1
                    await sock.send_json({"type": "subscriptions", "channels": channels})
                    await self.publish_to(sock)
        finally:
            self._sockets.discard(sock)
            if beat is not None:
                beat.cancel()

    async def publish_to(self, sock: _Socket) -> None:
        if sock.symbols:
            tickers = []
            for symbol in sorted(sock.symbols):
                with contextlib.suppress(NotFound):
                    tickers.append(await self.paper.ticker(symbol))
            if tickers:
                await sock.send_json(ticker_to_ws_compact(tickers))

    async def _heartbeat(self, sock: _Socket) -> None:
        while not sock.closed:
            await asyncio.sleep(self.heartbeat_interval_s)
            await sock.send_json({"type": "heartbeat"})


class _Hang(Exception):
    """Internal: the handler deliberately sends no response."""


def _ok(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result}


def _pid(symbol: str) -> int:
    from deltaplane.exchange.paper import product_id_for

    return product_id_for(symbol)

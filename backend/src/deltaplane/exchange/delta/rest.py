"""Signed REST client for Delta v2: envelopes, typed errors, rate budget, retries for reads only."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

from deltaplane.exchange.delta.ratelimit import RateBudget, endpoint_weight
from deltaplane.exchange.delta.signing import query_string, sign
from deltaplane.exchange.delta.wire import Envelope, ErrorBody
from deltaplane.exchange.errors import (
    AuthError,
    ExchangeError,
    NotFound,
    OrderRejected,
    RateLimitError,
    Timeout,
    Unavailable,
)
from deltaplane.exchange.health import ExchangeHealth

log = logging.getLogger("deltaplane.exchange.delta.rest")

USER_AGENT = "deltaplane/0.1 (+https://github.com/deltaplane)"
AUTH_CODES = {"expired_signature", "signatureexpired", "invalid_api_key", "unauthorizedapiaccess",
              "ip_not_whitelisted_for_api_key", "signature mismatch", "invalid_signature", "forbidden"}


class Response(msgspec.Struct, kw_only=True):
    result: Any
    meta: dict[str, Any] | None
    status: int
    date_header: str | None = None


def _error_code_and_context(envelope: Envelope | None, fallback: str) -> tuple[str, dict[str, Any], str]:
    """Both error shapes: {"error": {"code", "context"}} and {"error": "SignatureExpired", "message": ...}."""
    if envelope is None:
        return fallback, {}, ""
    error = envelope.error
    if isinstance(error, ErrorBody):
        return error.code, dict(error.context or {}), envelope.message or ""
    if isinstance(error, str) and error:
        return error, {}, envelope.message or ""
    return fallback, {}, envelope.message or ""


def classify_error(status: int, envelope: Envelope | None, headers: httpx.Headers | dict[str, str]) -> ExchangeError:
    """Map an unsuccessful HTTP answer to a typed error (pure)."""
    code, context, message = _error_code_and_context(envelope, f"http_{status}")
    normalised = code.lower()
    if status == 429:
        raw = headers.get("X-RATE-LIMIT-RESET") or headers.get("x-rate-limit-reset")
        try:
            reset_s = max(0.0, float(raw) / 1000.0) if raw is not None else 1.0
        except ValueError:
            reset_s = 1.0
        return RateLimitError(message, reset_after_s=reset_s, context=context)
    if status in (401, 403) or normalised in AUTH_CODES:
        if normalised == "signatureexpired":
            code = "expired_signature"
        return AuthError(message or code, code=code, context=context)
    if status == 404:
        return NotFound(message or code, code=code, context=context)
    if status >= 500 or normalised == "unavailable":
        return Unavailable(message or code, code=code, context=context)
    if status in (400, 405, 406, 422) or not (envelope and envelope.success):
        return OrderRejected(code, context, message)
    return ExchangeError(message or code, code=code, context=context)


class DeltaRestClient:
    def __init__(self, base_url: str, *, api_key: str = "", api_secret: str = "", timeout_s: float = 10.0,
                 user_agent: str = USER_AGENT, read_retries: int = 2, retry_backoff_s: float = 0.25,
                 max_rate_wait_s: float = 2.0, budget: RateBudget | None = None,
                 time_fn: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 transport: httpx.AsyncBaseTransport | None = None, health: ExchangeHealth | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._secret = api_secret  # never logged
        self.timeout_s = timeout_s
        self.read_retries = read_retries
        self.retry_backoff_s = retry_backoff_s
        self.max_rate_wait_s = max_rate_wait_s
        self.budget = budget or RateBudget()
        self.time_fn = time_fn
        self.sleep = sleep
        self.clock_offset_s = 0.0  # server minus local, learned from expired-signature answers
        self.last_date_header: str | None = None
        self.health = health or ExchangeHealth(time_fn=time_fn)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout_s, transport=transport,
                                       headers={"User-Agent": user_agent, "Accept": "application/json"})

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self._secret)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _now(self) -> float:
        return self.time_fn()

    def remaining_budget(self) -> int:
        return self.budget.remaining(self._now())

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: dict[str, Any] | None = None, auth: bool = False,
                      idempotent: bool | None = None) -> Response:
        """One logical request. Reads (idempotent) are retried on 5xx/timeouts/short 429s; writes never."""
        method = method.upper()
        retryable = (method == "GET") if idempotent is None else idempotent
        query = query_string(params)
        body_text = msgspec.json.encode(body).decode() if body is not None else ""  # serialised once
        weight = endpoint_weight(method, path)
        attempts = 1 + (self.read_retries if retryable else 0)
        resynced = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._send_once(method, path, query, body_text, auth, weight)
            except AuthError as exc:
                # an expired signature means the request was refused: resync the clock and re-sign once
                if exc.code == "expired_signature" and not resynced and self._learn_offset(exc.context):
                    resynced = True
                    continue
                if exc.code != "missing_credentials":
                    self.health.rest_error(exc)
                raise
            except RateLimitError as exc:
                if retryable and attempt < attempts and exc.reset_after_s <= self.max_rate_wait_s:
                    await self.sleep(exc.reset_after_s)
                    self.budget.unblock()  # we waited as told
                    continue
                raise
            except (Unavailable, Timeout) as exc:
                if retryable and attempt < attempts:
                    log.warning("delta read retry", extra={"event": "delta_read_retry", "method": method,
                                                           "path": path, "attempt": attempt,
                                                           "error": type(exc).__name__})
                    await self.sleep(self.retry_backoff_s * attempt)
                    continue
                raise

    def _learn_offset(self, context: dict[str, Any]) -> bool:
        server_time = context.get("server_time")
        if server_time is None:
            return False
        try:
            value = float(server_time)
        except (TypeError, ValueError):
            return False
        seconds = value / 1e6 if value > 1e14 else value / 1e3 if value > 1e11 else value
        self.clock_offset_s = seconds - self._now()
        self.health.clock_offset_learned(self.clock_offset_s)
        log.warning("delta clock offset learned", extra={"event": "delta_clock_offset",
                                                         "offset_s": round(self.clock_offset_s, 3)})
        return True

    async def _send_once(self, method: str, path: str, query: str, body_text: str, auth: bool,
                         weight: int) -> Response:
        now = self._now()
        if not self.budget.try_consume(now, weight):
            error = RateLimitError("client-side rate budget exhausted", reset_after_s=self.budget.reset_after(now),
                                   code="client_rate_budget")
            self.health.rest_error(error)
            raise error
        headers = {"Content-Type": "application/json"}
        if auth:
            if not self.has_credentials:
                raise AuthError("API key and secret are not configured", code="missing_credentials")
            timestamp = str(int(now + self.clock_offset_s))
            headers["api-key"] = self.api_key
            headers["timestamp"] = timestamp
            headers["signature"] = sign(self._secret, method, timestamp, path, query, body_text)
        started = time.perf_counter()
        try:
            resp = await self._http.request(method, path + query, content=body_text.encode() if body_text else None,
                                            headers=headers)
        except httpx.TimeoutException as exc:
            log.warning("delta request timeout", extra={"event": "delta_request_timeout", "method": method,
                                                        "path": path})
            timeout = Timeout(f"{method} {path} timed out", code="timeout")
            self.health.rest_error(timeout)
            raise timeout from exc
        except httpx.TransportError as exc:
            unavailable = Unavailable(f"{method} {path}: {type(exc).__name__}", code="transport_error")
            self.health.rest_error(unavailable)
            raise unavailable from exc
        self.last_date_header = resp.headers.get("date")
        envelope: Envelope | None
        try:
            envelope = msgspec.json.decode(resp.content, type=Envelope) if resp.content else None
        except msgspec.DecodeError:
            envelope = None
        log.debug("delta request", extra={"event": "delta_request", "method": method, "path": path,
                                          "status": resp.status_code,
                                          "elapsed_ms": round((time.perf_counter() - started) * 1000, 2)})
        if resp.status_code >= 400 or envelope is None or not envelope.success:
            if envelope is None and resp.status_code < 400:
                bad = Unavailable(f"{method} {path}: undecodable answer", code="bad_response")
                self.health.rest_error(bad)
                raise bad
            error = classify_error(resp.status_code, envelope, resp.headers)
            if isinstance(error, RateLimitError):
                self.budget.block(self._now(), error.reset_after_s)
                log.warning("delta rate limited", extra={"event": "delta_rate_limited", "path": path,
                                                         "reset_after_s": error.reset_after_s})
            if isinstance(error, (RateLimitError, Unavailable)):
                self.health.rest_error(error)
            elif not isinstance(error, AuthError):
                self.health.rest_ok()  # a business answer (not found, rejected): the exchange is fine
            raise error
        self.health.rest_ok()
        return Response(result=envelope.result, meta=envelope.meta, status=resp.status_code,
                        date_header=self.last_date_header)

    def server_time_from_date(self) -> float | None:
        if not self.last_date_header:
            return None
        try:
            return parsedate_to_datetime(self.last_date_header).timestamp()
        except (TypeError, ValueError):
            return None

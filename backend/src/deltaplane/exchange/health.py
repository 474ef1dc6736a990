"""Exchange health as the trader should see it: what the live adapter is going through right now.

States, worst first: `auth_error` (Delta refuses our signature or key: clock skew, bad key),
`rate_limited` (HTTP 429: nothing is sent until `retry_at`), `degraded` (5xx, timeouts, transport
errors), `reconnecting` (the ticker WebSocket is down; prices come from REST polling), `ok`.

The REST client and the ticker stream report into one `ExchangeHealth`; listeners (the engine)
hear every change of what is shown. A state entered on an error is held for at least
`hold_s` after the last error, so a flapping exchange does not flap the UI and the event log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import msgspec

from deltaplane.exchange.errors import AuthError, ExchangeError, RateLimitError

log = logging.getLogger("deltaplane.exchange.health")

HealthState = Literal["ok", "reconnecting", "degraded", "rate_limited", "auth_error"]
SEVERITY: dict[str, int] = {"ok": 0, "reconnecting": 1, "degraded": 2, "rate_limited": 3, "auth_error": 4}
HOLD_SECONDS = 2.0


class ExchangeHealthRead(msgspec.Struct, kw_only=True):
    """What the live exchange is going through (pushed on the `exchange` topic, shown in Live Control)."""

    exchange: str
    state: str  # ok | reconnecting | degraded | rate_limited | auth_error
    message: str  # one line for a human: what is happening and what the engine does about it
    since: datetime | None = None  # when the current non-ok state began
    retry_at: datetime | None = None  # rate_limited: when requests may be sent again
    retry_in_s: float | None = None  # ... as seconds from `checked_at`
    last_error: str | None = None
    last_error_at: datetime | None = None
    rest: str = "ok"  # ok | degraded | rate_limited | auth_error
    ticker: str = "idle"  # idle (no stream) | ok | reconnecting
    ticker_failures: int = 0  # consecutive failed (re)connects of the worst stream
    clock_offset_s: float | None = None  # server minus local, applied to signatures once learned
    checked_at: datetime


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def describe_error(exc: BaseException) -> str:
    """Short, secret-free text for an exchange error (status/code, not bodies)."""
    if isinstance(exc, RateLimitError):
        return f"{exc.code or 'rate_limited'}: retry in {exc.reset_after_s:.1f} s"
    if isinstance(exc, ExchangeError):
        code = exc.code or type(exc).__name__
        text = str(exc)
        return code if text in ("", code) else f"{code}: {text}"[:200]
    return type(exc).__name__


class _Stream(msgspec.Struct):
    up: bool = False
    failures: int = 0
    since: float | None = None
    last_error: str | None = None


Listener = Callable[[ExchangeHealthRead, ExchangeHealthRead], None]


class ExchangeHealth:
    def __init__(self, exchange: str = "delta", *, time_fn: Callable[[], float] = time.time,
                 hold_s: float = HOLD_SECONDS):
        self.exchange = exchange
        self.time_fn = time_fn
        self.hold_s = hold_s
        self.rest: str = "ok"
        self.rest_since: float | None = None
        self.retry_at: float | None = None
        self.auth_code: str | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self._last_error_mono = float("-inf")
        self.clock_offset_s: float | None = None
        self._streams: dict[int, _Stream] = {}
        self._listeners: list[Listener] = []
        self._recover_handle: asyncio.TimerHandle | None = None
        self._last = self.snapshot()

    # --- listeners --------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _changed(self) -> None:
        current = self.snapshot()
        previous = self._last
        if (current.state, current.message, current.retry_at, current.rest, current.ticker) == (
                previous.state, previous.message, previous.retry_at, previous.rest, previous.ticker):
            return
        self._last = current
        if current.state != previous.state:
            log.log(logging.INFO if current.state == "ok" else logging.WARNING, "exchange health %s", current.state,
                    extra={"event": "exchange_health", "state": current.state, "previous": previous.state,
                           "detail": current.message})
        for listener in list(self._listeners):
            try:
                listener(current, previous)
            except Exception:  # a listener must never break the adapter
                log.exception("exchange health listener failed", extra={"event": "exchange_health_listener_failed"})

    # --- REST reports ------------------------------------------------------------------------------
    def rest_error(self, exc: BaseException) -> None:
        """A request failed in a way that says something about the exchange (not a business answer)."""
        now = self.time_fn()
        if isinstance(exc, RateLimitError):
            state = "rate_limited"
            self.retry_at = max(self.retry_at or 0.0, now + exc.reset_after_s)
        elif isinstance(exc, AuthError):
            state = "auth_error"
            self.auth_code = exc.code or "auth_error"
        else:
            state = "degraded"
        if self.rest == "rate_limited" and state != "rate_limited" and (self.retry_at or 0.0) <= now:
            self.rest, self.retry_at = state, None  # the 429 window is over: this is the trouble now
        if self.rest == "ok" or SEVERITY[state] >= SEVERITY[self.rest]:
            if self.rest == "ok":
                self.rest_since = now
            self.rest = state
        self.last_error = describe_error(exc)
        self.last_error_at = now
        self._last_error_mono = time.monotonic()
        self._cancel_recover()
        self._changed()

    def rest_ok(self) -> None:
        """A request got a coherent answer. Back to ok once the hold since the last error is over."""
        if self.rest == "ok":
            return
        wait = self.hold_s - (time.monotonic() - self._last_error_mono)
        if self.retry_at is not None:
            wait = max(wait, self.retry_at - self.time_fn())
        if wait <= 0:
            self._recover()
            return
        if self._recover_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            marker = self._last_error_mono
            self._recover_handle = loop.call_later(wait, self._recover_if_quiet, marker)

    def _recover_if_quiet(self, marker: float) -> None:
        self._recover_handle = None
        if self._last_error_mono == marker:  # no new error since the success that scheduled this
            self._recover()

    def _cancel_recover(self) -> None:
        if self._recover_handle is not None:
            self._recover_handle.cancel()
            self._recover_handle = None

    def _recover(self) -> None:
        self._cancel_recover()
        self.rest, self.rest_since, self.retry_at, self.auth_code = "ok", None, None, None
        self._changed()

    def clock_offset_learned(self, offset_s: float) -> None:
        self.clock_offset_s = round(offset_s, 3)
        self._changed()

    def blocked_for(self) -> float:
        """Seconds until the exchange lets us send again (0 when not rate limited)."""
        if self.retry_at is None:
            return 0.0
        return max(0.0, self.retry_at - self.time_fn())

    # --- ticker stream reports ---------------------------------------------------------------------
    def stream_up(self, stream_id: int) -> None:
        self._streams[stream_id] = _Stream(up=True)
        self._changed()

    def stream_down(self, stream_id: int, error: str, failures: int) -> None:
        s = self._streams.setdefault(stream_id, _Stream())
        if s.up or s.since is None:
            s.since = self.time_fn()
        s.up, s.failures, s.last_error = False, failures, error
        self._changed()

    def stream_closed(self, stream_id: int) -> None:
        if self._streams.pop(stream_id, None) is not None:
            self._changed()

    # --- the picture -------------------------------------------------------------------------------
    def _ticker(self) -> tuple[str, _Stream | None]:
        down = [s for s in self._streams.values() if not s.up and s.failures > 0]
        if down:
            return "reconnecting", min(down, key=lambda s: s.since or 0.0)
        return ("ok" if self._streams else "idle"), None

    def snapshot(self) -> ExchangeHealthRead:
        now = self.time_fn()
        ticker, worst_stream = self._ticker()
        state = self.rest if self.rest != "ok" else ("reconnecting" if ticker == "reconnecting" else "ok")
        retry_in = None if self.retry_at is None else max(0.0, round(self.retry_at - now, 3))
        since: float | None = None
        if state == "reconnecting" and worst_stream is not None:
            since = worst_stream.since
            message = (f"Ticker WebSocket down, reconnecting (attempt {worst_stream.failures + 1}); "
                       "prices come from REST polling meanwhile")
        elif state == "rate_limited":
            since = self.rest_since
            message = ("Delta rate limit hit (HTTP 429): nothing is sent until the window reopens; "
                       "orders and exits resume automatically")
        elif state == "degraded":
            since = self.rest_since
            message = f"Delta API failing ({self.last_error}); requests are retried with backoff"
        elif state == "auth_error":
            since = self.rest_since
            if (self.auth_code or "").lower() in ("expired_signature", "signatureexpired"):
                message = ("Delta rejected the request signature as expired: this host's clock and Delta's "
                           "differ (clock skew); check NTP. Requests are retried")
            else:
                message = f"Delta refused our credentials ({self.auth_code}): check the API key, secret and IP whitelist"
        else:
            message = "Delta Exchange reachable"
            if self.clock_offset_s:
                message += f" (clock offset {self.clock_offset_s:+.1f} s applied to signatures)"
        return ExchangeHealthRead(
            exchange=self.exchange, state=state, message=message, since=_dt(since),
            retry_at=_dt(self.retry_at) if state == "rate_limited" else None,
            retry_in_s=retry_in if state == "rate_limited" else None,
            last_error=self.last_error, last_error_at=_dt(self.last_error_at), rest=self.rest, ticker=ticker,
            ticker_failures=worst_stream.failures if worst_stream else 0, clock_offset_s=self.clock_offset_s,
            checked_at=_dt(now) or datetime.now(UTC),
        )

    def close(self) -> None:
        self._cancel_recover()

"""The strangle engine: one asyncio task per running strategy, driven by the exchange.

Safety rules this module keeps (DESIGN section 6):
- every decision is written to the database *before* it is acted on (order intents carry their
  client_order_id, so a restart looks them up instead of placing a duplicate);
- one leg filled and the other not: the filled leg is unwound, never left naked and untracked;
- it never adopts positions it did not open; a mismatch puts the strategy in `error` with an alert;
- a live strategy only ever talks to the live exchange.
Pure rules (strikes, exits, entry timing, price walk, state table) live in `strategy.rules` and
`strategy.state_machine`; this module is the I/O around them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from deltaplane.core.context import log_context
from deltaplane.db.base import utcnow
from deltaplane.exchange.errors import (
    ExchangeError,
    NotFound,
    OrderRejected,
    OrderStatusUnknown,
    RateLimitError,
    is_transient,
    refused_before_processing,
)
from deltaplane.exchange.health import ExchangeHealth, ExchangeHealthRead
from deltaplane.exchange.protocol import Exchange, Order, OrderRequest, Ticker
from deltaplane.realtime.hub import RealtimeHub
from deltaplane.strategy.alerts import AlertService
from deltaplane.strategy.config import StrategyConfig, config_to_builtins, expiry_min_buffer, validate_config
from deltaplane.strategy.models import (
    EngineFill,
    EngineOrder,
    Leg,
    RiskState,
    SessionEvent,
    Strategy,
    TradingSession,
)
from deltaplane.strategy.rules.entry import DayActivity, EnterNow, SkipDay, Wait, entry_decision
from deltaplane.strategy.rules.execution import limit_price_for_attempt
from deltaplane.strategy.rules.exits import (
    EXIT_URGENCY,
    MarketState,
    PositionState,
    TrailingState,
    evaluate_exit,
    trailing_levels,
)
from deltaplane.strategy.rules.expiry import select_expiry
from deltaplane.strategy.rules.outcomes import NoTrade
from deltaplane.strategy.rules.strikes import ChainQuote, select_strikes, strike_params_from_config
from deltaplane.strategy.runtime_view import RuntimeView, feed_spot, leg_pnl, session_countdowns
from deltaplane.strategy.state_machine import RUNNING_STATES, IllegalTransition, apply_action

logger = logging.getLogger("deltaplane.engine")

ACTIVE_SESSION_STATUSES = ("entering", "open", "exiting", "error")
STALL_SECONDS = 2.0  # evaluate exits on a timer when ticks stall
ORDER_POLL_SECONDS = 1.0
EXIT_ROUNDS = 6
RISK_REFRESH_SECONDS = 5.0
TICK_PUSH_SECONDS = 0.25  # runtime tick pushes per strategy: at most 4 a second  # how stale the daily-loss inputs read from the DB may get  # partial exits are retried this many rounds before the session is flagged
# Transient exchange trouble (429, 5xx, timeouts, an expired signature): pause and try again.
TRANSIENT_RETRIES = 8  # per leg execution / order lookup / cancel before the failure counts
LOOP_TRANSIENT_RETRIES = 6  # consecutive failed entry/monitoring passes before the runner gives up (error)
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0


def parse_config(config_json: str) -> StrategyConfig:
    return msgspec.json.decode(config_json, type=StrategyConfig)


def dump_config(cfg: StrategyConfig) -> str:
    return msgspec.json.encode(config_to_builtins(cfg)).decode()


def new_client_order_id() -> str:
    return f"dp{uuid.uuid4().hex[:28]}"  # 30 chars: Delta allows 32


def to_chain_quote(t: Ticker, kind: str, strike: Decimal, expiry: datetime) -> ChainQuote:
    return ChainQuote(
        symbol=t.symbol, kind=kind, strike=strike, expiry=expiry, mark=t.mark,  # type: ignore[arg-type]
        best_bid=t.best_bid, best_ask=t.best_ask, delta=t.delta, iv=t.mark_iv,
    )


class EngineError(Exception):
    """A condition the engine refuses to act on; the message is shown to the trader."""


class ActionRefused(Exception):
    def __init__(self, current_state: str, message: str) -> None:
        super().__init__(message)
        self.current_state = current_state
        self.message = message


@dataclass
class LiveQuote:
    ticker: Ticker
    received_at: datetime


@dataclass
class RunnerSignals:
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: list[str] = field(default_factory=list)  # operator actions not yet applied


class StrategyEngine:
    """Owns the runners. Controllers call `act`, `kill`, `runtime`; the app lifespan calls start/stop."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        exchanges: dict[str, Exchange],
        hub: RealtimeHub,
        alerts: AlertService,
        clock: Any,
        live_trading_enabled: bool = False,
        read_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.exchanges = exchanges  # "paper" and, when configured, "live"
        self.hub = hub
        self.alerts = alerts
        self.clock = clock
        self.live_trading_enabled = live_trading_enabled
        self.read_sessionmaker = read_sessionmaker or sessionmaker
        self.runners: dict[int, StrategyRunner] = {}
        self.open_pnl: dict[int, Decimal] = {}  # strategy id -> unrealised PnL of its open session
        self._risk_cache: tuple[datetime, Decimal | None, Decimal] | None = None
        self._rearms = 0  # counts re-arms: a breaker trip decided before the latest re-arm is dropped
        self._lock = asyncio.Lock()
        self.view = RuntimeView(self, active_statuses=ACTIVE_SESSION_STATUSES)  # GET runtime, cached between commits
        self._background: set[asyncio.Task[None]] = set()
        self._unsubscribe = [health.subscribe(functools.partial(self._on_exchange_health, key))
                             for key, health in self._healths().items()]

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Resume every strategy that was running when the process stopped (crash recovery)."""
        self.view.start()
        async with self.sessionmaker() as db:
            rows = (await db.scalars(select(Strategy).where(Strategy.archived_at.is_(None), Strategy.state.in_(tuple(RUNNING_STATES))))).all()
            await self._ensure_risk_row(db)
            await db.commit()
        for strategy in rows:
            await self._record_event(strategy.id, None, "engine_recovered", f"engine restarted; resuming from state {strategy.state}", level="warning")
            self.alerts.emit("recovery", f"strategy {strategy.name!r} resumed after restart (was {strategy.state})", level="warning", strategy_id=strategy.id)
            self._spawn(strategy.id)

    async def stop(self) -> None:
        """Stop the tasks without touching positions: a restart resumes them."""
        runners = list(self.runners.values())
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*(r.wait_closed() for r in runners), return_exceptions=True)
        self.runners.clear()
        self.view.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    # --- exchange health -----------------------------------------------------------------------
    def _healths(self) -> dict[str, ExchangeHealth]:
        return {key: h for key, ex in self.exchanges.items() if isinstance(h := getattr(ex, "health", None), ExchangeHealth)}

    def exchange_health(self, key: str = "live") -> dict[str, Any] | None:
        """The health picture of exchange `key` ("live" | "paper"); None when it keeps none (paper)."""
        health = self._healths().get(key)
        return None if health is None else msgspec.to_builtins(health.snapshot())

    def _on_exchange_health(self, key: str, current: ExchangeHealthRead, previous: ExchangeHealthRead) -> None:
        """Push every change; on a change of state also alert and write it into each affected session's timeline."""
        data = msgspec.to_builtins(current)
        self.hub.publish("exchange", {"exchange": key, "health": data})
        runners = [r for r in self.runners.values() if not r.done and r.exchange_key == key]
        for runner in runners:
            self.hub.publish(f"runtime:{runner.strategy_id}", {"exchange": data})
        if current.state == previous.state:
            return
        if current.state == "ok":
            took = f" after {(current.checked_at - previous.since).total_seconds():.0f} s" if previous.since else ""
            kind, level = "exchange_recovered", "info"
            message = f"{current.exchange.title()} back to normal{took} (was {previous.state.replace('_', ' ')})"
        else:
            kind, level = f"exchange_{current.state}", ("error" if current.state == "auth_error" else "warning")
            detail = current.last_error if current.state in ("rate_limited", "auth_error") else None  # degraded names it already
            message = current.message + (f" [{detail}]" if detail else "")
        self.alerts.emit("exchange", message, level=level, exchange=current.exchange, state=current.state, previous=previous.state)
        for runner in runners:
            task = asyncio.get_running_loop().create_task(
                self._record_event(runner.strategy_id, runner.session_id, kind, message, level=level, state=current.state,
                                   last_error=current.last_error))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def exchange_for(self, cfg: StrategyConfig) -> Exchange:
        if cfg.mode == "live":
            if not self.live_trading_enabled:
                raise EngineError("mode: live trading is disabled (set LIVE_TRADING_ENABLED=true)")
            exchange = self.exchanges.get("live")
            if exchange is None:
                raise EngineError("mode: live mode needs EXCHANGE=delta with DELTA_API_KEY/SECRET configured")
            return exchange  # never falls back to paper
        return self.exchanges["paper"]

    def _spawn(self, strategy_id: int) -> StrategyRunner:
        runner = StrategyRunner(self, strategy_id)
        self.runners[strategy_id] = runner
        runner.start()
        return runner

    # --- operator actions ----------------------------------------------------------------------
    async def act(self, strategy_id: int, action: str, *, user: str = "") -> str:
        async with self._lock:
            async with self.sessionmaker() as db:
                strategy = await db.get(Strategy, strategy_id)
                if strategy is None or strategy.archived_at is not None:
                    raise LookupError(f"strategy {strategy_id} not found")
                has_legs = await self._has_open_legs(db, strategy_id)
                result = apply_action(strategy.state, action, has_open_legs=has_legs)  # type: ignore[arg-type]
                if isinstance(result, IllegalTransition):
                    raise ActionRefused(result.current_state, result.message)
                if action == "start":
                    await self._check_can_start(db, strategy)
                    cfg = parse_config(strategy.config_json)
                    self.exchange_for(cfg)  # refuse live without live trading, before anything changes
                    # A config saved before a rule existed (e.g. an unbounded premium) must not reach
                    # the runner, where it would fail mid-session: refuse the start, naming the field.
                    problems = validate_config(cfg, live_trading_enabled=self.live_trading_enabled)
                    if problems:
                        raise EngineError(f"{problems[0].field}: {problems[0].message} (the saved configuration breaks this rule: edit and save the strategy)")
                    strategy.run_version = strategy.version
                strategy.state = result.new_state
                strategy.state_detail = f"{action} by {user}" if user else action
                strategy.updated_at = utcnow()
                db.add(_event(strategy_id, None, f"action_{action}", f"{action} requested by {user or 'system'}: {result.previous_state} -> {result.new_state}"))
                await db.commit()
            # the operator's actions belong in the log too, findable by strategy in the Log Viewer
            logger.info(f"{action} requested by {user or 'system'}: {result.previous_state} -> {result.new_state}",
                        extra={"event": "strategy_action", "strategy_id": str(strategy_id), "action": action,
                               "user": user or "system", "previous_state": result.previous_state, "new_state": result.new_state})
            runner = self.runners.get(strategy_id)
            # a runner that ended (error) is no runner: stop/flatten from error must start one to exit the legs
            if action == "start" or ((runner is None or runner.done) and result.new_state in RUNNING_STATES):
                if runner is None or runner.done:
                    runner = self._spawn(strategy_id)
            if runner is not None:
                runner.signal(action)
            self.hub.publish(f"runtime:{strategy_id}", {"state": result.new_state, "action": action})
            return result.new_state

    async def kill(self, *, user: str = "") -> dict[str, Any]:
        """Global kill switch: flatten every running strategy, and every strategy in `error` that still
        holds a session (its legs are real positions), and refuse new starts until re-armed."""
        async with self.sessionmaker() as db:
            risk = await self._ensure_risk_row(db)
            risk.kill_switch_at = utcnow()
            await db.commit()
            ids = list((await db.scalars(select(Strategy.id).where(Strategy.state.in_(tuple(RUNNING_STATES))))).all())
            for sid in (await db.scalars(select(Strategy.id).where(Strategy.state == "error"))).all():
                if await self._has_open_legs(db, sid):
                    ids.append(sid)
        flattened = []
        for sid in ids:
            try:
                await self.act(sid, "kill", user=user)
                flattened.append(sid)
            except (ActionRefused, LookupError):
                pass
        self.alerts.emit("kill_switch", f"kill switch engaged by {user or 'system'}: flattening {len(flattened)} strategies", level="error", strategy_ids=flattened)
        return {"kill_switch": True, "flattened": flattened}

    async def rearm(self, *, user: str = "") -> None:
        self._rearms += 1  # before any await: a trip decided earlier sees it once it holds the lock
        async with self.sessionmaker() as db:
            risk = await self._ensure_risk_row(db)
            risk.kill_switch_at = None
            risk.breaker_tripped_at = None
            risk.breaker_reason = None
            await db.commit()
        self.invalidate_risk_cache()
        self.alerts.emit("rearmed", f"kill switch / circuit breaker re-armed by {user or 'system'}", level="warning")

    async def _realised_today(self, db: AsyncSession) -> Decimal:
        """Net PnL of the sessions closed since 00:00 UTC: the breaker's trading day."""
        start_of_day = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return sum((await db.scalars(select(TradingSession.net_pnl).where(TradingSession.closed_at >= start_of_day))).all(), Decimal(0))

    async def day_pnl(self, db: AsyncSession) -> Decimal:
        """What the daily-loss breaker compares with its limit: today's realised plus open PnL."""
        return await self._realised_today(db) + sum(self.open_pnl.values(), Decimal(0))

    async def check_account_loss(self) -> None:
        """Daily circuit breaker: realised PnL of today's closed sessions plus every open session's
        unrealised PnL. The DB part is refreshed every few seconds, not on every tick."""
        now = self.clock.now()
        if self._risk_cache is None or now >= self._risk_cache[0]:
            async with self.read_sessionmaker() as db:
                risk = await db.get(RiskState, 1)
                realized = await self._realised_today(db)
            limit = None if risk is None or risk.breaker_tripped_at is not None else risk.daily_loss_limit_usd
            self._risk_cache = (now + timedelta(seconds=RISK_REFRESH_SECONDS), limit, realized)
        _, limit, realized = self._risk_cache
        if limit is None:
            return
        total = realized + sum(self.open_pnl.values(), Decimal(0))
        if total <= -limit:
            self._risk_cache = (now + timedelta(seconds=RISK_REFRESH_SECONDS), None, realized)  # trip once
            asyncio.get_running_loop().create_task(
                self.trip_breaker(f"realised+unrealised {usd(total)} USD <= -{limit}", decided_after_rearms=self._rearms))

    def invalidate_risk_cache(self) -> None:
        self._risk_cache = None

    async def trip_breaker(self, reason: str, *, decided_after_rearms: int | None = None) -> None:
        """Trip the daily-loss breaker and flatten everything. A trip decided from figures read
        before an operator re-armed (the task can wait on the write lock meanwhile) is dropped:
        the next check decides again on fresh figures."""
        async with self.sessionmaker() as db:
            risk = await self._ensure_risk_row(db)  # BEGIN IMMEDIATE: a re-arm now waits for our commit
            if risk.breaker_tripped_at is not None:
                return
            if decided_after_rearms is not None and decided_after_rearms != self._rearms:
                return
            risk.breaker_tripped_at = utcnow()
            risk.breaker_reason = reason
            await db.commit()
            ids = (await db.scalars(select(Strategy.id).where(Strategy.state.in_(tuple(RUNNING_STATES))))).all()
        # Flattened strategies end closed (their schedule too): say so, not "pausing".
        self.alerts.emit("circuit_breaker", f"daily loss limit hit: {reason}; flattening {len(ids)} running "
                         f"{'strategy' if len(ids) == 1 else 'strategies'}; flattened strategies end closed and new starts are refused until re-armed",
                         level="error", strategy_ids=list(ids))
        for sid in ids:
            with contextlib.suppress(ActionRefused, LookupError):
                await self.act(sid, "flatten", user="circuit-breaker")

    # --- helpers -----------------------------------------------------------------------------
    async def _ensure_risk_row(self, db: AsyncSession) -> RiskState:
        risk = await db.get(RiskState, 1)
        if risk is None:
            risk = RiskState(id=1)
            db.add(risk)
            await db.flush()
        return risk

    async def _has_open_legs(self, db: AsyncSession, strategy_id: int) -> bool:
        count = await db.scalar(
            select(func.count()).select_from(TradingSession).where(
                TradingSession.strategy_id == strategy_id, TradingSession.status.in_(ACTIVE_SESSION_STATUSES)
            )
        )
        return bool(count)

    async def _check_can_start(self, db: AsyncSession, strategy: Strategy) -> None:
        risk = await self._ensure_risk_row(db)
        if risk.kill_switch_at is not None:
            raise ActionRefused(strategy.state, "the kill switch is engaged; re-arm it before starting strategies")
        if risk.breaker_tripped_at is not None:
            raise ActionRefused(strategy.state, f"the daily-loss circuit breaker tripped ({risk.breaker_reason}); re-arm it first")
        running = await db.scalar(select(func.count()).select_from(Strategy).where(Strategy.state.in_(tuple(RUNNING_STATES)), Strategy.id != strategy.id))
        if (running or 0) >= risk.max_running_strategies:
            raise ActionRefused(strategy.state, f"risk limit: at most {risk.max_running_strategies} running strategies")
        cfg = parse_config(strategy.config_json)
        if cfg.quantity > risk.max_contracts_per_leg:
            raise ActionRefused(strategy.state, f"risk limit: quantity {cfg.quantity} exceeds max {risk.max_contracts_per_leg} contracts per leg")
        # After a re-arm the day can still be past the limit: an entry would pay its fees and be
        # flattened on the first tick by the breaker tripping again.
        limit = risk.daily_loss_limit_usd
        if limit is not None and (day := await self.day_pnl(db)) <= -limit:
            raise ActionRefused(strategy.state, f"risk limit: today's PnL {usd(day)} USD is already at or past the daily loss limit "
                                                f"(-{limit} USD, day in UTC); an entry would be flattened at once")

    async def _record_event(self, strategy_id: int, session_id: str | None, kind: str, message: str, *, level: str = "info", **data: Any) -> None:
        async with self.sessionmaker() as db:
            db.add(_event(strategy_id, session_id, kind, message, level=level, **data))
            await db.commit()
        self.hub.publish(f"runtime:{strategy_id}", {"event": {"kind": kind, "message": message, "level": level}})

    async def runtime(self, strategy_id: int) -> dict[str, Any]:
        """The runtime view (runtime_view.py): database rows cached until a commit changes them, plus live state."""
        return await self.view.read(strategy_id)


def usd(amount: Decimal, dp: int = 4) -> str:
    """An amount for a message, rounded half away from zero like the UI rounds the same figure
    (analytics/money.ts), so an event's "-0.0411" matches History's (format() would round half-even)."""
    return str(amount.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP))


def session_money(legs: Any) -> tuple[Decimal, Decimal, Decimal]:
    """(credit, debit, fees) of a session from its legs: premium received selling, premium paid
    buying back and fees paid, in USD, so far. Kept on the session row after every fill while the
    session runs (so an open session shows what it has paid) and booked at close."""
    credit = sum(((leg.entry_price or Decimal(0)) * leg.contract_value * leg.entry_qty for leg in legs), Decimal(0))
    debit = sum(((leg.exit_price or Decimal(0)) * leg.contract_value * leg.exit_qty for leg in legs), Decimal(0))
    fees = sum((leg.fees for leg in legs), Decimal(0))
    return credit, debit, fees


def _event(strategy_id: int, session_id: str | None, kind: str, message: str, *, level: str = "info", **data: Any) -> SessionEvent:
    return SessionEvent(
        strategy_id=strategy_id,
        session_id=session_id,
        timestamp=utcnow(),
        kind=kind,
        level=level,
        message=message,
        data_json=msgspec.json.encode(data, enc_hook=str).decode(),
    )


class StrategyRunner:
    """The task that runs one strategy: wait for entry → enter → monitor → exit → repeat."""

    def __init__(self, engine: StrategyEngine, strategy_id: int) -> None:
        self.engine = engine
        self.strategy_id = strategy_id
        self.name = f"#{strategy_id}"  # until the first _load(): alerts say which strategy
        self.signals = RunnerSignals()
        self.task: asyncio.Task[None] | None = None
        self.quotes: dict[str, LiveQuote] = {}
        self.idle = asyncio.Event()
        self.last_skip_day: Any = None
        self.next_entry_at: datetime | None = None
        self.last_levels: dict[str, Any] | None = None
        self.last_pnl: dict[str, Any] | None = None
        self.reconciled: set[str] = set()  # sessions checked against the exchange by this runner
        self.position: PositionState | None = None  # in-memory copy of the open position being monitored
        self.position_symbols: tuple[str, str] = ("", "")
        # per leg of the monitored position: (symbol, entry price, contract value, open qty), for pushed leg PnL
        self.position_legs: tuple[tuple[str, Decimal | None, Decimal, int], ...] = ()
        self.last_tick_push = 0.0
        self.exchange_key: str | None = None  # "paper" | "live": whose health news concerns this runner
        self.session_id: str | None = None  # the session being entered, monitored or exited

    # --- task plumbing -------------------------------------------------------------------------
    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._main(), name=f"strategy-{self.strategy_id}")

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    async def wait_closed(self) -> None:
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    @property
    def done(self) -> bool:
        return self.task is None or self.task.done()

    def signal(self, action: str) -> None:
        self.signals.pending.append(action)
        self.signals.wake.set()

    @property
    def clock(self) -> Any:
        return self.engine.clock

    def now(self) -> datetime:
        return self.clock.now()

    async def _wait(self, seconds: float, extra: list[Awaitable[Any]] | None = None) -> Any:
        """Wait on the engine clock, an operator action, or one of `extra`; returns the finished extra's result."""
        if self.signals.wake.is_set():
            return None
        waits: list[asyncio.Task[Any]] = [
            asyncio.ensure_future(self.clock.sleep(max(0.0, seconds))),
            asyncio.ensure_future(self.signals.wake.wait()),
        ]
        extras = [asyncio.ensure_future(e) for e in (extra or [])]
        self.idle.set()
        try:
            done, _ = await asyncio.wait(waits + extras, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.idle.clear()
            for t in waits + extras:
                if not t.done():
                    t.cancel()
        for t in extras:
            if t in done and not t.cancelled() and t.exception() is None:
                return t.result()
        return None

    # --- persistence helpers -------------------------------------------------------------------
    async def _load(self, db: AsyncSession) -> Strategy:
        strategy = await db.get(Strategy, self.strategy_id)
        if strategy is None:
            raise EngineError(f"strategy {self.strategy_id} vanished")
        self.name = strategy.name
        return strategy

    def _alert(self, kind: str, text: str, *, level: str = "info", **data: Any) -> None:
        """An alert about this strategy, by name (a trader reading it on a phone knows names, not
        ids), with amounts at the 4 decimals Live Control shows for the same figures."""
        self.engine.alerts.emit(kind, f"strategy {self.name!r} {text}", level=level, strategy_id=self.strategy_id, **data)

    async def _set_state(self, state: str, detail: str = "") -> None:
        async with self.engine.sessionmaker() as db:
            strategy = await self._load(db)
            strategy.state = state
            strategy.state_detail = detail
            strategy.updated_at = utcnow()
            await db.commit()
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": state, "detail": detail})

    async def _event(self, session_id: str | None, kind: str, message: str, *, level: str = "info", **data: Any) -> None:
        with log_context(strategy_id=str(self.strategy_id), session_id=session_id):
            logger.log(
                {"error": logging.ERROR, "warning": logging.WARNING}.get(level, logging.INFO),
                message,
                extra={"event": kind, **{k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}},
            )
        await self.engine._record_event(self.strategy_id, session_id, kind, message, level=level, **data)

    def _take_actions(self) -> list[str]:
        actions = list(self.signals.pending)
        self.signals.pending.clear()
        self.signals.wake.clear()
        return actions

    # --- main loop -----------------------------------------------------------------------------
    async def _main(self) -> None:
        with log_context(strategy_id=str(self.strategy_id)):
            try:
                await self._loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.exception("strategy runner crashed", extra={"event": "strategy_crashed"})
                await self._set_state("error", f"engine error: {type(exc).__name__}: {str(exc)[:300]}")
                await self._event(None, "engine_error", f"engine error: {type(exc).__name__}: {str(exc)[:300]}", level="error")
                self._alert("error", f"stopped on an error: {exc}", level="error")

    async def _loop(self) -> None:
        transient = 0  # consecutive passes that failed on transient exchange trouble
        while True:
            async with self.engine.sessionmaker() as db:
                strategy = await self._load(db)
                state = strategy.state
                active = await db.scalar(
                    select(TradingSession).where(
                        TradingSession.strategy_id == self.strategy_id, TradingSession.status.in_(("entering", "open", "exiting"))
                    ).order_by(TradingSession.created_at.desc())
                )
            if state not in RUNNING_STATES:
                self._take_actions()
                return  # idle/closed/error: the task ends; start/resume spawns a new one
            try:
                if active is not None:
                    await self._manage_session(active.id)
                    transient = 0
                    continue
                # No legs. Apply stop/flatten/kill that arrived meanwhile (state already moved by act()).
                actions = self._take_actions()
                if state == "exiting":
                    await self._set_state("closed", "stopped")
                    continue
                if state == "paused":
                    self.next_entry_at = None
                    await self._wait(3600)
                    continue
                if any(a in ("stop", "flatten", "kill") for a in actions):
                    continue
                await self._maybe_enter(strategy)
                transient = 0
            except ExchangeError as exc:
                # A 429 storm, a 5xx burst or a clock hiccup must not end the strategy: pause, then try
                # again (everything before the exchange call was persisted). A lasting outage still does.
                transient += 1
                if not is_transient(exc) or transient > LOOP_TRANSIENT_RETRIES:
                    raise
                await self._exchange_pause(exc, transient, "engine pass")

    async def _sleep(self, seconds: float) -> None:
        """Pause on the engine clock whatever the operator does (signals are handled by the caller's caller)."""
        self.idle.set()
        try:
            await self.clock.sleep(seconds)
        finally:
            self.idle.clear()

    async def _exchange_pause(self, exc: BaseException, attempt: int, what: str) -> None:
        """Back off before trying the exchange again. A rate limit for as long as the exchange says, in
        wall time (its window is wall time); anything else exponentially on the engine clock."""
        rate_limited = isinstance(exc, RateLimitError)
        delay = max(0.05, exc.reset_after_s) if isinstance(exc, RateLimitError) else min(
            BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        logger.warning("exchange trouble, retrying", extra={
            "event": "exchange_retry", "what": what, "attempt": attempt, "delay_s": round(delay, 3),
            "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
        if rate_limited:
            await asyncio.sleep(delay)
            return
        self.idle.set()
        try:
            await self.clock.sleep(delay)
        finally:
            self.idle.clear()

    # --- entry ---------------------------------------------------------------------------------
    async def _day_activity(self) -> DayActivity | None:
        """What happened on the trading day of the latest session (entries, last exit, realised PnL)."""
        async with self.engine.read_sessionmaker() as db:
            last = await db.scalar(
                select(TradingSession).where(TradingSession.strategy_id == self.strategy_id).order_by(TradingSession.created_at.desc())
            )
            if last is None:
                return None
            day = (await db.scalars(select(TradingSession).where(
                TradingSession.strategy_id == self.strategy_id, TradingSession.trading_day == last.trading_day))).all()
        return DayActivity(
            trading_day=last.trading_day,
            entries=len(day),
            last_exit_reason=last.exit_reason,
            session_open=last.status in ("entering", "open", "exiting"),
            realized_pnl=sum((r.net_pnl for r in day if r.status == "closed"), Decimal(0)),
        )

    async def _maybe_enter(self, strategy: Strategy) -> None:
        cfg = parse_config(strategy.config_json)
        self.exchange_key = "live" if cfg.mode == "live" else "paper"
        decision = entry_decision(self.now(), cfg, await self._day_activity())
        if isinstance(decision, Wait):
            self.next_entry_at = decision.until
            if strategy.state != "waiting":
                await self._set_state("waiting", f"next entry at {decision.until.isoformat()}")
            await self._wait((decision.until - self.now()).total_seconds())
            return
        if isinstance(decision, SkipDay):
            self.next_entry_at = decision.next_entry_at
            key = (decision.reason, decision.next_entry_at)
            if self.last_skip_day != key:
                self.last_skip_day = key
                await self._event(None, f"entry_skipped_{decision.reason}", decision.message)
            wait = (decision.next_entry_at - self.now()).total_seconds() if decision.next_entry_at else 3600
            await self._wait(max(1.0, wait))
            return
        assert isinstance(decision, EnterNow)
        self.next_entry_at = None
        await self._enter(strategy, cfg, decision)

    async def _enter(self, strategy: Strategy, cfg: StrategyConfig, decision: EnterNow) -> None:
        exchange = self.engine.exchange_for(cfg)
        now = self.now()
        expiries = await exchange.expiries(cfg.underlying)
        choice = select_expiry(
            cfg.expiry_rule, expiries, now, expiry_date=cfg.expiry_date, offset_days=cfg.expiry_offset_days,
            tz=cfg.timezone, min_time_to_expiry=expiry_min_buffer(cfg),
        )
        if isinstance(choice, NoTrade):
            await self._no_trade(choice, decision)
            return
        instruments = {i.symbol: i for i in await exchange.instruments(cfg.underlying, choice.expiry)}
        tickers = await exchange.chain(cfg.underlying, choice.expiry)
        spot = await exchange.spot(cfg.underlying)
        quotes = [
            to_chain_quote(t, instruments[t.symbol].kind, instruments[t.symbol].strike, choice.expiry)
            for t in tickers if t.symbol in instruments
        ]
        contract_value = next(iter(instruments.values())).contract_value if instruments else Decimal("0.001")
        selection = select_strikes(quotes, strike_params_from_config(cfg, contract_value=contract_value), spot, expiry=choice.expiry)
        if isinstance(selection, NoTrade):
            await self._no_trade(selection, decision)
            return
        refusal: str | None = None
        async with self.engine.sessionmaker() as db:
            risk = await self.engine._ensure_risk_row(db)
            open_legs = await db.scalar(select(func.count()).select_from(Leg).join(TradingSession).where(TradingSession.status.in_(ACTIVE_SESSION_STATUSES)))
            if risk.kill_switch_at is not None or risk.breaker_tripped_at is not None:
                refusal = "halted"
            elif (open_legs or 0) + 2 > risk.max_open_legs:
                refusal = f"risk limit: max {risk.max_open_legs} open legs reached; skipping this entry"
            if refusal is not None:
                await db.rollback()
        if refusal == "halted":
            await self._set_state("closed", "kill switch / breaker engaged")
            return
        if refusal is not None:
            await self._event(None, "entry_refused_risk", refusal, level="warning")
            self.last_skip_day = None
            await self._wait(60)
            return
        async with self.engine.sessionmaker() as db:
            session_id = uuid.uuid4().hex
            session = TradingSession(
                id=session_id, strategy_id=self.strategy_id, strategy_version=strategy.run_version or strategy.version,
                config_json=strategy.config_json, mode=cfg.mode, underlying=cfg.underlying, status="entering",
                trading_day=decision.trading_day, expiry=choice.expiry, exit_deadline=decision.exit_deadline,
                entry_started_at=now, created_at=now,
            )
            db.add(session)
            await db.flush()  # legs reference the session row
            for quote in (selection.call, selection.put):
                inst = instruments[quote.symbol]
                db.add(Leg(session_id=session_id, kind=quote.kind, symbol=quote.symbol, strike=quote.strike,
                           contract_value=inst.contract_value, target_qty=cfg.quantity, status="pending", entry_delta=quote.delta))
            strategy_row = await self._load(db)
            strategy_row.state = "entering"
            strategy_row.state_detail = f"selling {selection.call.symbol} + {selection.put.symbol}"
            db.add(_event(self.strategy_id, session_id, "entry_started",
                          f"entry: sell {cfg.quantity} x {selection.call.symbol} and {selection.put.symbol}, expected credit {selection.credit}",
                          call=selection.call.symbol, put=selection.put.symbol, credit=str(selection.credit), spot=str(spot)))
            await db.commit()
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": "entering", "session_id": session_id})
        self.reconciled.add(session_id)  # created by this runner: nothing to recover
        self.session_id = session_id
        with log_context(session_id=session_id):
            logger.info("entry started", extra={"event": "entry_started", "call": selection.call.symbol, "put": selection.put.symbol})
            await self._execute_entry(session_id, cfg, exchange)

    async def _no_trade(self, outcome: NoTrade, decision: EnterNow) -> None:
        key = (outcome.code, decision.trading_day)
        if self.last_skip_day != key:
            self.last_skip_day = key
            await self._event(None, f"no_trade_{outcome.code}", f"no trade: {outcome.message}", level="warning")
        # Retry within the window: quotes change; the entry rule ends the day when the window closes.
        await self._wait(30)

    async def _legs(self, session_id: str) -> list[Leg]:
        async with self.engine.sessionmaker() as db:
            return list((await db.scalars(select(Leg).where(Leg.session_id == session_id).order_by(Leg.id))).all())

    async def _execute_entry(self, session_id: str, cfg: StrategyConfig, exchange: Exchange) -> None:
        legs = await self._legs(session_id)
        results = await asyncio.gather(
            *(self._execute_leg(exchange, cfg, session_id, leg.id, "sell", leg.target_qty, purpose="entry", urgent=False) for leg in legs),
            return_exceptions=True,
        )
        for leg, res in zip(legs, results, strict=True):
            if isinstance(res, BaseException):
                await self._event(session_id, "entry_leg_failed", f"entry of {leg.symbol} failed: {res}", level="error", symbol=leg.symbol)
        unknown = next((r for r in results if isinstance(r, OrderStatusUnknown)), None)
        if unknown is not None:
            # An entry order may still be working (and fill): unwinding and closing around it could leave
            # an untracked short. The session stays `entering`; the runner stops in error and the next
            # start/stop/flatten reconciles the order by its client_order_id first.
            raise unknown
        await self._finish_entry(session_id, cfg, exchange)

    async def _finish_entry(self, session_id: str, cfg: StrategyConfig, exchange: Exchange) -> None:
        legs = await self._legs(session_id)
        filled = {leg.kind: leg.entry_qty for leg in legs}
        target = min(leg.target_qty for leg in legs)
        balanced = min(filled.values())
        if balanced == target and all(q == target for q in filled.values()):
            await self._mark_open(session_id, legs)
            return
        # Unbalanced or failed entry: keep the balanced part, unwind the excess. Never a naked leg.
        keep = balanced if balanced > 0 else 0
        for leg in legs:
            excess = leg.entry_qty - keep
            if excess > 0:
                await self._event(session_id, "unwind_started", f"entry incomplete: unwinding {excess} x {leg.symbol}", level="warning", symbol=leg.symbol, qty=excess)
                await self._execute_leg(exchange, cfg, session_id, leg.id, "buy", excess, purpose="unwind", urgent=True)
        legs = await self._legs(session_id)
        still_naked = [leg for leg in legs if leg.entry_qty - leg.exit_qty > keep]
        if still_naked:
            await self._flag_error(session_id, f"unwind incomplete for {', '.join(leg.symbol for leg in still_naked)}; position still tracked")
            return
        if keep > 0:
            await self._event(session_id, "entry_reduced", f"entered with {keep} contracts per leg instead of {target}", level="warning")
            await self._mark_open(session_id, legs, quantity=keep)
            return
        await self._close_session(session_id, "entry_failed")
        self._alert("entry_failed", "failed to enter; any filled leg was unwound", level="error", session_id=session_id)

    async def _mark_open(self, session_id: str, legs: list[Leg], quantity: int | None = None) -> None:
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            for leg in (await db.scalars(select(Leg).where(Leg.session_id == session_id))).all():
                leg.status = "open" if leg.entry_qty - leg.exit_qty > 0 else "closed"
            session.status = "open"
            session.opened_at = self.now()
            credit = sum((leg.entry_price or Decimal(0)) * leg.contract_value * leg.entry_qty for leg in legs)
            session.credit = credit
            strategy = await self._load(db)
            if strategy.state == "entering":
                strategy.state = "open"
            strategy.state_detail = "legs open"
            db.add(_event(self.strategy_id, session_id, "entered", f"strangle open, credit {usd(credit)} USD", credit=str(credit)))
            await db.commit()
        self._alert("entry", f"entered: credit {usd(credit)} USD", session_id=session_id)
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": "open", "session_id": session_id})

    # --- order execution -----------------------------------------------------------------------
    async def _execute_leg(self, exchange: Exchange, cfg: StrategyConfig, session_id: str, leg_id: int, side: str, qty: int,
                           *, purpose: str, urgent: bool) -> int:
        """Sell (entry) or buy back (exit/unwind) `qty` contracts of one leg; returns contracts filled."""
        remaining = qty
        execution = cfg.execution
        attempts = 0 if urgent else execution.limit_attempts
        anchor: Decimal | None = None
        async with self.engine.sessionmaker() as db:
            leg = await db.get(Leg, leg_id)
            assert leg is not None
            symbol = leg.symbol
        tick_size = Decimal("0.1")
        with contextlib.suppress(Exception):
            for inst in await exchange.instruments(cfg.underlying):
                if inst.symbol == symbol:
                    tick_size = inst.tick_size
                    break
        attempt = 0
        transient = 0
        while remaining > 0:
            market = attempt >= attempts  # the limit walk is done: optional market order last
            if market and not (urgent or execution.market_fallback or purpose in ("exit", "unwind")):
                break
            try:
                if market:
                    filled = await self._place_and_wait(exchange, session_id, leg_id, symbol, side, remaining, "market", None, purpose,
                                                        attempts, timeout_s=execution.attempt_timeout_s)
                else:
                    ticker = await exchange.ticker(symbol)
                    price = limit_price_for_attempt(side, ticker.best_bid, ticker.best_ask, ticker.mark, attempt, execution.limit_attempts,  # type: ignore[arg-type]
                                                    execution.max_slippage_pct, tick_size, anchor_price=anchor)
                    if anchor is None:
                        anchor = limit_price_for_attempt(side, ticker.best_bid, ticker.best_ask, ticker.mark, 0, execution.limit_attempts,  # type: ignore[arg-type]
                                                         execution.max_slippage_pct, tick_size)
                    filled = await self._place_and_wait(exchange, session_id, leg_id, symbol, side, remaining, "limit", price, purpose,
                                                        attempt, timeout_s=execution.attempt_timeout_s)
            except ExchangeError as exc:
                # Raised only when nothing is working on the exchange for this leg (the order was refused,
                # or proven absent): pausing and trying the same step again cannot duplicate an order.
                transient += 1
                if not is_transient(exc) or transient > TRANSIENT_RETRIES:
                    raise
                await self._exchange_pause(exc, transient, f"{purpose} {side} {symbol}")
                continue
            remaining -= filled
            attempt += 1
            if market:
                break
        return qty - remaining

    async def _place_and_wait(self, exchange: Exchange, session_id: str, leg_id: int, symbol: str, side: str, size: int,
                              order_type: str, price: Decimal | None, purpose: str, attempt: int, *, timeout_s: float) -> int:
        reduce_only = side == "buy"
        tif = "ioc" if order_type == "market" else "gtc"
        client_order_id = new_client_order_id()
        # 1. Intent first: after a crash, this row is how we find the order again.
        async with self.engine.sessionmaker() as db:
            row = EngineOrder(session_id=session_id, leg_id=leg_id, client_order_id=client_order_id, purpose=purpose, symbol=symbol,
                              side=side, order_type=order_type, time_in_force=tif, reduce_only=reduce_only, limit_price=price,
                              size=size, state="intent", attempt=attempt, created_at=utcnow(), updated_at=utcnow())
            db.add(row)
            await db.commit()
            order_row_id = row.id
        request = OrderRequest(symbol=symbol, side=side, size=size, order_type=order_type, limit_price=price,  # type: ignore[arg-type]
                               time_in_force=tif, reduce_only=reduce_only, client_order_id=client_order_id)
        try:
            order = await exchange.place_order(request)
        except OrderRejected as exc:
            await self._update_order(order_row_id, None, state="rejected", error=f"{exc.code}: {exc}")
            await self._event(session_id, "order_rejected", f"{side} {size} {symbol} rejected: {exc.code}", level="warning",
                              client_order_id=client_order_id, code=exc.code)
            return 0
        except ExchangeError as exc:
            # Turned away up front (429, expired signature): nothing was placed. Otherwise the outcome
            # is unknown: look the order up by its id instead of guessing (never place twice).
            found = None if refused_before_processing(exc) else await self._lookup(exchange, client_order_id)
            if found is None:
                await self._update_order(order_row_id, None, state="cancelled", error=f"not placed: {str(exc)[:300]}")
                if is_transient(exc):
                    raise  # proven absent: the caller pauses and places a fresh order
                return 0
            order = found
        await self._update_order(order_row_id, order)
        await self._event(session_id, "order_placed", f"{purpose} {side} {size} {symbol} {order_type}{'' if price is None else ' @ ' + str(price)}: {order.state}",
                          client_order_id=client_order_id, purpose=purpose, attempt=attempt)
        # From here on the order exists: exchange trouble must never make the caller place another.
        deadline = self.now() + timedelta(seconds=timeout_s)
        while order.state in ("open", "pending") and self.now() < deadline:
            # a plain pause: _wait returns at once while an operator action is pending, which would
            # turn this poll into a busy loop (and, on a client-side 429, one that never yields)
            await self._sleep(ORDER_POLL_SECONDS)
            try:
                order = await exchange.get_order_by_client_id(client_order_id) or order
            except ExchangeError as exc:
                if not is_transient(exc):
                    raise _status_unknown(client_order_id, order, exc) from exc
                continue  # the next poll asks again
            await self._update_order(order_row_id, order)
        if order.state in ("open", "pending"):
            order = await self._cancel_until_final(exchange, client_order_id, symbol, order)
            await self._update_order(order_row_id, order)
        return order.filled_size

    async def _lookup(self, exchange: Exchange, client_order_id: str) -> Order | None:
        """Find an order by client_order_id through transient trouble; OrderStatusUnknown if that fails."""
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            try:
                return await exchange.get_order_by_client_id(client_order_id)
            except ExchangeError as exc:
                if not is_transient(exc) or attempt == TRANSIENT_RETRIES:
                    raise OrderStatusUnknown("order outcome unknown: the lookup keeps failing", code="order_status_unknown",
                                             context={"client_order_id": client_order_id, "lookup_error": type(exc).__name__}) from exc
                await self._exchange_pause(exc, attempt, f"lookup {client_order_id}")
        raise AssertionError("unreachable")

    async def _cancel_until_final(self, exchange: Exchange, client_order_id: str, symbol: str, order: Order) -> Order:
        """Cancel a resting order and confirm it is final (cancelled/filled) before the caller moves on:
        an order left working while the next one is placed could fill twice."""
        for attempt in range(1, TRANSIENT_RETRIES + 1):
            trouble: ExchangeError | None = None
            try:
                with contextlib.suppress(OrderRejected, NotFound):  # already final: the read says how
                    order = await exchange.cancel_order(client_order_id=client_order_id, symbol=symbol)
                order = await exchange.get_order_by_client_id(client_order_id) or order
            except ExchangeError as exc:
                if not is_transient(exc):
                    raise _status_unknown(client_order_id, order, exc) from exc
                trouble = exc
            if trouble is None and order.state not in ("open", "pending"):
                return order
            if attempt < TRANSIENT_RETRIES:
                await self._exchange_pause(trouble or ExchangeError("order still working"), attempt, f"cancel {client_order_id}")
        raise OrderStatusUnknown("order may still be working: cancel not confirmed", code="order_status_unknown",
                                 context={"client_order_id": client_order_id, "state": order.state})

    async def _update_order(self, order_row_id: int, order: Order | None, *, state: str | None = None, error: str | None = None) -> None:
        """Mirror the exchange's view of an order, book new fills and roll them into the leg."""
        async with self.engine.sessionmaker() as db:
            row = await db.get(EngineOrder, order_row_id)
            assert row is not None
            if order is not None:
                row.exchange_order_id = order.id
                new_filled = order.filled_size
                if new_filled > row.filled_size:
                    delta_qty = new_filled - row.filled_size
                    avg_new = order.average_fill_price or Decimal(0)
                    prev_notional = (row.avg_fill_price or Decimal(0)) * row.filled_size
                    fill_price = ((avg_new * new_filled) - prev_notional) / delta_qty if delta_qty else avg_new
                    fee = (order.paid_commission or Decimal(0)) - row.fees
                    db.add(EngineFill(order_id=row.id, session_id=row.session_id, exchange_fill_id=f"{order.id}:{new_filled}",
                                      symbol=row.symbol, side=row.side, size=delta_qty, price=fill_price, fee=fee, created_at=self.now()))
                    leg = await db.get(Leg, row.leg_id)
                    assert leg is not None
                    if row.side == "sell":
                        total = (leg.entry_price or Decimal(0)) * leg.entry_qty + fill_price * delta_qty
                        leg.entry_qty += delta_qty
                        leg.entry_price = total / leg.entry_qty
                    else:
                        total = (leg.exit_price or Decimal(0)) * leg.exit_qty + fill_price * delta_qty
                        leg.exit_qty += delta_qty
                        leg.exit_price = total / leg.exit_qty
                    leg.fees += fee
                    row.fees = order.paid_commission or Decimal(0)
                    row.filled_size = new_filled
                    row.avg_fill_price = order.average_fill_price
                    session = await db.get(TradingSession, row.session_id)
                    if session is not None and session.closed_at is None:  # a booked session keeps its ledger
                        # running totals under this transaction's write lock (both legs fill concurrently)
                        session_legs = (await db.scalars(select(Leg).where(Leg.session_id == row.session_id))).all()
                        session.credit, session.debit, session.fees = session_money(session_legs)
                row.state = order.state
            if state is not None:
                row.state = state
            if error is not None:
                row.error = error
            row.updated_at = utcnow()
            await db.commit()
        self.engine.hub.publish("orders", {"strategy_id": self.strategy_id, "order_id": order_row_id, "state": row.state})

    # --- monitoring and exits ------------------------------------------------------------------
    async def _reconcile(self, session_id: str, exchange: Exchange) -> bool:
        """After a restart: settle every order we wrote, then check the exchange agrees with our legs."""
        async with self.engine.sessionmaker() as db:
            pending = (await db.scalars(select(EngineOrder).where(EngineOrder.session_id == session_id, EngineOrder.state.in_(("intent", "open", "pending"))))).all()
        for row in pending:
            order = await exchange.get_order_by_client_id(row.client_order_id)
            if order is None:
                await self._update_order(row.id, None, state="cancelled", error="never reached the exchange (restart)")
                continue
            if order.state in ("open", "pending"):
                order = await self._cancel_until_final(exchange, row.client_order_id, row.symbol, order)
            await self._update_order(row.id, order)
        # Positions, for this session's symbols only: what every active session of the same mode
        # expects, versus the exchange. A symbol with an order still in flight anywhere is skipped:
        # its fills are not booked yet, so a difference there is not (yet) a mismatch.
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            own_symbols = set((await db.scalars(select(Leg.symbol).where(Leg.session_id == session_id))).all())
            legs = (await db.scalars(select(Leg).join(TradingSession).where(
                TradingSession.status.in_(("entering", "open", "exiting")), TradingSession.mode == session.mode,
                Leg.symbol.in_(own_symbols)))).all()
            in_flight = set((await db.scalars(select(EngineOrder.symbol).where(
                EngineOrder.state.in_(("intent", "open", "pending")), EngineOrder.symbol.in_(own_symbols)))).all())
        expected: dict[str, int] = dict.fromkeys(own_symbols, 0)
        for leg in legs:
            expected[leg.symbol] -= leg.entry_qty - leg.exit_qty
        actual = {p.symbol: p.size for p in await exchange.positions()}
        mismatched = {s: (q, actual.get(s, 0)) for s, q in expected.items() if s not in in_flight and actual.get(s, 0) != q}
        if mismatched:
            detail = "; ".join(f"{s}: engine expects {e}, exchange has {a}" for s, (e, a) in mismatched.items())
            await self._flag_error(session_id, f"position mismatch after restart: {detail}")
            return False
        await self._event(session_id, "reconciled", "orders and positions reconciled with the exchange")
        return True

    async def _flag_error(self, session_id: str, message: str) -> None:
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            if session is not None:
                session.status = "error"
                session.error = message
            strategy = await self._load(db)
            strategy.state = "error"
            strategy.state_detail = message
            db.add(_event(self.strategy_id, session_id, "session_error", message, level="error"))
            await db.commit()
        logger.error(message, extra={"event": "session_error", "session_id": session_id})
        self._alert("error", f"error: {message}", level="error", session_id=session_id)
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": "error", "detail": message})

    async def _manage_session(self, session_id: str) -> None:
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            cfg = parse_config(session.config_json)
            status = session.status
        exchange = self.engine.exchange_for(cfg)
        self.exchange_key = "live" if cfg.mode == "live" else "paper"
        self.session_id = session_id
        with log_context(session_id=session_id):
            if session_id not in self.reconciled:
                if not await self._reconcile(session_id, exchange):
                    return
                self.reconciled.add(session_id)
            if status == "entering":
                await self._finish_entry(session_id, cfg, exchange)
                return
            if status == "exiting":
                async with self.engine.sessionmaker() as db:
                    reason = (await db.get(TradingSession, session_id)).exit_reason or "manual_stop"  # type: ignore[union-attr]
                await self._exit(session_id, cfg, exchange, reason, urgent=EXIT_URGENCY.get(reason, "normal") == "market")  # type: ignore[arg-type]
                return
            await self._monitor(session_id, cfg, exchange)

    def _position_state(self, session: TradingSession, legs: list[Leg], day_realized: Decimal) -> PositionState:
        call = next(leg for leg in legs if leg.kind == "call")
        put = next(leg for leg in legs if leg.kind == "put")
        return PositionState(
            call_entry_price=call.entry_price or Decimal(0), put_entry_price=put.entry_price or Decimal(0),
            quantity=call.entry_qty - call.exit_qty, contract_value=call.contract_value, entered_at=session.opened_at or session.entry_started_at,
            expiry=session.expiry, exit_deadline=session.exit_deadline,
            trailing=TrailingState(peak_profit_pct=session.peak_profit_pct, lock_pct=session.trailing_lock_pct),
            day_realized_pnl=day_realized,
        )

    async def _monitor(self, session_id: str, cfg: StrategyConfig, exchange: Exchange) -> None:
        self.position = None  # reload: legs may have changed since the last stretch
        legs = await self._legs(session_id)
        symbols = [leg.symbol for leg in legs]
        stream = exchange.ticks(symbols)
        next_tick: asyncio.Future[Ticker] | None = None
        try:
            while True:
                actions = self._take_actions()
                if any(a in ("stop", "flatten", "kill") for a in actions):
                    reason = {"stop": "manual_stop", "flatten": "flatten", "kill": "kill_switch"}[
                        next(a for a in ("kill", "flatten", "stop") if a in actions)
                    ]
                    await self._exit(session_id, cfg, exchange, reason, urgent=reason != "manual_stop")  # type: ignore[arg-type]
                    return
                if next_tick is None or next_tick.done():
                    next_tick = asyncio.ensure_future(stream.__anext__())
                got = await self._wait_tick(next_tick)
                if got is not None:
                    self.quotes[got.symbol] = LiveQuote(got, self.now())
                    next_tick = None
                # Stalled or missing quotes: read them directly so exits never wait on a silent feed.
                for symbol in symbols:
                    q = self.quotes.get(symbol)
                    if q is None or (self.now() - q.received_at).total_seconds() > STALL_SECONDS:
                        with contextlib.suppress(ExchangeError):
                            self.quotes[symbol] = LiveQuote(await exchange.ticker(symbol), self.now())
                if all(s in self.quotes for s in symbols):
                    decision = await self._evaluate(session_id, cfg)
                    if decision is not None:
                        await self._exit(session_id, cfg, exchange, decision.reason, urgent=decision.urgency == "market", message=decision.message)
                        return
        finally:
            if next_tick is not None and not next_tick.done():
                next_tick.cancel()
            with contextlib.suppress(Exception):
                await stream.aclose()  # type: ignore[attr-defined]

    async def _wait_tick(self, next_tick: asyncio.Future[Ticker]) -> Ticker | None:
        if self.signals.wake.is_set():
            return None
        sleeper = asyncio.ensure_future(self.clock.sleep(STALL_SECONDS))
        waker = asyncio.ensure_future(self.signals.wake.wait())
        self.idle.set()
        try:
            await asyncio.wait({next_tick, sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.idle.clear()
            sleeper.cancel()
            waker.cancel()
        if next_tick.done() and not next_tick.cancelled():
            exc = next_tick.exception()
            if exc is not None:
                if isinstance(exc, StopAsyncIteration):
                    raise EngineError("tick stream ended")
                logger.warning("tick stream error", extra={"event": "tick_stream_error", "error": str(exc)})
                return None
            return next_tick.result()
        return None

    async def _load_position(self, session_id: str) -> None:
        """Read the open position once per monitoring stretch; ticks are then evaluated in memory
        (the runner is the only writer of its session, so the copy cannot go stale)."""
        async with self.engine.read_sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            legs = list((await db.scalars(select(Leg).where(Leg.session_id == session_id).order_by(Leg.id))).all())
            day_rows = (await db.scalars(select(TradingSession.net_pnl).where(
                TradingSession.strategy_id == self.strategy_id, TradingSession.trading_day == session.trading_day,
                TradingSession.status == "closed"))).all()
        self.position = self._position_state(session, legs, sum(day_rows, Decimal(0)))
        self.position_symbols = (next(leg.symbol for leg in legs if leg.kind == "call"), next(leg.symbol for leg in legs if leg.kind == "put"))
        self.position_legs = tuple((leg.symbol, leg.entry_price, leg.contract_value, leg.entry_qty - leg.exit_qty) for leg in legs)

    async def _evaluate(self, session_id: str, cfg: StrategyConfig) -> Any:
        if self.position is None:
            await self._load_position(session_id)
        position = self.position
        assert position is not None
        call_symbol, put_symbol = self.position_symbols
        market = MarketState(call_mark=self.quotes[call_symbol].ticker.mark, put_mark=self.quotes[put_symbol].ticker.mark)
        now = self.now()
        evaluation = evaluate_exit(position, market, cfg, now)
        if evaluation.trailing != position.trailing:
            # Persist the new trailing state before relying on it (a restart must not lower the lock).
            async with self.engine.sessionmaker() as db:
                session = await db.get(TradingSession, session_id)
                assert session is not None
                session.peak_profit_pct = evaluation.trailing.peak_profit_pct
                session.trailing_lock_pct = evaluation.trailing.lock_pct
                if evaluation.trailing.lock_pct != position.trailing.lock_pct:
                    db.add(_event(self.strategy_id, session_id, "trailing_lock_moved",
                                  f"trailing stop now locks {evaluation.trailing.lock_pct}% of credit (peak {evaluation.trailing.peak_profit_pct:.1f}%)"))
                    self._alert("stop_moved", f"trailing lock moved to {evaluation.trailing.lock_pct}% of credit", session_id=session_id)
                await db.commit()
            self.position = msgspec.structs.replace(position, trailing=evaluation.trailing)
        levels = trailing_levels(self.position, market, cfg, now)
        self.last_levels = msgspec.to_builtins(levels, enc_hook=str)
        self.last_pnl = msgspec.to_builtins(evaluation.pnl, enc_hook=str)
        # Dashboards need a few updates a second, not every tick: push at most every TICK_PUSH_SECONDS.
        wall = time.monotonic()
        if wall - self.last_tick_push >= TICK_PUSH_SECONDS or evaluation.decision is not None:
            self.last_tick_push = wall
            self.engine.hub.publish(f"runtime:{self.strategy_id}", self._tick_payload(now))
        self.engine.open_pnl[self.strategy_id] = evaluation.pnl.pnl_usd
        await self.engine.check_account_loss()
        return evaluation.decision

    def _tick_payload(self, now: datetime) -> dict[str, Any]:
        """A `runtime:{id}` tick: every part of the runtime view (strategy/runtime_view.py compose) that
        moves with the market or the clock while a session is open, computed the same way, so a client
        merging ticks shows what GET /runtime would. Decimals travel as exact strings."""
        position = self.position
        assert position is not None
        leg_pnls: dict[str, str | None] = {}
        for symbol, entry_price, contract_value, open_qty in self.position_legs:
            q = self.quotes.get(symbol)
            if q is not None:
                p = leg_pnl(entry_price, q.ticker.mark, contract_value, open_qty)
                leg_pnls[symbol] = None if p is None else str(p)
        return {
            "tick": True, "now": now.isoformat(), "spot": feed_spot(self.quotes),
            "countdowns": session_countdowns(now, position.exit_deadline, position.expiry),
            "pnl": self.last_pnl, "levels": self.last_levels,
            "quotes": {s: _quote_dict(q.ticker) for s, q in self.quotes.items()},
            "leg_pnl": leg_pnls,
        }

    async def _exit(self, session_id: str, cfg: StrategyConfig, exchange: Exchange, reason: str, *, urgent: bool, message: str = "") -> None:
        # Persist the decision first: a restart continues this exit instead of re-deciding.
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            if session.status != "exiting":
                session.status = "exiting"
                session.exit_reason = reason
                db.add(_event(self.strategy_id, session_id, "exit_triggered", message or f"exit: {reason}", reason=reason))
            strategy = await self._load(db)
            if strategy.state in ("open", "paused", "entering"):
                strategy.state = "exiting"
            strategy.state_detail = f"exiting ({reason})"
            await db.commit()
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": "exiting", "reason": reason})
        unknown: dict[int, OrderStatusUnknown] = {}  # leg id -> its order may still be working: hands off
        for round_no in range(EXIT_ROUNDS):
            legs = await self._legs(session_id)
            open_legs = [leg for leg in legs if leg.entry_qty - leg.exit_qty > 0 and leg.id not in unknown]
            if not open_legs:
                break
            results = await asyncio.gather(*(
                self._execute_leg(exchange, cfg, session_id, leg.id, "buy", leg.entry_qty - leg.exit_qty, purpose="exit", urgent=urgent or round_no > 0)
                for leg in open_legs
            ), return_exceptions=True)
            if round_no:
                await self._event(session_id, "exit_retry", f"exit round {round_no + 1}: legs not yet flat", level="warning")
            unknown.update((leg.id, r) for leg, r in zip(open_legs, results, strict=True) if isinstance(r, OrderStatusUnknown))
            failed = [r for r in results if isinstance(r, Exception)]
            if failed and round_no + 1 < EXIT_ROUNDS:
                # the exchange is in trouble: give it room before the next round instead of burning them all at once
                await self._exchange_pause(failed[0], round_no + 1, "exit round")
        if unknown:
            # the session stays `exiting`; the runner stops in error and a flatten/stop reconciles first
            raise next(iter(unknown.values()))
        legs = await self._legs(session_id)
        if any(leg.entry_qty - leg.exit_qty > 0 for leg in legs):
            await self._flag_error(session_id, "exit incomplete after retries; legs still open and tracked")
            return
        await self._close_session(session_id, reason)

    async def _close_session(self, session_id: str, reason: str) -> None:
        async with self.engine.sessionmaker() as db:
            session = await db.get(TradingSession, session_id)
            assert session is not None
            legs = (await db.scalars(select(Leg).where(Leg.session_id == session_id))).all()
            credit, debit, fees = session_money(legs)
            for leg in legs:
                leg.status = "closed" if leg.entry_qty > 0 else "failed"
            session.credit, session.debit, session.fees = credit, debit, fees
            session.gross_pnl = credit - debit
            session.net_pnl = session.gross_pnl - fees  # the one place net is derived
            session.status = "closed"
            session.exit_reason = session.exit_reason or reason
            session.closed_at = self.now()
            strategy = await self._load(db)
            # exiting + entry_failed: a stop/flatten/kill arrived while entering (the strategy was moved to exiting)
            stop_after = strategy.state == "exiting" and reason in ("manual_stop", "flatten", "kill_switch", "entry_failed")
            strategy.state = "closed" if stop_after else ("paused" if strategy.state == "paused" else "waiting")
            strategy.state_detail = f"last session closed ({session.exit_reason})"
            db.add(_event(self.strategy_id, session_id, "session_closed",
                          f"closed ({session.exit_reason}): net {usd(session.net_pnl)} USD (gross {usd(session.gross_pnl)}, fees {usd(fees)})",
                          reason=session.exit_reason, net_pnl=str(session.net_pnl)))
            await db.commit()
            net, final_reason, new_state = session.net_pnl, session.exit_reason, strategy.state
        self.quotes.clear()
        self.last_levels = None
        self.last_pnl = None
        self.position = None
        self.session_id = None
        self.engine.open_pnl.pop(self.strategy_id, None)
        self.engine.invalidate_risk_cache()
        if final_reason != "entry_failed":
            self._alert("exit", f"exited ({final_reason}): net {usd(net)} USD", session_id=session_id, reason=final_reason)
        self.engine.hub.publish(f"runtime:{self.strategy_id}", {"state": new_state, "session_closed": session_id})


def _status_unknown(client_order_id: str, order: Order, exc: ExchangeError) -> OrderStatusUnknown:
    """The order exists and may still be working, but the exchange will not say: never place another."""
    return OrderStatusUnknown(f"order may still be working: {type(exc).__name__}: {str(exc)[:200]}", code="order_status_unknown",
                              context={"client_order_id": client_order_id, "state": order.state})


def _quote_dict(t: Ticker) -> dict[str, Any]:
    return {"mark": str(t.mark), "best_bid": None if t.best_bid is None else str(t.best_bid),
            "best_ask": None if t.best_ask is None else str(t.best_ask), "delta": t.delta}


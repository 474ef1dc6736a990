"""Strategies, actions, runtime, preview, engine kill switch, risk limits and market data."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from deltaplane.auth.guards import requires_admin, requires_viewer
from deltaplane.auth.schemas import AuthUser
from deltaplane.core.errors import ConflictError, FieldError, StateConflict
from deltaplane.core.params import DbId
from deltaplane.core.services import AppServices
from deltaplane.core.text import copy_name, name_key
from deltaplane.db.base import utcnow
from deltaplane.exchange.errors import ExchangeError
from deltaplane.exchange.health import ExchangeHealth
from deltaplane.strategy.config import (
    DAILY_LOSS_LIMIT_RULE,
    NAME_MAX_LENGTH,
    FieldProblem,
    StrategyConfig,
    Underlying,
    config_to_builtins,
    decimal_from_text,
    decimal_text_problems,
    expiry_min_buffer,
    normalize_config,
    validate_config,
)
from deltaplane.strategy.engine import (
    ActionRefused,
    EngineError,
    StrategyEngine,
    dump_config,
    parse_config,
    to_chain_quote,
)
from deltaplane.strategy.models import RiskState, Strategy, StrategyVersion, TradingSession
from deltaplane.strategy.rules.expiry import select_expiry
from deltaplane.strategy.rules.outcomes import NoTrade
from deltaplane.strategy.rules.strikes import select_strikes, strike_params_from_config
from deltaplane.strategy.schemas import (
    ActionRequest,
    ActionResult,
    ChainRead,
    ChainRow,
    ConnectionTest,
    ExchangeStatus,
    PreviewLeg,
    PreviewResult,
    RiskRead,
    RiskUpdate,
    StrategyRead,
    StrategySaved,
    StrategyVersionRead,
)
from deltaplane.strategy.state_machine import RUNNING_STATES

logger = logging.getLogger("deltaplane.strategy")


def _engine(request: Request) -> StrategyEngine:
    engine = request.app.state.services.extras.get("engine")
    if engine is None:
        raise ConflictError(detail="the strategy engine is not running")
    return engine


def _read(row: Strategy) -> StrategyRead:
    cfg = parse_config(row.config_json)
    return StrategyRead(
        id=row.id, name=row.name, version=row.version, state=row.state, detail=row.state_detail, mode=cfg.mode,
        underlying=cfg.underlying, config=config_to_builtins(cfg), run_version=row.run_version,
        created_at=row.created_at, updated_at=row.updated_at,
    )


# The body again, untyped, for what typed decoding hides ("1_000" arrives as Decimal 1000);
# float_hook keeps every number exact and in range (1e999 would overflow a float).
_RAW_JSON = msgspec.json.Decoder(float_hook=Decimal)


async def _validated(request: Request, data: StrategyConfig) -> StrategyConfig:
    """`data` as it is to be stored (name normalised), or one 422 naming every problem."""
    svc: AppServices = request.app.state.services
    cfg = normalize_config(data)
    try:
        problems = decimal_text_problems(_RAW_JSON.decode(await request.body()))
    except msgspec.DecodeError:  # not reached: Litestar decoded the same bytes into `data`
        problems = []
    named = {p.field for p in problems}  # one message per field: the text problem explains the rest
    problems += [p for p in validate_config(cfg, live_trading_enabled=svc.settings.live_trading_enabled,
                                            today=datetime.now(UTC).date()) if p.field not in named]
    if problems:
        raise _problems_error(problems)
    return cfg


def _problems_error(problems: list[FieldProblem]) -> FieldError:
    """One 422 naming every problem (`fields`), the detail listing them all."""
    err = FieldError(problems[0].field, problems[0].message)
    err.extra = [{"field": p.field, "message": p.message} for p in problems]
    err.detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
    return err


async def _get_strategy(db: AsyncSession, strategy_id: int) -> Strategy:
    row = await db.get(Strategy, strategy_id)
    if row is None or row.archived_at is not None:
        raise NotFoundException(f"strategy {strategy_id} not found")
    return row


async def _taken_name_keys(db: AsyncSession, exclude_id: int | None = None) -> set[str]:
    """`name_key` of every live strategy's name. Compared in Python: SQLite's lower() folds ASCII
    only ("ÉTÉ" != "été") and knows nothing of normalisation; strategies are few."""
    stmt = select(Strategy.name).where(Strategy.archived_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(Strategy.id != exclude_id)
    return {name_key(name) for name in await db.scalars(stmt)}


def _name_exists(name: str) -> ConflictError:
    return ConflictError(detail=f"name: a strategy named {name!r} already exists", extra=[{"field": "name", "message": "already exists"}])


class StrategyController(Controller):
    path = "/api/strategies"
    tags = ["strategies"]

    @get("/", operation_id="listStrategies", guards=[requires_viewer])
    async def list_strategies(self, db_session: AsyncSession) -> list[StrategyRead]:
        rows = (await db_session.scalars(select(Strategy).where(Strategy.archived_at.is_(None)).order_by(Strategy.id))).all()
        return [_read(r) for r in rows]

    @post("/", operation_id="createStrategy", guards=[requires_admin], status_code=HTTP_201_CREATED)
    async def create_strategy(self, request: Request[AuthUser, str, Any], data: StrategyConfig, db_session: AsyncSession) -> StrategyRead:
        cfg = await _validated(request, data)
        if name_key(cfg.name) in await _taken_name_keys(db_session):
            raise _name_exists(cfg.name)
        now = utcnow()
        row = Strategy(name=cfg.name, version=1, config_json=dump_config(cfg), run_status="idle", state="idle", state_detail="",
                       created_at=now, updated_at=now)
        db_session.add(row)
        await db_session.flush()
        db_session.add(StrategyVersion(strategy_id=row.id, version=1, config_json=row.config_json, created_at=now, created_by=request.user.username))
        logger.info("strategy created", extra={"event": "strategy_created", "strategy_id": str(row.id), "strategy_name": row.name})
        return _read(row)

    @post("/preview", operation_id="previewConfig", guards=[requires_viewer], status_code=HTTP_200_OK)
    async def preview_config(self, request: Request, data: StrategyConfig) -> PreviewResult:
        """Strikes an unsaved config would pick right now (for the editor)."""
        return await _preview(request, await _validated(request, data))

    @get("/{strategy_id:int}", operation_id="getStrategy", guards=[requires_viewer])
    async def get_strategy(self, strategy_id: DbId, db_session: AsyncSession) -> StrategyRead:
        return _read(await _get_strategy(db_session, strategy_id))

    @put("/{strategy_id:int}", operation_id="updateStrategy", guards=[requires_admin])
    async def update_strategy(self, request: Request[AuthUser, str, Any], strategy_id: DbId, data: StrategyConfig, db_session: AsyncSession) -> StrategySaved:
        """Save a new version. A running session keeps the snapshot it started with; the new
        version applies from the next entry. The strategy keeps running (never silently stopped)."""
        row = await _get_strategy(db_session, strategy_id)
        cfg = await _validated(request, data)
        if name_key(cfg.name) in await _taken_name_keys(db_session, exclude_id=row.id):
            raise _name_exists(cfg.name)
        old = parse_config(row.config_json)
        running = row.state in RUNNING_STATES
        if running and (old.mode != cfg.mode or old.underlying != cfg.underlying):
            raise StateConflict("mode and underlying cannot change while the strategy runs; stop it first", row.state)
        row.version += 1
        row.name = cfg.name
        row.config_json = dump_config(cfg)
        row.updated_at = utcnow()
        db_session.add(StrategyVersion(strategy_id=row.id, version=row.version, config_json=row.config_json, created_at=row.updated_at,
                                       created_by=request.user.username))
        logger.info("strategy updated", extra={"event": "strategy_updated", "strategy_id": str(row.id), "version": row.version})
        return StrategySaved(strategy=_read(row), applies_from="next_entry" if running else "now")

    @post("/{strategy_id:int}/clone", operation_id="cloneStrategy", guards=[requires_admin], status_code=HTTP_201_CREATED)
    async def clone_strategy(self, request: Request[AuthUser, str, Any], strategy_id: DbId, db_session: AsyncSession) -> StrategyRead:
        row = await _get_strategy(db_session, strategy_id)
        name = copy_name(row.name, await _taken_name_keys(db_session), max_length=NAME_MAX_LENGTH)
        cfg = msgspec.structs.replace(parse_config(row.config_json), name=name)
        now = utcnow()
        clone = Strategy(name=cfg.name, version=1, config_json=dump_config(cfg), run_status="idle", state="idle", state_detail="",
                         created_at=now, updated_at=now)
        db_session.add(clone)
        await db_session.flush()
        db_session.add(StrategyVersion(strategy_id=clone.id, version=1, config_json=clone.config_json, created_at=now, created_by=request.user.username))
        return _read(clone)

    @delete("/{strategy_id:int}", operation_id="deleteStrategy", guards=[requires_admin], status_code=HTTP_204_NO_CONTENT)
    async def delete_strategy(self, strategy_id: DbId, db_session: AsyncSession) -> None:
        """Archive a stopped strategy (its sessions stay in History). Refused while it runs."""
        row = await _get_strategy(db_session, strategy_id)
        active = await db_session.scalar(select(func.count()).select_from(TradingSession).where(
            TradingSession.strategy_id == strategy_id, TradingSession.status.in_(("entering", "open", "exiting", "error"))))
        if row.state in RUNNING_STATES or active:
            raise StateConflict("stop the strategy (and close its legs) before deleting it", row.state)
        row.archived_at = utcnow()

    @get("/{strategy_id:int}/versions", operation_id="listStrategyVersions", guards=[requires_viewer])
    async def versions(self, strategy_id: DbId, db_session: AsyncSession) -> list[StrategyVersionRead]:
        await _get_strategy(db_session, strategy_id)
        rows = (await db_session.scalars(select(StrategyVersion).where(StrategyVersion.strategy_id == strategy_id).order_by(StrategyVersion.version.desc()))).all()
        return [StrategyVersionRead(version=r.version, config=msgspec.json.decode(r.config_json), created_at=r.created_at, created_by=r.created_by) for r in rows]

    @post("/{strategy_id:int}/actions", operation_id="strategyAction", guards=[requires_admin], status_code=HTTP_200_OK)
    async def action(self, request: Request[AuthUser, str, Any], strategy_id: DbId, data: ActionRequest) -> ActionResult:
        engine = _engine(request)
        try:
            state = await engine.act(strategy_id, data.action, user=request.user.username)
        except LookupError as exc:
            raise NotFoundException(str(exc)) from exc
        except ActionRefused as exc:
            raise StateConflict(exc.message, exc.current_state) from exc
        except EngineError as exc:
            raise FieldError(str(exc).split(":")[0], str(exc).split(":", 1)[-1].strip(), status_code=409) from exc
        return ActionResult(strategy_id=strategy_id, action=data.action, state=state)

    @get("/{strategy_id:int}/runtime", operation_id="getRuntime", guards=[requires_viewer])
    async def runtime(self, request: Request, strategy_id: DbId) -> dict[str, Any]:
        try:
            return await _engine(request).runtime(strategy_id)
        except LookupError as exc:
            raise NotFoundException(str(exc)) from exc

    @get("/{strategy_id:int}/preview", operation_id="previewStrategy", guards=[requires_viewer])
    async def preview(self, request: Request, strategy_id: DbId, db_session: AsyncSession) -> PreviewResult:
        row = await _get_strategy(db_session, strategy_id)
        cfg = parse_config(row.config_json)
        # A config saved before today's rules (e.g. premium_high 1E+999999999) would overflow the
        # strike arithmetic on every call: say what to fix instead.
        live = request.app.state.services.settings.live_trading_enabled
        problems = validate_config(cfg, live_trading_enabled=live)
        if problems:
            return PreviewResult(ok=False, message="the saved config breaks the current rules; edit and save it: "
                                 + "; ".join(f"{p.field}: {p.message}" for p in problems))
        return await _preview(request, cfg)


async def _preview(request: Request, cfg: StrategyConfig) -> PreviewResult:
    engine = _engine(request)
    try:
        exchange = engine.exchange_for(cfg)
    except EngineError as exc:
        return PreviewResult(ok=False, message=str(exc))
    now = engine.clock.now()
    try:
        choice = select_expiry(cfg.expiry_rule, await exchange.expiries(cfg.underlying), now, expiry_date=cfg.expiry_date,
                               offset_days=cfg.expiry_offset_days, tz=cfg.timezone, min_time_to_expiry=expiry_min_buffer(cfg))
        if isinstance(choice, NoTrade):
            return PreviewResult(ok=False, message=choice.message)
        instruments = {i.symbol: i for i in await exchange.instruments(cfg.underlying, choice.expiry)}
        tickers = await exchange.chain(cfg.underlying, choice.expiry)
        spot = await exchange.spot(cfg.underlying)
    except ExchangeError as exc:
        return PreviewResult(ok=False, message=f"exchange unavailable: {exc}")
    quotes = [to_chain_quote(t, instruments[t.symbol].kind, instruments[t.symbol].strike, choice.expiry) for t in tickers if t.symbol in instruments]
    cv = next(iter(instruments.values())).contract_value if instruments else Decimal("0.001")
    sel = select_strikes(quotes, strike_params_from_config(cfg, contract_value=cv), spot, expiry=choice.expiry)
    if isinstance(sel, NoTrade):
        return PreviewResult(ok=False, message=sel.message, expiry=choice.expiry, spot=str(spot))

    def leg(q: Any) -> PreviewLeg:
        return PreviewLeg(symbol=q.symbol, kind=q.kind, strike=str(q.strike), mark=str(q.mark), best_bid=None if q.best_bid is None else str(q.best_bid),
                          best_ask=None if q.best_ask is None else str(q.best_ask), delta=q.delta, iv=q.iv)

    return PreviewResult(
        ok=True, message=f"would sell {sel.call.symbol} and {sel.put.symbol}", expiry=choice.expiry, spot=str(spot), call=leg(sel.call),
        put=leg(sel.put), credit=str(sel.credit), credit_per_unit=str(sel.credit_per_unit), breakeven_upper=str(sel.breakeven_upper),
        breakeven_lower=str(sel.breakeven_lower), max_loss_premium=str(sel.max_loss_premium), take_profit_premium=str(sel.take_profit_premium),
        quantity=sel.quantity, contract_value=str(sel.contract_value),
    )


def _risk_read(r: RiskState, day_pnl: Decimal) -> RiskRead:
    return RiskRead(
        max_running_strategies=r.max_running_strategies, max_contracts_per_leg=r.max_contracts_per_leg, max_open_legs=r.max_open_legs,
        # plain notation, as the column stores it: "1E+3" saved reads back "1000" either way
        daily_loss_limit_usd=None if r.daily_loss_limit_usd is None else format(r.daily_loss_limit_usd, "f"),
        breaker_tripped_at=r.breaker_tripped_at, breaker_reason=r.breaker_reason, kill_switch_at=r.kill_switch_at,
        day_pnl_usd=format(day_pnl, "f"),
    )


class EngineController(Controller):
    path = "/api/engine"
    tags = ["engine"]

    @post("/kill", operation_id="killSwitch", guards=[requires_admin], status_code=HTTP_200_OK)
    async def kill(self, request: Request[AuthUser, str, Any]) -> dict[str, Any]:
        """Flatten every running strategy now and refuse new starts until re-armed."""
        return await _engine(request).kill(user=request.user.username)

    @post("/rearm", operation_id="rearmEngine", guards=[requires_admin], status_code=HTTP_200_OK)
    async def rearm(self, request: Request[AuthUser, str, Any]) -> dict[str, bool]:
        await _engine(request).rearm(user=request.user.username)
        return {"kill_switch": False, "breaker_tripped": False}

    @get("/risk", operation_id="getRisk", guards=[requires_viewer], opt={"db_write": True})  # may create the row
    async def get_risk(self, request: Request, db_session: AsyncSession) -> RiskRead:
        engine = _engine(request)
        return _risk_read(await engine._ensure_risk_row(db_session), await engine.day_pnl(db_session))

    @put("/risk", operation_id="updateRisk", guards=[requires_admin])
    async def update_risk(self, request: Request, data: RiskUpdate, db_session: AsyncSession) -> RiskRead:
        problems: list[FieldProblem] = []
        counts: dict[str, int] = {}
        for field in ("max_running_strategies", "max_contracts_per_leg", "max_open_legs"):
            value = getattr(data, field)
            if value is not None and not 1 <= value <= 10_000:
                problems.append(FieldProblem(field=field, message="must be between 1 and 10000"))
            elif value is not None:
                counts[field] = value
        limit: Decimal | None = None
        if data.daily_loss_limit_usd is not None and data.clear_daily_loss_limit:
            # contradictory: which one was meant? (the UI sends null with clear)
            problems.append(FieldProblem(field="daily_loss_limit_usd", message="must be left out (or null) when clear_daily_loss_limit is true"))
        elif data.daily_loss_limit_usd is not None:
            limit, message = decimal_from_text(data.daily_loss_limit_usd, DAILY_LOSS_LIMIT_RULE)
            if message:
                problems.append(FieldProblem(field="daily_loss_limit_usd", message=message))
        if problems:  # every problem at once, and nothing changed
            raise _problems_error(problems)
        risk = await _engine(request)._ensure_risk_row(db_session)
        for field, value in counts.items():
            setattr(risk, field, value)
        if data.clear_daily_loss_limit:
            risk.daily_loss_limit_usd = None
        elif limit is not None:
            risk.daily_loss_limit_usd = limit
        _engine(request).invalidate_risk_cache()
        return _risk_read(risk, await _engine(request).day_pnl(db_session))


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


# `underlying` is typed as the Literal, not a pattern "^(BTC|ETH)$": "$" also matches before a
# trailing newline, so "BTC\n" reached the exchange (a 500).
class MarketController(Controller):
    path = "/api/market"
    tags = ["market"]
    guards = [requires_viewer]

    @get("/expiries", operation_id="listExpiries")
    async def expiries(self, request: Request, underlying: Underlying) -> list[datetime]:
        return await _paper_or_live(request).expiries(underlying)

    @get("/spot", operation_id="getSpot")
    async def spot(self, request: Request, underlying: Underlying) -> dict[str, str]:
        return {"underlying": underlying, "spot": str(await _paper_or_live(request).spot(underlying))}

    @get("/chain", operation_id="getChain")
    async def chain(self, request: Request, underlying: Underlying, expiry: date | None = None) -> ChainRead:
        exchange = _paper_or_live(request)
        expiries = await exchange.expiries(underlying)
        if expiry is None:
            now = _engine(request).clock.now()
            future = [e for e in expiries if e > now]
            if not future:
                raise NotFoundException("no listed expiry")
            chosen = future[0]
        else:
            matches = [e for e in expiries if e.date() == expiry]
            if not matches:
                raise FieldError("expiry", f"no {underlying} options expire on {expiry.isoformat()}; listed: "
                                 + ", ".join(e.date().isoformat() for e in expiries), status_code=404)
            chosen = matches[0]
        instruments = {i.symbol: i for i in await exchange.instruments(underlying, chosen)}
        tickers = await exchange.chain(underlying, chosen)
        by_strike: dict[Decimal, dict[str, Any]] = {}
        for t in tickers:
            inst = instruments.get(t.symbol)
            if inst is None:
                continue
            by_strike.setdefault(inst.strike, {})[inst.kind] = t
        rows = []
        for strike in sorted(by_strike):
            c, p = by_strike[strike].get("call"), by_strike[strike].get("put")
            rows.append(ChainRow(
                strike=str(strike), call_symbol=c.symbol if c else None, put_symbol=p.symbol if p else None,
                call_mark=_s(c.mark) if c else None, call_bid=_s(c.best_bid) if c else None, call_ask=_s(c.best_ask) if c else None,
                call_delta=c.delta if c else None, call_iv=c.mark_iv if c else None,
                put_mark=_s(p.mark) if p else None, put_bid=_s(p.best_bid) if p else None, put_ask=_s(p.best_ask) if p else None,
                put_delta=p.delta if p else None, put_iv=p.mark_iv if p else None,
            ))
        return ChainRead(underlying=underlying, expiry=chosen, spot=str(await exchange.spot(underlying)), rows=rows)


def _paper_or_live(request: Request) -> Any:
    engine = _engine(request)
    return engine.exchanges.get("live") or engine.exchanges["paper"]


class ExchangeController(Controller):
    path = "/api/exchange"
    tags = ["exchange"]

    @get("/status", operation_id="exchangeStatus", guards=[requires_viewer])
    async def status(self, request: Request) -> ExchangeStatus:
        """Which exchange is active and whether credentials are present (never their values)."""
        s = request.app.state.services.settings
        live = _engine(request).exchanges.get("live")
        health = getattr(live, "health", None)
        return ExchangeStatus(paper=True, live_configured=live is not None, live_trading_enabled=s.live_trading_enabled, delta_env=s.delta_env,
                              credentials_present=bool(s.delta_api_key and s.delta_api_secret), base_url=s.delta_base_url or "",
                              health=health.snapshot() if isinstance(health, ExchangeHealth) else None)

    @post("/test", operation_id="testExchangeConnection", guards=[requires_admin], status_code=HTTP_200_OK)
    async def test_connection(self, request: Request) -> ConnectionTest:
        """Probe the live adapter: auth, clock skew and rate-limit budget."""
        live = _engine(request).exchanges.get("live")
        if live is None:
            return ConnectionTest(ok=True, exchange="paper", detail="paper exchange: nothing to test (set EXCHANGE=delta for live)")
        try:
            report = await live.test_connection()
        except ExchangeError as exc:
            return ConnectionTest(ok=False, exchange="delta", detail=str(exc))
        ok = bool(report.auth_ok) and not report.error
        detail = report.error or ("authenticated" if report.auth_ok else "authentication failed")
        return ConnectionTest(ok=ok, exchange="delta", detail=detail, auth_ok=report.auth_ok, clock_skew_s=report.clock_skew_s,
                              rate_limit_remaining=report.rate_limit_remaining)


__all__ = ["StrategyController", "EngineController", "MarketController", "ExchangeController"]

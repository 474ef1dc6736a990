"""Pure market rules of the paper simulator: listings, strike grids, spot process, quotes.

Nothing here does I/O or reads the wall clock; `MarketSimulator` is driven by the caller with
explicit times, and all randomness comes from one seeded `random.Random` whose state is saved.
"""

from __future__ import annotations

import math
import random
from calendar import monthrange
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import msgspec

from deltaplane.exchange.pricing import SECONDS_PER_YEAR, black76, smile_vol
from deltaplane.exchange.protocol import Ticker

EXPIRY_HOUR_UTC = 12


class UnderlyingSpec(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    spot: float
    vol: float = 0.55  # annualised realised vol of the spot process
    drift: float = 0.0  # annualised drift
    jump_intensity: float = 0.0  # expected jumps per year
    jump_mean: float = 0.0  # mean log jump
    jump_std: float = 0.0
    contract_value: Decimal
    tick_size: Decimal
    # (max |K/center - 1|, strike step): finer strikes near the money
    strike_steps: tuple[tuple[float, int], ...]
    base_quote_size: int = 200  # contracts at the touch for an ATM option


BTC_SPEC = UnderlyingSpec(symbol="BTC", spot=90_000.0, contract_value=Decimal("0.001"), tick_size=Decimal("0.1"),
                          strike_steps=((0.03, 200), (0.10, 500), (math.inf, 1000)))
ETH_SPEC = UnderlyingSpec(symbol="ETH", spot=3_000.0, contract_value=Decimal("0.01"), tick_size=Decimal("0.01"),
                          strike_steps=((0.04, 20), (math.inf, 50)), base_quote_size=300)


class PaperConfig(msgspec.Struct, frozen=True, kw_only=True):
    seed: int = 7
    account: str = "paper"
    initial_balance: Decimal = Decimal("10000")
    underlyings: tuple[UnderlyingSpec, ...] = (BTC_SPEC, ETH_SPEC)
    step_seconds: float = 1.0  # spot grid: the path depends only on the seed and the time
    max_walk_steps: int = 200_000  # beyond this a long gap is bridged by one exact GBM step
    tick_interval_s: float = 1.0  # ticks() cadence in clock seconds
    iv_premium: float = 1.0  # implied ATM vol = spot vol x iv_premium
    smile_skew: float = -0.05
    smile_curvature: float = 0.08
    rate: float = 0.0
    spread_share: float = 0.02  # half-spread as a share of mark ...
    min_half_spread_ticks: int = 2  # ... but at least this many ticks
    depth_levels: int = 5
    fee_rate: Decimal = Decimal("0.0003")
    fee_cap_share: Decimal = Decimal("0.035")
    margin_share: Decimal = Decimal("0.15")  # initial margin of a short option, share of notional
    daily_expiries: int = 3
    weekly_expiries: int = 2
    monthly_expiries: int = 2
    order_latency_s: float = 0.0  # simulated network delay before an order reaches the exchange
    order_reply_latency_s: float = 0.0  # ... and before the exchange's answer reaches the caller

    def spec(self, underlying: str) -> UnderlyingSpec:
        for spec in self.underlyings:
            if spec.symbol == underlying:
                return spec
        raise KeyError(underlying)


# --- listings ------------------------------------------------------------------------------------

def _next_daily(now: datetime) -> datetime:
    candidate = now.replace(hour=EXPIRY_HOUR_UTC, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _last_friday(year: int, month: int) -> datetime:
    last_day = monthrange(year, month)[1]
    day = datetime(year, month, last_day, EXPIRY_HOUR_UTC, tzinfo=UTC)
    return day - timedelta(days=(day.weekday() - 4) % 7)


def listed_expiries(now: datetime, *, daily: int = 3, weekly: int = 2, monthly: int = 2) -> list[datetime]:
    """Expiries live at `now`: the next `daily` days, `weekly` Fridays, `monthly` last Fridays (12:00 UTC)."""
    found: set[datetime] = set()
    first = _next_daily(now)
    found.update(first + timedelta(days=i) for i in range(daily))
    friday = first + timedelta(days=(4 - first.weekday()) % 7)
    found.update(friday + timedelta(weeks=i) for i in range(weekly))
    year, month, added = now.year, now.month, 0
    while added < monthly:
        last_friday = _last_friday(year, month)
        if last_friday > now:
            found.add(last_friday)
            added += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(found)


def strike_step(distance_share: float, steps: tuple[tuple[float, int], ...]) -> int:
    for max_share, step in steps:
        if distance_share <= max_share:
            return step
    return steps[-1][1]


def strike_grid(center: float, t_years: float, vol: float, steps: tuple[tuple[float, int], ...]) -> list[int]:
    """Strikes around `center`, finer near the money, about +-4 standard deviations wide."""
    width = min(0.5, max(0.06, 4.0 * vol * math.sqrt(max(t_years, 0.0))))
    finest = steps[0][1]
    mid = int(round(center / finest)) * finest
    strikes = [mid]
    for direction in (1, -1):
        strike = mid
        while True:
            step = strike_step(abs(strike - center) / center, steps)
            strike += direction * step
            strike = (strike // step) * step if direction > 0 else -((-strike) // step) * step
            if abs(strike - center) / center > width or strike <= 0:
                break
            strikes.append(strike)
    return sorted(set(strikes))


# --- spot process ----------------------------------------------------------------------------------

class MarketSimulator:
    """Spot of each underlying on a fixed time grid (GBM + optional Poisson jumps)."""

    def __init__(self, config: PaperConfig, start: datetime):
        self.config = config
        self.rng = random.Random(config.seed)
        self.spots: dict[str, float] = {u.symbol: u.spot for u in config.underlyings}
        self.time = start
        self.step = 0

    def walk_to(self, moment: datetime) -> int:
        """Advance the grid up to `moment`; returns how many grid steps were taken."""
        dt_s = self.config.step_seconds
        steps = int((moment - self.time).total_seconds() // dt_s)
        if steps <= 0:
            return 0
        excess = steps - self.config.max_walk_steps
        if excess > 0:
            self._gbm_step(excess * dt_s / SECONDS_PER_YEAR)
            steps -= excess
        dt = dt_s / SECONDS_PER_YEAR
        for _ in range(steps):
            self._gbm_step(dt)
        taken = steps + max(excess, 0)
        self.time += timedelta(seconds=taken * dt_s)
        self.step += taken
        return taken

    def _gbm_step(self, dt: float) -> None:
        gauss, uniform = self.rng.gauss, self.rng.random
        root_dt = math.sqrt(dt)
        for spec in self.config.underlyings:
            # always three draws per underlying so the stream stays aligned whatever happens
            z, u, j = gauss(0.0, 1.0), uniform(), gauss(0.0, 1.0)
            log_return = (spec.drift - 0.5 * spec.vol * spec.vol) * dt + spec.vol * root_dt * z
            if spec.jump_intensity and u < spec.jump_intensity * dt:
                log_return += spec.jump_mean + spec.jump_std * j
            self.spots[spec.symbol] *= math.exp(log_return)

    def snapshot(self) -> dict[str, Any]:
        version, internal, gauss_next = self.rng.getstate()
        return {"spots": dict(self.spots), "time": self.time.isoformat(), "step": self.step,
                "rng": [version, list(internal), gauss_next]}

    def restore(self, data: dict[str, Any]) -> None:
        self.spots = {k: float(v) for k, v in data["spots"].items()}
        self.time = datetime.fromisoformat(data["time"])
        self.step = int(data["step"])
        version, internal, gauss_next = data["rng"]
        self.rng.setstate((version, tuple(internal), gauss_next))


# --- quotes ----------------------------------------------------------------------------------------

def year_fraction(now: datetime, expiry: datetime) -> float:
    return (expiry - now).total_seconds() / SECONDS_PER_YEAR


class QuoteBook:
    """Turns (spot, time) into option tickers: Black-76 marks on a smile, spread and sizes."""

    def __init__(self, config: PaperConfig):
        self.config = config
        self._tick_cache: dict[Decimal, tuple[float, Decimal]] = {}

    def _ticks(self, tick: Decimal) -> tuple[float, Decimal]:
        hit = self._tick_cache.get(tick)
        if hit is None:
            hit = self._tick_cache[tick] = (float(tick), tick)
        return hit

    def pair(self, spec: UnderlyingSpec, spot: float, strike: int, expiry: datetime, now: datetime, step: int,
             call_id: int | None = None, put_id: int | None = None, call_symbol: str = "",
             put_symbol: str = "") -> tuple[Ticker, Ticker]:
        """The call and the put at one strike, sharing one Black-76 evaluation."""
        cfg = self.config
        t = year_fraction(now, expiry)
        forward = spot  # no carry: Delta's marks are quoted on the index
        vol = smile_vol(spec.vol * cfg.iv_premium, forward, float(strike), t, skew=cfg.smile_skew,
                        curvature=cfg.smile_curvature)
        res = black76(forward, float(strike), t, vol, cfg.rate)
        spot_dec = Decimal(f"{spot:.2f}")
        tick_f, tick = self._ticks(spec.tick_size)
        call = self._ticker(call_symbol, call_id, res.call, res.call_delta, res, res.call_theta, vol, spot_dec, now,
                            spec, tick_f, tick, step, strike)
        put = self._ticker(put_symbol, put_id, res.put, res.put_delta, res, res.put_theta, vol, spot_dec, now,
                           spec, tick_f, tick, step, strike + 1)
        return call, put

    def _ticker(self, symbol: str, product_id: int | None, mark: float, delta: float, res: Any, theta: float,
                vol: float, spot: Decimal, now: datetime, spec: UnderlyingSpec, tick_f: float, tick: Decimal,
                step: int, salt: int) -> Ticker:
        cfg = self.config
        mark = max(mark, 0.0)
        half = max(cfg.min_half_spread_ticks * tick_f, cfg.spread_share * mark)
        bid_ticks = math.floor((mark - half) / tick_f)
        ask_ticks = max(1, math.ceil((mark + half) / tick_f))
        # touch sizes: deeper for near-the-money options, with a little deterministic churn per step
        base = spec.base_quote_size * (0.25 + min(abs(delta), 0.5))
        churn = (step * 2654435761 + salt * 40503) % 23
        size = int(base) + churn + 1
        return Ticker(
            symbol=symbol,
            product_id=product_id,
            mark=Decimal(f"{mark:.4f}"),
            best_bid=tick * bid_ticks if bid_ticks >= 1 else None,
            best_ask=tick * ask_ticks,
            bid_size=size if bid_ticks >= 1 else 0,
            ask_size=size + (churn % 5),
            delta=delta,
            gamma=res.gamma,
            theta=theta / 365.0,
            vega=res.vega / 100.0,
            mark_iv=vol,
            spot=spot,
            timestamp=now,
            source="paper",
        )


def depth_levels(ticker: Ticker, side: str, levels: int, tick_size: Decimal) -> list[tuple[Decimal, int]]:
    """Book levels on one side ("ask" for buyers, "bid" for sellers): touch first, worse prices deeper."""
    touch = ticker.best_ask if side == "ask" else ticker.best_bid
    size = ticker.ask_size if side == "ask" else ticker.bid_size
    if touch is None or size <= 0:
        return []
    gap = max(tick_size, (ticker.mark * Decimal("0.01")).quantize(tick_size, rounding=ROUND_CEILING))
    out: list[tuple[Decimal, int]] = []
    for i in range(levels):
        price = touch + gap * i if side == "ask" else touch - gap * i
        if price < tick_size:
            break
        out.append((price.quantize(tick_size, rounding=ROUND_FLOOR), size * (i + 1)))
    return out

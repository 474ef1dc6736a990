"""When to enter (pure, DST-safe).

A *trading day* is a local date (in the strategy timezone) on which an entry window opens:
[entry_time, entry_time + entry_window_minutes). Its exit deadline is
compute_exit_deadline(window start, exit_time, tz), so a trading day whose exit time is earlier on
the clock than its entry time ends after midnight.

- First entry: inside the window of a scheduled day that has not been entered yet -> EnterNow.
  Before the window -> Wait(until=window start). After the window without an entry -> SkipDay
  (`entry_window_missed`), with the next window's start for the countdown.
- Re-entry: after a session of the trading day closed on a stop-out (REENTRY_REASONS), up to
  `reentries` extra entries, at once, as long as the trading day's exit deadline is more than
  REENTRY_MIN_REMAINING away.
- daily_loss_limit_usd: once the trading day's realized PnL is at or below -limit, no more entries
  that day (`daily_loss_limit`).

The engine must not ask while a session is open (it would get `session_open`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import msgspec

from deltaplane.strategy.config import StrategyConfig
from deltaplane.strategy.rules.exits import compute_exit_deadline
from deltaplane.strategy.rules.local_time import (
    as_zone,
    local_to_utc,
    parse_hhmm,
    require_aware,
    weekday_name,
)

# exits after which a re-entry is allowed (profit exits and time exits end the day)
REENTRY_REASONS: frozenset[str] = frozenset({"max_loss", "leg_stop_loss"})
# do not open a new session this close to the day's exit deadline
REENTRY_MIN_REMAINING = timedelta(minutes=5)
_MAX_LOOKAHEAD_DAYS = 8


class DayActivity(msgspec.Struct, frozen=True, kw_only=True):
    """What already happened on the latest trading day the strategy traded (from the sessions table)."""

    trading_day: date  # local date of the window the sessions belong to
    entries: int  # sessions opened on that trading day (first entry + re-entries)
    last_exit_reason: str | None = None  # None while the last session is still open
    session_open: bool = False
    realized_pnl: Decimal = Decimal(0)  # USD, closed sessions of that trading day


class EnterNow(msgspec.Struct, frozen=True, kw_only=True):
    trading_day: date
    window_start: datetime  # UTC
    window_end: datetime  # UTC
    exit_deadline: datetime  # UTC; persist with the session
    is_reentry: bool
    entry_number: int  # 1 for the first entry of the day, 2.. for re-entries


class Wait(msgspec.Struct, frozen=True, kw_only=True):
    until: datetime  # UTC: the next window start
    reason: str  # window_not_open | session_open


class SkipDay(msgspec.Struct, frozen=True, kw_only=True):
    reason: str  # not_scheduled_day | entry_window_missed | already_traded | reentries_exhausted | ...
    message: str
    next_entry_at: datetime | None  # UTC start of the next window (countdown); None if none within a week


EntryDecision = EnterNow | Wait | SkipDay


def entry_window(day: date, cfg: StrategyConfig) -> tuple[datetime, datetime]:
    """UTC [start, end) of the entry window of local date `day`."""
    start = local_to_utc(day, parse_hhmm(cfg.entry_time), as_zone(cfg.timezone))
    return start, start + timedelta(minutes=cfg.entry_window_minutes)


def trading_day_deadline(day: date, cfg: StrategyConfig) -> datetime:
    start, _ = entry_window(day, cfg)
    return compute_exit_deadline(start, cfg.exit_time, cfg.timezone)


def next_entry_at(now: datetime, cfg: StrategyConfig, *, after_day: date | None = None) -> datetime | None:
    """Start of the next entry window at or after `now` on a scheduled day (skipping `after_day`
    and earlier days); None when no scheduled day lies within a week."""
    require_aware(now, "now")
    zi = as_zone(cfg.timezone)
    today = now.astimezone(zi).date()
    for offset in range(-1, _MAX_LOOKAHEAD_DAYS):
        day = today + timedelta(days=offset)
        if after_day is not None and day <= after_day:
            continue
        if weekday_name(day) not in cfg.schedule_days:
            continue
        start, _ = entry_window(day, cfg)
        if start >= now:
            return start
    return None


def entry_decision(now: datetime, cfg: StrategyConfig, last_session_info: DayActivity | None) -> EntryDecision:
    require_aware(now, "now")
    info = last_session_info
    if info is not None and info.session_open:
        return Wait(until=now, reason="session_open")

    zi = as_zone(cfg.timezone)
    today = now.astimezone(zi).date()

    # A re-entry belongs to the trading day of the stopped-out session (which may be yesterday).
    if info is not None and info.entries >= 1:
        deadline = trading_day_deadline(info.trading_day, cfg)
        if now < deadline:
            blocked = _reentry_blocker(info, cfg, now, deadline)
            if blocked is None:
                start, end = entry_window(info.trading_day, cfg)
                return EnterNow(trading_day=info.trading_day, window_start=start, window_end=end,
                                exit_deadline=deadline, is_reentry=True, entry_number=info.entries + 1)
            # Is another trading day's window open now (e.g. entry 22:00, exit 02:00)? Only if it
            # is a different day; otherwise that day is done.
            if _open_window_day(now, cfg, today, exclude=info.trading_day) is None:
                reason, message = blocked
                return SkipDay(reason=reason, message=message,
                               next_entry_at=next_entry_at(now, cfg, after_day=info.trading_day))

    traded_day = info.trading_day if info is not None and info.entries >= 1 else None
    open_day = _open_window_day(now, cfg, today, exclude=traded_day)
    if open_day is not None:
        start, end = entry_window(open_day, cfg)
        return EnterNow(trading_day=open_day, window_start=start, window_end=end,
                        exit_deadline=trading_day_deadline(open_day, cfg), is_reentry=False, entry_number=1)

    upcoming = next_entry_at(now, cfg, after_day=traded_day)
    if weekday_name(today) not in cfg.schedule_days:
        return SkipDay(reason="not_scheduled_day",
                       message=f"{weekday_name(today)} is not in schedule_days", next_entry_at=upcoming)
    start, end = entry_window(today, cfg)
    if traded_day == today:
        return SkipDay(reason="already_traded", message="today's entry is done", next_entry_at=upcoming)
    if now >= end:
        return SkipDay(reason="entry_window_missed",
                       message=f"today's entry window {cfg.entry_time} {cfg.timezone} "
                               f"(+{cfg.entry_window_minutes} min) has passed",
                       next_entry_at=upcoming)
    return Wait(until=start, reason="window_not_open")


def _reentry_blocker(info: DayActivity, cfg: StrategyConfig, now: datetime,
                     deadline: datetime) -> tuple[str, str] | None:
    if cfg.daily_loss_limit_usd is not None and info.realized_pnl <= -cfg.daily_loss_limit_usd:
        return "daily_loss_limit", f"the day's realized PnL {info.realized_pnl} USD hit the daily loss limit"
    if info.last_exit_reason not in REENTRY_REASONS:
        return "already_traded", f"the day's session ended on {info.last_exit_reason!s}; no re-entry"
    if info.entries - 1 >= cfg.reentries:
        return "reentries_exhausted", f"{cfg.reentries} re-entries allowed per day, all used"
    if deadline - now <= REENTRY_MIN_REMAINING:
        return "too_close_to_exit_time", "too close to the day's exit time to re-enter"
    return None


def _open_window_day(now: datetime, cfg: StrategyConfig, today: date, *, exclude: date | None) -> date | None:
    # yesterday too: a window opened at 23:58 is still open at 00:01
    for day in (today - timedelta(days=1), today):
        if day == exclude or (exclude is not None and day < exclude):
            continue
        if weekday_name(day) not in cfg.schedule_days:
            continue
        start, end = entry_window(day, cfg)
        if start <= now < end:
            return day
    return None

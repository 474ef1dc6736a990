from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategy_factories import cfg

from deltaplane.strategy.rules.entry import (
    DayActivity,
    EnterNow,
    SkipDay,
    Wait,
    entry_decision,
    entry_window,
    next_entry_at,
)

IST = cfg()  # 09:30 IST (04:00 UTC), window 5 min, exit 15:30 IST (10:00 UTC)


def at(y, m, d, hh, mm, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def test_wait_before_window_then_enter_then_skip() -> None:
    got = entry_decision(at(2025, 1, 31, 3, 0), IST, None)
    assert got == Wait(until=at(2025, 1, 31, 4, 0), reason="window_not_open")
    got = entry_decision(at(2025, 1, 31, 4, 0), IST, None)
    assert isinstance(got, EnterNow) and got.trading_day == date(2025, 1, 31)
    assert got.exit_deadline == at(2025, 1, 31, 10, 0) and got.entry_number == 1 and not got.is_reentry
    assert isinstance(entry_decision(at(2025, 1, 31, 4, 4, 59), IST, None), EnterNow)
    got = entry_decision(at(2025, 1, 31, 4, 5), IST, None)
    assert isinstance(got, SkipDay) and got.reason == "entry_window_missed"
    assert got.next_entry_at == at(2025, 2, 1, 4, 0)


def test_schedule_days() -> None:
    c = cfg(schedule_days=("mon", "tue", "wed", "thu", "fri"))
    sat = at(2025, 2, 1, 4, 1)  # Saturday
    got = entry_decision(sat, c, None)
    assert isinstance(got, SkipDay) and got.reason == "not_scheduled_day"
    assert got.next_entry_at == at(2025, 2, 3, 4, 0)  # Monday
    assert next_entry_at(at(2025, 1, 31, 5, 0), c) == at(2025, 2, 3, 4, 0)


def test_one_entry_per_day_without_reentries() -> None:
    done = DayActivity(trading_day=date(2025, 1, 31), entries=1, last_exit_reason="max_loss")
    got = entry_decision(at(2025, 1, 31, 4, 3), IST, done)
    assert isinstance(got, SkipDay) and got.reason == "reentries_exhausted"
    assert got.next_entry_at == at(2025, 2, 1, 4, 0)
    tp = DayActivity(trading_day=date(2025, 1, 31), entries=1, last_exit_reason="take_profit")
    got = entry_decision(at(2025, 1, 31, 6, 0), cfg(reentries=2), tp)
    assert isinstance(got, SkipDay) and got.reason == "already_traded"


def test_reentry_after_stop_out_up_to_the_limit() -> None:
    c = cfg(reentries=2)
    first = DayActivity(trading_day=date(2025, 1, 31), entries=1, last_exit_reason="max_loss")
    got = entry_decision(at(2025, 1, 31, 7, 0), c, first)
    assert isinstance(got, EnterNow) and got.is_reentry and got.entry_number == 2
    assert got.exit_deadline == at(2025, 1, 31, 10, 0)
    second = DayActivity(trading_day=date(2025, 1, 31), entries=2, last_exit_reason="leg_stop_loss")
    assert isinstance(entry_decision(at(2025, 1, 31, 7, 0), c, second), EnterNow)
    third = DayActivity(trading_day=date(2025, 1, 31), entries=3, last_exit_reason="max_loss")
    got = entry_decision(at(2025, 1, 31, 7, 0), c, third)
    assert isinstance(got, SkipDay) and got.reason == "reentries_exhausted"
    # not after the day's exit time, nor just before it
    late = entry_decision(at(2025, 1, 31, 9, 56), c, first)
    assert isinstance(late, SkipDay) and late.reason == "too_close_to_exit_time"
    after = entry_decision(at(2025, 1, 31, 10, 0), c, first)
    assert isinstance(after, SkipDay) and after.reason == "already_traded"


def test_daily_loss_limit_blocks_reentry() -> None:
    c = cfg(reentries=3, daily_loss_limit_usd=D(50))
    info = DayActivity(trading_day=date(2025, 1, 31), entries=1, last_exit_reason="max_loss", realized_pnl=D(-50))
    got = entry_decision(at(2025, 1, 31, 7, 0), c, info)
    assert isinstance(got, SkipDay) and got.reason == "daily_loss_limit"


def test_open_session_means_wait() -> None:
    info = DayActivity(trading_day=date(2025, 1, 31), entries=1, session_open=True)
    got = entry_decision(at(2025, 1, 31, 4, 1), IST, info)
    assert isinstance(got, Wait) and got.reason == "session_open"


def test_yesterdays_trade_does_not_block_today() -> None:
    info = DayActivity(trading_day=date(2025, 1, 30), entries=1, last_exit_reason="exit_time")
    assert isinstance(entry_decision(at(2025, 1, 31, 4, 0), IST, info), EnterNow)
    assert isinstance(entry_decision(at(2025, 1, 31, 3, 0), IST, info), Wait)


def test_session_crossing_midnight_with_reentry() -> None:
    c = cfg(entry_time="22:00", exit_time="02:00", entry_window_minutes=10, reentries=1)
    # 22:00 IST 2025-01-31 = 16:30 UTC
    got = entry_decision(at(2025, 1, 31, 16, 30), c, None)
    assert isinstance(got, EnterNow) and got.exit_deadline == at(2025, 1, 31, 20, 30)
    stopped = DayActivity(trading_day=date(2025, 1, 31), entries=1, last_exit_reason="max_loss")
    # 01:00 IST on Feb 1 still belongs to the Jan 31 trading day
    got = entry_decision(at(2025, 1, 31, 19, 30), c, stopped)
    assert isinstance(got, EnterNow) and got.is_reentry and got.trading_day == date(2025, 1, 31)
    # after 02:00 IST: wait for Feb 1's 22:00 window
    got = entry_decision(at(2025, 1, 31, 21, 0), c, stopped)
    assert got == Wait(until=at(2025, 2, 1, 16, 30), reason="window_not_open")


def test_window_open_across_midnight() -> None:
    c = cfg(entry_time="23:58", exit_time="06:00", entry_window_minutes=5, timezone="UTC")
    got = entry_decision(at(2025, 2, 1, 0, 1), c, None)
    assert isinstance(got, EnterNow) and got.trading_day == date(2025, 1, 31)
    assert got.exit_deadline == at(2025, 2, 1, 6, 0)


@pytest.mark.parametrize(("day", "expected_start"), [
    (date(2025, 3, 8), at(2025, 3, 8, 14, 30)),  # EST
    (date(2025, 3, 9), at(2025, 3, 9, 13, 30)),  # EDT from today
    (date(2025, 11, 1), at(2025, 11, 1, 13, 30)),
    (date(2025, 11, 2), at(2025, 11, 2, 14, 30)),
])
def test_new_york_window_tracks_dst(day, expected_start) -> None:
    c = cfg(entry_time="09:30", exit_time="16:00", timezone="America/New_York")
    start, end = entry_window(day, c)
    assert start == expected_start and end - start == timedelta(minutes=5)
    assert isinstance(entry_decision(start, c, None), EnterNow)


def test_new_york_countdown_across_spring_forward() -> None:
    c = cfg(entry_time="02:30", exit_time="08:00", timezone="America/New_York")
    # 2025-03-09 02:30 does not exist: the window opens at the jump (03:00 EDT = 07:00 UTC)
    got = entry_decision(at(2025, 3, 9, 6, 0), c, None)
    assert got == Wait(until=at(2025, 3, 9, 7, 0), reason="window_not_open")
    assert isinstance(entry_decision(at(2025, 3, 9, 7, 0), c, None), EnterNow)


def test_kolkata_has_no_dst_surprises() -> None:
    for day in (date(2025, 3, 9), date(2025, 11, 2), date(2025, 6, 1)):
        start, _ = entry_window(day, IST)
        assert start == datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=4)


def test_naive_now_rejected() -> None:
    with pytest.raises(ValueError):
        entry_decision(datetime(2025, 1, 31, 4, 0), IST, None)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
       st.sampled_from(["Asia/Kolkata", "America/New_York"]),
       st.sampled_from([("09:30", "15:30"), ("22:00", "02:00"), ("02:15", "08:00")]))
def test_entry_decision_properties(now, tz, times) -> None:
    c = cfg(timezone=tz, entry_time=times[0], exit_time=times[1], schedule_days=("mon", "wed", "fri"))
    got = entry_decision(now, c, None)
    assert entry_decision(now, c, None) == got
    if isinstance(got, EnterNow):
        assert got.window_start <= now < got.window_end and now < got.exit_deadline
        assert got.trading_day.strftime("%a").lower() in ("mon", "wed", "fri")
    elif isinstance(got, Wait):
        assert got.until > now and got.until - now <= timedelta(days=1)
    else:
        assert got.next_entry_at is not None and got.next_entry_at > now
        assert got.next_entry_at - now <= timedelta(days=4)

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategy_factories import EXPIRY, NOW, cfg, market, position

from deltaplane.strategy.config import TrailingRule
from deltaplane.strategy.rules.exits import (
    EXIT_PRIORITY,
    TrailingState,
    compute_exit_deadline,
    evaluate_exit,
    pnl_snapshot,
    trailing_levels,
    trailing_lock_for_peak,
    update_trailing,
)

C = cfg()  # max_loss 50, take_profit 60, trailing 20->0 30->10 40->15 50->25, approach 30 min


def reason(ev) -> str | None:
    return ev.decision.reason if ev.decision else None


# ---------------------------------------------------------------- deadline

@pytest.mark.parametrize(("entry_utc", "exit_hhmm", "tz", "expected_utc"), [
    # IST 09:30 entry, 15:30 exit same day
    (datetime(2025, 1, 31, 4, 0, tzinfo=UTC), "15:30", "Asia/Kolkata", datetime(2025, 1, 31, 10, 0, tzinfo=UTC)),
    # crossing midnight: 22:00 IST entry, 02:00 IST exit next day
    (datetime(2025, 1, 31, 16, 30, tzinfo=UTC), "02:00", "Asia/Kolkata", datetime(2025, 1, 31, 20, 30, tzinfo=UTC)),
    # exit time equal to entry -> next day
    (datetime(2025, 1, 31, 4, 0, tzinfo=UTC), "09:30", "Asia/Kolkata", datetime(2025, 2, 1, 4, 0, tzinfo=UTC)),
    # New York, DST start 2025-03-09: entry 01:00 EST, exit 03:30 EDT = 07:30 UTC
    (datetime(2025, 3, 9, 6, 0, tzinfo=UTC), "03:30", "America/New_York", datetime(2025, 3, 9, 7, 30, tzinfo=UTC)),
    # a wall time inside the spring-forward gap means the jump itself (03:00 EDT = 07:00 UTC)
    (datetime(2025, 3, 9, 5, 0, tzinfo=UTC), "02:30", "America/New_York", datetime(2025, 3, 9, 7, 0, tzinfo=UTC)),
    # fall back 2025-11-02: 01:30 happens twice; the first (EDT, 05:30 UTC) counts
    (datetime(2025, 11, 2, 4, 0, tzinfo=UTC), "01:30", "America/New_York", datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
    # evening NY session spanning the DST change overnight: 20:00 EST entry 03-08, 10:00 EDT exit 03-09
    (datetime(2025, 3, 9, 1, 0, tzinfo=UTC), "10:00", "America/New_York", datetime(2025, 3, 9, 14, 0, tzinfo=UTC)),
])
def test_compute_exit_deadline(entry_utc, exit_hhmm, tz, expected_utc) -> None:
    got = compute_exit_deadline(entry_utc, exit_hhmm, tz)
    assert got == expected_utc and got.tzinfo is not None
    assert compute_exit_deadline(entry_utc, time.fromisoformat(exit_hhmm), tz) == expected_utc


def test_compute_exit_deadline_rejects_naive() -> None:
    with pytest.raises(ValueError):
        compute_exit_deadline(datetime(2025, 1, 1, 4), "10:00", "UTC")


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
       st.times().map(lambda t: t.replace(second=0, microsecond=0)),
       st.sampled_from(["Asia/Kolkata", "America/New_York", "Europe/London", "UTC", "Australia/Lord_Howe"]))
def test_deadline_is_next_occurrence_within_a_day(entry, wall, tz) -> None:
    deadline = compute_exit_deadline(entry, wall, tz)
    assert entry < deadline <= entry + timedelta(hours=25)


# ---------------------------------------------------------------- single rules

def test_nothing_fires_in_the_quiet_middle() -> None:
    ev = evaluate_exit(position(), market(90, 95), C, NOW + timedelta(hours=1))
    assert ev.decision is None
    assert ev.pnl.profit_pct == D("7.5")
    assert ev.pnl.pnl_usd == D(15) * D("0.001") * 10


def test_max_loss_at_exact_threshold() -> None:
    # credit 200, loss 50 % -> cost 300
    assert reason(evaluate_exit(position(), market(200, "99.99"), C, NOW)) is None
    ev = evaluate_exit(position(), market(200, 100), C, NOW)
    assert reason(ev) == "max_loss" and ev.decision.urgency == "normal"
    assert "50.00%" in ev.decision.message


def test_take_profit_at_exact_threshold() -> None:
    # credit 200, 60 % profit -> cost 80
    assert reason(evaluate_exit(position(), market(40, "40.01"), C, NOW)) != "take_profit"
    assert reason(evaluate_exit(position(), market(40, 40), C, NOW)) == "take_profit"


def test_leg_stop_loss() -> None:
    c = cfg(leg_stop_loss_pct=D(100), max_loss_pct=D(200))
    # call doubled (+100 %), put collapsed: combined cost 200+5 = loss 2.5 % only
    ev = evaluate_exit(position(), market(200, 5), c, NOW)
    assert reason(ev) == "leg_stop_loss" and "call +100.00%" in ev.decision.message
    assert reason(evaluate_exit(position(), market("199.9", 5), c, NOW)) is None
    assert reason(evaluate_exit(position(), market(200, 5), C, NOW)) is None  # disabled by default


def test_exit_time_enforced_at_and_after_deadline() -> None:
    pos = position(exit_deadline=NOW + timedelta(hours=6))
    assert evaluate_exit(pos, market(100, 100), C, NOW + timedelta(hours=6) - timedelta(microseconds=1)).decision is None
    ev = evaluate_exit(pos, market(100, 100), C, NOW + timedelta(hours=6))
    assert reason(ev) == "exit_time" and "15:30 Asia/Kolkata" in ev.decision.message
    assert reason(evaluate_exit(pos, market(100, 100), C, NOW + timedelta(days=3))) in ("exit_time", "expiry_approach")


def test_expiry_approach() -> None:
    pos = position(exit_deadline=EXPIRY + timedelta(hours=5))
    assert evaluate_exit(pos, market(100, 100), C, EXPIRY - timedelta(minutes=31)).decision is None
    assert reason(evaluate_exit(pos, market(100, 100), C, EXPIRY - timedelta(minutes=30))) == "expiry_approach"


def test_daily_loss_limit_counts_earlier_sessions() -> None:
    c = cfg(daily_loss_limit_usd=D(1))
    # this session: loss 20/unit x 0.01 = 0.2 USD; earlier today -0.8 -> -1.0
    pos = position(day_realized_pnl=D("-0.8"))
    assert reason(evaluate_exit(pos, market(110, 110), c, NOW)) == "daily_loss_limit"
    assert reason(evaluate_exit(position(day_realized_pnl=D("-0.79")), market(110, 110), c, NOW)) is None


def test_priority_when_several_fire() -> None:
    c = cfg(leg_stop_loss_pct=D(10), daily_loss_limit_usd=D("0.01"))
    pos = position(exit_deadline=EXPIRY - timedelta(hours=1))
    ev = evaluate_exit(pos, market(400, 100), c, EXPIRY)
    assert ev.decision.triggered == ("expiry_approach", "exit_time", "max_loss", "daily_loss_limit", "leg_stop_loss")
    assert ev.decision.reason == "expiry_approach"
    ev = evaluate_exit(pos, market(400, 100), c, EXPIRY - timedelta(hours=1))
    assert ev.decision.reason == "exit_time"
    ev = evaluate_exit(pos, market(400, 100), c, NOW)
    assert ev.decision.reason == "max_loss"
    assert list(ev.decision.triggered) == [r for r in EXIT_PRIORITY if r in ev.decision.triggered]


def test_take_profit_beats_trailing() -> None:
    trailing = TrailingState(peak_profit_pct=D(70), lock_pct=D(25))
    ev = evaluate_exit(position(trailing=trailing), market(20, 20), C, NOW)
    assert ev.decision.reason == "take_profit"  # trailing does not fire at 80 % > lock anyway
    c = cfg(take_profit_pct=D(20))
    ev = evaluate_exit(position(trailing=trailing), market(80, 80), c, NOW)  # profit 20 % <= lock 25 %
    assert ev.decision.triggered == ("take_profit", "trailing_stop")


# ---------------------------------------------------------------- trailing

def test_trailing_arms_then_fires_on_the_way_down() -> None:
    pos = position()
    ev = evaluate_exit(pos, market(80, 80), C, NOW)  # profit 20 % -> lock 0
    assert ev.decision is None and ev.trailing == TrailingState(peak_profit_pct=D(20), lock_pct=D(0))
    pos = position(trailing=ev.trailing)
    ev = evaluate_exit(pos, market(65, 65), C, NOW)  # 35 % -> lock 10
    assert ev.decision is None and ev.trailing.lock_pct == D(10)
    pos = position(trailing=ev.trailing)
    ev = evaluate_exit(pos, market(90, 90), C, NOW)  # back to 10 % -> trailing stop
    assert reason(ev) == "trailing_stop" and ev.trailing.peak_profit_pct == D(35)
    assert "peak 35.00%" in ev.decision.message


def test_trailing_lock_zero_fires_at_breakeven() -> None:
    pos = position(trailing=TrailingState(peak_profit_pct=D(22), lock_pct=D(0)))
    assert evaluate_exit(pos, market("100", "99.9"), C, NOW).decision is None
    assert reason(evaluate_exit(pos, market(100, 100), C, NOW)) == "trailing_stop"


def test_trailing_lock_for_peak_and_loosening_guard() -> None:
    rules = C.trailing_rules
    assert trailing_lock_for_peak(D("19.99"), rules) is None
    assert trailing_lock_for_peak(D(20), rules) == D(0)
    assert trailing_lock_for_peak(D(49), rules) == D(15)
    assert trailing_lock_for_peak(D(90), rules) == D(25)
    # rules edited to something looser mid-session: the armed lock stays
    s = update_trailing(TrailingState(peak_profit_pct=D(45), lock_pct=D(15)), D(10), (TrailingRule(trigger_pct=D(60), lock_pct=D(5)),))
    assert s.lock_pct == D(15) and s.peak_profit_pct == D(45)


def test_unchanged_trailing_state_is_returned_as_is() -> None:
    state = TrailingState(peak_profit_pct=D(30), lock_pct=D(10))
    assert update_trailing(state, D(12), C.trailing_rules) is state


def test_zero_credit_only_time_rules() -> None:
    pos = position("0", "0")
    ev = evaluate_exit(pos, market(500, 500), C, NOW)
    assert ev.decision is None and ev.pnl.profit_pct == 0
    assert reason(evaluate_exit(pos, market(500, 500), C, pos.exit_deadline)) == "exit_time"


def test_pnl_snapshot_leg_moves() -> None:
    snap = pnl_snapshot(position("100", "50"), market(150, 25))
    assert (snap.call_move_pct, snap.put_move_pct) == (D(50), D(-50))
    assert snap.cost_to_close_per_unit == D(175) and snap.profit_pct == D("-16.66666666666666666666666667")


# ---------------------------------------------------------------- levels for the UI

def test_trailing_levels() -> None:
    c = cfg(leg_stop_loss_pct=D(100))
    pos = position(trailing=TrailingState(peak_profit_pct=D(32), lock_pct=D(10)))
    lv = trailing_levels(pos, market(80, 80), c, NOW)  # profit 20 %
    assert lv.profit_pct == D(20)
    assert lv.max_loss.profit_pct == D(-50) and lv.max_loss.combined_premium == D(300) and lv.max_loss.distance_pct == D(70)
    assert lv.take_profit.combined_premium == D(80) and lv.take_profit.distance_pct == D(40)
    assert lv.trailing_stop.profit_pct == D(10) and lv.trailing_stop.combined_premium == D(180)
    assert lv.trailing_stop.distance_pct == D(10)
    assert lv.next_trailing_trigger.profit_pct == D(40)
    assert [(s.leg, s.stop_price) for s in lv.leg_stops] == [("call", D(200)), ("put", D(200))]
    assert lv.leg_stops[0].distance_pct == D(150)
    assert lv.seconds_to_exit_deadline == 6 * 3600
    assert lv.expiry_approach_at == EXPIRY - timedelta(minutes=30)
    fresh = trailing_levels(position(), market(100, 100), cfg(), NOW)
    assert fresh.trailing_stop is None and fresh.next_trailing_trigger.profit_pct == D(20) and fresh.leg_stops == ()


# ---------------------------------------------------------------- invariants

marks = st.decimals(min_value=D("0.1"), max_value=D(2000), places=1)
entries = st.decimals(min_value=D(1), max_value=D(1000), places=1)


@settings(max_examples=400, deadline=None)
@given(entries, entries, st.lists(st.tuples(marks, marks), min_size=1, max_size=25),
       st.integers(min_value=0, max_value=12 * 3600))
def test_exit_invariants(call_entry, put_entry, path, seconds) -> None:
    c = cfg(leg_stop_loss_pct=D(150))
    now = NOW + timedelta(seconds=seconds)
    state = TrailingState()
    previous_lock = None
    for call_mark, put_mark in path:
        pos = position(str(call_entry), str(put_entry), trailing=state)
        mk = market(call_mark, put_mark)
        ev = evaluate_exit(pos, mk, c, now)
        assert evaluate_exit(pos, mk, c, now) == ev  # pure / deterministic
        profit = ev.pnl.profit_pct
        triggered = ev.decision.triggered if ev.decision else ()
        assert ("take_profit" in triggered) == (profit >= c.take_profit_pct)
        assert ("max_loss" in triggered) == (-profit >= c.max_loss_pct)
        assert ("exit_time" in triggered) == (now >= pos.exit_deadline)
        if ev.trailing.lock_pct is not None:
            assert ("trailing_stop" in triggered) == (profit <= ev.trailing.lock_pct)
        # lock and peak never decrease
        assert ev.trailing.peak_profit_pct >= state.peak_profit_pct
        if previous_lock is not None:
            assert ev.trailing.lock_pct is not None and ev.trailing.lock_pct >= previous_lock
        previous_lock = ev.trailing.lock_pct
        state = ev.trailing


@settings(max_examples=200, deadline=None)
@given(marks, marks, st.integers(min_value=0, max_value=3 * 86400))
def test_exit_time_always_triggers_after_deadline(call_mark, put_mark, late_by) -> None:
    pos = position()
    ev = evaluate_exit(pos, market(call_mark, put_mark), C, pos.exit_deadline + timedelta(seconds=late_by))
    assert ev.decision is not None and "exit_time" in ev.decision.triggered
    assert ev.decision.reason in ("expiry_approach", "exit_time")

from datetime import UTC, date, datetime, timedelta

from strategy_factories import cfg

from deltaplane.strategy.config import expiry_min_buffer
from deltaplane.strategy.rules.expiry import ExpiryChoice, select_expiry
from deltaplane.strategy.rules.outcomes import NoTrade

EXPIRIES = [datetime(2025, 1, d, 12, 0, tzinfo=UTC) for d in (30, 31)] + [datetime(2025, 2, 1, 12, tzinfo=UTC),
                                                                           datetime(2025, 2, 7, 12, tzinfo=UTC)]


def test_next_is_nearest_strictly_after_now_plus_buffer() -> None:
    now = datetime(2025, 1, 31, 4, 0, tzinfo=UTC)
    got = select_expiry("next", EXPIRIES, now)
    assert isinstance(got, ExpiryChoice) and got.expiry == datetime(2025, 1, 31, 12, tzinfo=UTC)
    assert got.time_to_expiry_s == 8 * 3600
    # inside the buffer -> the following one
    late = datetime(2025, 1, 31, 11, 30, tzinfo=UTC)
    got = select_expiry("next", EXPIRIES, late, min_time_to_expiry=timedelta(minutes=45))
    assert isinstance(got, ExpiryChoice) and got.expiry == datetime(2025, 2, 1, 12, tzinfo=UTC)
    # exactly at the buffer edge is not "strictly after"
    edge = datetime(2025, 1, 31, 11, 15, tzinfo=UTC)
    got = select_expiry("next", EXPIRIES, edge, min_time_to_expiry=timedelta(minutes=45))
    assert isinstance(got, ExpiryChoice) and got.expiry.day == 1


def test_next_none_left() -> None:
    got = select_expiry("next", EXPIRIES, datetime(2025, 3, 1, tzinfo=UTC))
    assert isinstance(got, NoTrade) and got.code == "no_expiry"
    assert isinstance(select_expiry("next", [], datetime(2025, 3, 1, tzinfo=UTC)), NoTrade)


def test_date_exact_match_or_reason() -> None:
    now = datetime(2025, 1, 30, 4, tzinfo=UTC)
    got = select_expiry("date", EXPIRIES, now, expiry_date=date(2025, 2, 1))
    assert isinstance(got, ExpiryChoice) and got.expiry == datetime(2025, 2, 1, 12, tzinfo=UTC)
    missing = select_expiry("date", EXPIRIES, now, expiry_date=date(2025, 2, 2))
    assert isinstance(missing, NoTrade) and missing.code == "expiry_not_listed" and "2025-02-02" in missing.message
    too_close = select_expiry("date", EXPIRIES, datetime(2025, 1, 30, 11, 50, tzinfo=UTC), expiry_date=date(2025, 1, 30))
    assert isinstance(too_close, NoTrade) and too_close.code == "expiry_too_close"
    assert isinstance(select_expiry("date", EXPIRIES, now), NoTrade)


def test_offset_days_uses_the_strategy_local_date() -> None:
    # 2025-01-30 20:00 UTC is already 2025-01-31 01:30 in Kolkata
    now = datetime(2025, 1, 30, 20, 0, tzinfo=UTC)
    got = select_expiry("offset_days", EXPIRIES, now, offset_days=1, tz="Asia/Kolkata")
    assert isinstance(got, ExpiryChoice) and got.expiry.date() == date(2025, 2, 1)
    got = select_expiry("offset_days", EXPIRIES, now, offset_days=0, tz="Asia/Kolkata")
    assert isinstance(got, ExpiryChoice) and got.expiry.date() == date(2025, 1, 31)
    got = select_expiry("offset_days", EXPIRIES, now, offset_days=1, tz="UTC")
    assert isinstance(got, ExpiryChoice) and got.expiry.date() == date(2025, 1, 31)
    gap = select_expiry("offset_days", EXPIRIES, now, offset_days=3, tz="UTC")
    assert isinstance(gap, NoTrade) and gap.code == "expiry_not_listed"
    assert isinstance(select_expiry("offset_days", EXPIRIES, now), NoTrade)


def test_input_order_and_timezone_of_expiries_do_not_matter() -> None:
    from zoneinfo import ZoneInfo

    now = datetime(2025, 1, 31, 4, 0, tzinfo=UTC)
    shuffled = [e.astimezone(ZoneInfo("Asia/Kolkata")) for e in reversed(EXPIRIES)]
    assert select_expiry("next", shuffled, now) == select_expiry("next", EXPIRIES, now)


def test_buffer_from_config_exceeds_expiry_approach() -> None:
    assert expiry_min_buffer(cfg(expiry_approach_minutes=30)) > timedelta(minutes=30)

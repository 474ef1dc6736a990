"""Date ranges: presets move with now, calendar days in the user's timezone, errors name the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from analytics_factories import utc
from hypothesis import given
from hypothesis import strategies as st

from deltaplane.analytics.ranges import PRESETS, RangeError, resolve_range

IST = ZoneInfo("Asia/Kolkata")
# 2025-03-15 20:00 UTC = 2025-03-16 01:30 IST: already "tomorrow" in Kolkata
NOW = utc(2025, 3, 15, 20)


def test_today_starts_at_local_midnight():
    r = resolve_range(now=NOW, tz="Asia/Kolkata", preset="today")
    # local midnight 2025-03-16 00:00 IST = 2025-03-15 18:30 UTC
    assert r.start == utc(2025, 3, 15, 18, 30)
    assert r.end == NOW
    assert (r.preset, r.timezone) == ("today", "Asia/Kolkata")
    assert resolve_range(now=NOW, tz="UTC", preset="today").start == utc(2025, 3, 15)


def test_7d_covers_seven_calendar_days_including_today():
    r = resolve_range(now=NOW, tz="Asia/Kolkata", preset="7d")
    # today in IST is 03-16 -> first day 03-10 00:00 IST = 03-09 18:30 UTC
    assert r.start == datetime(2025, 3, 10, tzinfo=IST).astimezone(UTC) == utc(2025, 3, 9, 18, 30)
    assert r.end == NOW


@pytest.mark.parametrize(("preset", "days"), [("30d", 30), ("90d", 90)])
def test_30d_90d(preset, days):
    r = resolve_range(now=NOW, tz="UTC", preset=preset)
    assert r.start == utc(2025, 3, 15) - timedelta(days=days - 1)


def test_ytd_and_all():
    assert resolve_range(now=NOW, tz="Asia/Kolkata", preset="ytd").start == utc(2024, 12, 31, 18, 30)
    r = resolve_range(now=NOW, tz="UTC", preset="all")
    assert (r.start, r.end) == (None, NOW)


def test_default_is_30d():
    assert resolve_range(now=NOW).preset == "30d"


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_end_moves_with_now(preset):
    # the predecessor's auto-refresh froze the end; every resolution must end at the given now
    first = resolve_range(now=NOW, tz="Asia/Kolkata", preset=preset)
    later = resolve_range(now=NOW + timedelta(minutes=5), tz="Asia/Kolkata", preset=preset)
    assert first.end == NOW and later.end == NOW + timedelta(minutes=5)
    next_day = resolve_range(now=NOW + timedelta(days=1), tz="Asia/Kolkata", preset=preset)
    if preset in {"today", "7d", "30d", "90d"}:
        assert next_day.start == first.start + timedelta(days=1)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_preset_window_always_contains_now_and_starts_at_midnight(now):
    for preset in ("today", "7d", "30d", "90d", "ytd"):
        r = resolve_range(now=now, tz="Asia/Kolkata", preset=preset)
        assert r.start <= r.end == now
        local = r.start.astimezone(IST)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)


def test_dst_zone_keeps_local_midnight():
    # America/New_York springs forward on 2025-03-09; 7d from 03-12 starts 03-06 00:00 EST (05:00 UTC)
    r = resolve_range(now=utc(2025, 3, 12, 16), tz="America/New_York", preset="7d")
    assert r.start == utc(2025, 3, 6, 5)
    assert resolve_range(now=utc(2025, 3, 12, 16), tz="America/New_York", preset="today").start == utc(
        2025, 3, 12, 4
    )


def test_explicit_dates_are_local_days_and_end_is_inclusive():
    r = resolve_range(now=NOW, tz="Asia/Kolkata", start="2025-01-01", end="2025-01-31")
    assert r.start == utc(2024, 12, 31, 18, 30)  # 01-01 00:00 IST
    assert r.end == utc(2025, 1, 31, 18, 30)  # 02-01 00:00 IST: the whole of 01-31 included
    assert r.preset is None
    r2 = resolve_range(now=NOW, tz="UTC", start=date(2025, 1, 1), end=date(2025, 1, 1))
    assert r2.end - r2.start == timedelta(days=1)


def test_explicit_datetimes():
    # naive -> user's timezone; aware / Z -> that instant
    r = resolve_range(now=NOW, tz="Asia/Kolkata", start="2025-01-01T09:00:00", end="2025-01-02T00:00:00Z")
    assert r.start == utc(2025, 1, 1, 3, 30)
    assert r.end == utc(2025, 1, 2)
    r2 = resolve_range(now=NOW, tz="UTC", start=datetime(2025, 1, 1, 5, tzinfo=IST))
    assert r2.start == utc(2024, 12, 31, 23, 30) and r2.end == NOW


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"preset": "1y"}, "preset"),
        ({"preset": "7d", "start": "2025-01-01"}, "preset"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"start": "yesterday"}, "start"),
        ({"start": ""}, "start"),
        ({"end": "2025-13-01"}, "end"),
        ({"start": "2025-02-01", "end": "2025-01-01"}, "end"),
        ({"start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}, "end"),
        # the calendar's edges overflowed on the way to UTC or to the next day (500s before)
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01", "tz": "Asia/Kolkata"}, "start"),
        ({"start": "9999-12-31T23:59:59-05:00"}, "start"),
        ({"end": "0001-01-01T00:00:00+05:00"}, "end"),
        ({"start": "1969-12-31"}, "start"),
    ],
)
def test_errors_name_the_field(kwargs, field):
    with pytest.raises(RangeError) as exc:
        resolve_range(now=NOW, **kwargs)
    assert exc.value.field == field
    assert str(exc.value).startswith(f"{field}: ")


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        resolve_range(now=datetime(2025, 1, 1))


@given(
    st.one_of(st.dates().map(date.isoformat), st.datetimes(timezones=st.timezones()).map(datetime.isoformat), st.text(max_size=30)),
    st.sampled_from(["start", "end"]),
    st.sampled_from(["UTC", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
)
def test_any_bound_resolves_or_names_its_field(text, field, tz):
    # whatever a client sends as a bound, the answer is a range or a RangeError naming the field
    try:
        rng = resolve_range(now=NOW, tz=tz, **{field: text})
    except RangeError as exc:
        assert exc.field in (field, "end")
    else:
        assert rng.start is None or rng.start < rng.end

"""Resolve an analytics date range (a preset or explicit start/end) into a UTC ``[start, end)``.

Presets are *relative to now*: the end of a preset range is always the injected ``now``, so a
dashboard that refreshes sends the preset again and the window moves forward. (The predecessor
resolved the preset once and kept refreshing the same frozen end.) Clients that want a fixed
window send explicit ``start``/``end``.

Presets are calendar-aligned in the user's timezone, so the first day of a range is whole:
- ``today``: local midnight today → now
- ``7d`` / ``30d`` / ``90d``: local midnight N-1 days ago → now (N calendar days incl. today)
- ``ytd``: local midnight on 1 January → now
- ``all``: unbounded start (``None``) → now

Explicit bounds accept ISO-8601 strings, ``date`` or ``datetime``: a date means local midnight in
the user's timezone, and a date-only *end* is inclusive (it resolves to the following midnight);
a naive datetime is read in the user's timezone; an aware one is taken as the instant it names.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

__all__ = ["PRESETS", "RangeError", "ResolvedRange", "resolve_range", "resolve_timezone"]

PRESETS: tuple[str, ...] = ("today", "7d", "30d", "90d", "ytd", "all")
_PRESET_DAYS = {"today": 1, "7d": 7, "30d": 30, "90d": 90}
DEFAULT_PRESET = "30d"


class RangeError(ValueError):
    """Invalid range input; ``field`` names the offending query parameter for a 4xx response."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ResolvedRange(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None  # UTC, inclusive; None = unbounded
    end: datetime  # UTC, exclusive
    timezone: str  # IANA name used for calendar days
    preset: str | None  # the preset it came from, None for explicit bounds


def resolve_timezone(tz: str | tzinfo, field: str = "tz") -> ZoneInfo:
    """An IANA timezone by name (``Asia/Kolkata``), or a RangeError naming ``field``."""
    if isinstance(tz, ZoneInfo):
        return tz
    if isinstance(tz, tzinfo):
        if tz.utcoffset(None) == timedelta(0):
            return ZoneInfo("UTC")
        raise RangeError(field, "pass an IANA timezone name, not a fixed offset")
    if not isinstance(tz, str) or not tz.strip():
        raise RangeError(field, "must be an IANA timezone name such as Asia/Kolkata")
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: name too long for the tz database path
        raise RangeError(field, f"unknown timezone {tz!r}") from exc


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 + normalising through UTC handles DST days whose midnight is skipped or repeated.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


#: The dates a range may name. Python's datetime ends at years 1 and 9999, and a bound near
#: either edge overflows once it is moved to UTC or to the next day (a 500 before): say so instead.
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _parse_bound(field: str, value: str | date | datetime, zone: ZoneInfo, *, is_end: bool) -> datetime:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise RangeError(field, "must not be empty")
        try:
            if len(text) == 10:  # YYYY-MM-DD
                value = date.fromisoformat(text)
            else:
                value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError as exc:
            raise RangeError(field, f"not an ISO-8601 date or datetime: {value!r}") from exc
    if isinstance(value, date) and not FIRST_DAY <= (value.date() if isinstance(value, datetime) else value) <= LAST_DAY:
        raise RangeError(field, f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return _local_midnight(value + timedelta(days=1) if is_end else value, zone)
    raise RangeError(field, f"unsupported type {type(value).__name__}")


def resolve_range(
    *,
    now: datetime,
    tz: str | tzinfo = "UTC",
    preset: str | None = None,
    start: str | date | datetime | None = None,
    end: str | date | datetime | None = None,
    default_preset: str = DEFAULT_PRESET,
) -> ResolvedRange:
    """Turn request parameters into a UTC ``[start, end)`` interval; ``now`` is injected (aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    zone = resolve_timezone(tz)
    now_utc = now.astimezone(UTC)
    preset = preset.strip().lower() if isinstance(preset, str) and preset.strip() else None

    if preset is not None and (start is not None or end is not None):
        raise RangeError("preset", "send either preset or start/end, not both")
    if preset is None and start is None and end is None:
        preset = default_preset

    if preset is not None:
        if preset not in PRESETS:
            raise RangeError("preset", f"must be one of {', '.join(PRESETS)}")
        today_local = now_utc.astimezone(zone).date()
        if preset == "all":
            range_start = None
        elif preset == "ytd":
            range_start = _local_midnight(date(today_local.year, 1, 1), zone)
        else:
            range_start = _local_midnight(today_local - timedelta(days=_PRESET_DAYS[preset] - 1), zone)
        return ResolvedRange(start=range_start, end=now_utc, timezone=zone.key, preset=preset)

    range_start = _parse_bound("start", start, zone, is_end=False) if start is not None else None
    range_end = _parse_bound("end", end, zone, is_end=True) if end is not None else now_utc
    if range_start is not None and range_start >= range_end:
        raise RangeError("end", "must be after start")
    return ResolvedRange(start=range_start, end=range_end, timezone=zone.key, preset=None)

"""Wall-clock times in a strategy's timezone, turned into exact UTC instants (pure, DST-safe).

Rules of thumb used everywhere in the strategy area:
- a wall time that does not exist (spring-forward gap) means the first instant at which the local
  clock reads at least that time, i.e. the moment the clock jumps;
- a wall time that exists twice (fall-back overlap) means its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# fullmatch, not match with "$" (which also matches before a trailing newline: "09:30\n" was
# stored); [0-9], as \d also takes other scripts' digits (an Arabic-Indic nine in "0\u0669:30").
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def parse_hhmm(value: str) -> time:
    """'09:30' -> time(9, 30). Raises ValueError for anything not strictly HH:MM (24 h)."""
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected HH:MM (24-hour), got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def is_valid_hhmm(value: str) -> bool:
    try:
        parse_hhmm(value)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; raises ValueError (not a zoneinfo-specific error) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:  # OSError: name too long
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


def is_valid_timezone(name: str) -> bool:
    if not isinstance(name, str) or not name or name != name.strip():
        return False
    try:
        zone(name)
    except ValueError:
        return False
    return True


def as_zone(tz: str | ZoneInfo) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else zone(tz)


def require_aware(moment: datetime, what: str = "datetime") -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment!r}")


def local_to_utc(day: date, wall: time, tz: str | ZoneInfo) -> datetime:
    """The UTC instant at which the clock in `tz` first reads `wall` on `day` (see module doc)."""
    zi = as_zone(tz)
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zi, fold=0).astimezone(UTC)
    if first.astimezone(zi).replace(tzinfo=None) == naive:
        return first  # the wall time exists (fold=0 is the first occurrence when it exists twice)
    # Spring-forward gap: fold=1 maps to an instant before the jump, fold=0 to one after it.
    # Binary-search the jump, i.e. the first instant whose local wall time is >= `naive`.
    low = int(naive.replace(tzinfo=zi, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    if low > high:
        low, high = high, low
    # zone transitions fall on whole seconds, so an integer search finds the jump exactly
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zi).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, UTC)


def local_date(moment: datetime, tz: str | ZoneInfo) -> date:
    require_aware(moment, "moment")
    return moment.astimezone(as_zone(tz)).date()


WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_name(day: date) -> str:
    return WEEKDAYS[day.weekday()]

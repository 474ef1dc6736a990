"""Which expiry to trade (pure).

Expiries are exact UTC instants (Delta: 12:00 UTC). Every rule refuses an expiry that is not at
least `min_time_to_expiry` after `now`: an entry that close to expiry would be closed at once by
the expiry-approach exit, so the buffer must exceed `expiry_approach_minutes`
(`config.expiry_min_buffer(cfg)` gives that plus 15 minutes).

- next: the nearest expiry strictly after now + min_time_to_expiry;
- date: the expiry whose UTC date equals `expiry_date`, if it exists and is far enough away;
- offset_days: the expiry whose UTC date is N days after today's date in the strategy timezone
  (0 = today's expiry), if it exists and is far enough away.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec

from deltaplane.strategy.config import ExpiryRule
from deltaplane.strategy.rules.local_time import as_zone, require_aware
from deltaplane.strategy.rules.outcomes import NoTrade


class ExpiryChoice(msgspec.Struct, frozen=True, kw_only=True):
    expiry: datetime  # UTC
    rule: ExpiryRule
    time_to_expiry_s: float


def select_expiry(rule: ExpiryRule, available_expiries: Iterable[datetime], now: datetime, *,
                  expiry_date: date | None = None, offset_days: int | None = None,
                  tz: str | ZoneInfo = "Asia/Kolkata",
                  min_time_to_expiry: timedelta = timedelta(minutes=45)) -> ExpiryChoice | NoTrade:
    require_aware(now, "now")
    expiries = sorted({e.astimezone(UTC) for e in available_expiries})
    earliest_ok = now + min_time_to_expiry
    far_enough = [e for e in expiries if e > earliest_ok]

    def choice(expiry: datetime) -> ExpiryChoice:
        return ExpiryChoice(expiry=expiry, rule=rule, time_to_expiry_s=(expiry - now).total_seconds())

    if rule == "next":
        if not far_enough:
            return NoTrade(code="no_expiry",
                           message=f"no expiry later than {earliest_ok.isoformat()} "
                                   f"(now + {_minutes(min_time_to_expiry)} min buffer)")
        return choice(far_enough[0])

    if rule == "date":
        if expiry_date is None:
            return NoTrade(code="expiry_date_missing", message="expiry_rule 'date' needs expiry_date")
        target = expiry_date
    elif rule == "offset_days":
        if offset_days is None or offset_days < 0:
            return NoTrade(code="expiry_offset_missing", message="expiry_rule 'offset_days' needs offset_days >= 0")
        target = now.astimezone(as_zone(tz)).date() + timedelta(days=offset_days)
    else:  # pragma: no cover - Literal exhausts the cases
        return NoTrade(code="unknown_expiry_rule", message=f"unknown expiry rule {rule!r}")

    on_target = [e for e in expiries if e.date() == target]
    if not on_target:
        listed = ", ".join(e.date().isoformat() for e in expiries[:5]) or "none"
        return NoTrade(code="expiry_not_listed",
                       message=f"no expiry listed on {target.isoformat()} (listed: {listed})")
    usable = [e for e in on_target if e > earliest_ok]
    if not usable:
        return NoTrade(code="expiry_too_close",
                       message=f"expiry {on_target[-1].isoformat()} is within {_minutes(min_time_to_expiry)} "
                               f"minutes of now")
    return choice(usable[0])


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)

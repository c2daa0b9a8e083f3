"""Where time comes from, and the store's clock.

Everything asks ``clock.now()`` so tests can set the time. Records keep naive UTC; people
and the state system work in the store's own time zone (the ``timezone`` setting): a move
made at 7 pm in Denver happened on that day in Denver, whatever day it was in UTC, and Metrc
wants the facility's date and the facility's clock. So times are turned into the store's
only where they meet a person, a slip or Metrc (``local``, ``store_date``), and times that
arrive in the store's clock (Metrc's, a POS report's) are turned back into UTC on the way in
(``from_local``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "America/Los_Angeles"


class Clock:
    """The real clock; UTC, naive (the database stores naive UTC)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FixedClock(Clock):
    """A clock tests can set and move forward."""

    def __init__(self, start: dt.datetime | None = None):
        self.current = start or dt.datetime(2026, 11, 23, 9, 0, 0)

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, **delta) -> None:
        self.current += dt.timedelta(**delta)


clock: Clock = Clock()
_zone = ZoneInfo(DEFAULT_ZONE)


def now() -> dt.datetime:
    """The current time from the installed clock."""
    return clock.now()


def install(new: Clock) -> Clock:
    """Swap the clock (tests); returns the previous one."""
    global clock
    previous, clock = clock, new
    return previous


def zone_named(name: str) -> ZoneInfo:
    """The time zone called ``name`` (``America/Denver``); ValueError if there is none."""
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name") from None


def use_zone(name: str) -> None:
    """Make ``name`` the store's time zone (start-up, from the ``timezone`` setting)."""
    global _zone
    _zone = zone_named(name)


def local(at: dt.datetime | None) -> dt.datetime | None:
    """A naive-UTC record time as the store's wall clock shows it (naive)."""
    if at is None:
        return None
    return at.replace(tzinfo=dt.UTC).astimezone(_zone).replace(tzinfo=None)


def store_date(at: dt.datetime | None = None) -> dt.date:
    """The store's date at ``at`` (naive UTC), or today."""
    return local(at if at is not None else now()).date()


def from_local(wall: dt.datetime) -> dt.datetime:
    """A time on the store's wall clock (naive) as naive UTC, for storing or comparing.

    Where the clocks go back, an hour happens twice; the first is taken, as most systems do.
    """
    return wall.replace(tzinfo=_zone).astimezone(dt.UTC).replace(tzinfo=None)


def to_utc(moment: dt.datetime) -> dt.datetime:
    """A time read from outside (Metrc, a POS) as naive UTC: one with an offset says what it
    is; one without is on the store's clock, as Metrc and sales reports write them."""
    if moment.tzinfo:
        return moment.astimezone(dt.UTC).replace(tzinfo=None)
    return from_local(moment)


def store_day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in naive UTC of the store's days ``first`` to ``last`` inclusive."""
    return (from_local(dt.datetime.combine(first, dt.time.min)),
            from_local(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min)))

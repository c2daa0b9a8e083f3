"""Where time comes from. Everything asks ``clock.now()`` so tests can set the time."""

from __future__ import annotations

import datetime as dt


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


def now() -> dt.datetime:
    """The current time from the installed clock."""
    return clock.now()


def install(new: Clock) -> Clock:
    """Swap the clock (tests); returns the previous one."""
    global clock
    previous, clock = clock, new
    return previous

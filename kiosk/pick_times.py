"""How long requests take from request to hand-off (SOP §4 step 5: the loop is timed), for
the manager's live view: today's median and 90th percentile, and the times by hour."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from kiosk import clock
from kiosk.models.picks import PickRequest


@dataclass
class Hour:
    """The hand-offs completed in one hour of the store's day."""

    hour: int  # 0-23 on the store's clock
    count: int
    median_minutes: float


@dataclass
class Day:
    """One store day's hand-offs."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None
    hours: list[Hour]


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, interpolated between the nearest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def day(on: dt.date | None = None) -> Day:
    """Request-to-hand-off times of the requests handed off on the store's day ``on``."""
    on = on or clock.store_date()
    since, until = clock.store_day_bounds(on, on)
    rows = (PickRequest.select(PickRequest.requested_at, PickRequest.handed_off_at)
            .where(PickRequest.status == "handed_off", PickRequest.handed_off_at >= since,
                   PickRequest.handed_off_at < until).tuples())
    minutes, by_hour = [], {}
    for requested, handed in rows:
        taken = max(0.0, (handed - requested).total_seconds() / 60)
        minutes.append(taken)
        by_hour.setdefault(clock.local(handed).hour, []).append(taken)
    hours = [Hour(h, len(v), statistics.median(v)) for h, v in sorted(by_hour.items())]
    if not minutes:
        return Day(0, None, None, hours)
    return Day(len(minutes), statistics.median(minutes), percentile(minutes, 90), hours)

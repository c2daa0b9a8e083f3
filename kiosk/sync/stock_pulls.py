"""Pulling what Metrc says the store holds, and Metrc's adjustment reasons.

Each pull reads the packages Metrc changed since the last one, from its three lists (active,
on hold, and inactive: finished or discontinued), in windows of at most 24 hours that overlap
the previous pull by ten minutes, and keeps each package's figure, place and state in
``MetrcPackage``: the "Metrc" column of a count's variances. The first pull reaches back to
just before the oldest package the store received (at most two years), so a package nobody
touched for months is not missed. The adjustment reasons are read at the first pull and then
once a day: they rarely change, and no adjustment can be sent without one. Every call to
Metrc happens before the write transaction, as in ``pulls``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import fn

from kiosk import clock, variances
from kiosk.db import write
from kiosk.models import MetrcPackage, Package
from kiosk.models.sync import SyncState
from kiosk.sync.metrc import MetrcClient
from kiosk.sync.pulls import FIRST_LOOK_BACK, OVERLAP, _facility_time, _windows

STATE_KEY = "pull:packages"
LISTS = ("active", "onhold", "inactive")
FIRST_REACH_MAX = dt.timedelta(days=730)
REASONS_EVERY = dt.timedelta(hours=24)


def last_pull() -> dict:
    row = SyncState.one(key=STATE_KEY)
    return dict(row.value) if row is not None else {}


def _since(now: dt.datetime) -> dt.datetime:
    previous = last_pull().get("end")
    if previous:
        return dt.datetime.fromisoformat(previous) - OVERLAP
    oldest = Package.select(fn.MIN(Package.received_at)).scalar()
    start = oldest - dt.timedelta(days=1) if oldest else now - FIRST_LOOK_BACK
    return max(start, now - FIRST_REACH_MAX)


def _row(which: str, row: dict, now: dt.datetime) -> dict:
    return {"metrc_id": row.get("Id"), "quantity": Decimal(str(row.get("Quantity") or 0)),
            "unit": row.get("UnitOfMeasureName") or "Each",
            "location_name": row.get("LocationName") or "",
            "item_name": (row.get("Item") or {}).get("Name") or "", "state": which,
            "last_modified": _facility_time(row.get("LastModified")), "pulled_at": now}


def pull_packages(client: MetrcClient, now: dt.datetime | None = None) -> int:
    """Read the packages Metrc changed since the last pull; returns how many were read.
    Raises MetrcError when Metrc fails (nothing is stored then)."""
    now = now or clock.now()
    found: dict[str, dict] = {}
    for lo, hi in _windows(_since(now), now):
        for which in LISTS:
            for row in client.packages(which, lo, hi):
                values = _row(which, row, now)
                kept = found.get(row["Label"])
                # A package in two lists (finished during the pull) keeps its newest state.
                if kept is None or (values["last_modified"] or now) >= (
                        kept["last_modified"] or now):
                    found[row["Label"]] = values
    with write():
        for tag, values in found.items():
            if not MetrcPackage.update(**values).where(MetrcPackage.tag == tag).execute():
                MetrcPackage.create(tag=tag, **values)
        value = {"end": now.isoformat(), "at": now.isoformat(), "packages": len(found)}
        if not SyncState.update(value=value, updated_at=now).where(
                SyncState.key == STATE_KEY).execute():
            SyncState.create(key=STATE_KEY, value=value, updated_at=now)
    return len(found)


def pull_reasons(client: MetrcClient, now: dt.datetime | None = None) -> int:
    """Read Metrc's adjustment reasons and keep them for investigations; returns how many."""
    now = now or clock.now()
    found = [{"name": r["Name"], "requires_note": bool(r.get("RequiresNote"))}
             for r in client.adjust_reasons() if r.get("Name")]
    with write():
        variances.keep_reasons(found, now)
    return len(found)


def pull(client: MetrcClient, now: dt.datetime | None = None) -> None:
    """The packages every time; the reasons when a day has passed since they were read."""
    now = now or clock.now()
    pull_packages(client, now)
    pulled = variances.reasons_pulled_at()
    if pulled is None or now - pulled >= REASONS_EVERY:
        pull_reasons(client, now)

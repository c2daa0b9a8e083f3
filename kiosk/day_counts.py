"""The short counts reconciliation makes: the opening spot count and the closing count.

Each takes the day's best sellers (``reconciliation.best_sellers``), fixes what the books
expect of each when counting begins, and never hands that figure to a screen (a blind
count). The books' figure is the POS's own figure of the day (its stock report, pulled from
Dutchie or sent), less what it sold since; without one, the kiosk's ledger less what the
POS has sold of the package since it was received: the ledger moves with receipts, moves
and adjustments, and the POS records the sales. A package counted at another figure is a
``count`` difference, settled like the sales differences.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import JOIN, fn

from kiosk import clock
from kiosk.models import Item, Location, Package, PosInventory
from kiosk.models.reconciliation import DayCheck, DayCount, DayDifference
from kiosk.models.sync import PosSale
from kiosk.reconciliation import CHUNK, q
from kiosk.words import _

# Where the books' figure came from, and a package's place, as a day's count keeps them (in
# English; a screen that shows them can say them again in its language).
SOURCE = _("ledger less POS sales since received")
NO_PLACE = _("no place")


def _sold_since(packages: list[Package], since: dt.datetime | None = None
                ) -> dict[str, Decimal]:
    """Net units the POS sold of each package since ``since`` (or since it was received)."""
    net: dict[str, Decimal] = {}
    received = {p.tag: since or p.received_at for p in packages}
    tags = sorted(received)
    for start in range(0, len(tags), CHUNK):
        rows = (PosSale.select(PosSale.tag, PosSale.kind, PosSale.sold_at, PosSale.quantity)
                .where(PosSale.tag.in_(tags[start:start + CHUNK]), PosSale.kind != "void")
                .tuples())
        for tag, kind, sold_at, quantity in rows:
            if received[tag] is None or sold_at >= received[tag]:
                sign = -1 if kind == "return" else 1
                net[tag] = net.get(tag, Decimal(0)) + sign * q(quantity)
    return net


def plan(check: DayCheck, tags: list[str]) -> int:
    """The packages to count, with what the books expect (call inside a write)."""
    packages = list(Package.select(Package, Item, Location).join(Item)
                    .switch(Package).join(Location, JOIN.LEFT_OUTER)
                    .where(Package.tag.in_(tags or [""])))
    sold = _sold_since(packages)
    told = {i.tag: i for i in PosInventory.select().where(PosInventory.tag.in_(tags or [""]))
            if clock.store_date(i.as_of) == check.day}
    rows = []
    for p in sorted(packages, key=lambda p: tags.index(p.tag)):
        expected, source = q(p.quantity) - sold.get(p.tag, Decimal(0)), SOURCE
        if p.tag in told:  # the POS's own figure today, less what it sold since
            figure = told[p.tag]
            expected = q(figure.quantity) - _sold_since([p], figure.as_of).get(p.tag, 0)
            source = _("the POS's figure at {time}, less its sales since",
                       time=clock.local(figure.as_of).strftime("%H:%M"))
        rows.append({"check": check.id, "tag": p.tag, "item_name": p.item.name, "unit": p.unit,
                     "place": p.location.name if p.location_id else str(NO_PLACE),
                     "expected": expected, "source": str(source)})
    if rows:
        DayCount.insert_many(rows).execute()
    return len(rows)


def lines(check_id: int) -> list[DayCount]:
    return list(DayCount.select().where(DayCount.check == check_id).order_by(DayCount.id))


def line(check_id: int, tag: str) -> DayCount | None:
    return DayCount.get_or_none(DayCount.check == check_id, DayCount.tag == tag)


def uncounted(check_id: int) -> list[DayCount]:
    return [c for c in lines(check_id) if c.counted is None]


def progress(check_id: int) -> tuple[int, int]:
    """(counted, to count)."""
    total, done = (DayCount.select(fn.COUNT(DayCount.id), fn.COUNT(DayCount.counted))
                   .where(DayCount.check == check_id).tuples().get())
    return done, total


def record(entry: DayCount, counted: Decimal, actor, now: dt.datetime) -> DayDifference | None:
    """Keep a package's count; a count off the books is a difference (call inside a
    write). Returns the difference, if there is one."""
    DayCount.update(counted=counted, counted_by=actor, counted_at=now).where(
        DayCount.id == entry.id).execute()
    if q(counted) == q(entry.expected):
        return None
    return DayDifference.create(
        check=entry.check_id, day=DayCheck.get_by_id(entry.check_id).day, tag=entry.tag,
        item_name=entry.item_name, unit=entry.unit, kind="count", expected=entry.expected,
        counted=counted, detail={"place": entry.place, "source": entry.source},
        messages=[], found_at=now)

"""Sales reconciliation: what the POS says it sold against the receipts Metrc holds.

Run after an outage or at day end: per package tag, the quantity the POS reported (webhook or
imported sales report) is compared with the quantity on Metrc's receipts (active and
inactive, i.e. open, finalised or voided). Every tag whose totals differ becomes a
``Discrepancy`` on the manager screen, never an automatic adjustment: a person decides
whether the POS or Metrc is wrong.

Times: ``PosSale.sold_at`` is stored as UTC; Metrc's ``SalesDateTime`` is on the facility's
clock without an offset, so it is turned into UTC with the store's time zone (``clock``)
before the window, given in UTC, is applied to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from kiosk import clock
from kiosk.models.sync import PosSale
from kiosk.sync import readback
from kiosk.sync.metrc import MetrcClient

WINDOW = dt.timedelta(hours=24)


def _local(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value).replace("Z", "")[:19])


def metrc_sold(client: MetrcClient, start: dt.datetime, end: dt.datetime
               ) -> dict[str, Decimal]:
    """Quantity per tag on Metrc receipts sold in [start, end) (UTC), voided ones excluded."""
    sold: dict[str, Decimal] = defaultdict(Decimal)
    seen = set()
    # Receipts modified since the window opened include every sale made in it.
    cursor = start
    while cursor < end + WINDOW:
        upper = min(cursor + WINDOW, end + WINDOW)
        for which in ("active", "inactive"):
            for receipt in client.receipts(which, cursor, upper):
                if receipt.get("Id") in seen or receipt.get("ArchivedDate"):
                    continue
                seen.add(receipt.get("Id"))
                at = clock.from_local(_local(receipt["SalesDateTime"]))
                if not start <= at < end:
                    continue
                for line in receipt.get("Transactions") or []:
                    quantity = line.get("QuantitySold", line.get("Quantity")) or 0
                    sold[line["PackageLabel"]] += Decimal(str(quantity))
        cursor = upper
    return dict(sold)


def pos_sold(start: dt.datetime, end: dt.datetime) -> dict[str, Decimal]:
    sold: dict[str, Decimal] = defaultdict(Decimal)
    for sale in PosSale.select().where(PosSale.sold_at >= start, PosSale.sold_at < end):
        sold[sale.tag] += Decimal(str(sale.quantity))
    return dict(sold)


def sales(client: MetrcClient, start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """Flag every tag whose sold quantity differs; returns the differences found."""
    theirs = metrc_sold(client, start, end)
    ours = pos_sold(start, end)
    differences = []
    for tag in sorted(set(theirs) | set(ours)):
        mine, metrc = ours.get(tag, Decimal(0)), theirs.get(tag, Decimal(0))
        if mine != metrc:
            differences.append((tag, "sold quantity (POS vs Metrc)",
                                f"{mine.normalize():f}", f"{metrc.normalize():f}"))
    readback.flag(f"sales {start:%Y-%m-%d %H:%M}", differences, None)
    return differences

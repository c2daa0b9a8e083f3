"""A package's whole history on one screen: the one timeline a variance investigation, the
quarantine cage and a recall show.

Everything that happened to it, oldest first: the manifest it came on, receipt, moves,
sales, counts, adjustments, holds and releases, returns to its vendor, destruction, the
recall that found it, and what was sent to Metrc; each with when (the store's clock), who
and where.
"""

from __future__ import annotations

import datetime as dt

from peewee import JOIN

from kiosk import clock
from kiosk.manifests import quantity_text
from kiosk.models import (
    Destruction,
    Employee,
    Location,
    Movement,
    OutboxMessage,
    Package,
    PackageHold,
    RecallPackage,
    ReturnLine,
    Transfer,
    TransferPackage,
    VendorReturn,
)
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.models.sync import PosSale

MOVE_WORDS = {"receipt": "Received", "move": "Moved", "adjust": "Adjusted", "sale": "Sold",
              "pick": "Picked", "quarantine": "Quarantined", "release": "Released",
              "correction": "Corrected", "reject": "Rejected", "return": "Returned to vendor",
              "destroy": "Destroyed"}
CLOSED_WORDS = {"released": "Released", "returned": "Returned to vendor",
                "destroyed": "Destroyed"}
# What Metrc was told about a package, as the timeline says it.
METRC_WORDS = {"package.adjust": "adjustment", "package.finish": "package finished",
               "package.note": "note"}


def _when(at: dt.datetime) -> str:
    return f"{clock.local(at):%Y-%m-%d %H:%M}"


def _movements(tag: str) -> list[tuple]:
    rows = []
    From, To = Location.alias(), Location.alias()
    moves = (Movement.select(Movement, From, To, Employee).join(Package)
             .switch(Movement).join(From, JOIN.LEFT_OUTER, on=(Movement.from_location == From.id))
             .switch(Movement).join(To, JOIN.LEFT_OUTER, on=(Movement.to_location == To.id))
             .switch(Movement).join(Employee, JOIN.LEFT_OUTER, on=(Movement.actor == Employee.id))
             .where(Package.tag == tag).order_by(Movement.id))
    for m in moves:
        where = m.to_location.name if m.to_location_id else ""
        if m.kind in ("move", "quarantine", "release") and m.from_location_id \
                and m.from_location_id != m.to_location_id:
            where = f"{m.from_location.name} → {where}"
        change = "" if m.quantity == 0 else f" {'+' if m.quantity > 0 else ''}" \
                                              f"{quantity_text(m.quantity)}"
        what = f"{MOVE_WORDS.get(m.kind, m.kind.capitalize())}{change}"
        why = "; ".join(filter(None, [m.reason, m.note]))
        who = m.actor.name if m.actor_id else (m.station or "")
        rows.append((m.at, [_when(m.at), what + (f" ({why})" if why else ""), who, where]))
    return rows


def _receiving(tag: str) -> list[tuple]:
    rows = []
    for line in (TransferPackage.select(TransferPackage, Transfer).join(Transfer)
                 .where(TransferPackage.tag == tag)):
        t = line.transfer
        rows.append((t.created_at, [_when(t.created_at), f"On manifest {t.manifest_number} from "
                     f"{t.shipper_name}: {quantity_text(line.shipped_quantity, line.shipped_unit)}"
                     " shipped", "Metrc" if t.source == "state" else t.source, ""]))
    return rows


def _sales_and_counts(tag: str) -> list[tuple]:
    rows = []
    for sale in PosSale.select().where(PosSale.tag == tag):
        sold = quantity_text(sale.quantity, sale.unit)
        verb = {"return": "Returned", "void": "Sale voided:"}.get(sale.kind, "Sold")
        rows.append((sale.sold_at, [_when(sale.sold_at), f"{verb} {sold} on receipt "
                                    f"{sale.receipt}", f"POS ({sale.source})", "Sales floor"]))
    for line in (CountLine.select(CountLine, Count).join(Count).where(CountLine.tag == tag)):
        for value, by, at, how, word in ((line.counted, line.counted_by_id, line.counted_at,
                                          line.counted_how, "Counted"),
                                         (line.recounted, line.recounted_by_id,
                                          line.recounted_at, line.recounted_how, "Recounted")):
            if at is not None:
                rows.append((at, [_when(at), f"{word} {quantity_text(value, line.unit)} "
                             f"({how}) in count {line.count.title}",
                             Employee.get_by_id(by).name, line.count.title]))
    for v in Variance.select().where(Variance.tag == tag):
        if v.closed_at is not None:
            rows.append((v.closed_at, [_when(v.closed_at), f"Variance resolved: {v.resolution}"
                         + (f" ({v.resolution_note})" if v.resolution_note else ""), "", ""]))
    return rows


def _holds(tag: str) -> list[tuple]:
    rows = []
    for hold in PackageHold.select().where(PackageHold.tag == tag).order_by(PackageHold.id):
        amount = "" if hold.whole else f" ({quantity_text(hold.quantity, hold.unit)})"
        who = Employee.get_by_id(hold.held_by_id).name if hold.held_by_id else ""
        rows.append((hold.held_at, [_when(hold.held_at), f"On hold{amount}: "
                     f"{hold.reason_text}" + (f" (sale {hold.sale_ref})" if hold.sale_ref else ""),
                     who, "Quarantine"]))
        if hold.closed_at is not None:
            closer = Employee.get_by_id(hold.closed_by_id).name if hold.closed_by_id else ""
            rows.append((hold.closed_at, [_when(hold.closed_at),
                         f"Hold ended: {CLOSED_WORDS.get(hold.status, hold.status)}"
                         + (f" ({hold.closed_note})" if hold.closed_note else ""), closer, ""]))
    for found in (RecallPackage.select(RecallPackage).join(Package)
                  .where(Package.tag == tag)):
        recall = found.recall
        rows.append((recall.started_at, [_when(recall.started_at),
                     f"Recall {recall.id}: {recall.description} (found {found.found_at})",
                     recall.started_by.name, found.found_at]))
    for line in (ReturnLine.select(ReturnLine, VendorReturn).join(VendorReturn)
                 .where(ReturnLine.tag == tag)):
        r = line.vendor_return
        manifest = f"; Metrc manifest {r.metrc_manifest}" if r.metrc_manifest else ""
        rows.append((r.created_at, [_when(r.created_at), f"Return to {r.vendor_name} "
                     f"({r.vendor_license}): {quantity_text(line.quantity, line.unit)}"
                     f"{manifest}", r.created_by.name, r.vendor_name]))
    for d in Destruction.select().where(Destruction.tag == tag):
        keyed = " keyed by hand" if d.keyed else " on the scale"
        rows.append((d.at, [_when(d.at), f"Destroyed {quantity_text(d.quantity, d.unit)}: "
                     f"{quantity_text(d.weight, d.weight_unit)}{keyed}, {d.method} ({d.reason})",
                     f"{d.performed_by.name}, witnessed by {d.witnessed_by.name}", ""]))
    return rows


def _metrc(tag: str) -> list[tuple]:
    rows = []
    for m in (OutboxMessage.select().where(OutboxMessage.ordering_key == tag,
                                           OutboxMessage.kind.in_(tuple(METRC_WORDS)))):
        state = "sent" if m.status == "delivered" else m.status
        detail = ""
        if m.kind == "package.adjust":
            detail = (f": {m.payload.get('quantity')} {m.payload.get('unit', '')} "
                      f"({m.payload.get('reason', '')})")
        elif m.kind == "package.note":
            detail = f": {m.payload.get('note', '')}"
        rows.append((m.created_at, [_when(m.created_at),
                     f"Metrc {METRC_WORDS[m.kind]} {state}{detail}", "Syncer", "Metrc"]))
    return rows


def package_timeline(tag: str) -> list[list[str]]:
    """Everything that happened to a package, oldest first: [when, what, who, where]."""
    rows = (_movements(tag) + _receiving(tag) + _sales_and_counts(tag) + _holds(tag)
            + _metrc(tag))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]

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
from kiosk.words import UNIT_WORDS, Known, Phrase, _, joined

# The timeline's words are phrases (kiosk.words): English as ever where a test or a record
# reads them, said in the reader's language where a screen shows them.
MOVE_WORDS = {"receipt": _("Received"), "move": _("Moved"), "adjust": _("Adjusted"),
              "sale": _("Sold"), "pick": _("Picked"), "quarantine": _("Quarantined"),
              "release": _("Released"), "correction": _("Corrected"), "reject": _("Rejected"),
              "return": _("Returned to vendor"), "destroy": _("Destroyed")}
CLOSED_WORDS = {"released": _("Released"), "returned": _("Returned to vendor"),
                "destroyed": _("Destroyed")}
# What Metrc was told about a package, as the timeline says it.
METRC_WORDS = {"package.adjust": _("adjustment"), "package.finish": _("package finished"),
               "package.note": _("note")}
# Where a message to Metrc is (OutboxMessage.status); a status not here is shown as it is.
STATE_WORDS = {"delivered": _("sent"), "pending": _("pending"), "sending": _("sending"),
               "attention": _("attention"), "resolved": _("resolved")}
HOW_WORDS = {"keypad": _("keypad"), "scale": _("scale")}  # how a count was taken
RESOLUTION_WORDS = {"adjusted": _("adjusted"), "fixed elsewhere": _("fixed elsewhere"),
                    "cleared by recount": _("cleared by recount")}


def _when(at: dt.datetime):
    """A date and time on the store's clock, in the order the reader's language writes them
    (English as it always read: 2026-11-23 09:00)."""
    year, month, day, hour, minute = clock.local(at).strftime("%Y %m %d %H %M").split()
    return _("{year}-{month}-{day} {hour}:{minute}", year=year, month=month, day=day,
             hour=hour, minute=minute)


def _with(what, why):
    """``what (why)``, or ``what`` when there is no why."""
    if not why:
        return what
    return _("{what} ({why})", what=what, why=why if isinstance(why, Phrase) else Known(why))


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
        what = MOVE_WORDS.get(m.kind, m.kind.capitalize())
        if m.quantity > 0:
            what = _("{what} +{quantity}", what=what, quantity=quantity_text(m.quantity))
        elif m.quantity < 0:
            what = _("{what} {quantity}", what=what, quantity=quantity_text(m.quantity))
        # The kiosk's own words (kept_words.MOVEMENT_REASONS) said in the reader's language; a
        # person's typed note matches none of them and is shown as typed.
        why = joined([Known(m.reason) if m.reason else "", Known(m.note) if m.note else ""],
                     "; ")
        who = m.actor.name if m.actor_id else (m.station or "")
        rows.append((m.at, [_when(m.at), _with(what, why), who, where]))
    return rows


def _receiving(tag: str) -> list[tuple]:
    rows = []
    for line in (TransferPackage.select(TransferPackage, Transfer).join(Transfer)
                 .where(TransferPackage.tag == tag)):
        t = line.transfer
        rows.append((t.created_at, [_when(t.created_at), _(
            "On manifest {manifest} from {shipper}: {quantity} shipped",
            manifest=t.manifest_number, shipper=t.shipper_name,
            quantity=quantity_text(line.shipped_quantity, line.shipped_unit)),
            "Metrc" if t.source == "state" else t.source, ""]))
    return rows


def _sales_and_counts(tag: str) -> list[tuple]:
    rows = []
    for sale in PosSale.select().where(PosSale.tag == tag):
        sold = quantity_text(sale.quantity, sale.unit)
        if sale.kind == "return":
            what = _("Returned {quantity} on receipt {receipt}", quantity=sold,
                     receipt=sale.receipt)
        elif sale.kind == "void":
            what = _("Sale voided: {quantity} on receipt {receipt}", quantity=sold,
                     receipt=sale.receipt)
        else:
            what = _("Sold {quantity} on receipt {receipt}", quantity=sold, receipt=sale.receipt)
        rows.append((sale.sold_at, [_when(sale.sold_at), what, f"POS ({sale.source})",
                                    _("Sales floor")]))
    for line in (CountLine.select(CountLine, Count).join(Count).where(CountLine.tag == tag)):
        for value, by, at, how, words in (
                (line.counted, line.counted_by_id, line.counted_at, line.counted_how,
                 _("Counted {quantity} ({how}) in count {count}")),
                (line.recounted, line.recounted_by_id, line.recounted_at, line.recounted_how,
                 _("Recounted {quantity} ({how}) in count {count}"))):
            if at is not None:
                rows.append((at, [_when(at), _(words.message,
                                               quantity=quantity_text(value, line.unit),
                                               how=HOW_WORDS.get(how) or Known(how),
                                               count=line.count.title),
                             Employee.get_by_id(by).name, line.count.title]))
    for v in Variance.select().where(Variance.tag == tag):
        if v.closed_at is not None:
            resolved = _("Variance resolved: {resolution}",
                         resolution=RESOLUTION_WORDS.get(v.resolution) or Known(v.resolution))
            rows.append((v.closed_at, [_when(v.closed_at), _with(resolved, v.resolution_note),
                                       "", ""]))
    return rows


def _holds(tag: str) -> list[tuple]:
    rows = []
    for hold in PackageHold.select().where(PackageHold.tag == tag).order_by(PackageHold.id):
        reason = Known(hold.reason_text)
        held = _("On hold: {reason}", reason=reason) if hold.whole else _(
            "On hold ({quantity}): {reason}", quantity=quantity_text(hold.quantity, hold.unit),
            reason=reason)
        if hold.sale_ref:
            held = _("{what} (sale {sale})", what=held, sale=hold.sale_ref)
        who = Employee.get_by_id(hold.held_by_id).name if hold.held_by_id else ""
        rows.append((hold.held_at, [_when(hold.held_at), held, who, _("Quarantine")]))
        if hold.closed_at is not None:
            closer = Employee.get_by_id(hold.closed_by_id).name if hold.closed_by_id else ""
            ended = _("Hold ended: {how}", how=CLOSED_WORDS.get(hold.status, hold.status))
            rows.append((hold.closed_at, [_when(hold.closed_at), _with(ended, hold.closed_note),
                                          closer, ""]))
    for found in (RecallPackage.select(RecallPackage).join(Package)
                  .where(Package.tag == tag)):
        recall = found.recall
        rows.append((recall.started_at, [_when(recall.started_at),
                     _("Recall {recall}: {description} (found {place})", recall=str(recall.id),
                       description=recall.description, place=found.found_at),
                     recall.started_by.name, found.found_at]))
    for line in (ReturnLine.select(ReturnLine, VendorReturn).join(VendorReturn)
                 .where(ReturnLine.tag == tag)):
        r = line.vendor_return
        returned = _("Return to {vendor} ({licence}): {quantity}", vendor=r.vendor_name,
                     licence=r.vendor_license, quantity=quantity_text(line.quantity, line.unit))
        if r.metrc_manifest:
            returned = _("{what}; Metrc manifest {manifest}", what=returned,
                         manifest=r.metrc_manifest)
        rows.append((r.created_at, [_when(r.created_at), returned, r.created_by.name,
                                    r.vendor_name]))
    for d in Destruction.select().where(Destruction.tag == tag):
        destroyed = _("Destroyed {quantity}: {weight} keyed by hand, {method} ({reason})") \
            if d.keyed else _("Destroyed {quantity}: {weight} on the scale, {method} ({reason})")
        rows.append((d.at, [_when(d.at), _(destroyed.message,
                                           quantity=quantity_text(d.quantity, d.unit),
                                           weight=quantity_text(d.weight, d.weight_unit),
                                           method=Known(d.method), reason=Known(d.reason)),
                     _("{name}, witnessed by {witness}", name=d.performed_by.name,
                       witness=d.witnessed_by.name), ""]))
    return rows


def _metrc(tag: str) -> list[tuple]:
    rows = []
    for m in (OutboxMessage.select().where(OutboxMessage.ordering_key == tag,
                                           OutboxMessage.kind.in_(tuple(METRC_WORDS)))):
        told = _("Metrc {what} {state}", what=METRC_WORDS[m.kind],
                 state=STATE_WORDS.get(m.status, m.status))
        if m.kind == "package.adjust":
            unit = m.payload.get("unit", "")
            told = _("{what}: {quantity} {unit} ({reason})", what=told,
                     quantity=str(m.payload.get("quantity")), unit=UNIT_WORDS.get(unit, unit),
                     reason=Known(m.payload.get("reason", "")))
        elif m.kind == "package.note":
            told = _("{what}: {note}", what=told, note=m.payload.get("note", ""))
        rows.append((m.created_at, [_when(m.created_at), told, _("Syncer"), "Metrc"]))
    return rows


def package_timeline(tag: str) -> list[list[str]]:
    """Everything that happened to a package, oldest first: [when, what, who, where]."""
    rows = (_movements(tag) + _receiving(tag) + _sales_and_counts(tag) + _holds(tag)
            + _metrc(tag))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]

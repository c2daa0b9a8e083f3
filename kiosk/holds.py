"""Holds (SOP §5): putting a package, or part of one, on hold and taking it off again, and
the quarantine cage as a list. The quarantine, release and recall workflows read as their
SOPs because what a hold does to the stock, the POS, Metrc and the label printer is here,
once.

A whole package on hold has ``Package.status`` "quarantined": no pick takes it, no move moves
it, and the POS holds it. Metrc has no call to put a package on hold (only a regulator
does), so Metrc hears where it is (the cage) and a note with the reason. A part of a package
cannot be held in Metrc either: Metrc tracks the tag, not its units, and a retailer cannot
split a package there. So the held units leave the package's sellable quantity here and at
the POS, Metrc keeps the whole package with a note saying how many units are held and why,
and the units come back (release) or leave Metrc's figure (destruction, an adjustment).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import JOIN

from kiosk import clock, picks
from kiosk.manifests import quantity_text
from kiosk.models import Employee, Item, Location, Movement, Package, PackageHold
from kiosk.words import Known, _

# code -> (the words on the screen and the label, what happens next by default); the words
# are kept in English on the record and said again in the reader's language (Known).
REASONS = {
    "damaged": (_("Damaged"), "destruction"),
    "expired": (_("Expired"), "destruction"),
    "recalled": (_("Recalled"), "vendor"),
    "customer_return": (_("Customer return"), "manager"),
    "discrepant": (_("Discrepant (count or label differs)"), "manager"),
    "tampering": (_("Suspected tampering"), "manager"),
    "lab": (_("Failed or missing lab result"), "lab"),
    "other": (_("Other"), "manager"),
    "rejected": (_("Rejected at receiving"), "vendor"),  # receiving's; never chosen here
}
CHOSEN_REASONS = tuple(k for k in REASONS if k != "rejected")
NEXT_WORDS = {"vendor": _("Awaiting vendor (return)"),
              "destruction": _("Awaiting destruction"), "lab": _("Awaiting lab retest"),
              "manager": _("Awaiting a manager's decision")}
# A hold's end as its record keeps it ("returned" and "destroyed" are a package's too).
ENDED_WORDS = (_("released"), _("held"))
CAGE = "quarantine"  # the kind of location the cage is
RECEIVING_HELD = ("quarantined", "rejected")  # what receiving leaves in the cage
STOCK_PLACES = ("vault", "sales_floor")  # where a released package may go back to


def day_words(day: dt.date):
    """A date as the reader writes it: 2026-11-23 in English, 23/11/2026 in Spanish."""
    return _("{year}-{month}-{day}", year=day.strftime("%Y"), month=day.strftime("%m"),
             day=day.strftime("%d"))


def today(ctx) -> str:
    """The store's date of this step, as Metrc and the labels take it."""
    return clock.store_date(ctx.event.at).isoformat()


def _rows(package_id: int) -> list[PackageHold]:
    return list(PackageHold.select().where(PackageHold.package == package_id,
                                           PackageHold.status == "held")
                .order_by(PackageHold.id))


def from_receiving(package: Package) -> PackageHold | None:
    """The hold of a package receiving left in the cage, as its movement there says it (not
    saved: receiving keeps no hold row, and may still change its verdict). None when the
    package has a hold row, or is not one receiving holds."""
    if package.status not in RECEIVING_HELD or not in_cage(package):
        return None
    moved = (Movement.select().where(Movement.package == package.id,
                                     Movement.kind.in_(("quarantine", "reject")))
             .order_by(Movement.id.desc()).first())
    if moved is None:
        return None
    rejected = package.status == "rejected"
    return PackageHold(package=package.id, tag=package.tag, quantity=package.quantity,
                       unit=package.unit, whole=True, reason="rejected" if rejected else
                       "discrepant", reason_text=moved.reason or REASONS["rejected"][0],
                       sale_ref="", next_step="vendor" if rejected else "manager",
                       status="held", held_at=moved.at, held_by=moved.actor_id,
                       held_from=moved.from_location_id, run_id=moved.run_id, closed_note="")


def open_holds(package: Package) -> list[PackageHold]:
    """The package's holds still open, oldest first (receiving's, not yet saved, included)."""
    rows = _rows(package.id)
    if not any(h.whole for h in rows):
        found = from_receiving(package)
        if found is not None:
            rows.insert(0, found)
    return rows


def kept(made: PackageHold) -> PackageHold:
    """The hold as a saved row (receiving's is saved when a way out first takes it; call
    inside the step's write)."""
    if made.id is None:
        made.save(force_insert=True)
    return made


def part_holds(package: Package) -> list[PackageHold]:
    """The package's open holds of part of its units, oldest first."""
    return [h for h in _rows(package.id) if not h.whole]


def parts_held(package: Package) -> Decimal:
    """How many of the package's units are held apart from it (already out of its stock)."""
    return sum((Decimal(str(h.quantity)) for h in part_holds(package)), Decimal(0))


def whole_hold(package: Package) -> PackageHold | None:
    """The open hold on the whole package, if there is one."""
    return next((h for h in open_holds(package) if h.whole), None)


def in_cage(package: Package) -> bool:
    """The package itself is in a quarantine location."""
    return package.location_id is not None and package.location.kind == CAGE


def where(package: Package) -> str:
    return package.location.name if package.location_id else _("nowhere yet")


def label_data(hold: PackageHold, package: Package, who: str, day: str) -> dict:
    """The quarantine label: tag (and its barcode), item, batch, the reason in full, the
    store's date, who."""
    reason = hold.reason_text
    if not hold.whole:
        reason = f"{quantity_text(hold.quantity, hold.unit)} of this package: {reason}"
    return {"tag": package.tag, "item": package.item.name, "batch": package.batch,
            "reason": reason, "date": day, "who": who}


def package_label_data(package: Package) -> dict:
    """The shelf label a released package gets back in place of its quarantine label."""
    item = package.item
    return {"tag": package.tag, "item": item.name, "brand": item.brand, "batch": package.batch,
            "received": clock.store_date(package.received_at).isoformat()
            if package.received_at else "",
            "expires": package.expires_on.isoformat() if package.expires_on else "",
            "thc": str(package.thc_pct) if package.thc_pct is not None else "",
            "cbd": str(package.cbd_pct) if package.cbd_pct is not None else "",
            "unit": package.unit, "quantity": f"{Decimal(str(package.quantity)).normalize():f}"}


def note_for(hold: PackageHold, package_quantity, who: str, day: str) -> str:
    """The note Metrc gets: why the package (or how much of it) is on hold."""
    if hold.whole:
        return f"On hold in quarantine since {day}: {hold.reason_text} ({who})"
    return (f"{quantity_text(hold.quantity, hold.unit)} of "
            f"{quantity_text(package_quantity, hold.unit)} on hold in quarantine since {day}: "
            f"{hold.reason_text} ({who})")


def hold(ctx, package: Package, reason: str, reason_text: str, *, part: Decimal | None = None,
         cage: Location | None = None, sale_ref: str = "", recall=None, label: bool = True,
         withdraw: bool = True, audit: bool = True) -> PackageHold:
    """Put the package (or ``part`` units of it) on hold, in the step's transaction: the
    ledger, the hold, the quarantine label, and the POS's and Metrc's messages.

    A whole package moves into ``cage`` when given (a recall holds packages where they are
    until someone brings them in); a part stays where it is, its held units out of its
    sellable quantity. A recall holds hundreds at once: it prints their labels as one job,
    withdraws from picks only those it found in one (``withdraw``), and audits the recall
    with every tag in one entry (``audit``).
    """
    day, who = today(ctx), ctx.actor.name
    whole = part is None
    amount = Decimal(str(package.quantity)) if whole else part
    before = Decimal(str(package.quantity))
    held_from = package.location_id
    if whole:
        ctx.movement(package, 0, "quarantine", to_location=cage, status="quarantined",
                     reason=reason_text[:250])
    else:
        # The package stays where it is; its held units go to the cage (the note says so).
        held_in = f" in {cage.name}" if cage is not None else ""
        ctx.movement(package, -part, "quarantine", reason=reason_text[:250],
                     note=f"{quantity_text(part, package.unit)} held{held_in}, "
                          f"{quantity_text(before - part)} stay sellable")
    made = PackageHold.create(
        package=package, tag=package.tag, quantity=amount, unit=package.unit, whole=whole,
        reason=reason, reason_text=reason_text, sale_ref=sale_ref,
        next_step=REASONS.get(reason, ("", "manager"))[1], held_at=ctx.event.at,
        held_by=ctx.actor, held_from=held_from, run_id=ctx.run.id, recall=recall)
    if whole and withdraw:  # a runner who took it for a pick is told to set it aside
        picks.withdraw_package(package.tag, f"on hold: {reason_text[:120]}", ctx.actor,
                               ctx.station)
    if label:
        ctx.print_job("label", "quarantine_label", label_data(made, package, who, day))
    ctx.outbox("pos", "stock.hold", {"tag": package.tag, "reason": reason_text,
                                     "quantity": str(amount), "unit": package.unit,
                                     "whole": whole}, ordering_key=package.tag)
    if whole and cage is not None:
        ctx.outbox("metrc", "package.location", {"tag": package.tag, "location_name": cage.name,
                                                 "date": day}, ordering_key=package.tag)
    ctx.outbox("metrc", "package.note", {"tag": package.tag,
                                         "note": note_for(made, before, who, day)},
               ordering_key=package.tag)
    if audit:
        ctx.audit("hold", f"package:{package.tag}",
                  {"hold": made.id, "reason": reason, "whole": whole, "quantity": str(amount),
                   "recall": recall.id if recall is not None else None, "sale": sale_ref})
    return made


def bring_in(ctx, package: Package, cage: Location) -> None:
    """A package held where it was (a recall) is now in the cage."""
    ctx.movement(package, 0, "move", to_location=cage, reason="into quarantine")
    ctx.outbox("metrc", "package.location", {"tag": package.tag, "location_name": cage.name,
                                             "date": today(ctx)}, ordering_key=package.tag)
    ctx.outbox("pos", "stock.moved", {"tag": package.tag, "location": cage.name},
               ordering_key=package.tag)


def close(ctx, made: PackageHold, status: str, note: str) -> None:
    """End the hold: released, returned or destroyed, by whom and why."""
    (PackageHold.update(status=status, closed_at=ctx.event.at, closed_by=ctx.actor,
                        closed_run_id=ctx.run.id, closed_note=note[:500])
     .where(PackageHold.id == made.id).execute())


def release(ctx, made: PackageHold, shelf: Location | None, why: str, approver: Employee) -> None:
    """Take the hold off: the package (or its held units) is sellable again; the POS and
    Metrc hear it, and a package label replaces the quarantine label."""
    package = Package.one(id=made.package_id)
    day = today(ctx)
    words = f"{why} (approved by {approver.name})"
    if made.whole:
        ctx.movement(package, 0, "release", to_location=shelf, status="active", reason=words)
    else:
        ctx.movement(package, made.quantity, "release", reason=words)
    close(ctx, made, "released", words)
    ctx.outbox("pos", "stock.release", {"tag": package.tag, "quantity": str(made.quantity),
                                        "unit": made.unit, "whole": made.whole,
                                        "location": where(package)}, ordering_key=package.tag)
    if made.whole:
        ctx.outbox("metrc", "package.location", {"tag": package.tag,
                                                 "location_name": where(package), "date": day},
                   ordering_key=package.tag)
    ctx.outbox("metrc", "package.note", {"tag": package.tag,
                                         "note": f"Released from quarantine {day}: {words}"},
               ordering_key=package.tag)
    ctx.print_job("label", "package_label", package_label_data(package))
    ctx.audit("hold.release", f"package:{package.tag}",
              {"hold": made.id, "why": why, "approver": approver.id})


def set_next(made: PackageHold, next_step: str) -> None:
    """What happens next to a held package (a manager's decision; call inside a write)."""
    PackageHold.update(next_step=next_step).where(PackageHold.id == made.id).execute()


def age(since: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long something has been on hold, as a person says it."""
    minutes = int(((now or clock.now()) - since).total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min", minutes=max(minutes, 0))
    hours = minutes // 60
    return (_("{days} d {hours} h", days=hours // 24, hours=hours % 24) if hours >= 24
            else _("{hours} h", hours=hours))


def held_count() -> int:
    """How many holds are open, receiving's included (the home screen's tile)."""
    with_row = (PackageHold.select(PackageHold.package)
                .where(PackageHold.status == "held", PackageHold.whole == True))  # noqa: E712
    from_receiving = (Package.select().join(Location, on=(Package.location == Location.id))
                      .where(Location.kind == CAGE, Package.status.in_(RECEIVING_HELD),
                             Package.id.not_in(with_row)).count())
    return PackageHold.select().where(PackageHold.status == "held").count() + from_receiving


def _receiving_held() -> list[tuple[PackageHold, Package]]:
    """Packages receiving left in the cage that have no hold row yet."""
    with_row = (PackageHold.select(PackageHold.package)
                .where(PackageHold.status == "held", PackageHold.whole == True))  # noqa: E712
    found = []
    for package in (Package.select(Package, Item, Location).join(Item).switch(Package)
                    .join(Location, on=(Package.location == Location.id))
                    .where(Location.kind == CAGE, Package.status.in_(RECEIVING_HELD),
                           Package.id.not_in(with_row))):
        made = from_receiving(package)
        if made is not None:
            found.append((made, package))
    return found


def cage_rows(now: dt.datetime | None = None) -> list[dict]:
    """Everything on hold, oldest first: what the cage screen lists."""
    now = now or clock.now()
    query = (PackageHold.select(PackageHold, Package, Item, Location)
             .join(Package, on=(PackageHold.package == Package.id))
             .join(Item, on=(Package.item == Item.id))
             .switch(Package)
             .join(Location, JOIN.LEFT_OUTER, on=(Package.location == Location.id))
             .where(PackageHold.status == "held", Package.status != "not_received"))
    held = [(h, h.package) for h in query] + _receiving_held()
    held.sort(key=lambda pair: (pair[0].held_at, pair[0].id or 0))
    names = {e.id: e.name for e in Employee.select(Employee.id, Employee.name).where(
        Employee.id.in_({h.held_by_id for h, _p in held if h.held_by_id}))}
    rows = []
    for h, package in held:
        place = package.location.name if package.location_id else ""
        inside = package.location_id is not None and package.location.kind == CAGE
        amount = quantity_text(h.quantity, h.unit)
        rows.append({"hold": h, "tag": h.tag, "item": package.item.name,
                     "amount": amount if h.whole else _("{amount} (part)", amount=amount),
                     "reason": Known(h.reason_text), "sale": h.sale_ref,
                     "since": h.held_at, "by": names.get(h.held_by_id, ""),
                     "next": NEXT_WORDS.get(h.next_step, h.next_step),
                     "age": age(h.held_at, now),
                     "where": place if inside or not h.whole
                     else _("{place}: bring it in", place=place),
                     "in_cage": inside or not h.whole})
    return rows

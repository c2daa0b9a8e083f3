"""The stock a delivery brings in, as ledger movements at the receiving dock.

A package's verdict is a receipt into the dock (the quantity accepted) or a reject (no
quantity: the package is held for the shipper). A changed verdict first reverses the one it
replaces; cancelling a receiving run reverses every verdict it left standing. Reversals are
corrections that point at what they reverse: nothing is edited. What the run told the POS
or Metrc decides whether a cancel may undo it (``told_outside``). Everything here runs in
the caller's step (or cancel) transaction.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from kiosk import clock, ledger, manifests, origins
from kiosk.engine import Refuse
from kiosk.models import Location, Movement, OutboxMessage, Package, TransferPackage

VERDICTS = ("receipt", "reject")  # the movements that carry a package's verdict
NOT_RECEIVED = "not_received"  # a package whose receiving was cancelled: not ours (yet)
WHERE = {"vault": "on vault shelves", "quarantine": "in the quarantine cage",
         "receiving": "on the receiving dock", "sales_floor": "on the sales floor"}


def dock() -> Location:
    """The store's receiving dock, where every verdict puts the package first."""
    found = Location.get_or_none(Location.kind == "receiving", Location.active == True)  # noqa: E712
    if found is None:
        raise Refuse("This store has no receiving dock location. A manager must add one first.")
    return found


def package_for(line: TransferPackage, held: dict) -> tuple[Package, bool]:
    """The package record for the manifest line (made at its first verdict, with what the
    manifest says it came from: its source packages and lab test batch); is it new?"""
    package = Package.get_or_none(Package.tag == line.tag)
    if package is not None:
        return package, False
    item = line.item_id or manifests.item_named(line.item_name or "Unknown item",
                                                line.shipped_unit)
    package = Package.create(tag=line.tag, item=item, batch=line.batch, unit=line.shipped_unit,
                             thc_pct=held["thc"] or line.label_thc_pct,
                             cbd_pct=held["cbd"] or line.label_cbd_pct, status="rejected",
                             created_at=clock.now(), received_at=clock.now())
    origins.record(package, line)
    return package, True


def _reversed(package_ids) -> set[int]:
    """Which movements of these packages a correction already points at."""
    return {m for (m,) in Movement.select(Movement.corrects)
            .where(Movement.package.in_(list(package_ids)), Movement.corrects.is_null(False))
            .tuples()}


def standing_verdict(package: Package) -> Movement | None:
    """The package's latest verdict that nothing has reversed (from this run, or one before)."""
    done = _reversed([package.id])
    for movement in (Movement.select().where(Movement.package == package,
                                             Movement.kind.in_(VERDICTS))
                     .order_by(Movement.id.desc())):
        if movement.id not in done:
            return movement
    return None


def record_verdict(ctx, line: TransferPackage, held: dict, manifest: str,
                   received: Decimal | None, note: str) -> bool:
    """The verdict as stock: ``received`` units into the dock, or a reject when None.

    A package already decided is decided again: its standing verdict is reversed first and
    this step's event supersedes the one that made it. Returns whether it was a change.
    """
    package, new = package_for(line, held)
    at = dock()
    earlier = None if new else standing_verdict(package)
    if earlier is not None:
        ctx.supersede(earlier.step_event_id)
        if earlier.quantity:
            ctx.movement(package, -Decimal(str(earlier.quantity)), "correction", corrects=earlier,
                         to_location=at, reason="receiving verdict changed")
    if received is not None:
        ctx.movement(package, received, "receipt", to_location=at, status="active",
                     reason=f"received on manifest {manifest}", note=note)
        if package.received_at is None:
            Package.update(received_at=ctx.event.at).where(Package.id == package.id).execute()
    else:
        ctx.movement(package, 0, "reject", to_location=at, status="rejected",
                     reason=f"rejected on manifest {manifest}", note=note)
    return earlier is not None


def reverse(run_id: int, ctx, manifest: str) -> list[Package]:
    """Reverse every verdict the run left standing: a correction for each (status "not
    received"); the packages stay where they physically are. Returns them."""
    mine = list(Movement.select().where(Movement.run_id == run_id, Movement.kind.in_(VERDICTS))
                .order_by(Movement.id))
    done = _reversed({m.package_id for m in mine})
    packages = {}
    for movement in mine:
        if movement.id in done:
            continue
        ledger.correct(movement, reason=f"receiving of manifest {manifest} cancelled",
                       actor=ctx.actor, station=ctx.station, run_id=run_id,
                       step_event_id=ctx.event.id, status=NOT_RECEIVED)
        packages[movement.package_id] = movement.package
    if packages:
        Package.update(received_at=None).where(Package.id.in_(list(packages))).execute()
    return [Package.get_by_id(i) for i in packages]


def where_they_are(packages) -> str:
    """'2 on vault shelves, 1 in the quarantine cage'."""
    kinds = Counter(p.location.kind if p.location_id else "" for p in packages)
    return ", ".join(f"{n} {WHERE.get(kind, 'with no place recorded')}"
                     for kind, n in kinds.most_common())


def _messages(run_id: int, keys: list[str]):
    # Searched by ordering key (indexed: the package tags and the manifest number), then
    # narrowed to the run: the outbox is never searched by run alone.
    return OutboxMessage.select().where(OutboxMessage.ordering_key.in_(keys),
                                        OutboxMessage.run_id == run_id)


def told_outside(run_id: int, keys: list[str]) -> tuple[list, list]:
    """The run's messages the POS or Metrc has (delivered), and those it may have (a sending
    that was cut off: the answer never came)."""
    delivered, maybe = [], []
    for message in _messages(run_id, keys):
        if message.status == "delivered":
            delivered.append(message)
        elif message.status == "sending" or (message.claimed_by and message.status != "resolved"):
            maybe.append(message)
    return delivered, maybe


def withdraw_unsent(run_id: int, keys: list[str], ctx, why: str) -> int:
    """Close the run's messages nobody has sent yet (resolved, with who and why)."""
    return (OutboxMessage.update(status="resolved", resolved_by_id=ctx.actor.id, resolved_note=why)
            .where(OutboxMessage.ordering_key.in_(keys), OutboxMessage.run_id == run_id,
                   OutboxMessage.status.in_(("pending", "attention")),
                   OutboxMessage.claimed_by.is_null()).execute())

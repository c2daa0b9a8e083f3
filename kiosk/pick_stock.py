"""What a runner takes for a pick request and where it goes (SOP §4 steps 2 and 3).

The package to take is the one soonest to expire where an expiry is set, otherwise the oldest
by receive date (FEFO before FIFO), among the item's packages on vault shelves that are in
stock, not on hold, and not already taken for another request. A package taken stays where
it is in the ledger until the hand-off moves it, in that step's transaction, with the
messages that tell Metrc and the POS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, Case, fn

from kiosk import clock, db
from kiosk.models import Location, Package
from kiosk.models.picks import IN_HAND, PickedPackage, PickEvent, PickLine, PickRequest
from kiosk.words import Known, _


def event(request_id: int, kind: str, actor=None, station: str = "", **detail) -> None:
    """A change the queue screens show (and, as the newest event, the queue's version)."""
    PickEvent.create(request=request_id, kind=kind, at=clock.now(),
                     actor_id=actor.id if actor else None, actor_name=actor.name if actor else "",
                     station=station, detail=detail)


def withdraw_pick(pick: PickedPackage, reason: str) -> None:
    """Set a taken package aside: it no longer counts for its line, and the record says
    when and why."""
    (PickedPackage.update(withdrawn_at=clock.now(), withdraw_reason=reason)
     .where(PickedPackage.id == pick.id).execute())


def order_key(package: Package) -> tuple:
    """The pick order: expiry first where set, then receive date (earlier comes first)."""
    return (package.expires_on is None, package.expires_on or dt.date.max,
            package.received_at or dt.datetime.max, package.id)


def _reserved():
    """Packages taken for a request a runner is still holding."""
    return (PickedPackage.select(PickedPackage.package).join(PickRequest)
            .where(PickedPackage.withdrawn_at.is_null(), PickRequest.status.in_(IN_HAND)))


def candidates(item_id: int):
    """The item's packages a runner may take, in pick order."""
    return (Package.select(Package, Location)
            .join(Location, on=(Package.location == Location.id))
            .where(Package.item == item_id, Package.status == "active", Package.quantity > 0,
                   Location.kind == "vault", Package.id.not_in(_reserved()))
            .order_by(Case(None, ((Package.expires_on.is_null(), 1),), 0), Package.expires_on,
                      Package.received_at, Package.id))


def locked_package(tag: str) -> Package | None:
    """The package, its row locked for this step's transaction.

    On PostgreSQL the steps of two runners' runs write side by side, each holding only its own
    run's lock, so two runners scanning one package at the same instant both found it free and
    both took it (and each hand-off moved it). Holding the package's row while asking who has
    it makes the second wait for the first to commit, and then see its take. SQLite writes one
    step at a time, so there it is an ordinary read."""
    return db.locked(Package.select().where(Package.tag == tag)).first()


def holder_of(package: Package) -> PickRequest | None:
    """The request (held by a runner) this package is taken for, if any."""
    return (PickRequest.select().join(PickedPackage)
            .where(PickedPackage.package == package.id, PickedPackage.withdrawn_at.is_null(),
                   PickRequest.status.in_(IN_HAND)).first())


def choice_for(line: PickLine) -> Package | None:
    """The package the kiosk tells the runner to take for ``line``: the one the POS named, if
    it can be taken, otherwise the first in pick order; None when the vault has none."""
    if line.item_id is None:
        return None
    if line.tag:
        named = candidates(line.item_id).where(Package.tag == line.tag).first()
        if named is not None:
            return named
    return candidates(line.item_id).first()


@dataclass
class LineState:
    """A line and how far it is: taken so far, still missing, done or finished short."""

    line: PickLine
    taken: Decimal
    missing: Decimal

    @property
    def complete(self) -> bool:
        return self.missing <= 0

    @property
    def open(self) -> bool:
        """Still to pick: neither complete nor finished short."""
        return not self.complete and not self.line.short_reason


def line_states(request_id: int) -> list[LineState]:
    taken = dict(PickedPackage.select(PickedPackage.line, fn.SUM(PickedPackage.quantity))
                 .where(PickedPackage.request == request_id,
                        PickedPackage.withdrawn_at.is_null())
                 .group_by(PickedPackage.line).tuples())
    states = []
    for line in PickLine.select().where(PickLine.request == request_id).order_by(PickLine.number):
        got = Decimal(str(taken.get(line.id) or 0))
        states.append(LineState(line, got, max(Decimal(0), line.quantity - got)))
    return states


def open_line_for(request_id: int, item_id: int) -> PickLine | None:
    """The first line of this item still to pick."""
    for state in line_states(request_id):
        if state.open and state.line.item_id == item_id:
            return state.line
    return None


def taken(request_id: int, run_id: int | None = None):
    """The packages taken for a request and not withdrawn (with their packages)."""
    query = (PickedPackage.select(PickedPackage, Package, Location).join(Package)
             .join(Location, JOIN.LEFT_OUTER, on=(Package.location == Location.id))
             .where(PickedPackage.request == request_id, PickedPackage.withdrawn_at.is_null()))
    if run_id is not None:
        query = query.where(PickedPackage.run_id == run_id)
    return list(query.order_by(PickedPackage.id))


def withdrawn_in_run(request_id: int, run_id: int) -> list[PickedPackage]:
    """Packages this run took that were withdrawn meanwhile (put on hold, recalled)."""
    return list(PickedPackage.select(PickedPackage, Package).join(Package).where(
        PickedPackage.request == request_id, PickedPackage.run_id == run_id,
        PickedPackage.withdrawn_at.is_null(False)).order_by(PickedPackage.id))


def take(request: PickRequest, line: PickLine, package: Package, reason: str, ctx) -> bool:
    """Record the package taken for ``line``; True when the request has everything."""
    now = clock.now()
    PickedPackage.create(request=request, line=line, package=package, quantity=package.quantity,
                         reason=reason, run_id=ctx.run.id, step_event_id=ctx.event.id,
                         actor=ctx.actor, at=now)
    everything = not any(s.open for s in line_states(request.id))
    if everything:
        mark_picked(request, ctx)
    else:
        PickRequest.update(active_at=now).where(PickRequest.id == request.id).execute()
    return everything


def mark_picked(request: PickRequest, ctx) -> None:
    """Everything that can be taken is taken: the request waits for its hand-off."""
    now = clock.now()
    (PickRequest.update(status="picked", picked_at=now, active_at=now)
     .where(PickRequest.id == request.id).execute())
    event(request.id, "picked", ctx.actor, ctx.station)


def finish_short(request: PickRequest, reason: str, ctx) -> None:
    """The lines still open are finished short, with the reason."""
    for state in line_states(request.id):
        if state.open:
            (PickLine.update(short_reason=reason).where(PickLine.id == state.line.id).execute())
    ctx.audit("pick.short", f"pick:{request.id}", {"reason": reason})


def hand_off(request: PickRequest, destination: Location, handed_to, ctx) -> tuple[list, list]:
    """Move every package taken to ``destination`` and tell Metrc (its location) and the POS
    (stock moved), all in this step's transaction. A package put on hold since it was taken
    is never moved. Returns (packages moved, packages held back)."""
    moved, held = [], []
    day = clock.store_date(ctx.event.at).isoformat()
    for pick in taken(request.id):
        package = Package.get_by_id(pick.package_id)  # as it is now, not as it was taken
        if package.status != "active":
            withdraw_pick(pick, _("on hold ({status}) at the hand-off",
                                  status=Known(package.status.replace("_", " "))))
            held.append(package)
            continue
        movement = ctx.movement(package, 0, "pick", to_location=destination,
                                reason=f"pick request {request.external_id}")
        PickedPackage.update(movement_id=movement.id).where(PickedPackage.id == pick.id).execute()
        ctx.outbox("metrc", "package.location",
                   {"tag": package.tag, "location_name": destination.name, "date": day},
                   ordering_key=package.tag)
        ctx.outbox("pos", "stock.moved",
                   {"tag": package.tag, "location": destination.name,
                    "pick_request": request.external_id}, ordering_key=package.tag)
        moved.append(package)
    if any(state.open for state in line_states(request.id)):
        finish_short(request, _("A package taken was put on hold or withdrawn before the "
                                "hand-off."), ctx)
    now = clock.now()
    (PickRequest.update(status="handed_off", handed_off_at=now, picked_at=request.picked_at or now,
                        handed_to_id=handed_to.id if handed_to else None, active_at=now)
     .where(PickRequest.id == request.id).execute())
    event(request.id, "handed_off", ctx.actor, ctx.station, moved=len(moved))
    ctx.audit("pick.handed_off", f"pick:{request.id}",
              {"moved": [p.tag for p in moved], "held": [p.tag for p in held],
               "to": destination.code, "handed_to": handed_to.id if handed_to else None})
    return moved, held

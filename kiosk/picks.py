"""The pick queue (SOP §4): requests in, claims, and the requests' way back to the queue or
out of it.

A request comes from the POS (``intake``, ``cancel_from_pos``), from the sales floor
(``request_restock``) or from another procedure (``add_task``). A runner claims it
(``claim``), which starts the request's workflow; ``release_stale`` hands back claims left
idle longer than the store allows or whose run was cancelled. Every change a queue screen
shows writes a ``PickEvent`` in the same transaction, so the newest event's id is the queue's
version (``queue_version``): a screen asks whether it has changed, cheaply, and fetches the
queue only when it has. The queue as the screens show it is in ``pick_queue``; what is
taken while a request is picked, and its hand-off, in ``pick_stock``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import fn

from kiosk import clock, ledger, limits
from kiosk.db import database, locked, write
from kiosk.models import Employee, Item, Location, Package, PrintJob, Run
from kiosk.models.picks import (
    IN_HAND,
    UNFINISHED,
    PickedPackage,
    PickLine,
    PickRequest,
)
from kiosk.pick_queue import KIND_TITLES, status_words, tag_end, titled
from kiosk.pick_stock import choice_for, event, withdraw_pick
from kiosk.scans import normalise_gtin
from kiosk.words import Known, Phrase, _, joined

POS_KINDS = ("sale", "online", "restock")
PRIORITIES = {"normal": 0, "urgent": 1}
# A customer waiting at the counter is urgent; an online order or a restock is not, unless
# the sender says so.
DEFAULT_PRIORITY = {"sale": 1, "online": 0, "restock": 0}
MAX_LINES = 50
MAX_QUANTITY = Decimal(100000)
MAX_TEXT = 500


@dataclass(frozen=True)
class Line:
    """One line as read from a sender: the item (None if this store has no such item)."""

    item: Item | None
    name: str
    tag: str
    quantity: Decimal
    unit: str


def _quantity(value, unit: str, number: int) -> Decimal:
    """A line's quantity by the kiosk's rule for its unit (``limits.quantity``)."""
    try:
        return limits.quantity(value, unit, above_zero=True)
    except limits.QuantityError as exc:
        raise ValueError(f"line {number}: the quantity {exc.shown!r} is not possible: it "
                         f"must be {exc.wanted}") from None


def find_item(ref) -> Item | None:
    """The item a sender means: our id, its UPC/GTIN, or its exact name (any case)."""
    text = str(ref).strip()
    if not text:
        return None
    gtin = normalise_gtin(text)
    if gtin:
        found = Item.one(gtin=gtin)
        if found:
            return found
    if text.isdigit() and len(text) < 10:
        found = Item.one(id=int(text))
        if found:
            return found
    return Item.get_or_none(fn.LOWER(Item.name) == text.lower())


def read_line(raw, number: int) -> Line:
    """A sender's line ``{"tag" or "item", "quantity", "unit"}`` as the queue keeps it. An
    item or tag this store does not know is kept with its name, so the request is never
    lost; the runner can only finish it short."""
    if not isinstance(raw, dict):
        raise ValueError(f"line {number} is not an object")
    try:
        unit = limits.unit_name(raw.get("unit") or "Each")
    except ValueError as exc:
        raise ValueError(f"line {number}: {exc}") from None
    tag = str(raw.get("tag") or "").strip().upper()
    if tag:
        package = Package.one(tag=tag[:24])
        if package is None:
            return Line(None, _("package {tag}", tag=tag[:24]), tag[:24],
                        _quantity(raw.get("quantity"), unit, number), unit)
        unit = package.item.unit
        return Line(package.item, package.item.name, tag[:24],
                    _quantity(raw.get("quantity"), unit, number), unit)
    ref = raw.get("item")
    if ref in (None, ""):
        raise ValueError(f"line {number} names no item and no package tag")
    item = find_item(ref)
    if item is None:
        return Line(None, limits.excerpt(str(ref).strip(), 100), "",
                    _quantity(raw.get("quantity"), unit, number), unit)
    return Line(item, item.name, "", _quantity(raw.get("quantity"), item.unit, number),
                item.unit)


def destination_for(kind: str) -> Location | None:
    """Where a request's stock goes: the online-order pickup shelf for an online order (the
    sales floor if the store has none), the sales floor otherwise."""
    kinds = ("pickup", "sales_floor") if kind == "online" else ("sales_floor",)
    for wanted in kinds:
        found = (Location.select().where(Location.kind == wanted, Location.active == True)  # noqa: E712
                 .order_by(Location.id).first())
        if found:
            return found
    return None


def _new_request(external_id: str, lines: list[Line], *, kind: str, raw_lines, priority: int,
                 note: str = "", customer: str = "", requested_at=None, origin: str,
                 workflow: str = "pick", requested_by=None, station: str = "",
                 destination: Location | None = None) -> PickRequest:
    now = clock.now()
    destination = destination or destination_for(kind)
    request = PickRequest.create(
        external_id=external_id, lines=raw_lines, note=note[:MAX_TEXT], kind=kind,
        workflow=workflow, origin=origin, priority=priority, customer=customer[:80],
        requested_at=requested_at or now, received_at=now, status="open",
        destination_id=destination.id if destination else None,
        requested_by_id=requested_by.id if requested_by else None, station=station)
    for number, line in enumerate(lines, 1):
        PickLine.create(request=request, number=number, item=line.item, name=line.name,
                        tag=line.tag, quantity=line.quantity, unit=line.unit)
    event(request.id, "requested", requested_by, station, origin=origin)
    ledger.audit("pick.requested", f"pick:{request.id}",
                 {"external_id": external_id, "kind": kind, "origin": origin,
                  "lines": len(lines)}, actor=requested_by, station=station)
    return request


def intake(external_id, raw_lines, *, kind: str = "sale", priority=None, note: str = "",
           customer: str = "", requested_at: dt.datetime | None = None,
           training: bool = False) -> tuple[PickRequest, bool]:
    """A pick request from the POS (idempotent by its id): (the request, whether it is new).
    An online order prints its pick ticket at once. Raises ValueError with the words for
    the sender."""
    external_id = str(external_id or "").strip()
    if not external_id or len(external_id) > 64:
        raise ValueError("a pick request needs an id of at most 64 characters")
    if not isinstance(raw_lines, list) or not raw_lines or len(raw_lines) > MAX_LINES:
        raise ValueError(f"a pick request needs 1 to {MAX_LINES} lines")
    if kind not in POS_KINDS:
        raise ValueError(f"the kind must be one of {', '.join(POS_KINDS)}, not {kind!r}")
    if priority in (None, ""):
        level = DEFAULT_PRIORITY[kind]
    elif priority in PRIORITIES:
        level = PRIORITIES[priority]
    else:
        raise ValueError(f"the priority must be normal or urgent, not {priority!r}")
    with write():
        existing = PickRequest.one(external_id=external_id)
        if existing is not None:
            return existing, False
        lines = [read_line(raw, number) for number, raw in enumerate(raw_lines, 1)]
        request = _new_request(external_id, lines, kind=kind, raw_lines=raw_lines,
                               priority=level, note=str(note or ""), customer=str(customer or ""),
                               requested_at=requested_at, origin="pos")
        if kind == "online":
            PrintJob.create(device="receipt", layout="pick_ticket", data=ticket(request),
                            created_at=clock.now(), training=training)
    return request, True


def ticket(request: PickRequest) -> dict:
    """The pick ticket's data: the order, and where the kiosk would take each line from."""
    rows = []
    for line in PickLine.select().where(PickLine.request == request.id).order_by(PickLine.number):
        choice = choice_for(line) if line.item_id else None
        rows.append({"item": line.name, "quantity": f"{line.quantity.normalize():f}",
                     "unit": line.unit, "tag": choice.tag if choice else "",
                     "where": choice.location.name if choice else ""})
    return {"order": request.external_id, "customer": request.customer,
            "requested_at": clock.local(request.requested_at).isoformat(timespec="minutes"),
            "note": request.note, "request": request.id, "lines": rows}


def cancel_from_pos(external_id, reason: str = "") -> str:
    """The POS withdrew an order: the request leaves the queue, and a runner picking it is
    told what to put back. Returns what happened, in words; LookupError if unknown."""
    reason = " ".join(str(reason or "").split())[:200].rstrip(".")
    with write():
        request = PickRequest.one(external_id=str(external_id or "").strip())
        if request is None:
            raise LookupError(f"there is no pick request {external_id!r}")
        request = _locked_with_its_run(request)
        if request.status not in UNFINISHED:
            return f"request {request.external_id} was already {request.status.replace('_', ' ')}"
        why = (_("The POS cancelled this order: {reason}.", reason=reason) if reason
               else _("The POS cancelled this order."))
        close(request, "cancelled", why)
    return f"request {request.external_id} withdrawn"


def request_restock(employee: Employee, station: str, wanted: list[tuple[Item, Decimal]],
                    urgent: bool, note: str = "") -> PickRequest:
    """A restock asked for on the sales floor: several items, quantities, a priority."""
    if not wanted:
        raise ValueError(_("Add at least one item."))
    with write():
        number = (PickRequest.select().where(PickRequest.origin == "floor").count() + 1)
        lines = [Line(item, item.name, "", quantity, item.unit) for item, quantity in wanted]
        return _new_request(f"FLOOR-{clock.now():%Y%m%d}-{number}", lines, kind="restock",
                            raw_lines=[{"item": item.id, "quantity": str(q)} for item, q in wanted],
                            priority=1 if urgent else 0, note=note, origin="floor",
                            requested_by=employee, station=station)


def add_task(kind: str, title: str, lines: list[dict], *, workflow: str, key: str,
             priority: int = 0, note: str = "", origin: str = "", destination=None,
             actor=None, station: str = "") -> PickRequest:
    """A task of another procedure's own kind in the queue (e.g. quarantine's "pick back
    this recalled package from the floor"): claiming it starts ``workflow`` with the
    request's id in ``run.data["request"]``. ``lines`` are ``{"tag" or "item", "quantity"}``;
    ``key`` is unique for the task (asking twice returns the first). Works inside the
    caller's step transaction."""
    KIND_TITLES.setdefault(kind, title)
    with write():
        existing = PickRequest.one(external_id=key)
        if existing is not None:
            return existing
        parsed = [read_line(raw, number) for number, raw in enumerate(lines, 1)]
        return _new_request(key, parsed, kind=kind, raw_lines=lines, priority=priority,
                            note=note, origin=origin or kind, workflow=workflow,
                            requested_by=actor, station=station, destination=destination)


def withdraw_package(tag: str, reason: str, actor=None, station: str = "") -> int:
    """Stop every open pick of this package (it was put on hold, recalled or quarantined):
    a runner holding it is told to set it aside, and the line needs another package. Returns
    how many picks were withdrawn. Works inside the caller's step transaction."""
    with write():
        package = Package.one(tag=tag)
        if package is None:
            return 0
        picks = list(PickedPackage.select().join(PickRequest).where(
            PickedPackage.package == package.id, PickedPackage.withdrawn_at.is_null(),
            PickRequest.status.in_(IN_HAND)))
        for pick in picks:
            withdraw_pick(pick, _("{tag} was withdrawn: {reason}.", tag=tag_end(package.tag),
                                  reason=Known(reason)))
            request = pick.request
            if request.status == "picked":
                (PickRequest.update(status="claimed", picked_at=None)
                 .where(PickRequest.id == request.id).execute())
            ledger.audit("pick.withdrawn", f"pick:{request.id}",
                         {"tag": package.tag, "reason": reason}, actor=actor, station=station)
        return len(picks)


# -- claims --------------------------------------------------------------------------------
@dataclass
class Claim:
    """The answer to a tap on Claim: who has it now, and the run if it is yours."""

    won: bool
    message: Phrase
    run_id: int | None = None


def holder_name(request: PickRequest) -> str:
    person = Employee.one(id=request.claimed_by_id) if request.claimed_by_id else None
    return person.name if person else _("someone")


def claim(request_id: int, employee: Employee, station: str, start_run) -> Claim:
    """Claim a request: one runner gets it, everyone else is told who did. ``start_run()``
    starts the request's workflow for this person and returns its run (inside this
    transaction, so a claim and its run are recorded together or not at all)."""
    with write():
        request = locked(PickRequest.select().where(PickRequest.id == request_id)).get_or_none()
        if request is None:
            raise LookupError(request_id)
        label = titled(request)
        if request.status in IN_HAND:
            if request.claimed_by_id == employee.id:  # a double tap: carry on with it
                return Claim(True, _("You are already picking {request}.", request=label),
                             request.run_id)
            at = clock.local(request.claimed_at).strftime("%H:%M:%S")
            return Claim(False, _("{name} claimed {request} at {time}. Choose another "
                                  "request.", name=holder_name(request), request=label,
                                  time=at))
        if request.status != "open":
            return Claim(False, _("{request} is {status}; there is nothing left to claim.",
                                  request=label, status=status_words(request.status)))
        mine = (PickRequest.select().where(PickRequest.claimed_by_id == employee.id,
                                           PickRequest.status.in_(IN_HAND)).first())
        if mine is not None:
            return Claim(False, _("You are still picking {request}. Finish it or cancel it "
                                  "first.", request=titled(mine)), None)
        run = start_run()
        now = clock.now()
        (PickRequest.update(status="claimed", claimed_by_id=employee.id, claimed_at=now,
                            run_id=run.id, active_at=now, queue_note="")
         .where(PickRequest.id == request.id, PickRequest.status == "open").execute())
        Run.update(data={"request": request.id}).where(Run.id == run.id).execute()
        event(request.id, "claimed", employee, station, run=run.id)
        ledger.audit("pick.claimed", f"pick:{request.id}", {"run": run.id}, actor=employee,
                     station=station)
    return Claim(True, _("{request} is yours.", request=label), run.id)


def put_back_list(request_id: int) -> Phrase:
    """What a runner must put back, in words: each package taken and its shelf."""
    rows = (PickedPackage.select(PickedPackage, Package).join(Package)
            .where(PickedPackage.request == request_id, PickedPackage.withdrawn_at.is_null()))
    places = [_("{tag} to {place}", tag=tag_end(p.package.tag),
                place=p.package.location.name if p.package.location_id else _("its shelf"))
              for p in rows]
    if not places:
        return _("Nothing was taken yet.")
    return _("Put back: {places}.", places=joined(places, "; "))


def _locked_with_its_run(request: PickRequest) -> PickRequest:
    """The request read again with its claim's run and then itself locked (PostgreSQL; on
    SQLite the write transaction already holds everything), in the order a step takes them,
    so a withdrawal and a runner's scan queue instead of deadlocking."""
    while True:
        if request.run_id:
            locked(Run.select().where(Run.id == request.run_id)).get_or_none()
        fresh = locked(PickRequest.select().where(PickRequest.id == request.id)).get()
        if fresh.run_id == request.run_id:
            return fresh
        request = fresh  # claimed or handed back meanwhile: lock that run too


def _end_run(run_id: int | None, reason: str) -> None:
    """Stop a claim's run from outside it (the request was withdrawn or went back to the
    queue): the runner's next scan is refused and the screen says why."""
    if not run_id:
        return
    (Run.update(status="cancelled", cancel_reason=reason, finished_at=clock.now(),
                rev=Run.rev + 1).where(Run.id == run_id, Run.status == "active").execute())
    ledger.audit("run.cancel", f"run:{run_id}", {"reason": reason})


def close(request: PickRequest, status: str, why: str, actor=None, station: str = "",
          end_run: bool = True) -> None:
    """End a request that was never handed off (withdrawn, or nothing could be picked).
    ``end_run`` is False when the claim's own run closes it (the engine ends that run)."""
    if end_run and request.run_id and request.status in IN_HAND:
        _end_run(request.run_id, joined([why, put_back_list(request.id)]))
    for pick in PickedPackage.select().where(PickedPackage.request == request.id,
                                             PickedPackage.withdrawn_at.is_null(),
                                             PickedPackage.movement_id.is_null()):
        withdraw_pick(pick, why)
    (PickRequest.update(status=status, closed_at=clock.now(), close_reason=why)
     .where(PickRequest.id == request.id).execute())
    event(request.id, status, actor, station, reason=why)
    ledger.audit(f"pick.{status}", f"pick:{request.id}", {"reason": why}, actor=actor,
                 station=station)


def release(request: PickRequest, why: str, end_run: bool = True) -> None:
    """Back to the queue: the claim ends, what was taken is put back, and the queue row
    says why it came back. ``end_run`` is False when the claim's run is being cancelled."""
    if end_run:
        _end_run(request.run_id, joined([why, put_back_list(request.id)]))
    for pick in PickedPackage.select().where(PickedPackage.request == request.id,
                                             PickedPackage.withdrawn_at.is_null()):
        withdraw_pick(pick, why)
    (PickRequest.update(status="open", claimed_by_id=None, claimed_at=None, run_id=None,
                        active_at=None, picked_at=None,
                        queue_note=_("Back in the queue at {time}: {why}",
                                     time=clock.local(clock.now()).strftime("%H:%M"), why=why))
     .where(PickRequest.id == request.id).execute())
    event(request.id, "released", reason=why)
    ledger.audit("pick.released", f"pick:{request.id}", {"reason": why})


def _idle_cutoff(settings: dict) -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=int(settings.get("pick_idle_minutes") or 10))


def _stale_sql() -> str:
    return ("SELECT pr.id FROM pick_request AS pr LEFT JOIN run AS r ON r.id = pr.run_id "
            f"WHERE pr.status IN ('claimed', 'picked') AND (pr.active_at < {database.param} "
            "OR r.status IS NULL OR r.status <> 'active')")


def queue_version(settings: dict) -> str:
    """The queue's version: the newest event's id, marked when a claim has gone stale (so
    the next screen to ask fetches the queue, which hands the claim back). Two index reads."""
    cutoff = PickRequest.active_at.db_value(_idle_cutoff(settings))
    newest, stale = database.execute_sql(
        f"SELECT (SELECT MAX(id) FROM pick_event), EXISTS ({_stale_sql()})",
        (cutoff,)).fetchone()
    return f"{newest or 0}{'s' if stale else ''}"


def release_stale(settings: dict) -> int:
    """Hand back every claim idle longer than ``pick_idle_minutes`` and every claim whose run
    was cancelled; returns how many. Reads first, and writes only when there is one."""
    cutoff = _idle_cutoff(settings)
    sql = _stale_sql()
    if not database.execute_sql(sql, (PickRequest.active_at.db_value(cutoff),)).fetchall():
        return 0
    released = 0
    idle = int(settings.get("pick_idle_minutes") or 10)
    with write():
        for (request_id,) in database.execute_sql(
                sql, (PickRequest.active_at.db_value(cutoff),)).fetchall():
            # Look again, locked: another screen may have handed it back, or the runner
            # scanned meanwhile.
            request = _locked_with_its_run(PickRequest.get_by_id(request_id))
            if request.status not in IN_HAND:
                continue
            run = Run.one(id=request.run_id)
            who = holder_name(request)
            if run is not None and run.status == "cancelled":
                why = (_("{name} stopped picking it ({reason}).", name=who,
                         reason=Known(run.cancel_reason)) if run.cancel_reason
                       else _("{name} stopped picking it.", name=who))
            elif run is None or run.status != "active":
                why = _("{name}'s pick ended without a hand-off.", name=who)
            elif request.active_at < cutoff:
                why = _("{name}'s claim lapsed after {number} idle minutes.", name=who,
                        number=idle)
            else:
                continue
            release(request, why)
            released += 1
    return released

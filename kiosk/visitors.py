"""The visitor log's questions and its sign-outs: what the visitor workflow, the vault entry,
the screens and closing ask of it (records in ``models/visitors.py``).

A visitor is inside from their sign-in until a ``VisitorExit`` names them: their badge
scanned at any screen, "Sign out" tapped on the list, or a manager's signed resolution when
they left without signing out. Closing (SOP §7) asks ``inside_now()``: anyone in it blocks
closing until they are signed out or a manager resolves them (``resolve``).

Functions that write run inside the caller's write transaction, as ``ledger`` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from peewee import JOIN

from kiosk import clock, ledger, limits
from kiosk.db import locked
from kiosk.models import Employee, VaultVisitor, Visitor, VisitorExit, dumps
from kiosk.words import _

# Colorado (1 CCR 212-3 Rule 3-205) allows no more than five visitors per escort; the
# strictest rule we know, applied everywhere.
MAX_PER_ESCORT = 5
AREAS = {"vault": _("Vault"), "receiving": _("Receiving")}
HOW = {"scan": _("badge scanned"), "list": _("signed out from the list"),
       "resolved": _("resolved by a manager"), "cancelled": _("sign-in cancelled")}
REASON_MAX = limits.REASON  # a resolution's reason, in characters


def who(visitor: Visitor) -> str:
    """How a visitor is named in a sentence: "Jane Doe (Golden Coast)"."""
    return f"{visitor.name} ({visitor.company})"


def find(number) -> Visitor | None:
    """The visit with this record number (a visitor badge scan's value), or None."""
    try:
        key = int(number)
    except (TypeError, ValueError):
        return None
    return Visitor.one(id=key) if 0 < key < 2**63 else None


def exit_of(visitor_id: int) -> VisitorExit | None:
    """How and when this visitor was signed out, or None while they are inside."""
    return VisitorExit.one(visitor=visitor_id)


def valid_until(entered_at: dt.datetime) -> dt.datetime:
    """A visitor badge is good for the day it was given, on the store's clock."""
    last_minute = dt.datetime.combine(clock.store_date(entered_at), dt.time(23, 59))
    return clock.from_local(last_minute)


def expired(visitor: Visitor) -> bool:
    """The badge's day is over (the visitor may still be inside: closing catches that)."""
    return clock.now() > visitor.valid_until


def _inside():
    return (Visitor.select(Visitor, Employee)
            .join(Employee, on=(Visitor.escort == Employee.id))
            .switch(Visitor)
            .join(VisitorExit, JOIN.LEFT_OUTER, on=(VisitorExit.visitor == Visitor.id))
            .where(VisitorExit.id.is_null()))


def inside_now() -> list[Visitor]:
    """Every visitor signed in and not yet out, the one who came first first.

    Closing calls this: a visitor in it blocks closing until they are signed out (their
    badge scanned, or "Sign out" on the list) or a manager resolves them (``resolve``).
    """
    return list(_inside().order_by(Visitor.entered_at, Visitor.id))


def inside_count() -> int:
    """How many visitors are inside now."""
    return _inside().count()


def escorting(employee_id: int) -> int:
    """How many visitors inside now this person escorts."""
    return _inside().where(Visitor.escort == employee_id).count()


def sign_in(run, data: dict, escort: Employee, signature_id: int, station: str,
            at: dt.datetime) -> Visitor:
    """Record a visitor as signed in (the escort has just signed for them)."""
    visitor = Visitor.create(
        run=run, name=data["name"], company=data["company"], purpose=data["purpose"],
        id_kind=data["id_kind"], id_last4=data["id_last4"], area=data["area"], escort=escort,
        escort_signature=signature_id, station=station, entered_at=at,
        valid_until=valid_until(at))
    ledger.audit("visitor.sign_in", f"visitor:{visitor.id}",
                 {"code": visitor.code, "name": visitor.name, "company": visitor.company,
                  "area": visitor.area, "escort": escort.id, "signature": signature_id},
                 actor=escort, station=station)
    return visitor


@dataclass(frozen=True)
class SignOut:
    """What a sign-out did, in words for the screen; ``tone``: ok, warn (nothing new was
    recorded: already out) or error (no such visitor)."""

    message: str  # a phrase (kiosk.words), said in the screen's language
    tone: str
    visitor: Visitor | None = None
    exit: VisitorExit | None = None


def _minutes(start: dt.datetime, end: dt.datetime):
    minutes = max(0, int((end - start).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return (_("{hours} h {minutes} min", hours=hours, minutes=minutes) if hours
            else _("{minutes} min", minutes=minutes))


def duration(visitor: Visitor, left: VisitorExit | None) -> str:
    """How long the visitor was (or has been) inside, in words."""
    return _minutes(visitor.entered_at, left.at if left is not None else clock.now())


def _locked_visitor(number) -> Visitor | None:
    """The visit, its row locked (two screens signing one visitor out queue up)."""
    visitor = find(number)
    if visitor is None:
        return None
    return locked(Visitor.select().where(Visitor.id == visitor.id)).first()


def _already_out(visitor: Visitor) -> SignOut | None:
    """A second sign-out (a double scan, another screen, a manager too late) records
    nothing and says when and by whom the first was."""
    done = exit_of(visitor.id)
    if done is None:
        return None
    return SignOut(_("{who} was already signed out at {time} by {name}. Nothing more was "
                     "recorded.", who=who(visitor), time=clock.local(done.at).strftime("%H:%M"),
                     name=done.by.name), "warn", visitor, done)


def sign_out(number, actor: Employee, station: str, how: str) -> SignOut:
    """Sign a visitor out now (``how``: scan or list); a second sign-out records nothing."""
    visitor = _locked_visitor(number)
    if visitor is None:
        return SignOut(_("VIS-{number} is not a visitor badge of this store. Check the badge, "
                         "or sign the visitor out from the list of visitors inside.",
                         number=str(number)), "error")
    already = _already_out(visitor)
    if already is not None:
        return already
    now = clock.now()
    row = VisitorExit.create(visitor=visitor, how=how, by=actor, station=station, at=now)
    ledger.audit("visitor.sign_out", f"visitor:{visitor.id}",
                 {"exit": row.id, "how": how, "code": visitor.code}, actor=actor,
                 station=station)
    return SignOut(_("{who} is signed out at {time}, after {duration} inside.",
                     who=who(visitor), time=clock.local(now).strftime("%H:%M"),
                     duration=duration(visitor, row)), "ok", visitor, row)


def resolution_hash(visitor: Visitor, manager: Employee, reason: str, at: dt.datetime) -> str:
    """What a manager signs when resolving a visitor: the visit and the resolution."""
    body = dumps({"visitor": visitor.id, "code": visitor.code, "name": visitor.name,
                  "company": visitor.company, "entered_at": visitor.entered_at,
                  "action": "resolved", "reason": reason, "by": manager.id, "at": at})
    return hashlib.sha256(body.encode()).hexdigest()


def resolve(number, manager: Employee, attempt_id: int, reason: str, station: str) -> SignOut:
    """A manager signs a visitor out who left without signing out (or whose badge is lost),
    with a reason, on their own badge + PIN just checked (``attempt_id``). Raises ValueError
    with the words for the screen when it may not."""
    if not manager.has_any(("manager",)):
        raise ValueError(_("{name} can't resolve a visitor: it needs a manager.",
                           name=manager.name))
    reason = " ".join(str(reason).split())
    if not reason:
        raise ValueError(_("Say why the visitor was not signed out in person."))
    if len(reason) > REASON_MAX or not reason.isprintable():
        raise ValueError(_("The reason must be plain words, at most {count} characters.",
                           count=REASON_MAX))
    visitor = _locked_visitor(number)
    if visitor is None:
        raise ValueError(_("VIS-{number} is not a visitor of this store.", number=str(number)))
    already = _already_out(visitor)
    if already is not None:
        return already
    now = clock.now()
    row = VisitorExit.create(visitor=visitor, how="resolved", by=manager, reason=reason,
                             attempt=attempt_id, printed_name=manager.name, meaning="approved",
                             record_hash=resolution_hash(visitor, manager, reason, now),
                             station=station, at=now)
    ledger.audit("visitor.resolved", f"visitor:{visitor.id}",
                 {"exit": row.id, "reason": reason, "attempt": attempt_id,
                  "record_hash": row.record_hash}, actor=manager, station=station)
    return SignOut(_("{who} is signed out: resolved by {name} (\"{reason}\").", who=who(visitor),
                     name=manager.name, reason=reason), "ok", visitor, row)


def cancel_sign_in(visitor_id: int, actor: Employee, station: str, reason: str) -> None:
    """The sign-in run was cancelled after the visitor was signed in: sign them out with
    the cancel's reason, so nobody is left inside on the record by a mistake."""
    if exit_of(visitor_id) is None:
        row = VisitorExit.create(visitor=visitor_id, how="cancelled", by=actor, reason=reason,
                                 station=station, at=clock.now())
        ledger.audit("visitor.sign_out", f"visitor:{visitor_id}",
                     {"exit": row.id, "how": "cancelled"}, actor=actor, station=station)


def take_into_vault(vault_visit_id: int, visitor: Visitor, at: dt.datetime) -> VaultVisitor:
    """A visitor goes into the vault with a vault entry."""
    return VaultVisitor.create(vault_visit=vault_visit_id, visitor=visitor, at=at)


def in_vault_visits(vault_visit_ids) -> dict[int, list[Visitor]]:
    """The visitors who went in with each of these vault entries."""
    found: dict[int, list[Visitor]] = {}
    ids = list(vault_visit_ids)
    if not ids:
        return found
    rows = (VaultVisitor.select(VaultVisitor.vault_visit, Visitor)
            .join(Visitor, on=(VaultVisitor.visitor == Visitor.id))
            .where(VaultVisitor.vault_visit.in_(ids)).order_by(VaultVisitor.id))
    for row in rows:
        found.setdefault(row.vault_visit_id, []).append(row.visitor)
    return found


@dataclass(frozen=True)
class LogRow:
    visitor: Visitor
    exit: VisitorExit | None
    duration: str


def log(since: dt.datetime, until: dt.datetime) -> list[LogRow]:
    """Every visit that began in [since, until), newest first, with its sign-out."""
    Escort, By = Employee.alias(), Employee.alias()
    rows = (Visitor.select(Visitor, Escort, VisitorExit, By)
            .join(Escort, on=(Visitor.escort == Escort.id))
            .switch(Visitor)
            .join(VisitorExit, JOIN.LEFT_OUTER, on=(VisitorExit.visitor == Visitor.id))
            .join(By, JOIN.LEFT_OUTER, on=(VisitorExit.by == By.id))
            .where(Visitor.entered_at >= since, Visitor.entered_at < until)
            .order_by(Visitor.entered_at.desc(), Visitor.id.desc()))
    out = []
    for visitor in rows:
        left = getattr(visitor, "visitorexit", None)
        left = left if left is not None and left.id is not None else None
        out.append(LogRow(visitor, left, duration(visitor, left)))
    return out


def badge_data(visitor: Visitor) -> dict:
    """What the visitor badge label prints (``visitor_badge`` layout), on the store's clock."""
    return {"code": visitor.code, "name": visitor.name, "company": visitor.company,
            "escort": visitor.escort.name, "date": f"{clock.local(visitor.entered_at):%Y-%m-%d}",
            "valid_until": f"{clock.local(visitor.valid_until):%Y-%m-%d %H:%M}"}


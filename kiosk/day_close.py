"""The questions closing reconciliation asks, so ``workflows/close_store.py`` reads as SOP §7.

What still waits to reach Metrc or the POS, oldest first, and how long each has waited
against the state's deadline (24 hours by default); the closing manager's word on each
(``WaitingNote``: a reason and a note); what has been explained; and the investigations
still open. A message for a system the store does not send to (no POS link, or a POS the
kiosk only reads) is not waiting for anything: those are counted, not asked about.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.models.reconciliation import DayCheck, WaitingNote
from kiosk.words import Known, Phrase, _, joined

OPEN = ("pending", "sending", "attention")
TARGET_WORDS = {"metrc": _("Metrc"), "pos": _("the POS"), "biotrack": _("BioTrack")}
# A message's status, as the outbox keeps it.
STATE_WORDS = {"pending": _("waiting"), "sending": _("sending"), "delivered": _("delivered"),
               "attention": _("refused: needs a person"), "resolved": _("resolved by hand")}
# What a message is, as the sync screen, the day's report and closing name it.
KIND_WORDS = {
    "package.location": _("Location"), "package.note": _("Note"),
    "package.adjust": _("Adjustment"), "package.finish": _("Finish"),
    "package.unfinish": _("Unfinish"), "sale.receipt": _("Sales receipt"),
    "transfer.received": _("Read-back of the received"),
    "transfer.returned": _("Read-back of the returned"),
    "stock.received": _("Stock received"), "stock.moved": _("Stock moved"),
    "stock.hold": _("Hold"), "stock.release": _("Release"),
    "stock.adjusted": _("Stock adjusted"),
}


def subject(message: OutboxMessage) -> str:
    """What the message is about: a package, a manifest (never called a transfer id), a
    receipt."""
    payload = message.payload or {}
    if message.kind in ("transfer.received", "transfer.returned"):
        return _("manifest {manifest}",
                 manifest=str(payload.get("manifest_number") or message.ordering_key))
    if message.kind == "sale.receipt":
        return _("receipt {receipt}", receipt=str(message.external_key))
    tag = payload.get("tag") or message.ordering_key
    return _("package {tag}", tag=str(tag)) if tag else ""


def what(message: OutboxMessage) -> Phrase:
    """``Location · package 1A40…``; a read-back names its manifest: ``Read-back of the
    received manifest 0000012345``."""
    kind = KIND_WORDS.get(message.kind, Known(message.kind))
    about = subject(message)
    if message.kind in ("transfer.received", "transfer.returned"):
        return joined([kind, about])
    return joined([kind, about], " · ") if about else kind


def targets(settings: dict) -> list[str]:
    """The systems this store sends messages to. A POS link sends when it is a webhook;
    the Dutchie link only reads (``kiosk/sync/dutchie.py``)."""
    found = []
    if settings.get("state_system") in ("metrc", "biotrack"):
        found.append(settings["state_system"])
    if str(settings.get("pos") or "none").startswith("webhook+"):
        found.append("pos")
    return found


def waiting(sent_to: list[str]) -> list[OutboxMessage]:
    """Every message not yet delivered to a system the store sends to, oldest first."""
    return list(OutboxMessage.select().where(OutboxMessage.status.in_(OPEN),
                                             OutboxMessage.target.in_(sent_to or [""]))
                .order_by(OutboxMessage.created_at, OutboxMessage.id))


def not_sent_anywhere(sent_to: list[str]) -> dict[str, int]:
    """Undelivered messages per system the store does not send to."""
    rows = (OutboxMessage.select(OutboxMessage.target).where(
        OutboxMessage.status.in_(OPEN), OutboxMessage.target.not_in(sent_to or [""])).tuples())
    counted: dict[str, int] = {}
    for (target,) in rows:
        counted[target] = counted.get(target, 0) + 1
    return counted


def explained(check_id: int) -> set[int]:
    return {m for (m,) in WaitingNote.select(WaitingNote.message_id)
            .where(WaitingNote.check == check_id).tuples()}


def unexplained(check_id: int, sent_to: list[str]) -> list[OutboxMessage]:
    """The waiting messages the closing manager has not yet explained, oldest first."""
    done = explained(check_id)
    return [m for m in waiting(sent_to) if m.id not in done]


def explain(check: DayCheck, message_id: int, reason: str, note: str, actor,
            now: dt.datetime) -> WaitingNote:
    """The manager's word on one waiting message (call inside a write)."""
    if not note.strip():
        raise ValueError(_("Write a note: what is being done about it."))
    return WaitingNote.create(check=check, message_id=message_id, reason=reason,
                              note=note.strip(), by=actor, at=now)


def waited(message: OutboxMessage, deadline_hours: int, now: dt.datetime | None = None
           ) -> tuple[Phrase, bool]:
    """How long it has waited, in words against the deadline, and whether it is past it."""
    age = (now or clock.now()) - message.created_at
    minutes = int(age.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    said = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    past = age >= dt.timedelta(hours=deadline_hours)
    if past:
        return _("{waited} of the {deadline} h deadline (past it)", waited=said,
                 deadline=deadline_hours), past
    return _("{waited} of the {deadline} h deadline", waited=said,
             deadline=deadline_hours), past


def describe(message: OutboxMessage) -> Phrase:
    """One line: what it is, about what, and for whom: ``Location · package 1A40… (Metrc)``."""
    return _("{what} ({whom})", what=what(message),
             whom=TARGET_WORDS.get(message.target, Known(message.target)))

"""What the audit chain vouches for beyond itself, checked against the records.

`kiosk verify` reads the chain once; ``Cover.take`` keeps what its entries say of other
records, and ``Cover.problems`` then reads those records and names every one that differs:
- every movement has an entry of its own (``movement``) recording what it did: a movement
  altered, added or deleted is found even when its package was changed to match;
- every signature's entry names the signature, the signer, the meaning, the record hash
  and the run's data as signed; the signature is checked against it, and its record hash
  computed again from that data and the run's events up to the signing, so a signature
  re-pointed to someone else, or a signed step's value changed, is found;
- every login attempt is named by the entry written with it: one deleted or added is found;
- a delivered (or resolved) outbox message has its ``sync.delivered`` (``sync.resolve``)
  entry: one marked delivered in the database alone is found;
- a transfer line's verdict (state and quantity accepted) is in ``receiving.verdict``;
- a finished run's data is hashed in its ``run.complete`` / ``run.cancel`` entry.
Records older than the chain's key (``chain.keyed`` says which) are held by the chain only
where an entry of theirs says something.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from json import loads

from kiosk.db import database
from kiosk.models import dumps
from kiosk.words import _

FAILED_ATTEMPT = (".refused", ".locked", ".no_pin", ".wrong_pin")


def data_digest(text: str) -> str:
    """The hash a finished run's entry keeps of its data, as stored (JSON text)."""
    return hashlib.sha256(text.encode()).hexdigest()


def signed_hash(run_id: int, workflow: str, version: int, data, events: list) -> str:
    """A signature's record hash: the run's data when signed and its accepted events so far
    (id, step, value, actor, time), as ``engine.record_hash`` makes it."""
    body = dumps({"run": run_id, "workflow": workflow, "version": version, "data": data,
                  "events": events})
    return hashlib.sha256(body.encode()).hexdigest()


def _detail(text) -> dict:
    try:
        value = loads(text or "")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _id(subject: str, prefix: str) -> int | None:
    if not isinstance(subject, str) or not subject.startswith(prefix):
        return None
    try:
        return int(subject[len(prefix):])
    except ValueError:
        return None


def _quantity(value) -> str | None:
    if value is None:
        return None
    try:
        return str(Decimal(str(value)).quantize(Decimal("0.0001")))
    except (InvalidOperation, ValueError):
        return f"not a number ({value!r})"


class Cover:
    """What the chain's entries say of other records, gathered as the chain is read."""

    def __init__(self):
        self.before: dict[str, int] = {}  # table -> newest id from before the chain's key
        self.movements: dict[int, int] = {}  # id -> hash() of its entry's detail text
        self.doubled: list[int] = []
        self.signatures: dict[int, dict] = {}
        self.attempts: dict[int, tuple] = {}  # id -> (badge or None, ok or None, seq)
        self.delivered: set[int] = set()
        self.resolved: set[int] = set()
        self.lines: dict[int, tuple] = {}  # id -> (state, quantity text or None)
        self.runs: dict[int, tuple] = {}  # id -> (status, data digest)
        self.exits: dict[int, dict] = {}  # a visitor's resolution (signed) -> its entry

    def keyed(self, detail: str) -> None:
        marks = _detail(detail).get("records_before", {})
        self.before = {k: int(v) for k, v in marks.items() if isinstance(v, int)}

    def take(self, seq: int, action: str, subject: str, detail) -> None:
        """One entry, already found signed (or reported): keep what it says of records."""
        if action == "movement":
            number = _id(subject, "movement:")
            if number is not None:
                if number in self.movements:
                    self.doubled.append(number)
                self.movements[number] = hash(detail)
            return
        if not isinstance(detail, str):
            return
        if '"attempt":' in detail:
            self._attempt(seq, action, subject, _detail(detail))
        if action in ("run.complete", "run.cancel") and '"data":' in detail:
            number = _id(subject, "run:")
            if number is not None:
                self.runs[number] = ("completed" if action == "run.complete" else "cancelled",
                                     _detail(detail).get("data"))
        elif action == "signature":
            found = _detail(detail)
            if isinstance(found.get("signature"), int):
                self.signatures[found["signature"]] = found
        elif action == "sync.delivered":
            number = _id(subject, "outbox:")
            if number is not None:
                self.delivered.add(number)
        elif action == "sync.resolve":
            number = _id(subject, "outbox:")
            if number is not None:
                self.resolved.add(number)
        elif action == "receiving.verdict" and '"line":' in detail:
            found = _detail(detail)
            if isinstance(found.get("line"), int):
                self.lines[found["line"]] = (found.get("state"), found.get("received"))
        elif action == "visitor.resolved":
            found = _detail(detail)
            if isinstance(found.get("exit"), int):
                self.exits[found["exit"]] = found
        elif action == "transfer.release":
            for line in _detail(detail).get("lines", []):
                self.lines[line] = ("shipped", None)

    def _attempt(self, seq: int, action: str, subject: str, found: dict) -> None:
        number = found.get("attempt")
        if not isinstance(number, int) or action == "badge.unlocked":
            if action == "badge.unlocked" and isinstance(number, int):
                self.attempts.setdefault(number, (None, True, seq))
            return
        if action.endswith(".refused"):
            badge = subject[len("badge:"):] if subject.startswith("badge:") else None
        else:
            badge = found.get("badge")
        if action.endswith(".pin_ok") or action == "pin.set":
            ok = True
        elif action.endswith(FAILED_ATTEMPT) or action == "badge.locked":
            ok = False
        else:
            ok = None
        self.attempts[number] = (badge, ok, seq)

    def _new(self, table: str, number: int) -> bool:
        """True if the record was written after the chain had its key (so must be in it)."""
        return number > self.before.get(table, 0)

    def problems(self) -> list[str]:
        found = [_("Movement {number} has two audit entries.", number=str(m))
                 for m in self.doubled[:20]]
        for check in (self._movements, self._signatures, self._exits, self._attempts,
                      self._outbox, self._lines, self._runs):
            found += check()
        return found

    def _movements(self) -> list[str]:
        from kiosk import ledger

        found, kept_of = [], self.movements  # emptied as the movements are met
        for row in _rows("id, package_id, quantity, kind, from_location_id, to_location_id, "
                         "actor_id, run_id, step_event_id, corrects_id, reason", "movement"):
            number = row[0]
            kept = kept_of.pop(number, None)
            if kept is None:
                if self._new("movement", number):
                    found.append(_("Movement {number} is not in the audit chain: it was "
                                   "added to the records by hand.", number=str(number)))
                continue
            try:
                text = ledger.movement_detail(*row)
            except (InvalidOperation, ValueError, TypeError):
                text = None
            if text is None or hash(text) != kept:
                found.append(_("Movement {number} differs from what the audit chain recorded "
                               "of it: it was altered.", number=str(number)))
        gone = sorted(n for n in kept_of if n is not None)
        for number in gone[:50]:
            found.append(_("Movement {number} is in the audit chain but not in the records: "
                           "it was deleted.", number=str(number)))
        if len(gone) > 50:
            found.append(_("{count} more movements were deleted.", count=len(gone) - 50))
        return found

    def _signatures(self) -> list[str]:
        found, seen = [], set()
        rows = database.execute_sql(
            "SELECT s.id, s.run_id, s.step_event_id, s.employee_id, s.meaning, s.record_hash, "
            "r.workflow, r.version FROM signature s LEFT JOIN run r ON r.id = s.run_id "
            "ORDER BY s.id").fetchall()
        for number, run_id, event_id, employee_id, meaning, record_hash, workflow, version \
                in rows:
            seen.add(number)
            entry = self.signatures.get(number)
            if entry is None:
                if self._new("signature", number):
                    found.append(_("Signature {number} is not in the audit chain: it was "
                                   "added to the records by hand.", number=str(number)))
                continue
            if entry.get("signer") != employee_id:
                found.append(_("Signature {number} names employee {named} but employee "
                               "{signer} signed: it was re-pointed.", number=str(number),
                               named=str(employee_id), signer=str(entry.get("signer"))))
            if (entry.get("meaning"), entry.get("record_hash"), entry.get("event")) != \
                    (meaning, record_hash, event_id):
                found.append(_("Signature {number} differs from what the audit chain "
                               "recorded of it: it was altered.", number=str(number)))
            if "data" in entry and signed_hash(run_id, workflow, version, entry["data"],
                                               _events(run_id, event_id)) != record_hash:
                found.append(_("Signature {number} no longer matches what it signed: run "
                               "{run}'s steps up to the signing were altered.",
                               number=str(number), run=str(run_id)))
        for number in sorted(set(self.signatures) - seen)[:50]:
            found.append(_("Signature {number} is in the audit chain but not in the records: "
                           "it was deleted.", number=str(number)))
        return found

    def _exits(self) -> list[str]:
        """A manager's signed resolution of a visitor: as the chain says, and its record
        hash computed again from the visit and the resolution."""
        from kiosk.models import Visitor, VisitorExit
        from kiosk.visitors import resolution_hash

        found = []
        for row in VisitorExit.select().where(VisitorExit.how == "resolved"):
            entry = self.exits.get(row.id)
            if entry is None:
                continue  # written before the chain recorded its resolution (nothing to hold)
            visitor = Visitor.get_or_none(Visitor.id == row.visitor_id)
            again = (resolution_hash(visitor, _Someone(row.by_id), row.reason, row.at)
                     if visitor is not None else None)
            if entry.get("record_hash") != row.record_hash or again != row.record_hash:
                found.append(_("Visitor {number}'s signed resolution no longer matches what "
                               "the manager signed: it was altered.",
                               number=str(row.visitor_id)))
        return found

    def _attempts(self) -> list[str]:
        found, seen = [], set()
        for number, badge, ok in _rows("id, badge, ok", "login_attempt"):
            seen.add(number)
            entry = self.attempts.get(number)
            if entry is None:
                if self._new("login_attempt", number):
                    found.append(_("Login attempt {number} (badge {badge}) is not in the "
                                   "audit chain: it was added to the records by hand.",
                                   number=str(number), badge=str(badge)))
                continue
            said_badge, said_ok = entry[0], entry[1]
            if (said_badge is not None and said_badge != badge) or \
                    (said_ok is not None and said_ok != bool(ok)):
                found.append(_("Login attempt {number} differs from what the audit chain "
                               "recorded of it: it was altered.", number=str(number)))
        gone = sorted(set(self.attempts) - seen)
        for number in gone[:50]:
            badge = self.attempts[number][0]
            seq = str(self.attempts[number][2])
            found.append(_("Login attempt {number} (badge {badge}), audit entry {entry}, is not "
                           "in the records: it was deleted.", number=str(number),
                           badge=str(badge), entry=seq) if badge else
                         _("Login attempt {number}, audit entry {entry}, is not in the records: "
                           "it was deleted.", number=str(number), entry=seq))
        if len(gone) > 50:
            found.append(_("{count} more login attempts were deleted.", count=len(gone) - 50))
        return found

    def _outbox(self) -> list[str]:
        found, told = [], self.delivered | self.resolved
        for number, status, kind in _rows("id, status, kind", "outbox_message"):
            if status not in ("delivered", "resolved"):
                if number in told:
                    found.append(_("Outbox message {number} ({kind}) reads {status} but the "
                                   "audit chain recorded it delivered or resolved: it was put "
                                   "back in the queue in the database.", number=str(number),
                                   kind=str(kind), status=str(status)))
                continue
            said = self.delivered if status == "delivered" else self.resolved
            if number not in said and (self._new("outbox_message", number) or number in told):
                found.append(_("Outbox message {number} ({kind}) reads {status} but the audit "
                               "chain has no record of it being {status}: it was marked so in "
                               "the database.", number=str(number), kind=str(kind),
                               status=str(status)))
        return found

    def _lines(self) -> list[str]:
        found = []
        for number, tag, state, received in _rows(
                "id, tag, state, received_quantity", "transfer_package"):
            expected = self.lines.get(number)
            if expected is None:
                if not self._new("transfer_package", number):
                    continue
                expected = ("shipped", None)
            if (state, _quantity(received)) != (expected[0], expected[1]):
                said = expected[0] + (f" {expected[1]}" if expected[1] is not None else "")
                now = state + (f" {_quantity(received)}" if received is not None else "")
                found.append(_("Transfer line {number} ({tag}) reads {now} but the audit "
                               "chain recorded {said}: its verdict was altered.",
                               number=str(number), tag=str(tag), now=now, said=said))
        return found

    def _runs(self) -> list[str]:
        found = []
        if not self.runs:
            return found
        for number, status, data in _rows("id, status, data", "run",
                                          "AND status IN ('completed', 'cancelled')"):
            entry = self.runs.get(number)
            if entry is None:
                continue
            if entry[0] != status or data_digest(data or "") != entry[1]:
                found.append(_("Run {number} differs from what the audit chain recorded when "
                               "it ended: its data was altered.", number=str(number)))
        return found


BATCH = 20000


class _Someone:
    """Who signed, by id alone (all a record hash names of them)."""

    def __init__(self, number):
        self.id = number


def _rows(columns: str, table: str, where: str = ""):
    """Every row of ``table`` (its ``columns``, id first), in order of id, a batch at a
    time: a year is a million movements, which PostgreSQL's driver would hold at once."""
    p, after = database.param, 0
    while True:
        batch = database.execute_sql(
            f'SELECT {columns} FROM "{table}" WHERE id > {p} {where} ORDER BY id '
            f"LIMIT {BATCH}", (after,)).fetchall()
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def _events(run_id: int, upto: int) -> list:
    from kiosk.models import StepEvent

    return list(StepEvent.select(StepEvent.id, StepEvent.step_id, StepEvent.value,
                                 StepEvent.actor, StepEvent.at)
                .where(StepEvent.run == run_id, StepEvent.accepted == True,  # noqa: E712
                       StepEvent.id <= upto)
                .order_by(StepEvent.id).tuples())

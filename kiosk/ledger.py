"""The only way stock changes (movements) and the hash-linked audit chain.

Every function here expects to run inside the caller's write transaction, so a step's
movements, audit entries, outbox messages and print jobs commit together or not at all.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from peewee import fn

from kiosk import clock
from kiosk.db import database, is_sqlite
from kiosk.models import AuditEntry, ChainHead, Location, Movement, Package, dumps

GENESIS = "0" * 64


def _entry_hash(prev_hash: str, seq: int, at, actor_id, actor_name, station, action, subject,
                detail) -> str:
    body = dumps([prev_hash, seq, at.isoformat(timespec="microseconds"), actor_id, actor_name,
                  station, action, subject, detail])
    return hashlib.sha256(body.encode()).hexdigest()


def audit(action: str, subject: str = "", detail: dict | None = None, *, actor=None,
          station: str = "") -> None:
    """Append one entry to the audit chain, linked to the newest one.

    Every step runs this, so it is three hand-written, portable statements rather than ORM
    queries (building the SQL cost more than running it). On PostgreSQL the head row is
    locked so concurrent appends queue; SQLite's BEGIN IMMEDIATE already serialises them.
    """
    p = database.param
    lock = "" if is_sqlite() else " FOR UPDATE"
    head_seq, head_hash = database.execute_sql(
        f"SELECT seq, hash FROM chain_head WHERE id = 1{lock}").fetchone()
    at = clock.now()
    seq = head_seq + 1
    actor_id = actor.id if actor is not None else None
    actor_name = actor.name if actor is not None else ""
    detail = detail or {}
    digest = _entry_hash(head_hash, seq, at, actor_id, actor_name, station, action, subject,
                         detail)
    database.execute_sql(
        "INSERT INTO audit_entry (seq, at, actor_id, actor_name, station, action, subject, "
        f"detail, prev_hash, hash) VALUES ({', '.join([p] * 10)})",
        (seq, AuditEntry.at.db_value(at), actor_id, actor_name, station, action, subject,
         AuditEntry.detail.db_value(detail), head_hash, digest))
    database.execute_sql(f"UPDATE chain_head SET seq = {p}, hash = {p} WHERE id = 1",
                         (seq, digest))


def record(package: Package, quantity, kind: str, *, to_location: Location | None = None,
           reason: str = "", note: str = "", actor=None, station: str = "", run_id=None,
           step_event_id=None, corrects: Movement | None = None, status: str | None = None
           ) -> Movement:
    """Append a movement and update the package's cached quantity, location and status."""
    quantity = Decimal(str(quantity))
    from_location = package.location
    movement = Movement.create(
        package=package, quantity=quantity, kind=kind, from_location=from_location,
        to_location=to_location or from_location, reason=reason, note=note, actor=actor,
        station=station, run_id=run_id, step_event_id=step_event_id, corrects=corrects,
        at=clock.now())
    # Add to the stored quantity, not the cached one, so two movements never lose one.
    # Hand-written (portable) SQL: every move runs it, and building it cost more than running.
    p = database.param
    sets, params = [f"quantity = quantity + {p}"], [Package.quantity.db_value(quantity)]
    if to_location is not None:
        package.location = to_location
        sets.append(f"location_id = {p}")
        params.append(to_location.id)
    if status is not None:
        package.status = status
        sets.append(f"status = {p}")
        params.append(status)
    database.execute_sql(f"UPDATE package SET {', '.join(sets)} WHERE id = {p}",
                         (*params, package.id))
    package.quantity = Decimal(str(package.quantity or 0)) + quantity
    return movement


def receive(package: Package, quantity, *, to_location: Location, **kw) -> Movement:
    """Stock arrives: the package's first positive movement."""
    return record(package, quantity, "receipt", to_location=to_location, **kw)


def move(package: Package, to_location: Location, **kw) -> Movement:
    """The package changes place; its quantity does not."""
    return record(package, 0, "move", to_location=to_location, **kw)


def correct(movement: Movement, *, reason: str, actor, station: str = "", **kw) -> Movement:
    """Reverse a movement with a new one that points at it (records are never edited)."""
    return record(movement.package, -movement.quantity, "correction", reason=reason,
                  actor=actor, station=station, corrects=movement, **kw)


def verify_chain() -> list[str]:
    """Every problem found in the audit chain, in words (empty when it is intact)."""
    problems = []
    prev_hash, expected_seq = GENESIS, 1
    for (seq, at, actor_id, actor_name, station, action, subject, detail, entry_prev,
         entry_hash) in _entries():
        if seq != expected_seq:
            problems.append(f"Audit entry {expected_seq} is missing (next is {seq}).")
        if entry_prev != prev_hash:
            problems.append(f"Audit entry {seq} does not point at the entry before it.")
        digest = _entry_hash(entry_prev, seq, at, actor_id, actor_name, station, action,
                             subject, detail)
        if digest != entry_hash:
            problems.append(f"Audit entry {seq} ({action}) was altered after it was written.")
        prev_hash, expected_seq = entry_hash, seq + 1
    head = ChainHead.get_or_none(ChainHead.id == 1)
    if head is not None and head.seq != expected_seq - 1:
        problems.append(f"The chain head says {head.seq} entries but {expected_seq - 1} exist: "
                        "entries were removed from the end.")
    return problems


VERIFY_BATCH = 20000


def _entries():
    """Every audit entry in order, as plain rows, a batch at a time.

    A year of a busy store is a million entries: made into model objects they took two
    thirds of `kiosk verify`'s time, and read in one result PostgreSQL's driver would hold
    them all in memory at once.
    """
    p, after = database.param, 0
    at_value, detail_value = AuditEntry.at.python_value, AuditEntry.detail.python_value
    while True:
        rows = database.execute_sql(
            "SELECT seq, at, actor_id, actor_name, station, action, subject, detail, "
            f"prev_hash, hash FROM audit_entry WHERE seq > {p} ORDER BY seq "
            f"LIMIT {VERIFY_BATCH}", (after,)).fetchall()
        for row in rows:
            yield (row[0], at_value(row[1]), *row[2:7], detail_value(row[7]), row[8], row[9])
        if len(rows) < VERIFY_BATCH:
            return
        after = rows[-1][0]


def verify_quantities() -> list[str]:
    """Every package whose cached quantity differs from the sum of its movements."""
    sums = dict(Movement.select(Movement.package, fn.SUM(Movement.quantity))
                .group_by(Movement.package).tuples())
    problems = []
    for pkg_id, tag, qty in Package.select(Package.id, Package.tag, Package.quantity).tuples():
        total = Decimal(str(sums.get(pkg_id) or 0)).quantize(Decimal("0.0001"))
        cached = Decimal(str(qty)).quantize(Decimal("0.0001"))
        if cached != total:
            problems.append(f"Package {tag} shows {cached.normalize():f} but its movements "
                            f"add up to {total.normalize():f}.")
    return problems

"""The only way stock changes (movements) and the audit chain, signed with the store's key.

Every function here expects to run inside the caller's write transaction, so a step's
movements, audit entries, outbox messages and print jobs commit together or not at all.

Each entry carries the hash of the one before it and its own HMAC-SHA256 under the store's
audit key (kiosk.audit_key), a file the database does not hold: whoever edits the database
cannot write an entry, nor hash the chain again, that `kiosk verify` takes. Entries written
before the chain had a key keep their plain SHA-256 (``_entry_hash``); the entry
``chain.keyed`` that ends them is signed, so they are held by it. Every movement has an
entry of its own (``movement``), so a movement cannot change, appear or go unseen even when
its package is changed with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from json import loads
from json.encoder import encode_basestring_ascii as _quoted

from peewee import fn

from kiosk import audit_key, clock
from kiosk.db import database, is_sqlite
from kiosk.models import AuditEntry, ChainHead, Location, Movement, Package, dumps
from kiosk.words import Number, _

GENESIS = "0" * 64
KEYED = "chain.keyed"  # the entry that ends the entries hashed before the chain had a key
AT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how an entry's time is written, signed and read back
Q4 = Decimal("0.0001")


def _entry_hash(prev_hash: str, seq: int, at, actor_id, actor_name, station, action, subject,
                detail) -> str:
    """An entry's plain SHA-256, as entries were hashed before the chain had a key."""
    body = dumps([prev_hash, seq, at.isoformat(timespec="microseconds"), actor_id, actor_name,
                  station, action, subject, detail])
    return hashlib.sha256(body.encode()).hexdigest()


def stamp(at) -> str:
    """An entry's time as it is written and signed (to the microsecond, in UTC)."""
    return at.strftime(AT_FORMAT)


def _body(prev_hash: str, seq: int, at: str, actor_id, actor_name: str, station: str,
          action: str, subject: str, detail: str) -> bytes:
    # The stored texts, each after its length (so no two different entries read alike),
    # nothing parsed: a million entries are checked in seconds.
    actor = "" if actor_id is None else str(int(actor_id))
    return (f"{len(prev_hash)}:{prev_hash}{seq}:{len(at)}:{at}{len(actor)}:{actor}"
            f"{len(actor_name)}:{actor_name}{len(station)}:{station}{len(action)}:{action}"
            f"{len(subject)}:{subject}{len(detail)}:{detail}").encode()


def entry_digest(prev_hash: str, seq: int, at: str, actor_id, actor_name: str, station: str,
                 action: str, subject: str, detail: str) -> str:
    """An entry's HMAC-SHA256 under the store's key, over its texts as stored (``at`` as
    ``stamp`` writes it, ``detail`` as its JSON text)."""
    return audit_key.sign(_body(prev_hash, seq, at, actor_id, actor_name, station, action,
                                subject, detail))


_quantities: dict = {}  # a quantity as the database hands it back -> its text (few differ)


def quantity_text(value) -> str:
    """A quantity as a movement's entry records it (four decimals), whatever the database
    hands back (a Decimal, a float, a text)."""
    text = _quantities.get(value)
    if text is None:
        text = str(Decimal(str(value)).quantize(Q4))
        if len(_quantities) < 10000:
            _quantities[value] = text
    return text


def _number(value) -> str:
    return "null" if value is None else str(int(value))


def movement_detail(movement_id, package_id, quantity, kind, from_id, to_id, actor_id, run_id,
                    event_id, corrects_id, reason) -> str:
    """What a movement's audit entry records of it, all that says what stock did, as the
    JSON text ``dumps`` would make of it (sorted keys; made by hand, since `kiosk verify`
    makes it again for each of a year's million movements)."""
    return (f'{{"actor":{_number(actor_id)},"corrects":{_number(corrects_id)},'
            f'"event":{_number(event_id)},"from":{_number(from_id)},'
            f'"id":{_number(movement_id)},"kind":{_quoted(kind)},'
            f'"package":{_number(package_id)},"quantity":"{quantity_text(quantity)}",'
            f'"reason":{_quoted(reason)},"run":{_number(run_id)},"to":{_number(to_id)}}}')


def audit(action: str, subject: str = "", detail: dict | str | None = None, *, actor=None,
          station: str = "") -> None:
    """Append one entry to the audit chain, linked to the newest one (``detail``: a dict, or
    its JSON text already made).

    Every step runs this, so it is three hand-written, portable statements rather than ORM
    queries (building the SQL cost more than running it). On PostgreSQL the head row is
    locked so concurrent appends queue; SQLite's BEGIN IMMEDIATE already serialises them.
    """
    p = database.param
    lock = "" if is_sqlite() else " FOR UPDATE"
    head_seq, head_hash = database.execute_sql(
        f"SELECT seq, hash FROM chain_head WHERE id = 1{lock}").fetchone()
    at = stamp(clock.now())
    seq = head_seq + 1
    actor_id = actor.id if actor is not None else None
    actor_name = actor.name if actor is not None else ""
    detail = detail if isinstance(detail, str) else dumps(detail or {})
    digest = entry_digest(head_hash, seq, at, actor_id, actor_name, station, action, subject,
                          detail)
    database.execute_sql(
        "INSERT INTO audit_entry (seq, at, actor_id, actor_name, station, action, subject, "
        f"detail, prev_hash, hash) VALUES ({', '.join([p] * 10)})",
        (seq, at, actor_id, actor_name, station, action, subject, detail, head_hash, digest))
    database.execute_sql(f"UPDATE chain_head SET seq = {p}, hash = {p} WHERE id = 1",
                         (seq, digest))


def record(package: Package, quantity, kind: str, *, to_location: Location | None = None,
           reason: str = "", note: str = "", actor=None, station: str = "", run_id=None,
           step_event_id=None, corrects: Movement | None = None, status: str | None = None
           ) -> Movement:
    """Append a movement, its audit entry, and update the package's cached quantity, location
    and status."""
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
    audit("movement", f"movement:{movement.id}", movement_detail(
        movement.id, package.id, quantity, kind, movement.from_location_id,
        movement.to_location_id, actor.id if actor is not None else None, run_id,
        step_event_id, corrects.id if corrects is not None else None, reason),
        actor=actor, station=station)
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


def verify_chain(anchors_given=()) -> list[str]:
    """Every problem found in the audit chain, in words (empty when it is intact): each
    entry's signature and link, the anchors written outside the database (and any given),
    and every record the chain vouches for (movements, signatures and what they signed,
    login attempts, deliveries, transfer lines, finished runs: ``kiosk.chain_cover``)."""
    from kiosk import anchors, chain_cover

    if not _keyed_store():
        return _unkeyed_problems(list(anchors_given))
    try:
        inner_pad, outer_pad = audit_key.pads(audit_key.key(make=False))
    except audit_key.MissingKey as exc:
        return [exc.args[0]]  # a phrase, said in the screen's language
    cover = chain_cover.Cover()
    moved = cover.movements
    wanted = anchors.wanted(list(anchors_given))
    anchored: dict[int, str] = {}
    problems = []
    prev_hash, expected_seq, keyed = GENESIS, 1, None
    legacy: list[tuple] = []  # entries that may have been hashed before the chain had a key
    for row in _entries():
        seq, at, actor_id, actor_name, station, action, subject, detail, entry_prev, \
            entry_hash = row
        if type(seq) is not int:
            problems.append(_("An audit entry is numbered {seq}, which is not a number: the "
                              "chain was edited.", seq=repr(seq)))
            continue
        if seq != expected_seq:
            problems.append(_("Audit entry {missing} is missing (next is {seq}).",
                              missing=str(expected_seq), seq=str(seq))
                            if seq > expected_seq else
                            _("Audit entry {seq} is out of its place (after entry {before}).",
                              seq=str(seq), before=str(expected_seq - 1)))
        if entry_prev != prev_hash:
            problems.append(_("Audit entry {seq} does not point at the entry before it.",
                              seq=str(seq)))
        try:
            body = _body(entry_prev or "", seq, at or "", actor_id, actor_name or "",
                         station or "", action or "", subject or "", detail or "")
        except (TypeError, ValueError):  # a field of the wrong kind: no entry was written so
            body = b""
        inner, outer = inner_pad.copy(), outer_pad.copy()  # audit_key.sign, inlined
        inner.update(body)
        outer.update(inner.digest())
        if outer.hexdigest() != entry_hash:
            if keyed is None and action != KEYED:
                legacy.append(row)  # judged once the chain says where its key begins
            else:
                problems.append(_altered(seq, action, at, detail))
        elif action == KEYED and keyed is None:
            keyed = seq
            cover.keyed(detail)
        if keyed is None and not legacy:
            keyed = 0  # its first entry is signed: the chain had its key from the start
        if seq in wanted:
            anchored[seq] = entry_hash
        if action == "movement":  # half the chain: kept here without a call
            try:
                number = int(subject[9:])
            except (TypeError, ValueError):
                number = None
            if number in moved:
                cover.doubled.append(number)
            moved[number] = hash(detail)
        elif action != "step":  # a step's entry names its event, nothing the cover checks
            cover.take(seq, action, subject, detail)
        prev_hash, expected_seq = entry_hash, seq + 1
    for row in legacy:
        seq, action = row[0], row[5]
        if keyed is None or seq > keyed:
            problems.append(_altered(seq, action, row[1], row[7]) if keyed is not None else
                            _("Audit entry {seq} ({action}) is not signed with the store's key "
                              "(altered, or written without the key).", seq=str(seq),
                              action=str(action)))
        elif not _legacy_intact(row):
            problems.append(_altered(seq, action, row[1], row[7]))
    head = ChainHead.get_or_none(ChainHead.id == 1)
    newest = expected_seq - 1
    if head is not None and head.seq != newest:
        problems.append(_("The chain head says {head} entries but {newest} exist: entries "
                          "were removed from the end.", head=head.seq, newest=newest)
                        if head.seq > newest else
                        _("The chain head says {head} entries but {newest} exist: entries "
                          "were added after the head.", head=head.seq, newest=newest))
    elif head is not None and newest and head.hash != prev_hash:
        problems.append(_("The chain head does not name entry {seq}'s hash.", seq=str(newest)))
    return (_capped(problems) + anchors.problems(anchored, newest, list(anchors_given))
            + cover.problems())


SAID_OF_EACH = 50  # a chain hashed again from an early entry fails at every entry after it


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= SAID_OF_EACH:
        return problems
    return problems[:SAID_OF_EACH] + [_("… and {count} more problems in the chain like those.",
                                        count=len(problems) - SAID_OF_EACH)]


def _keyed_store() -> bool:
    """True once the store's chain has its key: migration 0050 applied, or any later one (a
    store whose record of 0050 went missing is checked as keyed, and fails as it should)."""
    return database.execute_sql("SELECT 1 FROM schema_migration WHERE version >= 50"
                                ).fetchone() is not None


def _unkeyed_problems(given) -> list[str]:
    """A store not yet upgraded to a keyed chain (migration 0050 not applied): its chain
    checked as the kiosk checked it then, entry by entry with SHA-256, and its anchors."""
    from kiosk import anchors

    problems, prev_hash, expected_seq = [], GENESIS, 1
    wanted, anchored = anchors.wanted(given), {}
    for row in _entries():
        seq, action = row[0], row[5]
        if type(seq) is not int:
            problems.append(_("An audit entry is numbered {seq}, which is not a number.",
                              seq=repr(seq)))
            continue
        if seq != expected_seq:
            problems.append(_("Audit entry {missing} is missing (next is {seq}).",
                              missing=str(expected_seq), seq=str(seq)))
        if row[8] != prev_hash:
            problems.append(_("Audit entry {seq} does not point at the entry before it.",
                              seq=str(seq)))
        if not _legacy_intact(row):
            problems.append(_altered(seq, action, row[1], row[7]))
        if seq in wanted:
            anchored[seq] = row[9]
        prev_hash, expected_seq = row[9], seq + 1
    head = ChainHead.get_or_none(ChainHead.id == 1)
    if head is not None and head.seq != expected_seq - 1:
        problems.append(_("The chain head says {head} entries but {newest} exist: entries "
                          "were removed from the end.", head=head.seq, newest=expected_seq - 1))
    return _capped(problems) + anchors.problems(anchored, expected_seq - 1, given)


def _altered(seq: int, action, at, detail) -> str:
    """The words for an entry whose signature fails, naming what cannot even be read."""
    try:
        loads(detail or "")
        json = True
    except (TypeError, ValueError):
        json = False
    try:
        dt.datetime.strptime(at or "", AT_FORMAT)
        time = True
    except (TypeError, ValueError):
        time = False
    seq, action = str(seq), str(action)
    if json and time:
        return _("Audit entry {seq} ({action}) was altered after it was written.", seq=seq,
                 action=action)
    if time:
        return _("Audit entry {seq} ({action}) was altered after it was written (its detail "
                 "is not JSON).", seq=seq, action=action)
    if json:
        return _("Audit entry {seq} ({action}) was altered after it was written (its time is "
                 "not a time).", seq=seq, action=action)
    return _("Audit entry {seq} ({action}) was altered after it was written (its detail is "
             "not JSON) (its time is not a time).", seq=seq, action=action)


def _legacy_intact(row) -> bool:
    """An entry from before the key, hashed again as it was then (False if unreadable)."""
    seq, at, actor_id, actor_name, station, action, subject, detail, prev, digest = row
    try:
        when = AuditEntry.at.python_value(at)
        return _entry_hash(prev, seq, when, actor_id, actor_name, station, action, subject,
                           loads(detail)) == digest
    except (AttributeError, TypeError, ValueError):
        return False


def key_the_chain() -> None:
    """End a chain hashed before it had a key: one signed entry, ``chain.keyed``, holding the
    newest plain hash and the newest record of each kind the chain now vouches for (those
    older were written before there was an entry to vouch for them). Nothing on an empty
    chain, or one already signed."""
    row = database.execute_sql(
        f"SELECT seq, {_at_sql()}, actor_id, actor_name, station, action, subject, detail, "
        "prev_hash, hash FROM audit_entry ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return
    if entry_digest(row[8], row[0], row[1] or "", *row[2:8]) == row[9]:
        return
    marks = {}
    for name in ("movement", "signature", "login_attempt", "transfer_package",
                 "outbox_message", "run"):
        marks[name] = database.execute_sql(f'SELECT MAX(id) FROM "{name}"').fetchone()[0] or 0
    audit(KEYED, "chain", {"before": row[9], "records_before": marks})


VERIFY_BATCH = 20000


def _entries():
    """Every audit entry in order, as stored, a batch at a time.

    A year of a busy store is two million entries: made into model objects, or their times
    and details parsed, they took most of `kiosk verify`'s time; read in one result
    PostgreSQL's driver would hold them all in memory at once.
    """
    p, after, at = database.param, 0, _at_sql()
    while True:
        rows = database.execute_sql(
            f"SELECT seq, {at}, actor_id, actor_name, station, action, subject, detail, "
            f"prev_hash, hash FROM audit_entry WHERE seq > {p} ORDER BY seq "
            f"LIMIT {VERIFY_BATCH}", (after,)).fetchall()
        yield from rows
        if len(rows) < VERIFY_BATCH or type(rows[-1][0]) is not int:
            return
        after = rows[-1][0]


def _at_sql() -> str:
    """An entry's time as the text it was signed as. SQLite keeps the text itself;
    PostgreSQL formats its timestamp so (any it can hold, even 'infinity', which the
    driver cannot turn into a Python time)."""
    return "at" if is_sqlite() else "to_char(at, 'YYYY-MM-DD HH24:MI:SS.US')"


def verify_quantities() -> list[str]:
    """Every package whose cached quantity differs from the sum of its movements."""
    sums = dict(Movement.select(Movement.package, fn.SUM(Movement.quantity))
                .group_by(Movement.package).tuples())
    problems = []
    for pkg_id, tag, qty in Package.select(Package.id, Package.tag, Package.quantity).tuples():
        try:
            total = Decimal(str(sums.get(pkg_id) or 0)).quantize(Q4)
            cached = Decimal(str(qty)).quantize(Q4)
        except (InvalidOperation, ValueError):
            problems.append(_("Package {tag} has a quantity that is not a number ({qty}), or "
                              "a movement of it has.", tag=tag, qty=repr(qty)))
            continue
        if cached != total:
            problems.append(_("Package {tag} shows {shows} but its movements add up to "
                              "{total}.", tag=tag, shows=Number(cached.normalize(),
                                                                f"{cached.normalize():f}"),
                              total=Number(total.normalize(), f"{total.normalize():f}")))
    return problems

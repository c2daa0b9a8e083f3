"""Tampering with the database directly: `kiosk verify` names every one of 22 kinds of edit.

A store lives a little (a delivery received and signed for through the kiosk's own screens,
its messages delivered by the syncer's own function, the chain's head anchored), then each
edit below is made straight in the database, as someone holding the database file or its
password would, inside a transaction that is rolled back afterwards. `kiosk verify`'s checks
(``cli._problems``: the chain and every package's quantity) must name each edit and must
not crash. The first eleven were always found; the other eleven were not (nine went
unnoticed, two crashed the check) before the chain had a key, anchors and its cover.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "receiving"))
from receiving_helpers import Receiver, manifest  # noqa: E402

from kiosk import anchors, cli, db, demo, ledger, manifests  # noqa: E402
from kiosk.db import database  # noqa: E402
from kiosk.models import (  # noqa: E402
    AuditEntry,
    Employee,
    Item,
    Location,
    LoginAttempt,
    Movement,
    OutboxMessage,
    Package,
    Run,
    Signature,
    StepEvent,
    TransferPackage,
)
from kiosk.sync import outbox  # noqa: E402


def sql(text: str, *params):
    """One statement as an editor of the database would type it (``?`` marks a value)."""
    return database.execute_sql(text.replace("?", database.param), params)


def newest() -> int:
    return sql("SELECT MAX(seq) FROM audit_entry").fetchone()[0]


def entry(action: str) -> AuditEntry:
    """The newest entry of ``action`` (one in the middle of the chain)."""
    return (AuditEntry.select().where(AuditEntry.action == action)
            .order_by(AuditEntry.seq.desc()).first())


def set_head(seq: int) -> None:
    digest = sql("SELECT hash FROM audit_entry WHERE seq = ?", seq).fetchone()[0]
    sql("UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1", seq, digest)


def rehash_from(seq: int) -> None:
    """Hash the chain again from entry ``seq`` with the project's own (keyless) function,
    as an editor with the source code can, and move the head to match."""
    prev = sql("SELECT hash FROM audit_entry WHERE seq = ?", seq - 1).fetchone()[0]
    for row in (AuditEntry.select().where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)):
        digest = ledger._entry_hash(prev, row.seq, row.at, row.actor_id, row.actor_name,
                                    row.station, row.action, row.subject, row.detail)
        sql("UPDATE audit_entry SET prev_hash = ?, hash = ? WHERE seq = ?", prev, digest,
            row.seq)
        prev = digest
    set_head(newest())


def a_movement() -> Movement:
    return Movement.select().where(Movement.kind == "receipt").order_by(Movement.id).first()


# -- the edits: (name, what verify must say, the edit) --------------------------------------

def alter_detail():
    e = entry("run.start")
    sql("UPDATE audit_entry SET detail = ? WHERE seq = ?", '{"workflow":"cycle_count"}', e.seq)
    return f"Audit entry {e.seq} (run.start) was altered"


def alter_actor():
    e = entry("login")
    sql("UPDATE audit_entry SET actor_name = ? WHERE seq = ?", "Gus Lindqvist", e.seq)
    return f"Audit entry {e.seq} (login) was altered"


def alter_time():
    e = entry("signature")
    sql("UPDATE audit_entry SET at = ? WHERE seq = ?", "2026-11-20 03:00:00.000000", e.seq)
    return f"Audit entry {e.seq} (signature) was altered"


def delete_middle():
    e = entry("run.start")
    sql("DELETE FROM audit_entry WHERE seq = ?", e.seq)
    return f"Audit entry {e.seq} is missing"


def insert_forged():
    head = newest()
    prev = sql("SELECT hash FROM audit_entry WHERE seq = ?", head).fetchone()[0]
    when = AuditEntry.get(AuditEntry.seq == head).at
    digest = ledger._entry_hash(prev, head + 1, when, None, "", "", "evidence.export",
                                "day:2026-11-23", {})
    sql("INSERT INTO audit_entry (seq, at, actor_id, actor_name, station, action, subject, "
        "detail, prev_hash, hash) VALUES (?, ?, NULL, '', '', 'evidence.export', "
        "'day:2026-11-23', '{}', ?, ?)", head + 1, ledger.stamp(when), prev, digest)
    set_head(head + 1)
    return f"Audit entry {head + 1} (evidence.export)"


def reorder():
    e = entry("run.complete")
    a, b = e.seq - 1, e.seq
    sql("UPDATE audit_entry SET seq = ? WHERE seq = ?", -1, a)
    sql("UPDATE audit_entry SET seq = ? WHERE seq = ?", a, b)
    sql("UPDATE audit_entry SET seq = ? WHERE seq = ?", b, -1)
    return f"Audit entry {a} does not point at the entry before it"


def cut_end_keep_head():
    head = newest()
    sql("DELETE FROM audit_entry WHERE seq > ?", head - 2)
    return "entries were removed from the end"


def package_quantity():
    sql("UPDATE package SET quantity = quantity - 5 WHERE tag = ?", TAGS[0])
    return f"Package {TAGS[0]} shows 43 but its movements add up to 48"


def movement_quantity():
    m = a_movement()
    sql("UPDATE movement SET quantity = ? WHERE id = ?", "40", m.id)
    return f"Movement {m.id} differs from what the audit chain recorded"


def movement_deleted():
    m = a_movement()
    sql("DELETE FROM movement WHERE id = ?", m.id)
    sql("UPDATE package SET quantity = 0 WHERE id = ?", m.package_id)
    return f"Movement {m.id} is in the audit chain but not in the records"


def movement_inserted():
    m = a_movement()
    sql("INSERT INTO movement (package_id, quantity, kind, from_location_id, to_location_id, "
        "reason, note, station, at) VALUES (?, ?, 'adjust', ?, ?, 'found', '', '', ?)",
        m.package_id, "-10", m.to_location_id, m.to_location_id, m.at)
    sql("UPDATE package SET quantity = quantity - 10 WHERE id = ?", m.package_id)
    added = sql("SELECT MAX(id) FROM movement").fetchone()[0]
    return f"Movement {added} is not in the audit chain"


def rehashed_chain():
    e = entry("receiving.verdict")
    text = sql("SELECT detail FROM audit_entry WHERE seq = ?", e.seq).fetchone()[0]
    sql("UPDATE audit_entry SET detail = ? WHERE seq = ?",
        text.replace('"accepted"', '"rejected"'), e.seq)
    rehash_from(e.seq)
    return f"Audit entry {e.seq} (receiving.verdict) was altered"


def cut_end_rewind_head():
    head = newest()
    sql("DELETE FROM audit_entry WHERE seq > ?", head - 3)
    set_head(head - 3)
    return f"names entry {head}: entries were cut from its end"


def movement_with_package():
    m = a_movement()
    sql("UPDATE movement SET quantity = ? WHERE id = ?", "45", m.id)
    sql("UPDATE package SET quantity = quantity - 3 WHERE id = ?", m.package_id)
    return f"Movement {m.id} differs from what the audit chain recorded"


def signature_repointed():
    s = Signature.select().order_by(Signature.id).first()
    other = Employee.get(Employee.badge == "1006")
    sql("UPDATE signature SET employee_id = ?, printed_name = ? WHERE id = ?", other.id,
        other.name, s.id)
    return f"Signature {s.id} names employee {other.id} but employee {s.employee_id} signed"


def signed_step_value():
    s = Signature.select().order_by(Signature.id).first()
    step = (StepEvent.select().where(StepEvent.run == s.run_id, StepEvent.step_id == "units",
                                     StepEvent.accepted == True)  # noqa: E712
            .order_by(StepEvent.id).first())
    sql("UPDATE step_event SET value = ? WHERE id = ?", '{"value":"40","number":"40"}', step.id)
    return f"Signature {s.id} no longer matches what it signed"


def signed_run_data():
    s = Signature.select().order_by(Signature.id).first()
    run = Run.get_by_id(s.run_id)
    data = dict(run.data, manifest="0000999999")
    sql("UPDATE run SET data = ? WHERE id = ?", Run.data.db_value(data), run.id)
    return f"Run {run.id} differs from what the audit chain recorded when it ended"


def transfer_line_quantity():
    line = TransferPackage.get(TransferPackage.tag == TAGS[1])
    sql("UPDATE transfer_package SET received_quantity = ? WHERE id = ?", "30", line.id)
    return f"Transfer line {line.id} ({TAGS[1]}) reads accepted 30.0000"


def login_attempts_deleted():
    wrong = LoginAttempt.select().where(LoginAttempt.ok == False)  # noqa: E712
    gone = [a.id for a in wrong]
    assert gone, "the store has wrong PINs to hide"
    sql("DELETE FROM login_attempt WHERE ok = ?", False)
    return f"Login attempt {gone[0]} (badge 1002)"


def outbox_marked_delivered():
    m = (OutboxMessage.select().where(OutboxMessage.status == "pending")
         .order_by(OutboxMessage.id).first())
    sql("UPDATE outbox_message SET status = 'delivered', delivered_at = ? WHERE id = ?",
        m.created_at, m.id)
    return f"Outbox message {m.id} ({m.kind}) reads delivered"


def bad_timestamp():
    e = entry("step")
    if db.is_sqlite():
        sql("UPDATE audit_entry SET at = ? WHERE seq = ?", "yesterday-ish", e.seq)
    else:  # a timestamp column holds only times: the one no Python time can hold
        sql("UPDATE audit_entry SET at = 'infinity' WHERE seq = ?", e.seq)
    return f"Audit entry {e.seq} (step) was altered"


def detail_not_json():
    e = entry("step")
    sql("UPDATE audit_entry SET detail = ? WHERE seq = ?", "{step: units", e.seq)
    return f"Audit entry {e.seq} (step) was altered after it was written (its detail is not JSON)"


EDITS = [
    # Found before the chain had a key:
    ("an entry's detail altered", alter_detail),
    ("an entry's actor altered", alter_actor),
    ("an entry's time altered", alter_time),
    ("an entry deleted from the middle", delete_middle),
    ("an entry inserted, hashed with the project's own function", insert_forged),
    ("two entries swapped (reordered)", reorder),
    ("the newest entries cut, the head left as it was", cut_end_keep_head),
    ("a package's quantity changed", package_quantity),
    ("a movement's quantity changed", movement_quantity),
    ("a movement deleted, its package set to match", movement_deleted),
    ("a movement inserted, its package set to match", movement_inserted),
    # Not found (or crashing the check) before:
    ("the chain re-hashed after an edit with the project's own function", rehashed_chain),
    ("the newest entries cut and the head rewound", cut_end_rewind_head),
    ("a movement and its package changed together", movement_with_package),
    ("a signature re-pointed to another person", signature_repointed),
    ("a signed step's value altered", signed_step_value),
    ("a signed run's data altered", signed_run_data),
    ("a transfer line's accepted quantity changed", transfer_line_quantity),
    ("login attempts deleted", login_attempts_deleted),
    ("an outbox message marked delivered", outbox_marked_delivered),
    ("an entry's time made unreadable", bad_timestamp),
    ("an entry's detail made non-JSON", detail_not_json),
]

TAGS = [f"1A4050900{serial:015d}" for serial in (1, 2)]


@pytest.fixture
def lived(database, make_employee, fixed_clock, kiosk):
    """A delivery received and signed for at the kiosk, a wrong PIN on the way, its
    messages partly delivered by the syncer's own function, the head anchored."""
    with db.write():
        for code, name, kind in demo.LOCATIONS:
            Location.create(code=code, name=name, kind=kind)
        Item.create(name="Blue Dream 3.5g Jar", brand="Golden Coast", category="Flower",
                    unit="Each")
        manifests.load_transfer(manifest(packages=2))
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    make_employee("Ben Okafor", "1002", "2345", "receiver,vault")
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    kiosk.login("1002", "0000")  # a wrong PIN: a login attempt refused
    kiosk.login("1001", "1234")
    r = Receiver(kiosk)
    r.open("0000300001")
    r.check(TAGS[0], 48)
    r.check(TAGS[1], 48)
    for tag in TAGS:
        r.ok("putaway", value=tag)
        r.ok("shelf", value="LOC-V-A1")
    r.ok("review", value="__finish__")
    r.ok("sign", badge="1001", pin="1234")
    r.ok("slip", value="print")
    r.ok("labels", value="print")
    r.ok("metrc", value="pass")
    assert r.at == "completed"
    sent = list(OutboxMessage.select().order_by(OutboxMessage.id))
    outbox.delivered(sent[:2])  # as the syncer does when Metrc answers
    assert len(sent) > 2 and Signature.select().count() == 1
    assert anchors.write() is not None
    assert cli._problems() == []
    return r


def test_verify_names_each_of_22_edits(lived):
    assert len(EDITS) == 22
    missed, crashed = {}, {}
    for name, edit in EDITS:
        with database.atomic() as transaction:
            expected = edit()
            try:
                found = cli._problems()
            except Exception as exc:  # noqa: BLE001 (a crash is what this test looks for)
                crashed[name] = repr(exc)
                found = []
            transaction.rollback()
        if name not in crashed and not any(expected in problem for problem in found):
            missed[name] = (expected, found)
    assert crashed == {}
    assert missed == {}
    assert cli._problems() == []  # every edit was undone: the store checks clean again


def test_an_anchor_from_a_slip_is_checked_too(lived):
    seq, digest = anchors.head()
    given = anchors.parse(f"{seq}:{digest}")
    assert ledger.verify_chain([given]) == []
    with database.atomic() as transaction:
        sql("UPDATE audit_entry SET detail = '{}' WHERE seq = ?", seq)
        rehash_from(seq)  # and with no key, signed by nobody
        found = ledger.verify_chain([anchors.parse(f"{seq}:{digest}")])
        transaction.rollback()
    assert f"Entry {seq} is not the one the anchor given names: the chain was rewritten " \
           "after it was anchored." in found


def test_without_its_key_nothing_passes_for_signed(lived, tmp_path):
    from kiosk import audit_key

    audit_key.use(tmp_path / "elsewhere" / "audit.key")
    try:
        found = ledger.verify_chain()
    finally:
        audit_key.use(tmp_path / "audit.key")
    assert len(found) == 1 and "cannot be read" in found[0]


def test_the_key_file_is_the_service_users_alone(lived, tmp_path):
    from kiosk import audit_key

    key = audit_key.path()
    assert key.parent == tmp_path and (key.stat().st_mode & 0o777) == 0o600
    assert audit_key.create(key) is False  # a key is never replaced
    log = anchors.path()
    assert log.parent == tmp_path and anchors.read()[-1].seq == anchors.head()[0]
    assert Package.get(Package.tag == TAGS[0]).quantity == Decimal(48)


def test_the_first_start_makes_the_key_and_verify_never_does(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store' / 'kiosk.db'}"
    key = tmp_path / "store" / "audit.key"
    assert cli.main(["--database", url, "db", "upgrade"]) == 0
    assert "Made the audit chain's key" in capsys.readouterr().err
    assert (key.stat().st_mode & 0o777) == 0o600
    assert cli.main(["--database", url, "verify"]) == 0
    assert cli.main(["--database", url, "verify", "--anchor", "12:not-a-hash"]) == 2
    assert "is not an anchor" in capsys.readouterr().err
    key.rename(tmp_path / "elsewhere.key")
    assert cli.main(["--database", url, "verify"]) == 1
    assert "The audit key" in capsys.readouterr().out and not key.exists()

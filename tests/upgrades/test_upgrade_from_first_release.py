"""A store that installed the first release upgrades to today's kiosk and loses nothing.

The database is made as the first release made it (migrations 0001-0004 only) and filled
as that release's code wrote its rows: plain INSERTs naming that schema's columns, an audit
chain hashed as it hashed then. ``kiosk db upgrade`` then brings it to whatever migrations
exist now; every row of every first-release table must read back as it was, ``kiosk verify``
must pass, and the store must carry on writing. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from kiosk import db, ledger
from kiosk.models import Employee, Location, Package

FIRST_RELEASE = 4  # 0001-0004 were released together, in the first commit of the kiosk
GENESIS = "0" * 64


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--database", url, *args],
                          capture_output=True, text=True, timeout=180)


def insert(table: str, **row) -> int:
    """One row as the first release's peewee inserted it; returns its new id."""
    p = db.database.param
    columns = ", ".join(f'"{c}"' for c in row)
    returning = "" if db.is_sqlite() or table == "chain_head" else " RETURNING id"
    cursor = db.database.execute_sql(
        f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join([p] * len(row))}){returning}',
        tuple(row.values()))
    return cursor.lastrowid if db.is_sqlite() else cursor.fetchone()[0] if returning else 0


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class FirstReleaseChain:
    """The audit chain as the first release wrote it: each entry a SHA-256 over its fields
    and the hash before it, the head row moved on to the newest."""

    def __init__(self):
        self.seq, self.hash = 0, GENESIS

    def append(self, at: str, actor: tuple[int, str] | None, station: str, action: str,
               subject: str, detail: dict) -> None:
        import datetime as dt

        self.seq += 1
        actor_id, actor_name = actor if actor else (None, "")
        moment = dt.datetime.fromisoformat(at).isoformat(timespec="microseconds")
        digest = hashlib.sha256(canonical(
            [self.hash, self.seq, moment, actor_id, actor_name, station, action, subject,
             detail]).encode()).hexdigest()
        insert("audit_entry", seq=self.seq, at=at, actor_id=actor_id, actor_name=actor_name,
               station=station, action=action, subject=subject, detail=canonical(detail),
               prev_hash=self.hash, hash=digest)
        self.hash = digest
        p = db.database.param
        db.database.execute_sql(f"UPDATE chain_head SET seq = {p}, hash = {p} WHERE id = 1",
                                (self.seq, self.hash))


def fill_as_the_first_release_did() -> None:
    """A small store's week: deliveries received, a vault entry, a cancelled move, labels,
    messages for Metrc and the POS, logins that worked and one that did not."""
    chain = FirstReleaseChain()
    people = {}
    for name, badge, roles in (("Ana Reyes", "1001", "receiver"),
                               ("Ben Okafor", "1002", "receiver,vault"),
                               ("Femi Adeyemi", "1006", "manager,vault")):
        people[badge] = (insert("employee", name=name, badge=badge,
                                pin_hash="scrypt$16384$8$1$c2FsdA==$aGFzaA==", roles=roles,
                                active=True, created_at="2026-03-01 15:00:00"), name)
    insert("employee", name="Gone Person", badge="1099", pin_hash="scrypt$x", roles="runner",
           active=False, created_at="2026-03-01 15:00:01.250000")
    ana, ben, femi = people["1001"], people["1002"], people["1006"]
    insert("station", name="receiving-1", kind="receiving")
    insert("station", name="vault-1", kind="vault")
    dock = insert("location", code="LOC-RCV", name="Receiving dock", kind="receiving",
                  active=True)
    shelf = insert("location", code="LOC-V-A1", name="Vault A1", kind="vault", active=True)
    insert("location", code="LOC-OLD", name="Old cage", kind="vault", active=False)
    gummies = insert("item", name="Mango Gummies 100mg", brand="Sunny", category="Edible",
                     gtin="00850012345678", unit="Each", metrc_item_id=4411)
    flower = insert("item", name="Blue Dream 1/8", brand="Hill", category="Flower", gtin=None,
                    unit="Grams", metrc_item_id=None)

    insert("login_attempt", badge="1001", employee_id=ana[0], ok=False, reason="wrong PIN",
           purpose="login", station="receiving-1", at="2026-03-02 16:59:40")
    insert("login_attempt", badge="1001", employee_id=ana[0], ok=True, reason="",
           purpose="login", station="receiving-1", at="2026-03-02 17:00:00")
    insert("login_attempt", badge="9999", employee_id=None, ok=False, reason="unknown badge",
           purpose="login", station="vault-1", at="2026-03-02 17:01:00")
    insert("login_session", token="a" * 43, employee_id=ana[0], station="receiving-1",
           created_at="2026-03-02 17:00:00", last_seen="2026-03-02 17:20:00",
           ended_at="2026-03-02 17:21:30", end_reason="idle")
    insert("login_session", token="b" * 43, employee_id=ben[0], station="vault-1",
           created_at="2026-03-02 18:00:00", last_seen="2026-03-02 18:05:00", ended_at=None,
           end_reason=None)
    chain.append("2026-03-02 17:00:00", ana, "receiving-1", "login", "1001", {"ok": True})

    transfer = insert(
        "transfer", manifest_number="0000123456", metrc_transfer_id=88001,
        metrc_delivery_id=88002, shipper_name="Hill Farms", shipper_license="C11-0000001-LIC",
        receiver_license="C10-0000123-LIC", driver_name="Dee Driver", driver_license="D123",
        vehicle="Ford Transit 7ABC123", est_departure="2026-03-02 14:00:00",
        est_arrival="2026-03-02 16:30:00", actual_departure=None, actual_arrival=None,
        case_count=2, status="received", source="state", created_at="2026-03-02 13:00:00",
        received_at="2026-03-02 17:15:00", run_id=None,
        raw=canonical({"Id": 88001, "ManifestNumber": "0000123456"}))
    insert("transfer_package", transfer_id=transfer, tag="1A4060300000000000000001",
           item_id=gummies, item_name="Mango Gummies 100mg", batch="B-77",
           shipped_quantity="20", shipped_unit="Each", received_quantity="20",
           state="accepted", reason="", label_thc_pct=None, label_cbd_pct=None,
           metrc_package_id=5001)
    insert("transfer_package", transfer_id=transfer, tag="1A4060300000000000000002",
           item_id=flower, item_name="Blue Dream 1/8", batch="BD-3", shipped_quantity="28.35",
           shipped_unit="Grams", received_quantity="28.35", state="accepted", reason="",
           label_thc_pct="24.50", label_cbd_pct="0.10", metrc_package_id=5002)
    order = insert("purchase_order", number="PO-1001", vendor_name="Hill Farms",
                   vendor_license="C11-0000001-LIC", transfer_id=transfer, status="received",
                   created_at="2026-02-27 20:00:00")
    insert("purchase_order_line", purchase_order_id=order, item_id=gummies,
           ordered_quantity="20", unit="Each", unit_cost="4.25")
    insert("lab_result", tag="1A4060300000000000000002", batch="BD-3",
           test_type="THC Potency", passed=True, thc_pct="24.10", cbd_pct="0.12",
           coa_ref="COA-BD-3.pdf", tested_at="2026-02-20 12:00:00", source="state")

    # Receiving: the manifest, a count typed as 2 and corrected to 20, the verdict.
    receiving = insert(
        "run", workflow="receiving", version=1, status="completed", current_step="done",
        rev=4, operator_id=ana[0], station="receiving-1", started_at="2026-03-02 17:02:00",
        updated_at="2026-03-02 17:15:00", finished_at="2026-03-02 17:15:00",
        data=canonical({"manifest": "0000123456", "counted": {"1A4060300000000000000001": "20"}}),
        cancel_reason=None, cancelled_by_id=None)
    events = {}
    for key, step, value, accepted, message, supersedes, at in (
            ("manifest", "manifest", {"value": "0000123456"}, True, "", None,
             "2026-03-02 17:02:30"),
            ("typo", "count", {"value": "2"}, True, "", None, "2026-03-02 17:05:00"),
            ("count", "count", {"value": "20"}, True, "Corrected from 2", "typo",
             "2026-03-02 17:05:40.500000"),
            ("verdict", "verdict", {"value": "accept"}, True, "", None,
             "2026-03-02 17:15:00")):
        events[key] = insert(
            "step_event", run_id=receiving, rev=len(events) + 1, step_id=step, kind="scan",
            value=canonical(value), accepted=accepted, message=message, actor_id=ana[0],
            station="receiving-1", supersedes_id=events.get(supersedes), at=at)
        chain.append(at, ana, "receiving-1", "step", f"run {receiving}",
                     {"event": events[key], "step": step})
    gummies_pkg = insert(
        "package", tag="1A4060300000000000000001", item_id=gummies, batch="B-77",
        quantity="18", unit="Each", location_id=shelf, status="active",
        received_at="2026-03-02 17:15:00", expires_on="2026-09-30", thc_pct=None,
        cbd_pct=None, created_at="2026-03-02 17:15:00")
    received_a = insert(
        "movement", package_id=gummies_pkg, quantity="20", kind="receipt",
        from_location_id=None, to_location_id=dock, reason="", note="", actor_id=ana[0],
        station="receiving-1", run_id=receiving, step_event_id=events["verdict"],
        corrects_id=None, at="2026-03-02 17:15:00")
    flower_pkg = insert(
        "package", tag="1A4060300000000000000002", item_id=flower, batch="BD-3",
        quantity="27.85", unit="Grams", location_id=dock, status="quarantined",
        received_at="2026-03-02 17:15:00", expires_on=None, thc_pct="24.50", cbd_pct="0.10",
        created_at="2026-03-02 17:15:00")
    moves = (
        (gummies_pkg, "0", "move", dock, shelf, "", "to the vault", None),
        (gummies_pkg, "-2", "pick", shelf, shelf, "online order", "", None),
        (flower_pkg, "28.35", "receipt", None, dock, "", "", None),
        (flower_pkg, "-0.35", "adjust", dock, dock, "Drying", "", None),
        (flower_pkg, "0.35", "correction", dock, dock, "wrong package", "", "adjust"),
        (flower_pkg, "-0.5", "adjust", dock, dock, "Drying", "weighed twice", None))
    made = {}
    for package, quantity, kind, origin, target, reason, note, corrects in moves:
        made[kind] = insert(
            "movement", package_id=package, quantity=quantity, kind=kind,
            from_location_id=origin, to_location_id=target, reason=reason, note=note,
            actor_id=ben[0], station="vault-1", run_id=None, step_event_id=None,
            corrects_id=made.get(corrects), at="2026-03-03 10:00:00")
        chain.append("2026-03-03 10:00:00", ben, "vault-1", f"stock.{kind}", str(package),
                     {"quantity": quantity, "reason": reason})

    # A two-person vault entry with both signatures, and a move someone cancelled.
    vault = insert(
        "run", workflow="vault_entry", version=1, status="completed", current_step="done",
        rev=2, operator_id=ben[0], station="vault-1", started_at="2026-03-03 09:00:00",
        updated_at="2026-03-03 09:01:00", finished_at="2026-03-03 09:01:00",
        data=canonical({"purpose": "restock"}), cancel_reason=None, cancelled_by_id=None)
    insert("step_event", run_id=vault, rev=1, step_id="purpose", kind="choice",
           value=canonical({"value": "restock"}), accepted=True, message="", actor_id=ben[0],
           station="vault-1", supersedes_id=None, at="2026-03-03 09:00:20")
    enter = insert("step_event", run_id=vault, rev=2, step_id="enter", kind="sign_off",
                   value=None, accepted=True, message="", actor_id=ben[0], station="vault-1",
                   supersedes_id=None, at="2026-03-03 09:01:00")
    for person, meaning in ((ben, "performed"), (femi, "witnessed")):
        insert("signature", run_id=vault, step_event_id=enter, step_id="enter",
               employee_id=person[0], printed_name=person[1], role="vault", meaning=meaning,
               record_hash="f" * 64, auth_method="badge+pin", station="vault-1",
               at="2026-03-03 09:01:00")
    insert("vault_visit", run_id=vault, purpose="restock", station="vault-1",
           first_person_id=ben[0], second_person_id=femi[0], entered_at="2026-03-03 09:01:00",
           exited_at="2026-03-03 09:40:00")
    chain.append("2026-03-03 09:01:00", ben, "vault-1", "vault.enter", f"run {vault}",
                 {"witness": femi[1]})
    cancelled = insert(
        "run", workflow="move_package", version=1, status="cancelled", current_step="package",
        rev=0, operator_id=ben[0], station="vault-1", started_at="2026-03-03 11:00:00",
        updated_at="2026-03-03 11:02:00", finished_at="2026-03-03 11:02:00",
        data=canonical({}), cancel_reason="Started by mistake", cancelled_by_id=femi[0])
    chain.append("2026-03-03 11:02:00", femi, "vault-1", "run.cancel", f"run {cancelled}",
                 {"reason": "Started by mistake"})

    label = insert("print_job", device="label", layout="package", data=canonical(
        {"tag": "1A4060300000000000000001"}), copies=1, status="printed", attempts=1,
        last_error="", next_attempt_at=None, created_at="2026-03-02 17:15:00",
        printed_at="2026-03-02 17:15:02", run_id=receiving, step_event_id=events["verdict"],
        requested_by_id=ana[0], station="receiving-1", training=False, reprint_of_id=None)
    insert("print_job", device="label", layout="package", data=canonical(
        {"tag": "1A4060300000000000000001"}), copies=2, status="failed", attempts=3,
        last_error="The label printer did not answer.", next_attempt_at="2026-03-02 17:20:00",
        created_at="2026-03-02 17:16:00", printed_at=None, run_id=None, step_event_id=None,
        requested_by_id=femi[0], station="receiving-1", training=False, reprint_of_id=label)
    for target, status, delivered in (("metrc", "delivered", "2026-03-02 17:16:00"),
                                      ("pos", "pending", None)):
        insert("outbox_message", target=target, kind="stock.received", payload=canonical(
            {"tag": "1A4060300000000000000001", "quantity": "20"}),
            external_key=f"{target}:receipt:{received_a}",
            ordering_key="1A4060300000000000000001", status=status, attempts=1,
            next_attempt_at="2026-03-02 17:15:00", last_error="", created_at="2026-03-02 17:15:00",
            delivered_at=delivered, claimed_by=None, claimed_at=None, run_id=receiving,
            step_event_id=events["verdict"], resolved_by_id=None, resolved_note="")


def everything(tables: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of ``tables`` (table -> its first-release columns), in id order."""
    return {table: db.database.execute_sql(
        f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}" '
        f'ORDER BY {"version" if table == "schema_migration" else "id"}').fetchall()
        for table, columns in tables.items()}


def test_a_first_release_store_upgrades_and_loses_nothing(new_database):
    url = new_database()
    db.init(url)
    assert db.upgrade(until=FIRST_RELEASE) == [
        "0001_foundation", "0002_receiving", "0003_print_jobs", "0004_outbox"]
    with db.connection():
        with db.database.atomic():
            fill_as_the_first_release_did()
        tables = {t: [c.name for c in db.database.get_columns(t)]
                  for t in db.database.get_tables() if t != "schema_migration"}
        before = everything(tables)
    db.database.close_all() if hasattr(db.database, "close_all") else None
    # Every table of the first release has rows, so every one is put through the upgrade.
    assert len(tables) == 21 and all(before.values()), [t for t, r in before.items() if not r]
    assert kiosk(url, "verify").returncode == 0

    upgraded = kiosk(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.startswith("Applied: ")
    assert "0001_foundation" not in upgraded.stdout
    db.init(url)
    assert db.pending() == []  # every migration there is, whatever it is by now
    with db.connection():
        after = everything(tables)
    # The one thing added: the entry that ends the chain's unkeyed entries, signed with the
    # store's new key, and the head that names it.
    entries = after.pop("audit_entry")
    added = entries[len(before["audit_entry"]):]
    assert [row[tables["audit_entry"].index("action")] for row in added] == ["chain.keyed"]
    assert entries[:len(before["audit_entry"])] == before["audit_entry"]
    assert after.pop("chain_head")[0][1] == before["chain_head"][0][1] + 1
    assert after == {t: rows for t, rows in before.items()
                     if t not in ("audit_entry", "chain_head")}
    checked = kiosk(url, "verify")
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout

    # The store carries on: a new movement and audit entry after the first release's.
    with db.connection():
        with db.write():
            mover = Employee.get(Employee.badge == "1006")
            package = Package.get(Package.tag == "1A4060300000000000000002")
            ledger.move(package, Location.get(Location.code == "LOC-V-A1"), actor=mover,
                        station="vault-1")
            ledger.audit("package.moved", package.tag, {"to": "LOC-V-A1"}, actor=mover,
                         station="vault-1")
        assert package.movements.count() == 5
    db.database.close_all() if hasattr(db.database, "close_all") else None
    checked = kiosk(url, "verify")
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout

"""Pulling manifests for receiving, and reading a received transfer back from Metrc."""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, db
from kiosk.models import AuditEntry, Employee, LabResult, Transfer, TransferPackage
from kiosk.models.sync import Discrepancy
from kiosk.sync import outbox, pulls, readback
from kiosk.sync.sandbox_data import demo_data, tag
from kiosk.sync.worker import Worker


def test_pull_creates_local_manifests_that_match_the_demo_data(sync_settings, sandbox,
                                                               fixed_clock):
    assert pulls.pull_now(sync_settings) == "2 new deliveries from Metrc."
    expected = demo_data(sync_settings["license"], clock.now())
    for shipped in expected["transfers"]:
        t = Transfer.get(Transfer.manifest_number == shipped["manifest_number"])
        assert (t.shipper_name, t.driver_name, t.status, t.source) == (
            shipped["shipper_name"], shipped["driver_name"], "incoming", "state")
        assert t.vehicle == (f"{shipped['vehicle_make']} {shipped['vehicle_model']} "
                             f"{shipped['vehicle_plate']}")
        assert t.est_arrival == shipped["est_arrival"]
        assert t.metrc_delivery_id == shipped["delivery_id"]
        rows = {p.tag: p for p in TransferPackage.select().where(TransferPackage.transfer == t)}
        assert set(rows) == {p["tag"] for p in shipped["packages"]}
        for pkg in shipped["packages"]:
            row = rows[pkg["tag"]]
            assert (row.batch, row.shipped_quantity, row.shipped_unit, row.item.name) == (
                pkg["batch"], Decimal(str(pkg["quantity"])), pkg["unit"], pkg["item_name"])
            assert row.state == "shipped" and row.received_quantity is None
    failed = LabResult.get(LabResult.tag == tag(202), LabResult.test_type == "Microbials")
    assert failed.passed is False
    thc = LabResult.get(LabResult.tag == tag(101), LabResult.test_type == "THC")
    assert thc.thc_pct == Decimal("24.50") and thc.passed
    assert LabResult.select().where(LabResult.tag.in_([tag(101), tag(102), tag(103), tag(201),
                                                        tag(202)])).count() == 25

    fixed_clock.advance(minutes=5)
    assert pulls.pull_now(sync_settings) == "No new deliveries from Metrc."
    assert Transfer.select().count() == 2 and LabResult.select().count() == 25
    windows = [p for p in sandbox.requests if p[1] == "/transfers/v2/incoming"]
    assert len(windows) == 8, "7 one-day windows for the first week, then one"


def test_pull_says_what_it_shows_when_metrc_is_down(sync_settings, sandbox, fixed_clock):
    pulls.pull_now(sync_settings)
    sandbox.stop()
    fixed_clock.advance(minutes=30)
    assert pulls.pull_now(sync_settings) == "Metrc did not answer; showing what we had at 09:00."
    assert Transfer.select().count() == 2


def _receive_locally(manifest, verdicts):
    with db.write():
        transfer = Transfer.get(Transfer.manifest_number == manifest)
        for p in TransferPackage.select().where(TransferPackage.transfer == transfer):
            state, qty = verdicts.get(p.tag, ("accepted", p.shipped_quantity))
            TransferPackage.update(state=state, received_quantity=qty).where(
                TransferPackage.id == p.id).execute()
        Transfer.update(status="received").where(Transfer.id == transfer.id).execute()
    return transfer


def test_read_back_waits_for_metrc_then_flags_each_difference(sync_settings, sandbox, message,
                                                              reload, fixed_clock):
    pulls.pull_now(sync_settings)
    transfer = _receive_locally("0000104501", {tag(102): ("accepted", Decimal("98")),
                                               tag(103): ("rejected", None)})
    msg = message("transfer.received", {"manifest_number": "0000104501",
                                        "transfer_id": transfer.metrc_transfer_id,
                                        "packages": []}, ordering_key="0000104501")
    worker = Worker(sync_settings)
    worker.drain()
    row = reload(msg)
    assert row.status == "pending"
    assert row.last_error == ("Waiting for manifest 0000104501 to be received in Metrc "
                              "(3 of 3 packages still shown as shipped there).")
    # A person receives it in Metrc, but types 100 for the pre-rolls and accepts the bulk.
    sandbox.world.receive("0000104501", [{"tag": tag(102), "state": "accepted",
                                          "received_quantity": 100}])
    fixed_clock.advance(minutes=20)
    worker.drain()
    assert reload(msg).status == "delivered"
    found = {(d.tag, d.field, d.ours, d.theirs) for d in Discrepancy.select()}
    assert found == {(tag(102), "received quantity", "98", "100"),
                     (tag(103), "state", "rejected", "accepted")}
    assert outbox.summary()["pending"] == 0

    manager = None
    with db.write():
        manager = Employee.create(name="Gus Lindqvist", badge="9007", pin_hash="x",
                                  roles="manager", created_at=clock.now())
    first = Discrepancy.get(Discrepancy.tag == tag(102))
    assert readback.describe(first) == (f"Package {tag(102)}: we recorded received quantity 98, "
                                        "Metrc shows 100.")
    readback.resolve(first.id, manager, "Adjusted in Metrc after recount")
    assert Discrepancy.get_by_id(first.id).resolved_by_id == manager.id
    audit = AuditEntry.get(AuditEntry.action == "sync.discrepancy.resolve")
    assert audit.actor_name == "Gus Lindqvist" and audit.detail["tag"] == tag(102)


def test_read_back_of_a_matching_transfer_flags_nothing(sync_settings, sandbox, message, reload,
                                                        fixed_clock):
    pulls.pull_now(sync_settings)
    transfer = _receive_locally("0000104502", {})
    sandbox.world.receive("0000104502")
    msg = message("transfer.received", {"manifest_number": "0000104502",
                                        "transfer_id": transfer.metrc_transfer_id},
                  ordering_key="0000104502")
    Worker(sync_settings).drain()
    assert reload(msg).status == "delivered"
    assert Discrepancy.select().count() == 0


def test_a_manifest_being_received_is_not_overwritten_by_a_pull(sync_settings, sandbox,
                                                                fixed_clock):
    pulls.pull_now(sync_settings)
    _receive_locally("0000104501", {tag(101): ("accepted", Decimal("47"))})
    sandbox.world.receive("0000104501")
    fixed_clock.advance(minutes=10)
    pulls.pull_now(sync_settings)
    row = TransferPackage.get(TransferPackage.tag == tag(101))
    assert row.received_quantity == Decimal("47") and row.state == "accepted"

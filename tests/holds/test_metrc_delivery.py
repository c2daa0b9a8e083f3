"""What quarantine, destruction and a return to vendor tell Metrc and the POS, delivered by
the syncer to the Metrc training sandbox (each request judged against Metrc's own
collection) and to a POS webhook: every message delivered once, even when Metrc's answer to
the first write is lost (that PUT is sent again, which leaves Metrc the same), the
adjustment's POST sent once, and Metrc ends where the store is."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hold_helpers import TAGS, VENDOR
from test_destroy import destroy
from test_quarantine import quarantine

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.models.sync import Discrepancy
from kiosk.sync import contract, stock_pulls
from kiosk.sync.metrc import MetrcClient
from kiosk.sync.sandbox import Sandbox, adopt_store_stock
from kiosk.sync.sandbox_data import OUR_LICENSE
from kiosk.sync.worker import Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "counts"))
from test_investigation import SECRET, PosReceiver  # noqa: E402


@pytest.fixture
def outside(cage_store, settings):
    sandbox = Sandbox(OUR_LICENSE, now=clock.now())
    sandbox.start()
    receiver = PosReceiver()
    adopt_store_stock(sandbox.world)
    sync = {**settings, "license": OUR_LICENSE, "state_system": "metrc",
            "metrc_url": sandbox.url, "metrc_vendor_key": "v", "metrc_user_key": "u",
            "metrc_timeout": 2, "pos": f"webhook+{receiver.url}", "pos_secret": SECRET}
    stock_pulls.pull(MetrcClient.from_settings(sync))  # the adjustment reasons too
    yield sandbox, receiver, sync
    sandbox.stop()
    receiver.server.shutdown()
    receiver.server.server_close()


def test_hold_destroy_and_return_reach_metrc_and_the_pos_once(driver, outside, fixed_clock):
    sandbox, receiver, sync = outside
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    quarantine(driver, TAGS[5], "recalled")
    driver.as_("carla")
    assert destroy(driver, TAGS[1], weight="41.6", method="hauler")["tone"] == "ok"
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    driver.scan(TAGS[5])
    driver.answer("__finish__")
    driver.answer("Vendor recall 2611-R", source="typed")
    driver.sign("carla")
    assert driver.sign("femi")["tone"] == "ok"
    driver.answer("print")
    # Carla enters the return in Metrc's own screen from the slip and types its number.
    number = sandbox.world.enter_outgoing(VENDOR[1], [{"tag": TAGS[5], "quantity": "453.6"}])
    assert driver.answer(number, source="typed")["tone"] == "ok"

    sandbox.faults.drop_writes = 1  # the first write lands, its answer is lost
    Worker(sync).drain()
    fixed_clock.advance(minutes=10)
    Worker(sync).drain()
    fixed_clock.advance(minutes=10)
    Worker(sync).drain()
    assert {m.status for m in OutboxMessage.select()} == {"delivered"}, [
        (m.kind, m.status, m.last_error) for m in OutboxMessage.select()]
    assert sandbox.refusals == []
    applied = [(path.rsplit("/v2/", 1)[1], obj) for path, obj, _ in sandbox.world.applied]
    for path, obj in applied:
        assert contract.check("POST" if path == "adjust" else "PUT", f"/packages/v2/{path}",
                              {"licenseNumber": OUR_LICENSE}, [obj], True) == [], (path, obj)
    # The write whose answer was lost is a PUT, sent again (moving a package or setting its
    # note twice leaves Metrc the same); the adjustment, a POST, went once.
    by_kind = {}
    for path, obj in applied:
        if obj not in by_kind.setdefault(path, []):
            by_kind[path].append(obj)
    assert sum(path == "adjust" for path, _ in applied) == 1
    assert [o["Label"] for o in by_kind["location"]] == [TAGS[1], TAGS[5]]
    assert {o["Location"] for o in by_kind["location"]} == {"Quarantine cage"}
    assert by_kind["adjust"] == [{"Label": TAGS[1], "Quantity": -24.0, "UnitOfMeasure": "Each",
                                  "AdjustmentReason": "Waste (Unusable Product)",
                                  "AdjustmentDate": "2026-11-23",
                                  "ReasonNote": "Seal broken; jar contaminated"}]
    assert by_kind["finish"] == [{"Label": TAGS[1], "ActualDate": "2026-11-23"}]
    notes = [(o["PackageLabel"], o["Note"]) for o in by_kind["note"]]
    assert len(notes) == 3  # two holds and the return, each once
    assert any(tag == TAGS[5] and note.startswith(f"Returned to {VENDOR[0]}")
               for tag, note in notes)
    finished = sandbox.world.packages[TAGS[1]]
    assert finished["Quantity"] == 0 and finished["IsFinished"]
    # The return was read back from Metrc's outgoing transfers: it matches.
    assert not Discrepancy.select().exists()
    assert OutboxMessage.get(OutboxMessage.kind == "transfer.returned").status == "delivered"
    events = [(e["event"], e["data"]["tag"]) for e in receiver.events]
    assert sorted(events) == sorted([("stock.hold", TAGS[1]), ("stock.hold", TAGS[5]),
                                     ("stock.adjusted", TAGS[1]), ("stock.adjusted", TAGS[5])])


def test_a_return_entered_in_metrc_with_another_quantity_is_flagged(driver, outside):
    sandbox, _, sync = outside
    driver.as_("dev")
    quarantine(driver, TAGS[5], "recalled")
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    driver.scan(TAGS[5])
    driver.answer("__finish__")
    driver.answer("Vendor recall 2611-R", source="typed")
    driver.sign("carla")
    driver.sign("femi")
    driver.answer("print")
    # Entered in Metrc with the slip misread: 450 in place of 453.6.
    number = sandbox.world.enter_outgoing(VENDOR[1], [{"tag": TAGS[5], "quantity": "450"}])
    driver.answer(number, source="typed")
    Worker(sync).drain()
    flagged = Discrepancy.get()
    assert (flagged.manifest_number, flagged.tag, flagged.field, flagged.ours,
            flagged.theirs) == (number, TAGS[5], "quantity", "453.6", "450.0")
    assert sandbox.refusals == []

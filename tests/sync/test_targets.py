"""Messages wait only for their own target. With no POS (the demo's default), a demo delivery
received at the kiosk and the moves after it reach Metrc in full; the POS's messages are kept
apart as "not sent", never as a backlog or as late; and the demo's delivery is read back from
the training sandbox, which knows it as Metrc would."""

from __future__ import annotations

import datetime as dt
import json

from bs4 import BeautifulSoup

from kiosk import clock, demo
from kiosk.models import OutboxMessage, Package, Run, Transfer, TransferPackage
from kiosk.models.sync import Discrepancy
from kiosk.sync import outbox, pulls, waiting
from kiosk.sync.sandbox import adopt_store_stock
from kiosk.sync.sandbox_data import OUR_LICENSE
from kiosk.sync.worker import Worker

MANIFEST = "0000205102"  # the demo's Cloud Nine delivery: 26 packages, 2 without a COA


class Steps:
    """Works a run through the kiosk's own HTTP views, as the touchscreen does."""

    def __init__(self, kiosk, workflow: str):
        self.kiosk = kiosk
        kiosk.post("/runs", {"workflow": workflow})
        self.run_id = Run.select().order_by(Run.id.desc()).get().id

    @property
    def at(self) -> str:
        run = Run.get_by_id(self.run_id)
        return run.current_step if run.status == "active" else run.status

    def ok(self, step_id: str, tone: str = "ok", **form) -> str:
        """Answers a step; the kiosk must take it in the given tone (a rejection is amber)."""
        response = self.kiosk.step(self.run_id, step_id, **form)
        answer = json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]
        assert answer["tone"] == tone, (step_id, form, answer)
        return answer["message"]

    def choices(self) -> list[str]:
        page = self.kiosk.get(f"/runs/{self.run_id}", headers={"HX-Request": "true"})
        return [i["value"] for i in BeautifulSoup(page.data, "html.parser")
                .select(".choices input[name=value]")]


def _receive(kiosk, transfer: Transfer) -> dict[str, str]:
    """Ana receives the delivery: every package counted as shipped, accepted unless its COA
    forbids it; Ben witnesses; the acceptance is entered in Metrc. Returns tag -> verdict."""
    kiosk.login("1001", "1234")
    r = Steps(kiosk, "receiving")
    r.ok("delivery", value=f"MAN-{transfer.manifest_number}")
    r.ok("transport", value="pass")
    r.ok("order")
    r.ok("cases", value=str(transfer.case_count))
    verdicts = {}
    lines = list(TransferPackage.select().where(TransferPackage.transfer == transfer)
                 .order_by(TransferPackage.id))
    for line in lines:
        r.ok("package", value=line.tag)
        r.ok("condition", value="intact")
        r.ok("units", value=f"{line.shipped_quantity.normalize():f}")
        options = r.choices()
        choice = "accept" if "accept" in options else next(
            o for o in options if o.startswith("reject:"))
        r.ok("decide", value=choice, tone="ok" if choice == "accept" else "warn")
        verdicts[line.tag] = "accepted" if choice == "accept" else "rejected"
    if r.at == "quarantine":
        r.ok("quarantine", value="LOC-Q")
    while r.at == "putaway":
        tag = next(t for t, v in verdicts.items() if v == "accepted"
                   and Package.get(Package.tag == t).location.code != "LOC-V-A1")
        r.ok("putaway", value=tag)
        r.ok("shelf", value="LOC-V-A1")
    r.ok("review", value="__finish__")
    r.ok("sign", badge="1001", pin="1234")
    if r.at == "witness":
        r.ok("witness", badge="1002", pin="2345")
    r.ok("slip", value="print")
    if r.at == "labels":
        r.ok("labels", value="print")
    assert r.at == "metrc"
    return verdicts, r


def test_with_no_pos_a_demo_delivery_and_the_moves_after_it_all_reach_metrc(
        kiosk, sync_settings, sandbox, reload, fixed_clock):
    demo.build(packages=40, license=OUR_LICENSE)
    adopt_store_stock(sandbox.world)
    ours = Transfer.get(Transfer.manifest_number == MANIFEST)
    label_thc = {p.tag: p.label_thc_pct for p in ours.packages}
    # The demo's syncer pulls at once: the sandbox serves the demo's own deliveries as well
    # as its two, and the pull leaves what we hold of ours as it was.
    pulls.pull_now(sync_settings)
    assert Transfer.select().count() == 4
    ours = Transfer.get(Transfer.manifest_number == MANIFEST)
    assert (ours.metrc_transfer_id, ours.metrc_delivery_id) == (205102, 9205102)
    assert {p.tag: p.label_thc_pct for p in ours.packages} == label_thc

    verdicts, run = _receive(kiosk, ours)
    assert sorted(verdicts.values()).count("rejected") == 2  # the two without a COA
    # A person enters the acceptance in Metrc's own screen (the sandbox's), then says so.
    sandbox.world.receive(MANIFEST, [{"tag": t, "state": v} for t, v in verdicts.items()])
    run.ok("metrc", value="pass")
    moved = [t for t, v in verdicts.items() if v == "accepted"][:3]
    mover = Steps(kiosk, "move_package")
    for tag in moved:
        mover.ok("package", value=tag)
        mover.ok("destination", value="LOC-FLOOR")

    # The POS is off: its messages exist (the steps said what it would be told), but hold
    # nothing back. The old rule, order per package across targets, left every Metrc
    # location and note after the first waiting for ever behind them.
    pos_messages = OutboxMessage.select().where(OutboxMessage.target == "pos")
    assert pos_messages.count() == 24 + 3
    Worker(sync_settings).drain()
    metrc = list(OutboxMessage.select().where(OutboxMessage.target == "metrc"))
    assert len(metrc) == 1 + 24 + 3
    assert {m.status for m in metrc} == {"delivered"}
    assert {m.status for m in pos_messages} == {"pending"}
    assert {m.attempts for m in pos_messages} == {0}

    readback = next(m for m in metrc if m.kind == "transfer.received")
    assert reload(readback).last_error == ""
    assert Discrepancy.select().count() == 0, f"Manifest {MANIFEST} matches Metrc"
    places = {t: sandbox.world.packages[t]["LocationName"] for t, v in verdicts.items()
              if v == "accepted"}
    assert {places[t] for t in moved} == {"Sales floor"}
    assert set(places.values()) == {"Sales floor", "Vault shelf A1"}
    assert sandbox.refusals == []

    # Not a backlog and never late: the sync screen and the deadline leave the POS out.
    summary = outbox.summary(24, off=tuple(waiting.switched_off(sync_settings)))
    assert summary["pending"] == 0 and summary["warning"] is None
    assert summary["targets"]["pos"]["off"] and summary["targets"]["pos"]["waiting"] == 27
    assert waiting.Reasons(sync_settings, [pos_messages[0]]).why(pos_messages[0]) == \
        "not sent: no POS configured (KIOSK_POS is none)"
    kiosk.login("1006", "6789")
    page = kiosk.get("/manager/sync").get_data(as_text=True)
    assert 'id="sync-pending">0<' in page
    assert "Not sent: no POS configured (KIOSK_POS is none); 27 kept, not counted" in page
    later = clock.now() + dt.timedelta(hours=25)
    assert outbox.summary(24, later, off=("pos",))["warning"] is None


def test_a_manifest_held_without_metrcs_ids_is_found_by_its_number_and_read_back(
        sync_settings, sandbox, message, reload, fixed_clock):
    from kiosk import db, manifests
    from kiosk.sync.sandbox_data import demo_data

    # Typed in from the paper manifest before any pull: we hold it without Metrc's ids.
    shipped = demo_data(OUR_LICENSE, clock.now())["transfers"][0]
    with db.write():
        ours = manifests.load_transfer({
            "manifest_number": shipped["manifest_number"], "source": "paper",
            "packages": [{"tag": p["tag"], "item": p["item_name"], "quantity": p["quantity"],
                          "unit": p["unit"]} for p in shipped["packages"]]})
        TransferPackage.update(state="accepted", received_quantity=TransferPackage
                               .shipped_quantity).where(
            TransferPackage.transfer == ours).execute()
    sandbox.world.receive(shipped["manifest_number"])
    found = message("transfer.received", {"manifest_number": shipped["manifest_number"],
                                          "transfer_id": None},
                    ordering_key=shipped["manifest_number"])
    unknown = message("transfer.received", {"manifest_number": "0000999999",
                                            "transfer_id": None}, ordering_key="0000999999")
    Worker(sync_settings).drain()
    assert reload(found).status == "delivered"
    ours = Transfer.get_by_id(ours.id)
    assert (ours.metrc_transfer_id, ours.metrc_delivery_id) == (
        shipped["transfer_id"], shipped["delivery_id"])
    assert reload(unknown).status == "pending"
    assert reload(unknown).last_error == ("Manifest 0000999999 is not among Metrc's incoming "
                                          "transfers to us yet; looking again later.")
    assert waiting.describe(reload(unknown)) == "Read-back of the received manifest 0000999999"
    assert sandbox.refusals == []

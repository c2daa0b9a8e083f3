"""Undoing at the dock: a scan that came too fast is not taken for the package in hand, every
choice before a package's verdict can be changed on the spot, and cancelling a delivery
undoes it (or, when the POS already has it, says what remains to do)."""

from __future__ import annotations

from decimal import Decimal

from bs4 import BeautifulSoup
from receiving_helpers import feedback, manifest

from kiosk import demo, ledger
from kiosk.models import (
    AuditEntry,
    Movement,
    OutboxMessage,
    Package,
    PrintJob,
    Run,
    StepEvent,
    Transfer,
    TransferPackage,
)

TAG = "1A4050900{:015d}"


def line(tag):
    return TransferPackage.get(TransferPackage.tag == tag)


def accepted_events(run_id, step_id):
    return list(StepEvent.select().where(StepEvent.run == run_id, StepEvent.step_id == step_id,
                                         StepEvent.accepted == True)  # noqa: E712
                .order_by(StepEvent.id))


def test_a_scan_at_a_step_that_takes_none_is_not_recorded_and_says_so(receive, load):
    load(manifest(packages=2))
    r = receive()
    r.ok("delivery", value="MAN-0000300001")
    assert r.refused("transport", value=TAG.format(1), source="scanner") == (
        "That scan (…000001) was not recorded: this step takes no scan; press Yes or No.")
    r.ok("transport", value="pass")
    r.ok("order")
    # An item barcode is digits: at a count it must not become 850012000015 cases.
    upc = demo.demo_upc(1)
    assert r.refused("cases", value=upc, source="scanner") == (
        f"That scan (…{upc[-6:]}) was not recorded: this step takes no scan; enter the count "
        "on the keypad.")
    r.ok("cases", value="1")
    r.ok("package", value=TAG.format(1), source="scanner")
    # The next box's tag, scanned 50 ms behind the first, reaches the condition screen.
    assert r.refused("condition", value=TAG.format(2), source="scanner") == (
        "That scan (…000002) was not recorded: finish package …000001 first — choose its "
        "condition.")
    assert r.at == "condition"
    assert r.page().select_one("table.facts td").text == TAG.format(1)
    r.ok("condition", value="intact")
    assert r.refused("units", value=upc, source="scanner") == (
        f"That scan (…{upc[-6:]}) was not recorded: finish package …000001 first — count its "
        "units.")
    r.ok("units", value="48")
    assert r.refused("decide", value=TAG.format(2), source="scanner").endswith(
        "finish package …000001 first — accept or reject it.")
    r.ok("decide", value="accept")
    assert (line(TAG.format(1)).state, line(TAG.format(2)).state) == ("accepted", "shipped")
    # Then the second box is scanned again and taken as usual.
    r.ok("package", value=TAG.format(2), source="scanner")
    assert r.page().select_one("table.facts td").text == TAG.format(2)
    refused = StepEvent.select().where(StepEvent.accepted == False)  # noqa: E712
    assert all("was not recorded" in e.message and e.value["source"] == "scanner"
               for e in refused) and refused.count() == 5
    assert Package.get(Package.tag == TAG.format(1)).quantity == 48


def test_a_miskeyed_count_is_changed_before_the_decision(receive, load):
    load(manifest(packages=2))
    r = receive()
    r.open("0000300001")
    r.ok("package", value=TAG.format(1))
    r.ok("condition", value="intact")
    r.ok("units", value="8")  # 48 meant
    assert r.buttons()[0] == "Accept short: 8 of 48 Each"
    assert r.page().select_one("form.back button").get_text(strip=True) == "← Change count"
    r.ok("decide", value="__back__")
    assert r.at == "units"
    assert "Counted" not in r.page().select_one("table.facts").text
    r.ok("units", value="48")
    assert r.buttons() == ["Accept 48 Each", "Reject for another reason…"]
    assert r.ok("decide", value="accept") == "Received 48 Each."
    assert (line(TAG.format(1)).state, line(TAG.format(1)).reason) == ("accepted", "")
    package = Package.get(Package.tag == TAG.format(1))
    assert [(m.kind, m.quantity) for m in package.movements] == [("receipt", 48)]
    # The record keeps the mistake and its correction: Back supersedes the count of 8.
    eight, forty_eight = accepted_events(r.run_id, "units")
    assert (eight.value["number"], forty_eight.value["number"]) == ("8", "48")
    back = StepEvent.get(StepEvent.step_id == "decide", StepEvent.supersedes == eight.id)
    assert back.value["value"] == "__back__" and back.actor.name == "Ana Reyes"
    assert AuditEntry.get(AuditEntry.action == "step.back").detail["to"] == "units"


def test_every_choice_before_the_decision_can_be_changed(receive, load):
    load(manifest(packages=2))
    r = receive()
    r.open("0000300001")
    r.ok("package", value=TAG.format(1))
    r.ok("condition", value="damaged")  # a mis-tap: the box is fine
    r.ok("units", value="__back__")
    assert r.at == "condition" and "Condition" not in r.page().select_one("table.facts").text
    r.ok("condition", value="intact")
    r.ok("units", value="48")
    r.ok("decide", value="reject")
    assert r.at == "reason"
    r.ok("reason", value="__back__")  # the reasons list has a way back
    assert r.at == "decide" and r.buttons()[0] == "Accept 48 Each"
    # Wrong box altogether: back to the scan, and nothing of it is decided.
    r.ok("decide", value="__back__")
    r.ok("units", value="__back__")
    r.ok("condition", value="__back__")
    assert r.at == "package"
    assert r.page().select_one("[data-progress]").text == "0 of 2 checked, 0 rejected"
    assert line(TAG.format(1)).state == "shipped" and not Package.select().exists()
    r.check(TAG.format(2), 48)
    r.check(TAG.format(1), 48)
    assert r.at == "putaway"
    # A decided package is reopened from the review; Back there returns to the review.
    for n, shelf in ((1, "LOC-V-A1"), (2, "LOC-V-A2")):
        r.ok("putaway", value=TAG.format(n))
        r.ok("shelf", value=shelf)
    r.ok("review", value=TAG.format(1))
    assert r.at == "condition"
    r.ok("condition", value="__back__")
    assert r.at == "review" and "changing this package" not in r.page().text
    assert (line(TAG.format(1)).state, Package.get(Package.tag == TAG.format(1)).quantity) == \
        ("accepted", 48)
    assert ledger.verify_quantities() == [] and ledger.verify_chain() == []


def cancel(kiosk, r, reason="Opened the wrong delivery"):
    response = kiosk.post(f"/runs/{r.run_id}/cancel", {"reason": reason})
    assert response.status_code == 200
    return feedback(response), BeautifulSoup(response.data, "html.parser")


def test_cancelling_a_delivery_undoes_its_stock_and_frees_the_manifest(receive, load, kiosk):
    (transfer,) = load(manifest(packages=4))
    r = receive()
    r.open("0000300001")
    r.check(TAG.format(1), 48)
    r.check(TAG.format(2), 48, decision="reject:damaged", condition="damaged")
    r.check(TAG.format(3), 48)
    r.ok("package", value=TAG.format(4))  # mid-package when it is cancelled
    r.ok("condition", value="intact")
    r.ok("units", value="__back__")  # and the Back's event stays in the record too
    r.ok("condition", value="intact")
    r.ok("units", value="48")
    r.ok("decide", value="accept")
    r.ok("quarantine", value="LOC-Q")
    r.ok("putaway", value=TAG.format(1))
    r.ok("shelf", value="LOC-V-A1")
    decided = {e.id for e in accepted_events(r.run_id, "decide")}
    answer, page = cancel(kiosk, r)
    assert answer == {"tone": "warn", "message": (
        "Manifest 0000300001 is back among the expected deliveries. The stock of its 4 checked "
        "packages is reversed (the record keeps both); they stay where they are (2 on the "
        "receiving dock, 1 on vault shelves, 1 in the quarantine cage) until the delivery is "
        "received again.")}
    assert page.select_one("[data-cancel-note]").get_text(" ", strip=True).endswith(
        "until the delivery is received again.")
    assert "Receive a delivery is cancelled." in page.select_one("h1").text
    assert r.at == "cancelled"
    transfer = Transfer.get_by_id(transfer.id)
    assert (transfer.status, transfer.run_id, transfer.received_at) == ("incoming", None, None)
    assert {(tp.state, tp.received_quantity, tp.reason) for tp in transfer.packages} == \
        {("shipped", None, "")}
    cancelled = StepEvent.get(StepEvent.run == r.run_id, StepEvent.kind == "cancel")
    for n in (1, 2, 3, 4):
        package = Package.get(Package.tag == TAG.format(n))
        assert (package.quantity, package.status) == (0, "not_received")
        fix = package.movements.where(Movement.kind == "correction").get()
        assert fix.corrects.kind == ("reject" if n == 2 else "receipt")
        assert (fix.quantity, fix.step_event_id) == (-fix.corrects.quantity, cancelled.id)
    assert Package.get(Package.tag == TAG.format(1)).location.code == "LOC-V-A1"
    # Nothing of the history is gone: the verdicts are still there, and the audit says why.
    assert {e.id for e in accepted_events(r.run_id, "decide")} == decided
    assert AuditEntry.get(AuditEntry.action == "receiving.cancel_undone").detail["reversed"] == \
        [TAG.format(n) for n in (1, 2, 3, 4)]
    assert ledger.verify_quantities() == [] and ledger.verify_chain() == []
    # Another receiver receives it again from the start; the tags are not "already in stock".
    again = receive("1002", "2345")
    assert any("0000300001" in b and "due" in b for b in again.buttons())
    again.open("0000300001")
    assert again.page().select_one("[data-progress]").text == "0 of 4 checked, 0 rejected"
    again.check(TAG.format(1), 46, decision="short")
    package = Package.get(Package.tag == TAG.format(1))
    assert (package.quantity, package.status) == (46, "active")
    assert [(m.kind, m.quantity) for m in package.movements.order_by(Movement.id)
            if m.quantity] == [("receipt", 48), ("correction", -48), ("receipt", 46)]
    assert ledger.verify_quantities() == []


def sign_for(r, packages):
    r.open("0000300001")
    for n in range(1, packages + 1):
        r.check(TAG.format(n), 48)
    for n in range(1, packages + 1):
        r.ok("putaway", value=TAG.format(n))
        r.ok("shelf", value="LOC-V-A1")
    r.ok("review", value="__finish__")
    r.ok("sign", badge="1001", pin="1234")
    assert r.at == "slip"


def test_a_signed_delivery_the_pos_has_not_heard_of_is_undone(receive, load, kiosk, store):
    load(manifest(packages=1))
    r = receive()
    sign_for(r, 1)
    answer, _ = cancel(kiosk, r, "Signed the wrong manifest")
    assert answer["message"].startswith("Manifest 0000300001 is back among the expected ")
    assert answer["message"].endswith(" 1 message not yet sent to the POS was withdrawn.")
    message = OutboxMessage.get(OutboxMessage.kind == "stock.received")
    assert (message.status, message.resolved_by_id) == ("resolved", store["ana"].id)
    assert "cancelled before this was sent" in message.resolved_note
    assert Transfer.get().status == "incoming"
    assert Package.get().quantity == 0


def test_once_the_pos_has_it_a_cancel_undoes_nothing_and_says_what_remains(receive, load, kiosk):
    load(manifest(packages=2))
    r = receive()
    sign_for(r, 2)
    first, second = OutboxMessage.select().where(OutboxMessage.kind == "stock.received") \
        .order_by(OutboxMessage.id)
    OutboxMessage.update(status="delivered").where(OutboxMessage.id == first.id).execute()
    # The syncer was sending the second when the line dropped: the POS may have it.
    OutboxMessage.update(status="sending", claimed_by="worker-1").where(
        OutboxMessage.id == second.id).execute()
    answer, page = cancel(kiosk, r, "Wrong receiver signed")
    assert answer == {"tone": "warn", "message": (
        "Nothing was undone: the POS already has manifest 0000300001 as received (…000001, "
        "…000002) (1 of these sendings was cut off: the POS may or may not have it). The "
        "manifest stays received and its stock stays (2 on vault shelves). Enter the "
        "acceptance in Metrc from the receiving slip, which is printing now: this run will not "
        "ask again.")}
    assert Run.get_by_id(r.run_id).status == "cancelled"
    assert Transfer.get().status == "received"
    assert [p.quantity for p in Package.select()] == [Decimal(48)] * 2
    assert not Movement.select().where(Movement.kind == "correction").exists()
    assert [m.status for m in OutboxMessage.select().order_by(OutboxMessage.id)] == \
        ["delivered", "sending"]
    slip = PrintJob.get(PrintJob.layout == "receiving_slip", PrintJob.run_id == r.run_id)
    assert [p["tag"] for p in slip.data["packages"]] == [TAG.format(1), TAG.format(2)]
    assert AuditEntry.get(AuditEntry.action == "receiving.cancel_kept").detail == {
        "delivered": [first.id], "unsure": [second.id]}

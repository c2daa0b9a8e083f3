"""A whole delivery received in a real browser with a simulated scanner (SOP §2): choose the
delivery, check transport and order, count cases, check every package (one short, one
damaged, one wrong scan), quarantine, put away, sign with a witness, print, enter in Metrc.
Then the mistakes a quick receiver makes: a second scan too fast, a count keyed wrong."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from test_touch_ux import check_screen

from kiosk import clock, db, ledger, manifests
from kiosk.models import Movement, OutboxMessage, Package, PrintJob, Run, StepEvent, Transfer

LIVE_SERVER_ENV = {"KIOSK_STATION": "receiving-1"}
TAG = "1A4050800{:015d}"


def delivery() -> dict:
    number = "0000300101"
    return {
        "manifest_number": number, "shipper_name": "Golden Coast Distribution",
        "shipper_license": "C11-0000222-LIC", "receiver_license": "C10-0000001-LIC",
        "driver_name": "Dana Reyes", "driver_license": "D7712345",
        "vehicle": "Ford Transit 8ABC123", "case_count": 1, "est_arrival": clock.now(),
        "packages": [{"tag": TAG.format(n), "item": "Blue Dream 3.5g Jar", "batch": "GC-BD-1",
                      "quantity": 48, "unit": "Each", "thc_pct": 22.1, "cbd_pct": 0.1}
                     for n in (1, 2, 3, 4)],
        "lab_results": [{"batch": "GC-BD-1", "test_type": "THC", "passed": True,
                         "thc_pct": 22.0, "coa_ref": "COA-GC-BD-1"},
                        {"batch": "GC-BD-1", "test_type": "Microbials", "passed": True}],
        "purchase_order": {"number": "PO-9101", "vendor_name": "Golden Coast Distribution",
                           "vendor_license": "C11-0000222-LIC",
                           "lines": [{"item": "Blue Dream 3.5g Jar", "quantity": 192}]}}


def sign(page, keypad, badge, pin):
    form = page.locator("#step form.signform")
    form.get_by_role("button", name="Type badge").tap()
    keypad(page, badge)
    form.get_by_role("button", name="Type PIN").tap()
    keypad(page, pin)
    form.get_by_role("button", name="Sign").tap()


def count(page, keypad, digits):
    keypad(page, digits)
    page.locator("#step").get_by_role("button", name="OK").tap()


def test_receive_a_delivery_at_the_touchscreen(page, shoot, login, keypad, scan, records):
    with records():
        with db.write():
            manifests.load_transfer(delivery())
    step = page.locator("#step")
    prompt = step.locator("h1.prompt")
    login(page, "1001", "1234")
    page.get_by_role("button", name=re.compile("Receive a delivery")).tap()
    expect(prompt).to_contain_text("Which delivery?")
    expect(step.get_by_role("button", name=re.compile("0000300101 · Golden Coast"))).to_be_visible()
    problems = check_screen(page, shoot, "expected-deliveries")
    scan(page, "MAN-0000300101")
    expect(prompt).to_have_text("Check the transport details against the driver's paper and ID.")
    expect(step.locator("table.facts")).to_contain_text("Ford Transit 8ABC123")
    shoot(page, "transport")
    step.get_by_role("button", name="Yes, it is right").tap()
    expect(step.locator("table.grid")).to_contain_text("matches")
    shoot(page, "purchase-order")
    step.get_by_role("button", name="Done, next").tap()
    expect(prompt).to_have_text("Count the sealed cases.")
    count(page, keypad, "1")
    expect(step.locator("[data-progress]")).to_have_text("0 of 4 checked, 0 rejected")

    # A tag that is on no manifest: refused, in words, and the screen stays where it was.
    scan(page, "1A4099999000000000000042")
    expect(step.locator("[role=alert]")).to_contain_text(
        "Package 1A4099999000000000000042 is not on manifest 0000300101")
    shoot(page, "wrong-tag")

    plan = {1: ("48", "Accept 48 Each"), 2: ("46", "Accept short: 46 of 48 Each"),
            3: ("48", "Reject: Damaged"), 4: ("48", "Accept 48 Each")}
    for n, (counted, decision) in plan.items():
        scan(page, TAG.format(n))
        expect(prompt).to_have_text("Look at the package. What condition is it in?")
        step.get_by_role("button", name="Damaged" if n == 3 else "Intact, seal unbroken").tap()
        expect(prompt).to_contain_text("Count the units")
        count(page, keypad, counted)
        expect(prompt).to_have_text("Accept or reject this package?")
        if n == 2:
            problems += check_screen(page, shoot, "short-count-choices")
        step.get_by_role("button", name=decision).tap()
        if n < 4:  # the next tag is scanned once the screen asks for it, as a receiver would
            expect(step.locator("[data-progress]")).to_have_text(
                f"{n} of 4 checked, {int(n >= 3)} rejected")
        if n == 1:
            scan(page, TAG.format(1))  # the same package again
            expect(step.locator("[role=alert]")).to_contain_text("was already checked")
    expect(prompt).to_contain_text("quarantine cage")
    expect(step.locator("ul.items")).to_contain_text(TAG.format(2))
    shoot(page, "quarantine")
    scan(page, "LOC-Q")
    for n, shelf in ((1, "LOC-V-A1"), (4, "LOC-V-B1")):
        expect(prompt).to_have_text("Put away: scan an accepted package.")
        scan(page, TAG.format(n))
        expect(prompt).to_have_text("Scan the vault shelf you put it on.")
        scan(page, shelf)
    expect(prompt).to_contain_text("Check the sheet")
    expect(step.locator("table.grid")).to_contain_text("Short: 46 of 48 received")
    problems += check_screen(page, shoot, "acceptance-sheet")
    step.get_by_role("button", name="All correct: sign").tap()
    sign(page, keypad, "1001", "1234")
    expect(step.locator("h2.signer")).to_contain_text("witness")
    sign(page, keypad, "1002", "2345")
    expect(prompt).to_contain_text("Print the receiving slip")
    step.get_by_role("button", name="Print").tap()
    expect(prompt).to_contain_text("Print a label for each accepted package")
    step.get_by_role("button", name="Print").tap()
    expect(prompt).to_contain_text("Enter this acceptance in Metrc")
    expect(step.locator("table.grid")).to_contain_text("REJECTED · Damaged · Quarantine cage")
    problems += check_screen(page, shoot, "enter-in-metrc")
    # Every receiving screen keeps the kiosk's touch rules (targets, text size, contrast).
    assert not problems, "\n".join(problems)
    step.get_by_role("button", name="Yes, it is right").tap()
    expect(step.locator(".feedback.ok")).to_contain_text("Ana Reyes entered manifest 0000300101")
    shoot(page, "done")

    with records():
        run = Run.select().where(Run.workflow == "receiving").get()
        assert run.status == "completed"
        assert Transfer.get(Transfer.manifest_number == "0000300101").status == "received"
        where = {n: (p.quantity, p.status, p.location.code) for n in (1, 2, 3, 4)
                 for p in [Package.get(Package.tag == TAG.format(n))]}
        assert where == {1: (48, "active", "LOC-V-A1"), 2: (46, "quarantined", "LOC-Q"),
                         3: (0, "rejected", "LOC-Q"), 4: (48, "active", "LOC-V-B1")}
        layouts = sorted(j.layout for j in PrintJob.select().where(PrintJob.run_id == run.id))
        assert layouts == ["package_label"] * 3 + ["quarantine_label"] * 2 + ["receiving_slip"]
        kinds = {(m.target, m.kind) for m in OutboxMessage.select().where(
            OutboxMessage.run_id == run.id)}
        assert kinds == {("pos", "stock.received"), ("pos", "stock.hold"),
                         ("metrc", "transfer.received"), ("metrc", "package.location"),
                         ("metrc", "package.note")}
        assert Movement.select().where(Movement.run_id == run.id,
                                       Movement.kind == "receipt").count() == 3
        assert ledger.verify_quantities() == [] and ledger.verify_chain() == []


def test_a_fast_second_scan_and_a_miskeyed_count(page, shoot, login, keypad, scan, records):
    """The receiver scans the next box 50 ms behind the first: the screen says that scan was
    not recorded and which package is being checked. Then 8 is keyed for 48 and changed."""
    first, second = (f"1A4050801{n:015d}" for n in (1, 2))
    data = delivery()
    data.update(manifest_number="0000300102", purchase_order=None,
                packages=[{**data["packages"][0], "tag": tag} for tag in (first, second)])
    with records():
        with db.write():
            manifests.load_transfer(data)
    step = page.locator("#step")
    prompt = step.locator("h1.prompt")
    login(page, "1001", "1234")
    page.get_by_role("button", name=re.compile("Receive a delivery")).tap()
    expect(prompt).to_contain_text("Which delivery?")
    scan(page, "MAN-0000300102")
    step.get_by_role("button", name="Yes, it is right").tap()
    step.get_by_role("button", name="Done, next").tap()
    count(page, keypad, "1")
    expect(step.locator("[data-progress]")).to_have_text("0 of 2 checked, 0 rejected")

    scan(page, first)
    page.wait_for_timeout(50)
    scan(page, second)
    expect(step.locator("[role=alert]")).to_contain_text(
        "That scan (…000002) was not recorded: finish package …000001 first — choose its "
        "condition.")
    expect(prompt).to_have_text("Look at the package. What condition is it in?")
    expect(step.locator("table.facts tr").first).to_contain_text(first)
    expect(page.locator("#last-scan")).to_have_text(f"{second} (not recorded)")
    shoot(page, "second-scan-not-recorded")

    step.get_by_role("button", name="Intact, seal unbroken").tap()
    count(page, keypad, "8")
    expect(step.get_by_role("button", name="Accept short: 8 of 48 Each")).to_be_visible()
    problems = check_screen(page, shoot, "miskeyed-count")
    step.get_by_role("button", name="← Change count").tap()
    expect(prompt).to_contain_text("Count the units")
    expect(step.locator("table.facts")).not_to_contain_text("Counted")
    count(page, keypad, "48")
    step.get_by_role("button", name="Accept 48 Each").tap()
    expect(step.locator("[data-progress]")).to_have_text("1 of 2 checked, 0 rejected")
    assert not problems, "\n".join(problems)

    with records():
        run = Run.select().where(Run.workflow == "receiving").order_by(Run.id.desc()).get()
        assert Package.get(Package.tag == first).quantity == 48
        assert not Package.select().where(Package.tag == second).exists()
        refused = StepEvent.get(StepEvent.run == run.id, StepEvent.accepted == False)  # noqa: E712
        assert (refused.step_id, refused.value["value"], refused.value["source"]) == \
            ("condition", second, "scanner")
        (eight,) = [e for e in StepEvent.select().where(StepEvent.run == run.id,
                                                        StepEvent.step_id == "units")
                    if e.value.get("number") == "8"]
        back = StepEvent.get(StepEvent.run == run.id, StepEvent.supersedes == eight.id)
        assert (back.step_id, back.value["value"]) == ("decide", "__back__")


def test_a_cancelled_delivery_says_what_was_undone(page, shoot, login, keypad, scan, records,
                                                   start_run):
    tag = "1A4050802000000000000001"
    data = delivery()
    data.update(manifest_number="0000300103", purchase_order=None,
                packages=[{**data["packages"][0], "tag": tag}])
    with records():
        with db.write():
            manifests.load_transfer(data)
    step = page.locator("#step")
    login(page, "1001", "1234")
    start_run(page, "Receive a delivery")
    scan(page, "MAN-0000300103")
    step.get_by_role("button", name="Yes, it is right").tap()
    step.get_by_role("button", name="Done, next").tap()
    count(page, keypad, "1")
    scan(page, tag)
    step.get_by_role("button", name="Intact, seal unbroken").tap()
    count(page, keypad, "48")
    step.get_by_role("button", name="Accept 48 Each").tap()
    expect(step.locator("h1.prompt")).to_have_text("Put away: scan an accepted package.")
    step.locator("details.cancel summary").tap()
    step.get_by_role("button", name="Started by mistake").tap()
    step.get_by_role("button", name="Cancel run").tap()
    note = step.locator("[data-cancel-note]")
    expect(note).to_contain_text("Manifest 0000300103 is back among the expected deliveries.")
    expect(note).to_contain_text("(1 on the receiving dock)")
    problems = check_screen(page, shoot, "cancelled-delivery")
    assert not problems, "\n".join(problems)
    step.get_by_role("link", name="Home").tap()
    page.get_by_role("button", name=re.compile("Receive a delivery")).tap()
    expect(step.get_by_role("button", name=re.compile("0000300103"))).to_contain_text("due")
    with records():
        assert Transfer.get(Transfer.manifest_number == "0000300103").status == "incoming"
        assert Package.get(Package.tag == tag).quantity == 0
        assert ledger.verify_quantities() == []

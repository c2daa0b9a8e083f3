"""Opening and closing reconciliation in real Chromium, by touch, against the training Metrc
and the training Dutchie (real HTTP servers in this process, serving the demo store's
sales). The opening manager pulls yesterday's sales from the manager's day screen, starts
the opening reconciliation from its tile, and settles each seeded difference: the unreported
sale and the void by sending Metrc its receipts, the quantity by a reason and a typed note,
the receipt keyed by hand by escalating it. The corrections reach Metrc once each, judged by
its own collection. At night the closing manager is refused the signature while a message
waits unexplained, and closes once it is explained; the day's screens say the report is
being made, until the syncer has kept it as a PDF, and then give its SHA-256."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time

from liveserver import free_port
from playwright.sync_api import expect
from test_touch_ux import check_screen
from test_vault_entry import sign

from kiosk import clock, db
from kiosk.models import (
    DayCheck,
    DayDifference,
    KeptReport,
    OutboxMessage,
    Variance,
    WaitingNote,
)
from kiosk.sync import outbox, sandbox_receipts, sandbox_store
from kiosk.sync.dutchie_sandbox import DutchieSandbox
from kiosk.sync.sandbox import Sandbox, adopt_store_stock

METRC_PORT, DUTCHIE_PORT = free_port(), free_port()
LIVE_SERVER_ENV = {"KIOSK_METRC_URL": f"http://127.0.0.1:{METRC_PORT}",
                   "KIOSK_POS": f"dutchie+http://127.0.0.1:{DUTCHIE_PORT}",
                   "KIOSK_RECON_COUNT_PACKAGES": "2"}
FIX = re.compile("Fix Metrc receipt|Take …|Void Metrc")
CHOSEN = {"Sold in the POS, not reported to Metrc": "Send Metrc",
          "Voided in the POS, still in Metrc": FIX, "Returned in the POS, not in Metrc": FIX,
          "Quantities differ": "Explain it",
          "Reported to Metrc, not sold in the POS": "Escalate to an investigation"}


def sandboxes(records):
    """Both training servers, on the ports the kiosk was given, serving its store."""
    with records():
        store = sandbox_store.store_from_database()
        metrc = Sandbox()
        adopt_store_stock(metrc.world)
    sandbox_receipts.adopt_sales(metrc.world, store["packages"])
    metrc.start(METRC_PORT)
    dutchie = DutchieSandbox(store)
    dutchie.start(DUTCHIE_PORT)
    return metrc, dutchie


def tap_keys(page, text):
    for ch in text:
        page.locator(f'#keyboard [data-kb="{ch.upper()}"]').tap()


def answer(step, name):
    """Tap a button of the step and wait for the next screen (the revision moves on)."""
    before = step.get_attribute("data-rev")
    step.get_by_role("button", name=name).first.tap()
    expect(step).not_to_have_attribute("data-rev", before)


def write_note(page, words):
    page.locator("#step input.text[name=value]").tap()
    expect(page.locator("#keyboard")).to_be_visible()
    tap_keys(page, words)
    page.locator('#keyboard [data-kb="enter"]').tap()


def test_opening_reconciliation_by_touch(page, shoot, login, keypad, start_run, records,
                                         live_server):
    metrc, dutchie = sandboxes(records)
    try:
        login(page, "1006", "6789")
        page.get_by_role("link", name="Manager screens").tap()
        page.get_by_role("link", name=re.compile("Day's reconciliation")).tap()
        expect(page.locator("#recon h1")).to_contain_text("Sales of")
        page.get_by_role("button", name="Pull this day's sales again now").tap()
        expect(page.locator("#recon .feedback.ok")).to_contain_text("receipts read")
        expect(page.locator("#recon-now")).to_contain_text("where the POS and Metrc differ")
        shoot(page, "day-pulled")

        page.locator("a.btn.home").tap()
        run_id = start_run(page, "Opening reconciliation")
        step = page.locator("#step")
        expect(step.locator("h1")).to_have_text("Yesterday's sales: the POS against Metrc.")
        problems = check_screen(page, shoot, "figures")
        step.get_by_role("button", name="Compare them now").tap()
        expect(step.locator(".feedback.ok")).to_contain_text("differences to settle")

        seen = []
        while step.get_attribute("data-step") == "difference":
            what = step.locator("table.facts tr", has_text="What").locator("td").inner_text()
            seen.append(what)
            if len(seen) == 1:
                problems += check_screen(page, shoot, "difference")
            answer(step, CHOSEN[what])
            if CHOSEN[what] == "Explain it":
                expect(step.locator("h1")).to_have_text("Why do the figures differ?")
                answer(step, "Reported by hand in Metrc")
                expect(step.locator("h1")).to_contain_text("Write a note")
                shoot(page, "note")
                write_note(page, "keyed by hand")
                expect(step.locator(".feedback.ok")).to_contain_text("Explained")
        assert set(seen) == set(CHOSEN), seen

        expect(step.locator("h1")).to_have_text("Schedule today's spot count.")
        step.get_by_role("button", name="Done, next").tap()
        expect(step.locator(".feedback.ok")).to_contain_text("due today")
        problems += check_screen(page, shoot, "sign")
        sign(page, keypad, "1006", "6789")
        expect(step.locator(".feedback.ok")).to_contain_text("reconciled, signed by Femi")
        shoot(page, "signed")
        assert problems == []

        with records():
            check = DayCheck.get(DayCheck.run_id == run_id)
            assert check.status == "signed"
            assert all(d.settled for d in DayDifference.select())
            escalated = DayDifference.get(DayDifference.settled == "escalated")
            assert Variance.get_by_id(escalated.detail["variance"]).state == "investigating"
            note = DayDifference.get(DayDifference.settled == "explained")
            assert (note.reason, note.note) == ("Reported by hand in Metrc", "Keyed by hand")

            # The syncer delivers the corrections; Metrc's answer to the new receipts is
            # lost, and they are looked up rather than sent twice.
            from kiosk.sync.worker import Worker

            metrc.faults.drop_writes = 1
            settings = {"state_system": "metrc", "license": metrc.world.license,
                        "metrc_url": metrc.url, "metrc_vendor_key": "v",
                        "metrc_user_key": "u", "metrc_timeout": 5, "pos": "none"}
            worker = Worker(settings)
            worker.drain()
            # Metrc is paused for its backoff, and the writes whose answer was lost wait out
            # their grace (the client's timeout); then the rest goes, the lost one looked up.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and OutboxMessage.select().where(
                    OutboxMessage.target == "metrc",
                    OutboxMessage.status != "delivered").exists():
                due = [m.next_attempt_at for m in OutboxMessage.select().where(
                    OutboxMessage.target == "metrc", OutboxMessage.status == "pending")]
                paused = outbox.health("metrc").get("paused_until")
                if paused:
                    due.append(dt.datetime.fromisoformat(paused))
                wait = max([0.0] + [(d - clock.now()).total_seconds() for d in due])
                time.sleep(min(wait, 10) + 0.2)
                worker.drain()
            sent = list(OutboxMessage.select().where(OutboxMessage.target == "metrc"))
            assert sent and {m.status for m in sent} == {"delivered"}
            posted = [o["ExternalReceiptNumber"] for path, o, _ in metrc.world.applied
                      if path == "/sales/v2/receipts" and "Id" not in o]
            assert sorted(posted) == sorted(m.external_key for m in sent
                                            if m.kind == "sale.receipt")
            assert metrc.refusals == []

        page.locator("a.btn.home").tap()
        page.get_by_role("link", name="Manager screens").tap()
        page.get_by_role("link", name=re.compile("Day's reconciliation")).tap()
        expect(page.locator("#opening-state")).to_contain_text("Signed by Femi Adeyemi")
        expect(page.locator("#opening-differences")).to_contain_text("Escalated: variance")
        shoot(page, "day-screen")
    finally:
        metrc.stop()
        dutchie.stop()


def test_closing_waits_for_every_message_to_be_explained(page, shoot, login, keypad,
                                                         start_run, records, live_server):
    with records(), db.write():
        waiting = OutboxMessage.create(
            target="metrc", kind="package.adjust", external_key="close-test-1",
            payload={"tag": "1A4060300000000000000011", "quantity": "-1", "unit": "Each",
                     "reason": "Damage (Non-Recoverable)", "note": "dropped"},
            ordering_key="1A4060300000000000000011", status="attention",
            last_error="Metrc refused this: A note is required.", next_attempt_at=clock.now(),
            created_at=clock.now())
    login(page, "1007", "7890")
    start_run(page, "Closing reconciliation")
    step = page.locator("#step")
    expect(step.locator("h1")).to_have_text("Today's sales: count the best sellers.")
    answer(step, "Done, next")
    # Today's best sellers (sold so far today, if anything) are not on the shelf here: each
    # count difference goes to investigation; then the variances, then the message.
    while step.get_attribute("data-step") in ("count_scan", "investigations"):
        if step.get_attribute("data-step") == "count_scan":
            answer(step, "The rest are not here")
            answer(step, "Count them as none here")
            while step.get_attribute("data-step") == "difference":
                answer(step, "Escalate to an investigation")
        else:
            answer(step, "Done, next")
    expect(step.locator("h1")).to_have_text("This message has not reached its system yet.")
    expect(step).to_contain_text("Adjustment · package 1A4060300000000000000011 (Metrc)")
    expect(step).to_contain_text("of the 24 h deadline")
    expect(step).to_contain_text("A note is required.")
    shoot(page, "waiting")
    answer(step, "Explain it")
    answer(step, re.compile("Refused; being fixed"))
    write_note(page, "support ticket open")
    expect(step.locator("h1")).to_contain_text("Closing manager")

    # Another message arrives before the signature: refused, in words, in red.
    with records(), db.write():
        OutboxMessage.create(target="metrc", kind="package.location",
                             external_key="close-test-2", ordering_key="1A4060300000000000000012",
                             payload={"tag": "1A4060300000000000000012",
                                      "location_name": "Sales floor"},
                             next_attempt_at=clock.now(), created_at=clock.now())
    sign(page, keypad, "1007", "7890")
    expect(step.locator("[role=alert]")).to_contain_text("1 message still waits unexplained")
    shoot(page, "refused")
    answer(step, "Back to the waiting messages")
    expect(step).to_contain_text("Location · package 1A4060300000000000000012 (Metrc)")
    answer(step, "Explain it")
    answer(step, re.compile("Entered by hand"))
    write_note(page, "moved by hand")
    sign(page, keypad, "1007", "7890")
    expect(step.locator(".feedback.ok")).to_contain_text("is closed, signed by Gus")
    with records():
        notes = list(WaitingNote.select().order_by(WaitingNote.id))
        assert [n.message_id for n in notes][0] == waiting.id and len(notes) == 2
        assert DayCheck.get(DayCheck.kind == "close").status == "signed"

    # The day's report is kept as a PDF at close: not by the signature, by the syncer.
    page.locator("a.btn.home").tap()
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("Day's reconciliation")).tap()
    page.get_by_role("link", name="Today").tap()
    expect(page.locator("#closing-pdf")).to_contain_text("being made")
    synced = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once"],
                            env={**os.environ, **live_server.env}, capture_output=True,
                            text=True, timeout=300)
    assert synced.returncode == 0, synced.stderr
    with records():
        kept = KeptReport.get()
        assert (kept.occasion, kept.generated_by.name) == ("at close", "Gus Lindqvist")
    page.reload()
    expect(page.locator("#closing-pdf")).to_contain_text(
        f"The day's report is kept, SHA-256 {kept.sha256}")
    shoot(page, "kept-at-close")
    page.goto(f"/manager/reports?day={kept.day.isoformat()}")
    expect(page.locator("#at-close")).to_contain_text(f"Kept at close, SHA-256 {kept.sha256}")
    expect(page.locator("#kept-table")).to_contain_text("at close")

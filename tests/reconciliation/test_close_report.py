"""The day's report kept at close: the closing manager's signature queues it (and does not
wait for it), the syncer keeps the PDF with its SHA-256, the manager's screens say "being
made" and then "kept, SHA-256 …", and the PDF, the page and the slip give the day's opening
and closing reconciliation (each difference and how it was settled, by whom; the closing
count; the waiting messages explained; who signed). A syncer killed between writing the PDF
and keeping it still ends with one kept PDF of the closing, not two."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from recon_helpers import MANAGER, OTHER_MANAGER, Manager, queue, yesterday
from test_close_store import count_all, evening

from kiosk import clock, reports
from kiosk import reconciliation as recon
from kiosk.hardware import slips
from kiosk.models import (
    AuditEntry,
    ClosingPdf,
    DayDifference,
    KeptReport,
    PrintJob,
    Variance,
)
from kiosk.sync import closing_pdfs, sales_pulls
from kiosk.sync import worker as sync_worker
from kiosk.sync.worker import Worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings(settings, tmp_path):
    return {**settings, "reports_folder": str(tmp_path / "kept"), "store_name": "Demo Store"}


def words(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def open_the_day(kiosk, settings) -> dict[str, DayDifference]:
    """This morning's opening (of yesterday's sales) by Femi: one difference of each way."""
    assert "receipts read" in sales_pulls.pull_day(settings, yesterday())
    manager = Manager(kiosk, "open_store", *MANAGER)
    manager.ok("figures", value="compare")
    settled = {}
    ways = {"unreported": "correct", "void": "correct", "return": "correct",
            "quantity": "explain", "unsold": "escalate"}
    while manager.step == "difference":
        difference = recon.unsettled(manager.run.data["check"])
        way = ways[difference.kind]
        manager.ok("difference", value=way)
        if way == "explain":
            manager.ok("reason", value="by_hand")
            manager.ok("note", value="Keyed by hand in Metrc at 9 pm, checked the journal.")
        settled.setdefault(way, DayDifference.get_by_id(difference.id))
    manager.ok("spot")
    manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    kiosk.post("/logout")
    Worker(settings).drain()  # the day's syncer delivers the corrections to Metrc
    return settled


def close_the_day(kiosk, store) -> Manager:
    """This evening's closing by Gus: one package counted two short (explained), one message
    waiting for Metrc explained, then signed."""
    waiting = queue(store["packages"][0]["tag"])
    manager = Manager(kiosk, "close_store", *OTHER_MANAGER)
    manager.ok("sales")
    count_all(manager, off_by={1: Decimal(-2)})
    manager.ok("investigations")
    manager.ok("waiting", value="explain")
    manager.ok("wait_reason", value="outage")
    manager.ok("wait_note", value="Metrc is down since 6 pm; outage ticket 4411.")
    answer = manager.ok("sign", badge=OTHER_MANAGER[0], pin=OTHER_MANAGER[1])
    assert "is closed, signed by Gus Lindqvist" in answer["message"]
    assert "being kept as a PDF" in answer["message"]
    assert waiting.status == "pending"
    return manager


def test_a_signed_close_keeps_the_days_report_with_its_reconciliation(
        kiosk, settings, store, metrc, fixed_clock):
    today = clock.store_date()
    settled = open_the_day(kiosk, settings)
    evening(fixed_clock, settings)
    close_the_day(kiosk, store)

    # The signature queued the PDF and did not wait for it.
    job = ClosingPdf.get()
    assert (job.day, job.status, job.signed_by.name) == (today, "queued", "Gus Lindqvist")
    assert KeptReport.select().count() == 0
    screen = words(kiosk.get(f"/manager/reconciliation?day={today}").text)
    assert "Closed by Gus Lindqvist" in screen and "being made" in screen
    # The message the closing manager explained, in words: what it is, its package, for whom.
    explained = f"Location · package {store['packages'][0]['tag']} (Metrc)"
    assert explained in screen and "package.location" not in screen
    page = kiosk.get(f"/manager/reports?day={today}").text
    assert "Report at close: being made" in words(page)
    panel = BeautifulSoup(page, "html.parser").find(id="kept")
    assert panel["hx-trigger"] == "every 5s"  # the screen asks again until it is kept
    asked = kiosk.get(panel["hx-get"]).text
    assert "being made" in words(asked) and 'hx-trigger="every 5s"' in asked

    # The syncer keeps it: the file, its SHA-256, who and why, an audit entry.
    sync_worker.run(settings, once=True)
    kept = KeptReport.get()
    data = (reports.folder(settings) / kept.path).read_bytes()
    assert hashlib.sha256(data).hexdigest() == kept.sha256 and kept.size == len(data)
    assert (kept.day, kept.occasion, kept.generated_by.name) == (today, "at close",
                                                                 "Gus Lindqvist")
    assert ClosingPdf.get().kept_id == kept.id and ClosingPdf.get().status == "kept"
    entry = AuditEntry.get(AuditEntry.action == "report.keep")
    assert entry.detail["sha256"] == kept.sha256 and entry.detail["occasion"] == "at close"

    # The PDF gives the day's figures and its reconciliation, as the page does.
    text = pdf_text(data)
    report = reports.end_of_day(today, settings)
    sold = dict(report.figures())["Sales lines"]
    assert int(sold) > 0 and f"Sales lines {sold}" in text
    assert f"End of day · {today:%A %d %B %Y}" in text
    escalated = DayDifference.get_by_id(settled["escalate"].id)
    variance = Variance.get_by_id(escalated.detail["variance"])
    for said in (f"Opening ({yesterday():%a %d %b} sales) signed by Femi Adeyemi",
                 "Closing signed by Gus Lindqvist",
                 "3 counted, 1 off the books; 1 waiting message explained",
                 f"Escalated: variance {variance.id}",
                 "Explained: Reported by hand in Metrc. Keyed by hand in Metrc at 9 pm",
                 "Corrected", "Femi Adeyemi,",
                 "The state system is down; the outage is reported",
                 "Metrc is down since 6 pm; outage ticket 4411.",
                 settled["explain"].tag, escalated.tag, explained):
        assert said in text, said
    assert "package.location" not in text
    page = words(kiosk.get(f"/manager/reports?day={today}").text)
    assert f"Escalated: variance {variance.id}" in page
    assert "Metrc is down since 6 pm; outage ticket 4411." in page

    # Both manager screens now say it is kept, with its SHA-256 (and stop asking).
    assert f"Kept at close, SHA-256 {kept.sha256}" in page
    asked = kiosk.get(panel["hx-get"]).text
    assert f"Kept at close, SHA-256 {kept.sha256}" in words(asked)
    assert "hx-trigger" not in asked
    screen = words(kiosk.get(f"/manager/reconciliation?day={today}").text)
    assert f"The day's report is kept, SHA-256 {kept.sha256}" in screen

    # The slip gives the reconciliation in a line each, and the kept PDF's fingerprint.
    kiosk.post(f"/manager/reports/{today}/slip")
    slip = PrintJob.select().where(PrintJob.layout == "day_summary").get().data
    lines = dict(slip["reconciliation"])
    assert lines["Closing"].startswith("signed by Gus Lindqvist")
    assert "1 escalated" in lines[f"Opening ({yesterday():%a %d %b} sales)"]
    assert slip["sha256"] == kept.sha256
    printed = [line.text for line in slips.day_summary(slip, settings)
               if isinstance(line, slips.Line)]
    assert "Reconciliation" in printed
    assert any(t.startswith("Closing: signed by Gus Lindqvist") for t in printed)

    # Made once: another look keeps nothing more.
    assert closing_pdfs.make_due(settings) == []
    assert KeptReport.select().count() == 1


CRASHING_MAKER = textwrap.dedent("""
    import json, os, signal, sys
    from kiosk import db, reports
    from kiosk.sync import closing_pdfs

    settings = json.loads(sys.argv[1])
    db.init(settings["database"])
    written = reports._write

    def write_then_die(path, data):
        written(path, data)  # the PDF is on disk; its row is not kept yet
        os.kill(os.getpid(), signal.SIGKILL)

    reports._write = write_then_die
    with db.connection():
        closing_pdfs.make_due(settings)
""")


def test_a_maker_killed_between_the_pdf_and_its_row_leaves_one_kept_pdf(
        kiosk, settings, store, fixed_clock):
    evening(fixed_clock, settings)
    close_the_day(kiosk, store)
    # A syncer is killed after writing the PDF, before keeping it.
    died = subprocess.run([sys.executable, "-c", CRASHING_MAKER, json.dumps(settings)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert died.returncode == -9, died.stderr
    job = ClosingPdf.get()
    assert job.status == "making" and job.attempts == 1
    year = reports.folder(settings) / f"{clock.store_date():%Y}"
    assert len(list(year.glob("*.pdf"))) == 1 and KeptReport.select().count() == 0

    # The next look takes it over at once (its claimer is gone) and keeps one PDF.
    kept = closing_pdfs.make_due(settings)
    assert len(kept) == 1 and KeptReport.select().count() == 1
    files = list(year.glob("*.pdf"))
    assert [f.name for f in files] == [Path(kept[0].path).name]
    assert hashlib.sha256(files[0].read_bytes()).hexdigest() == kept[0].sha256
    job = ClosingPdf.get()
    assert (job.status, job.attempts, job.kept_id) == ("kept", 2, kept[0].id)
    assert closing_pdfs.make_due(settings) == []
    assert KeptReport.select().count() == 1


def test_a_failed_making_says_why_and_is_tried_again(kiosk, settings, store, fixed_clock,
                                                     monkeypatch):
    evening(fixed_clock, settings)
    close_the_day(kiosk, store)

    def no_room(path, data):
        raise OSError(28, "No space left on device")

    real = reports._write
    monkeypatch.setattr(reports, "_write", no_room)
    assert closing_pdfs.make_due(settings) == []
    job = ClosingPdf.get()
    assert job.status == "queued" and "No space left on device" in job.last_error
    screen = words(kiosk.get(f"/manager/reports?day={clock.store_date()}").text)
    assert "being made" in screen and "The last try failed" in screen
    assert "No space left on device" in screen
    # Not again at once; after the pause, and with room on the disk, it is kept.
    monkeypatch.setattr(reports, "_write", real)
    assert closing_pdfs.make_due(settings) == []
    fixed_clock.advance(minutes=2)
    kept = closing_pdfs.make_due(settings)
    assert len(kept) == 1 and ClosingPdf.get().status == "kept"
    assert KeptReport.select().count() == 1
    assert dt.date.fromisoformat(kept[0].path.split("/")[-1][:10]) == clock.store_date()


def test_a_closing_claimed_by_a_live_maker_is_left_to_it_and_kept_once(
        kiosk, settings, store, fixed_clock):
    evening(fixed_clock, settings)
    close_the_day(kiosk, store)
    job = ClosingPdf.get()
    me = closing_pdfs.me()
    assert closing_pdfs.claim(job, me, clock.now())
    # Another syncer looks meanwhile: the claimer is alive, so it leaves the closing alone.
    assert closing_pdfs.due(clock.now()) == [] and closing_pdfs.make_due(settings) == []
    # Had another taken it over meanwhile, this maker's PDF is not kept, nor its file left.
    ClosingPdf.update(claimed_by="another-host:1:1").where(ClosingPdf.id == job.id).execute()
    assert closing_pdfs.make(ClosingPdf.get_by_id(job.id), me, settings) is None
    assert KeptReport.select().count() == 0
    assert list(reports.folder(settings).rglob("*.pdf")) == []
    # That other host went quiet past the lease: the closing is taken back and kept once.
    fixed_clock.advance(minutes=11)
    assert len(closing_pdfs.make_due(settings)) == 1
    assert KeptReport.select().count() == 1 and ClosingPdf.get().status == "kept"

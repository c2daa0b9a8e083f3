"""The report on the manager's screen: any day, its charts inline, keeping the PDF, the
summary slip through the print queue, and evidence packets made and downloaded."""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup
from report_helpers import DAY, FIGURES, tag

from kiosk import anchors, evidence_check, ledger, reports
from kiosk.hardware import queue
from kiosk.models import AuditEntry, KeptReport, PrintJob

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printing"))
from escpos_reader import read  # noqa: E402


def page(response) -> BeautifulSoup:
    assert response.status_code == 200, response.data[:300]
    return BeautifulSoup(response.data, "html.parser")


def as_manager(kiosk):
    kiosk.login("1006", "6789")
    return kiosk


def test_the_manager_menu_leads_to_todays_report_with_its_charts(store_day, kiosk):
    as_manager(kiosk)
    menu = page(kiosk.get("/manager"))
    link = next(a for a in menu.select("a.tile") if "End-of-day report" in a.text)
    shown = page(kiosk.get(link["href"]))
    assert shown.select_one("#day-report")["data-day"] == DAY.isoformat()
    figures = {row.th.text: row.td.text for row in shown.select("#figures tr")}
    assert figures == FIGURES
    charts = shown.select("figure.chart svg")
    assert len(charts) == 3 and all(svg.select("g.series rect") for svg in charts)
    assert not shown.select("figure.chart script")  # no script in the page's charts
    # The buttons' answers land in the kept-PDFs panel, which is on the page as HTML.
    assert shown.select_one("#kept h2").text == "Kept PDFs of 2026-11-23"
    for button in shown.select(".report-actions button"):
        assert button["hx-target"] == "#kept"
    assert "Nothing was moved." not in shown.text


def test_any_earlier_day_by_touch_and_a_bad_day_explained(store_day, kiosk):
    as_manager(kiosk)
    today = page(kiosk.get("/manager/reports"))
    earlier = today.select_one(".day-pick a.btn")
    assert "Sun 22 Nov" in earlier.text
    before = page(kiosk.get(earlier["href"]))
    assert before.select_one("#day-report")["data-day"] == "2026-11-22"
    figures = {row.th.text: row.td.text for row in before.select("#figures tr")}
    assert figures["Packages accepted"] == "8"
    assert any("Mon 23 Nov" in a.text for a in before.select(".day-pick a.btn"))
    for wrong, words in (("2026-13-40", "That is not a date"),
                         ("2026-11-24", "That day has not come yet")):
        shown = page(kiosk.get(f"/manager/reports?day={wrong}"))
        assert words in shown.select_one(".feedback").text
        assert shown.select_one("#day-report")["data-day"] == DAY.isoformat()


def test_only_a_manager_sees_the_report(store_day, kiosk):
    kiosk.login("1003", "3456")
    assert kiosk.get("/manager/reports").status_code == 403
    assert kiosk.post(f"/manager/reports/{DAY}/keep").status_code == 403
    assert KeptReport.select().count() == 0


def test_keeping_the_pdf_lists_it_and_serves_it_as_kept(store_day, kiosk, app):
    as_manager(kiosk)
    answer = page(kiosk.post(f"/manager/reports/{DAY}/keep"))
    assert "Kept: the report of 2026-11-23 as a PDF" in answer.select_one(".feedback").text
    row = answer.select_one("#kept-table tr[data-kept]")
    assert "Femi Adeyemi" in row.text and "intact" in row.text
    download = kiosk.get(row.select_one("a")["href"])
    kept = KeptReport.get()
    assert download.data == (reports.folder(app.config["KIOSK"]) / kept.path).read_bytes()
    assert download.headers["Content-Type"] == "application/pdf"
    assert AuditEntry.select().where(AuditEntry.action == "report.keep").count() == 1


def test_the_summary_slip_prints_the_figures_through_the_queue(store_day, kiosk, app, tmp_path):
    as_manager(kiosk)
    reports.keep_pdf(DAY, store_day.people.femi, app.config["KIOSK"])
    head = anchors.head()
    answer = page(kiosk.post(f"/manager/reports/{DAY}/slip"))
    assert "summary slip of 2026-11-23 is printing" in answer.text
    job = PrintJob.get(PrintJob.layout == "day_summary")
    assert (job.device, job.requested_by_id) == ("receipt", store_day.people.femi.id)
    queue.run_worker(app.config["KIOSK"], once=True)
    assert PrintJob.get_by_id(job.id).status == "printed"
    printed = read(next((tmp_path / "spool").glob("*day_summary.escpos")).read_bytes())
    assert "END OF DAY" in printed.lines
    for label, value in FIGURES.items():
        assert any(line.startswith(label[:20]) and line.endswith(value)
                   for line in printed.lines), label
    assert any(line.startswith("Blue Dream 3.5g Jar") and line.endswith("1.7")
               for line in printed.lines)
    assert KeptReport.get().sha256[:32] in printed.lines
    assert AuditEntry.select().where(AuditEntry.action == "print.day_summary").count() == 1
    # The chain's head on paper and in the log beside the database, and the chain passes
    # through it.
    at = printed.lines.index(f"Audit chain at entry {head[0]}:")
    assert printed.lines[at + 1] + printed.lines[at + 2] == head[1]
    assert (anchors.read()[-1].seq, anchors.read()[-1].hash) == head
    assert ledger.verify_chain([anchors.parse(f"{head[0]}:{head[1]}")]) == []


def test_evidence_packets_are_made_on_the_screen_and_downloaded(store_day, kiosk, tmp_path):
    as_manager(kiosk)
    answer = page(kiosk.post(f"/manager/reports/{DAY}/evidence"))
    link = answer.select_one("#packet-download")
    packet = tmp_path / "day.zip"
    packet.write_bytes(kiosk.get(link["href"]).data)
    assert evidence_check.check(packet).intact
    # A package's packet: its tag typed, or scanned while this screen is open.
    answer = page(kiosk.post(f"/manager/reports/{DAY}/evidence/package", {"value": tag(2)}))
    data = kiosk.get(answer.select_one("#packet-download")["href"]).data
    with zipfile.ZipFile(io.BytesIO(data)) as packed:
        assert "records/movements.csv" in packed.namelist()
    for typed, words in (("hello", "hello is not a package tag"),
                         ("1A4060300000000000999999", "No package has the tag")):
        answer = page(kiosk.post(f"/manager/reports/{DAY}/evidence/package", {"value": typed}))
        assert words in answer.select_one(".feedback.error").text
    # Only files the screen made are served, by their exact name.
    for name in ("../kiosk.db", "20261123-175959-day-2026-11-23.zip", "passwd"):
        assert kiosk.get(f"/manager/reports/evidence/{name}").status_code == 404


def test_a_day_to_come_is_never_kept(store_day, kiosk):
    as_manager(kiosk)
    later = DAY + dt.timedelta(days=1)
    assert kiosk.post(f"/manager/reports/{later}/keep").status_code == 404
    assert kiosk.post("/manager/reports/not-a-day/keep").status_code == 404
    assert KeptReport.select().count() == 0

"""The print screens as a person uses them: the manager's job list with problems in words,
Retry / Reprint / Cancel, a run's jobs, and reprinting a package's label from its page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from kiosk import clock, db
from kiosk.hardware import queue, samples
from kiosk.models import AuditEntry, Item, Package, PrintJob


@pytest.fixture
def manager(kiosk, make_employee):
    make_employee("Maria Gómez", "2001", "2468", "manager")
    kiosk.login("2001", "2468")
    return kiosk


@pytest.fixture
def package(database):
    with db.write():
        item = Item.create(name="Crème Brûlée Live Resin Cartridge 1 g", brand="Niño Farms",
                           category="Vape")
        return Package.create(tag="1A4FF0100000022000000123", item=item, batch="B-42",
                              quantity=Decimal("12"), unit="Each",
                              received_at=dt.datetime(2026, 11, 23, 9, 0),
                              expires_on=dt.date(2027, 5, 1), thc_pct=Decimal("82.4"),
                              cbd_pct=Decimal("0.3"), created_at=clock.now())


def failed_job(settings):
    with db.write():
        job = PrintJob.create(device="label", layout="quarantine_label",
                              data=samples.LABELS["quarantine_label"], created_at=clock.now(),
                              run_id=7, station="test-1")
    s = {**settings, "label_printer": "zpl+tcp://127.0.0.1:1"}
    queue.run_worker(s, once=True)
    return PrintJob.get_by_id(job.id)


def page(response):
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


def test_manager_sees_failed_jobs_with_the_reason_in_words(manager, settings):
    job = failed_job(settings)
    html = page(manager.get("/manager/printing"))
    row = html.find(id=f"job-{job.id}")
    assert row["data-status"] == "failed"
    assert "Quarantine label" in row.text
    assert row.find(class_="job-error").text.strip() == job.last_error
    assert "refused the connection" in job.last_error
    buttons = {b.text.strip(): b["hx-post"] for b in row.find_all("button")}
    assert buttons["Retry"] == f"/manager/printing/{job.id}/retry"
    assert set(buttons) == {"Retry", "Reprint", "Cancel"}


def test_retry_button_queues_the_job_now_and_is_audited(manager, settings):
    job = failed_job(settings)
    html = page(manager.post(f"/manager/printing/{job.id}/retry"))
    assert html.find("tr")["data-status"] == "queued"
    assert PrintJob.get_by_id(job.id).status == "queued"
    assert AuditEntry.select().where(AuditEntry.action == "print.retry").count() == 1
    queue.run_worker(settings, once=True)  # the spool folder accepts it
    assert PrintJob.get_by_id(job.id).status == "printed"


def test_reprint_creates_a_linked_job_and_shows_its_row(manager, settings):
    job = failed_job(settings)
    html = page(manager.post(f"/manager/printing/{job.id}/reprint"))
    new = PrintJob.select().order_by(PrintJob.id.desc()).first()
    assert new.reprint_of_id == job.id and new.data == job.data
    assert html.find("tr")["id"] == f"job-{new.id}"
    assert "reprint of" in html.text


def test_cancel_needs_a_manager(kiosk, make_employee, settings):
    job = failed_job(settings)
    make_employee("Rae Receiver", "3001", "1357", "receiver")
    kiosk.login("3001", "1357")
    assert kiosk.post(f"/manager/printing/{job.id}/cancel").status_code == 403
    assert kiosk.get("/manager/printing").status_code == 403
    assert PrintJob.get_by_id(job.id).status == "failed"


def test_screens_need_a_login(kiosk, settings):
    job = failed_job(settings)
    assert kiosk.get("/manager/printing").status_code == 302  # back to the login screen
    response = kiosk.post(f"/manager/printing/{job.id}/reprint")
    assert response.headers.get("HX-Redirect")
    assert PrintJob.select().count() == 1  # nothing was reprinted


def test_run_fragment_shows_previews_and_refreshes_while_printing(manager, settings):
    with db.write():
        job = PrintJob.create(device="receipt", layout="vault_access_slip",
                              data=samples.SLIPS["vault_access_slip"], created_at=clock.now(),
                              run_id=42)
    html = page(manager.get("/manager/printing/runs/42"))
    box = html.find(id="run-jobs-42")
    assert box["hx-trigger"] == "every 2s"
    assert "Waiting to print" in box.text and "Ana Peña" in box.text
    assert not box.find("tr", attrs={"hx-get": True})  # the block polls, not each row
    queue.run_worker(settings, once=True)
    html = page(manager.get("/manager/printing/runs/42"))
    box = html.find(id="run-jobs-42")
    assert not box.has_attr("hx-trigger")  # done: stops asking
    assert box.find(attrs={"data-status": "printed"}) and job.id


def test_package_page_previews_its_label_and_reprints_it(manager, package, settings):
    html = page(manager.get(f"/packages/{package.tag}/label"))
    label = html.find(class_="label-preview")
    assert label["data-layout"] == "package_label"
    assert label.find(attrs={"data-barcode": package.tag})
    assert label.find(attrs={"data-matrix": package.tag})
    assert "Crème Brûlée" in label.text and "TRAINING" in label.text
    row = page(manager.post(f"/packages/{package.tag}/label")).find("tr")
    job = PrintJob.get_by_id(int(row["id"].split("-")[1]))
    assert job.layout == "package_label" and job.data["tag"] == package.tag
    assert job.data["thc"] == "82.4" and job.data["expires"] == "2027-05-01"
    assert job.requested_by_id is not None and job.training
    # The list on the page now shows it.
    html = page(manager.get(f"/packages/{package.tag}/label"))
    assert html.find(id=f"job-{job.id}")


def test_a_package_label_job_leads_to_the_package_label_page(manager, package):
    row = page(manager.post(f"/packages/{package.tag}/label")).find("tr")
    html = page(manager.get(row.find("a")["href"]))
    link = html.find("a", string="This package's label now")
    assert link["href"] == f"/packages/{package.tag}/label"
    assert page(manager.get(link["href"])).find(class_="label-preview")


def test_unknown_package_is_404(manager):
    assert manager.get("/packages/NOPE/label").status_code == 404


def test_job_page_shows_the_preview_of_what_was_printed(manager, settings):
    job = failed_job(settings)
    html = page(manager.get(f"/manager/printing/{job.id}"))
    assert html.find(class_="label-preview")["data-layout"] == "quarantine_label"
    assert html.find(attrs={"data-barcode": samples.LABELS["quarantine_label"]["tag"]})


def test_waiting_rows_refresh_themselves_on_the_jobs_screen(manager, settings):
    with db.write():
        job = PrintJob.create(device="label", layout="location_label",
                              data=samples.LABELS["location_label"], created_at=clock.now())
    row = page(manager.get("/manager/printing")).find(id=f"job-{job.id}")
    assert row["hx-get"] == f"/manager/printing/{job.id}/row"
    assert "Waiting to print" in row.text
    queue.run_worker(settings, once=True)
    row = page(manager.get(f"/manager/printing/{job.id}/row")).find("tr")
    assert row["data-status"] == "printed" and not row.has_attr("hx-get")

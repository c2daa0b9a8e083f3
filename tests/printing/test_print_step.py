"""A workflow's print step, end to end: the screen shows the preview, pressing Print
records the job with the step, and the worker delivers it to the printer."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from escpos_reader import read

from kiosk.hardware import queue
from kiosk.models import PrintJob, Run


@pytest.fixture
def app(settings, receipt_printer):
    from kiosk import create_app

    return create_app({**settings,
                       "receipt_printer": f"escpos+tcp://127.0.0.1:{receipt_printer.port}"})


def test_vault_access_slip_from_preview_to_paper(kiosk, app, make_employee, receipt_printer):
    make_employee("Ben Okafor", "1002", "2345", "vault")
    make_employee("Carla Peña", "1003", "3456", "vault")
    kiosk.login("1002", "2345")
    kiosk.post("/runs", {"workflow": "vault_entry"})
    run = Run.select().order_by(Run.id.desc()).get()
    kiosk.step(run.id, "purpose", value="count")
    kiosk.step(run.id, "enter", badge="1002", pin="2345")
    screen = BeautifulSoup(kiosk.step(run.id, "enter", badge="1003", pin="3456").data,
                           "html.parser")
    # Before printing: the preview, drawn from the slip layout, names both people.
    slip = screen.find(class_="slip-preview")
    assert "Ben Okafor" in slip.text and "Carla Peña" in slip.text
    assert "TRAINING" in slip.text
    kiosk.step(run.id, "slip", value="print")
    job = PrintJob.get(PrintJob.run_id == run.id)
    assert job.status == "queued" and job.training
    queue.run_worker(app.config["KIOSK"], once=True)
    (paper,) = receipt_printer.wait_for_jobs(1)
    printout = read(paper)
    assert {"Ben Okafor", "Carla Peña"} <= set(printout.bold_lines)
    assert printout.barcodes == [(73, f"RUN-{run.id}")]
    # After printing: the run's print fragment says so.
    after = BeautifulSoup(kiosk.get(f"/manager/printing/runs/{run.id}").data, "html.parser")
    assert after.find(attrs={"data-status": "printed"})
    assert PrintJob.get_by_id(job.id).status == "printed"

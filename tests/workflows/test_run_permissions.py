"""What a screen may show: everything made from a run (its steps, print jobs and their
previews) is shown only to people who may open the run, at every URL that takes a run or
a job id. Anyone else gets the same 404 as for a run that does not exist."""

from __future__ import annotations

import pytest

from kiosk import clock, db, engine
from kiosk.hardware import samples
from kiosk.models import PrintJob, Run, StepEvent
from kiosk.workflows import receiving


@pytest.fixture
def receiving_run(kiosk, make_employee, fixed_clock):
    """A receiver's receiving run at this screen, with a label it printed."""
    ana = make_employee("Ana Reyes", "1001", "1234", "receiver")
    make_employee("Dev Patel", "1004", "4567", "runner")
    run = engine.start(receiving.WORKFLOW, ana, "test-1", {})
    with db.write():
        job = PrintJob.create(device="label", layout="quarantine_label",
                              data=samples.LABELS["quarantine_label"], created_at=clock.now(),
                              run_id=run.id, station="test-1", requested_by_id=ana.id)
    return run, job


def urls(run_id: int, job_id: int, step: str) -> list[tuple[str, str, dict]]:
    return [
        ("get", f"/runs/{run_id}", {}),
        ("post", f"/runs/{run_id}/steps/{step}", {"value": "x", "rev": "0"}),
        ("post", f"/runs/{run_id}/cancel", {"reason": "mine now"}),
        ("get", f"/manager/printing/runs/{run_id}", {}),
        ("get", f"/manager/printing/{job_id}", {}),
        ("get", f"/manager/printing/{job_id}/row", {}),
        ("post", f"/manager/printing/{job_id}/retry", {}),
        ("post", f"/manager/printing/{job_id}/reprint", {}),
    ]


def call(kiosk, method, url, data):
    return kiosk.get(url) if method == "get" else kiosk.post(url, data)


def test_a_runner_sees_nothing_of_a_receiving_run(kiosk, receiving_run):
    run, job = receiving_run
    kiosk.login("1004", "4567")
    events, jobs = StepEvent.select().count(), PrintJob.select().count()
    for method, url, data in urls(run.id, job.id, run.current_step):
        response = call(kiosk, method, url, data)
        assert response.status_code == 404, url
        assert b"Quarantine" not in response.data and b"quarantine" not in response.data, url
    # A run or a job that does not exist answers the same, so nothing can be told apart.
    for method, url, data in urls(run.id + 100, job.id + 100, run.current_step):
        assert call(kiosk, method, url, data).status_code == 404, url
    assert (StepEvent.select().count(), PrintJob.select().count()) == (events, jobs)
    assert Run.get_by_id(run.id).status == "active"


def test_the_receiver_sees_the_same_pages(kiosk, receiving_run):
    run, job = receiving_run
    kiosk.login("1001", "1234")
    for method, url, data in urls(run.id, job.id, run.current_step)[3:]:
        assert call(kiosk, method, url, data).status_code == 200, url
    assert b"quarantine" in kiosk.get(f"/manager/printing/{job.id}").data.lower()
    assert kiosk.get(f"/runs/{run.id}").status_code == 200

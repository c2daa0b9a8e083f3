"""The print queue against a fake network printer: jobs are sent once, problems are kept
with a sentence a person can act on, and retries happen by themselves and by button."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest

from kiosk import clock, db
from kiosk.hardware import queue, samples
from kiosk.hardware.zpl import label_zpl
from kiosk.models import PrintJob

PAPER_OUT = "The label printer is out of paper. Load labels and press Retry."


def new_job(device="label", layout="package_label", data=None, training=False, copies=1):
    """A job as a workflow step creates it (inside its own transaction)."""
    data = samples.LABELS[layout] if data is None and device == "label" else data
    data = samples.SLIPS[layout] if data is None else data
    with db.write():
        return PrintJob.create(device=device, layout=layout, data=data, copies=copies,
                               created_at=clock.now(), station="test-1", training=training)


def fresh(job):
    return PrintJob.get_by_id(job.id)


@pytest.fixture
def tcp_settings(settings, zebra_printer):
    return {**settings, "label_printer": f"zpl+tcp://127.0.0.1:{zebra_printer.port}",
            "label_stock": "2x1", "label_dpi": 203}


def test_a_job_is_sent_once_and_marked_printed(tcp_settings, zebra_printer, fixed_clock):
    job = new_job()
    assert queue.run_worker(tcp_settings, once=True) == 1
    job = fresh(job)
    assert job.status == "printed" and job.printed_at == fixed_clock.now()
    assert job.attempts == 1 and job.last_error == ""
    expected = label_zpl("package_label", samples.LABELS["package_label"], tcp_settings,
                         training=True).encode()
    assert zebra_printer.wait_for_jobs(1) == [expected]
    assert zebra_printer.status_queries == 2  # before the job, and after it as a receipt
    # Running again sends nothing more: a printed job is never printed twice.
    assert queue.run_worker(tcp_settings, once=True) == 0
    assert len(zebra_printer.jobs) == 1


@pytest.mark.parametrize("flag, message", [
    ("paper_out", PAPER_OUT),
    ("head_open", "The label printer's print head is open. Close the print head and press "
                  "Retry."),
    ("paused", "The label printer is paused. Press the pause button on the printer, then "
               "press Retry."),
    ("ribbon_out", "The label printer is out of ribbon. Load a new ribbon and press Retry."),
])
def test_printer_problems_keep_the_job_with_a_sentence(tcp_settings, zebra_printer,
                                                       fixed_clock, flag, message):
    setattr(zebra_printer, flag, True)
    job = new_job()
    queue.run_worker(tcp_settings, once=True)
    job = fresh(job)
    assert job.status == "failed" and job.last_error == message
    assert job.next_attempt_at > fixed_clock.now()
    assert zebra_printer.jobs == []  # nothing went to a printer that cannot print


def test_a_failed_job_retries_by_itself_with_backoff(tcp_settings, zebra_printer, fixed_clock):
    zebra_printer.paper_out = True
    job = new_job()
    queue.run_worker(tcp_settings, once=True)
    first_wait = fresh(job).next_attempt_at - fixed_clock.now()
    fixed_clock.advance(seconds=first_wait.total_seconds() - 1)
    assert queue.run_worker(tcp_settings, once=True) == 0  # not due yet
    fixed_clock.advance(seconds=1)
    assert queue.run_worker(tcp_settings, once=True) == 1  # due: tried, still no paper
    second_wait = fresh(job).next_attempt_at - fixed_clock.now()
    assert second_wait > first_wait
    zebra_printer.paper_out = False  # someone loads labels
    fixed_clock.advance(seconds=second_wait.total_seconds())
    queue.run_worker(tcp_settings, once=True)
    job = fresh(job)
    assert job.status == "printed" and job.attempts == 3 and job.last_error == ""
    assert len(zebra_printer.wait_for_jobs(1)) == 1


def test_retry_button_makes_a_failed_job_due_now(tcp_settings, zebra_printer, fixed_clock):
    zebra_printer.head_open = True
    job = new_job()
    queue.run_worker(tcp_settings, once=True)
    zebra_printer.head_open = False
    assert queue.retry(job.id).status == "queued"
    queue.run_worker(tcp_settings, once=True)
    assert fresh(job).status == "printed"


def test_no_printer_listening_is_explained(settings, fixed_clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    s = {**settings, "label_printer": f"zpl+tcp://127.0.0.1:{port}"}
    job = new_job()
    queue.run_worker(s, once=True)
    job = fresh(job)
    assert job.status == "failed"
    assert job.last_error == (f"The label printer at 127.0.0.1:{port} refused the connection. "
                              "Check that it is switched on and press Retry.")


def test_a_job_interrupted_mid_send_waits_for_a_person(tcp_settings, zebra_printer,
                                                       fixed_clock):
    job = new_job()
    assert queue.claim_next(("label",)).id == job.id  # a worker took it, then the power went
    fixed_clock.advance(seconds=queue.CLAIM_SECONDS + 1)
    queue.run_worker(tcp_settings, once=True)
    job = fresh(job)
    assert job.status == "failed" and job.next_attempt_at is None
    assert "Check whether it printed" in job.last_error
    assert zebra_printer.jobs == []  # it may have printed: not resent without a person


def test_two_workers_never_send_the_same_job(tcp_settings, zebra_printer):
    jobs = [new_job(data={**samples.LABELS["location_label"], "code": f"LOC-{n}"},
                    layout="location_label") for n in range(12)]
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(
        queue.drain(("label",), tcp_settings))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 12
    got = zebra_printer.wait_for_jobs(12)
    assert len(got) == 12 and len(set(got)) == 12
    assert all(fresh(j).status == "printed" for j in jobs)


def test_background_workers_print_for_both_devices(settings, zebra_printer, receipt_printer):
    s = {**settings, "label_printer": f"zpl+tcp://127.0.0.1:{zebra_printer.port}",
         "receipt_printer": f"escpos+tcp://127.0.0.1:{receipt_printer.port}"}
    label, slip = new_job(), new_job("receipt", "vault_access_slip")
    stop = queue.start_background(s)
    assert sorted(_worker_threads()) == ["print-label", "print-receipt"]
    try:
        assert len(zebra_printer.wait_for_jobs(1)) == 1
        assert len(receipt_printer.wait_for_jobs(1)) == 1
        # The row is marked after the printer took the bytes; give the worker a moment.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and {fresh(label).status, fresh(slip).status} != {
                "printed"}:
            time.sleep(0.05)
        assert fresh(label).status == "printed" and fresh(slip).status == "printed"
    finally:
        stop.set()
    # One thread per printer, and they end when told to.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _worker_threads():
        time.sleep(0.1)
    assert _worker_threads() == []


def _worker_threads():
    return [t.name for t in threading.enumerate() if t.name.startswith("print-") and t.is_alive()]


def test_spool_folder_gets_one_whole_file_per_job(settings, tmp_path):
    job = new_job()
    slip = new_job("receipt", "count_sheet")
    queue.run_worker(settings, once=True)
    spool = Path(settings["label_printer"].removeprefix("file://"))
    files = sorted(p.name for p in spool.iterdir())
    assert files == [f"{job.id:08d}-package_label.zpl", f"{slip.id:08d}-count_sheet.escpos"]
    assert (spool / files[0]).read_bytes().startswith(b"^XA\n^CI28")


def test_a_long_job_is_spooled_whole_each_label_in_its_own_file(settings, tmp_path):
    jobs = [new_job(data={**samples.LABELS["location_label"], "code": f"LOC-{n}"},
                    layout="location_label") for n in range(queue.BATCH * 2 + 3)]
    assert queue.run_worker(settings, once=True) == len(jobs)
    spool = Path(settings["label_printer"].removeprefix("file://"))
    assert sorted(p.name for p in spool.iterdir()) == [
        f"{j.id:08d}-location_label.zpl" for j in jobs]  # no partial file left behind
    for n, job in enumerate(jobs):
        assert f"LOC-{n}".encode() in (spool / f"{job.id:08d}-location_label.zpl").read_bytes()
        assert fresh(job).status == "printed" and fresh(job).attempts == 1


def test_paper_running_out_mid_job_stops_there_and_the_rest_wait(tcp_settings, zebra_printer,
                                                                  fixed_clock):
    jobs = [new_job(data={**samples.LABELS["location_label"], "code": f"LOC-{n}"},
                    layout="location_label") for n in range(6)]
    zebra_printer.paper_out_after = 2
    queue.run_worker(tcp_settings, once=True)
    states = [fresh(j) for j in jobs]
    assert [j.status for j in states] == ["printed", "printed", "failed", "queued", "queued",
                                          "queued"]
    assert states[2].last_error == PAPER_OUT
    # The ones behind it were not tried: no attempt counted, and they wait as long as it.
    assert [j.attempts for j in states[3:]] == [0, 0, 0]
    assert {j.next_attempt_at for j in states[2:]} == {states[2].next_attempt_at}
    zebra_printer.paper_out_after = None  # labels loaded
    fixed_clock.advance(seconds=queue.BACKOFF_SECONDS[0] + 1)
    assert queue.run_worker(tcp_settings, once=True) == 4
    got = zebra_printer.wait_for_jobs(6)
    # Each label reached the printer once, in the order they were asked for.
    assert [set(re.findall(rb"LOC-(\d)", job)) for job in got] == [
        {str(n).encode()} for n in range(6)]
    assert all(fresh(j).status == "printed" for j in jobs)


def test_bad_layout_is_kept_with_a_reason_and_not_retried(settings):
    job = new_job(layout="price_tag", data={})
    queue.run_worker(settings, once=True)
    job = fresh(job)
    assert job.status == "failed" and job.next_attempt_at is None
    assert job.last_error == ("This price tag could not be made: There is no label layout "
                              "called 'price_tag'.")


def test_reprint_is_a_new_job_linked_to_the_first(tcp_settings, zebra_printer):
    job = new_job()
    queue.run_worker(tcp_settings, once=True)
    again = queue.reprint(job.id, tcp_settings, requested_by_id=None)
    assert again.id != job.id and again.reprint_of_id == job.id and again.status == "queued"
    queue.run_worker(tcp_settings, once=True)
    assert len(zebra_printer.wait_for_jobs(2)) == 2
    assert zebra_printer.jobs[0] == zebra_printer.jobs[1]


def test_cancel_stops_a_job_that_has_not_printed(tcp_settings, zebra_printer):
    zebra_printer.paper_out = True
    job = new_job()
    queue.run_worker(tcp_settings, once=True)
    assert queue.cancel(job.id).status == "cancelled"
    zebra_printer.paper_out = False
    queue.retry(job.id)  # a cancelled job is not revived by Retry
    queue.run_worker(tcp_settings, once=True)
    assert fresh(job).status == "cancelled" and zebra_printer.jobs == []


def test_print_test_reports_each_layout_in_words(tcp_settings, zebra_printer):
    lines = queue.print_test(tcp_settings)
    assert lines[0].startswith(f"Label printer (zpl+tcp://127.0.0.1:{zebra_printer.port}")
    names = ("package label", "location label", "quarantine label", "pick label",
             "visitor badge")
    for name in names:
        assert f"Sent: {name}." in lines
    assert "Sent: receiving slip." in lines
    got = zebra_printer.wait_for_jobs(len(names))
    assert len(got) == len(names) and all(b"^XA" in g for g in got)


def test_print_test_says_why_nothing_printed_and_does_not_print_later(tcp_settings,
                                                                      zebra_printer):
    zebra_printer.paper_out = True
    lines = queue.print_test(tcp_settings, wait_seconds=1)
    assert f"Not printed: package label. {PAPER_OUT}" in lines
    assert "Sent: receiving slip." in lines  # the receipt printer (spool folder) was fine
    assert all(j.status in ("cancelled", "printed") for j in PrintJob.select())


@pytest.mark.postgres
def test_workers_on_postgres_send_each_job_once(postgres_url, zebra_printer):
    """The chain set-up: several workers claim rows on PostgreSQL (FOR UPDATE)."""
    db.init(postgres_url)
    db.upgrade()
    s = {"label_printer": f"zpl+tcp://127.0.0.1:{zebra_printer.port}", "training": False}
    with db.connection():
        jobs = [new_job(layout="location_label",
                        data={"code": f"LOC-PG-{n}", "name": f"Shelf {n}"}) for n in range(10)]
    counts = []

    def worker():
        counts.append(queue.drain(("label",), s))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = zebra_printer.wait_for_jobs(10)
    with db.connection():
        assert sum(counts) == 10 and len(got) == 10 and len(set(got)) == 10
        assert all(fresh(j).status == "printed" for j in jobs)
    db.database.close_all()


def test_a_printer_is_held_by_one_process_at_a_time():
    """While this process sends to a printer, another process cannot take the same one."""
    import subprocess
    import sys

    url = "zpl+usb://0a5f:0164"
    probe = ("import sys; sys.path.insert(0, '.'); import fcntl, os, hashlib, tempfile\n"
             f"digest = hashlib.sha1({url!r}.encode()).hexdigest()[:16]\n"
             "path = os.path.join(tempfile.gettempdir(), f'kiosk-printer-{digest}.lock')\n"
             "fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)\n"
             "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
             "except BlockingIOError:\n    print('busy')\n")

    def other_process():
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True).stdout.strip()

    with queue.device_lock(url):
        assert other_process() == "busy"
    assert other_process() == "free"

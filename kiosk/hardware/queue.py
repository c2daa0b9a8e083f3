"""The print queue: send due PrintJob rows to their printers, one worker per printer.

A job row is written in the same transaction as the step that asked for it; this worker
sends it later. The rules, in the order a job meets them:

* A worker claims a job by moving it to ``sending`` in a write transaction (the status is
  re-checked in the UPDATE, so two workers or two processes never both take it). While it
  is ``sending``, ``next_attempt_at`` holds when the claim lapses.
* The job is marked ``printed`` only after the transport accepted every byte.
* A printer problem keeps the job as ``failed`` with the printer's sentence in
  ``last_error`` and a retry time that backs off (10 s up to 5 min). Retry and Reprint
  buttons act at once.
* A job found still ``sending`` after its claim lapsed (the kiosk stopped mid-send) is not
  resent by itself: it may have printed. It waits as ``failed`` for a person to look and
  press Retry. A connection that breaks half-way through a send is retried, which can
  print one label twice; we accept that over losing one.
* One thread per printer address, plus a lock per address held across processes, so two
  jobs never fight over one USB printer.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
from contextlib import contextmanager

from kiosk import clock, db
from kiosk import printer_words as w
from kiosk.hardware import samples, slips
from kiosk.hardware.labels import LAYOUTS as LABEL_LAYOUTS
from kiosk.hardware.labels import LayoutError
from kiosk.hardware.printer_status import PrinterError
from kiosk.hardware.transports import open_transport
from kiosk.models import LANGUAGES, Employee, PrintJob
from kiosk.words import DEFAULT, _

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (10, 30, 60, 120, 300)
CLAIM_SECONDS = 120
# Jobs claimed and marked together: few enough that a slow printer takes them well inside
# the claim, enough that a 500-label job costs a handful of commits.
BATCH = 25
POLL_SECONDS = 1.0
DEVICES = ("label", "receipt")
SETTING = {"label": "label_printer", "receipt": "receipt_printer"}
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def describe(layout: str) -> str:
    """A layout's name in words: "package_label" -> "package label"."""
    return layout.replace("_", " ")


def store_language(settings: dict | None) -> str:
    """The store's language (the ``language`` setting), English when it has none we know."""
    language = (settings or {}).get("language", DEFAULT)
    return language if language in LANGUAGES else DEFAULT


def requester_language(job: PrintJob, settings: dict | None = None) -> str:
    """A label or slip is printed in the language of the person who asked for it; one no
    person asked for (a pick ticket the POS sent) in the store's language (``settings``)."""
    if not job.requested_by_id:
        return store_language(settings)
    person = Employee.get_or_none(Employee.id == job.requested_by_id)
    if person is None or person.language not in LANGUAGES:
        return store_language(settings)
    return person.language


def payload(job: PrintJob, settings: dict) -> bytes:
    """The bytes for a job: ZPL for labels, ESC/POS for slips. Raises LayoutError/SlipError."""
    training = bool(job.training or settings.get("training"))
    language = requester_language(job, settings)
    if job.device == "label":
        from kiosk.hardware.zpl import label_zpl

        return label_zpl(job.layout, job.data or {}, settings, training, job.copies,
                         language).encode()
    if job.device == "receipt":
        from kiosk.hardware.escpos_slips import slip_bytes

        return slip_bytes(job.layout, job.data or {}, settings, training, job.copies, language)
    raise LayoutError(w.filled(w.NO_SUCH_DEVICE, device=repr(job.device)))


def spool_name(job: PrintJob) -> str:
    """The file name a job gets in a spool folder."""
    return f"{job.id:08d}-{job.layout}.{'zpl' if job.device == 'label' else 'escpos'}"


def _due(devices, now):
    waiting = (PrintJob.status == "queued") & (PrintJob.next_attempt_at.is_null()
                                               | (PrintJob.next_attempt_at <= now))
    retrying = (PrintJob.status == "failed") & (PrintJob.next_attempt_at <= now)
    return PrintJob.device.in_(list(devices)) & (waiting | retrying)


def claim_next(devices) -> PrintJob | None:
    """Take the oldest due job for ``devices`` (marks it sending), or None."""
    jobs = claim_batch(devices, 1)
    return jobs[0] if jobs else None


def claim_batch(devices, limit: int) -> list[PrintJob]:
    """Take up to ``limit`` due jobs, oldest first and all for the oldest one's device
    (marks them sending), in one transaction: a 500-label job is claimed in a few commits
    instead of 500."""
    with db.write():
        now = clock.now()
        query = (PrintJob.select().where(_due(devices, now)).order_by(PrintJob.id)
                 .limit(limit))
        found = list(db.locked(query))
        if not found:
            return []
        # Stop at the first job of another device: jobs leave in the order they came.
        batch = []
        for job in found:
            if job.device != found[0].device:
                break
            batch.append(job)
        ids = [job.id for job in batch]
        # The rows are locked (or the whole database is, on SQLite): the status is re-checked
        # all the same, so a job another worker took is never taken twice.
        (PrintJob.update(status="sending", attempts=PrintJob.attempts + 1,
                         next_attempt_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
         .where(PrintJob.id.in_(ids), PrintJob.status.in_(["queued", "failed"])).execute())
        return list(PrintJob.select().where(PrintJob.id.in_(ids), PrintJob.status == "sending",
                                            PrintJob.next_attempt_at > now)
                    .order_by(PrintJob.id))


def recover_interrupted(devices=DEVICES) -> int:
    """Jobs left ``sending`` past their claim: park them for a person (they may have printed)."""
    with db.write():
        return (PrintJob.update(
            status="failed", next_attempt_at=None,
            last_error=str(w.INTERRUPTED))
            .where(PrintJob.status == "sending", PrintJob.device.in_(list(devices)),
                   PrintJob.next_attempt_at < clock.now()).execute())


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


def _finish(job: PrintJob, **fields) -> None:
    _finish_all([job], **fields)


def _finish_all(jobs: list[PrintJob], **fields) -> None:
    if not jobs:
        return
    with db.write():
        PrintJob.update(**fields).where(PrintJob.id.in_([j.id for j in jobs]),
                                        PrintJob.status == "sending").execute()


def send(job: PrintJob, settings: dict) -> str:
    """Send one claimed job; returns its new status (printed or failed)."""
    return send_batch([job], settings)[0]


def send_batch(jobs: list[PrintJob], settings: dict) -> list[str]:
    """Send claimed jobs of one device, in order; returns each one's new status.

    The jobs the printer took are marked printed together once it has taken them. At the
    first printer problem that job fails with the printer's sentence and the ones after it
    wait for the same retry time without being tried (their attempt is not counted).
    """
    url = str(settings.get(SETTING.get(jobs[0].device, ""), "none"))
    status: dict[int, str] = {}
    ready = []
    for job in jobs:
        try:
            ready.append((job, payload(job, settings)))
        except (LayoutError, slips.SlipError, ValueError) as exc:
            # Bad data will not get better by itself: keep the job for a person to see.
            _finish(job, status="failed", next_attempt_at=None,
                    last_error=str(w.filled(w.NOT_MADE, layout=describe(job.layout),
                                            problem=str(exc))))
            status[job.id] = "failed"
    sent, problem = len(ready), None
    if ready:
        try:
            transport = open_transport(url, jobs[0].device)
            with device_lock(url):
                transport.send_many([(data, spool_name(job)) for job, data in ready])
        except PrinterError as exc:
            sent, problem = exc.sent, str(exc)
        except Exception as exc:  # an unforeseen fault must not kill the worker or lose a job
            log.exception("print jobs %s failed", ", ".join(str(j.id) for j, _ in ready))
            sent = 0
            problem = str(w.filled(w.UNEXPECTED, who=w.who(jobs[0].device), error=str(exc)))
    taken = [job for job, _ in ready[:sent]]
    _finish_all(taken, status="printed", printed_at=clock.now(), last_error="",
                next_attempt_at=None)
    status.update((job.id, "printed") for job in taken)
    if problem is not None:
        failed, waiting = ready[sent][0], [job for job, _ in ready[sent + 1:]]
        retry_at = clock.now() + _backoff(failed.attempts)
        _finish(failed, status="failed", last_error=problem, next_attempt_at=retry_at)
        status[failed.id] = "failed"
        if waiting:
            with db.write():
                (PrintJob.update(status="queued", next_attempt_at=retry_at,
                                 attempts=PrintJob.attempts - 1)
                 .where(PrintJob.id.in_([j.id for j in waiting]),
                        PrintJob.status == "sending").execute())
            status.update((job.id, "queued") for job in waiting)
    return [status[job.id] for job in jobs]


@contextmanager
def device_lock(url: str):
    """Hold one printer for one job: a thread lock here and a file lock across processes."""
    with _process_locks_guard:
        lock = _process_locks.setdefault(url, threading.Lock())
    digest = hashlib.sha1(url.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"kiosk-printer-{digest}.lock")
    with lock:
        # Read-only and world-readable: the service user and an admin running print-test
        # as another user can both open the same lock file.
        fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _groups(settings: dict) -> dict[str, tuple[str, ...]]:
    """Printer address -> the devices that print there (one worker each)."""
    groups: dict[str, list[str]] = {}
    for device in DEVICES:
        groups.setdefault(str(settings.get(SETTING[device], "none")), []).append(device)
    return {url: tuple(devices) for url, devices in groups.items()}


def drain(devices, settings: dict) -> int:
    """Send every job due now for ``devices``; returns how many were handled."""
    handled = 0
    with db.connection():
        while True:
            jobs = claim_batch(devices, BATCH)
            if not jobs:
                return handled
            send_batch(jobs, settings)
            handled += len(jobs)


def _loop(devices, settings: dict, stop: threading.Event, counts: list) -> None:
    while not stop.is_set():
        try:
            handled = drain(devices, settings)
            counts.append(handled)
        except Exception:  # e.g. the database is briefly locked: log, wait, carry on
            log.exception("print worker for %s", ", ".join(devices))
            handled = 0
        if not handled:
            stop.wait(POLL_SECONDS)


def _start(settings: dict, stop: threading.Event, daemon: bool) -> tuple[list, list]:
    with db.connection():
        recover_interrupted()
    threads, counts = [], []
    for url, devices in _groups(settings).items():
        thread = threading.Thread(target=_loop, args=(devices, settings, stop, counts),
                                  name=f"print-{'+'.join(devices)}", daemon=daemon)
        thread.start()
        threads.append(thread)
        log.info("print worker for %s -> %s", ", ".join(devices), url)
    return threads, counts


def run_worker(settings: dict, stop: threading.Event | None = None, once: bool = False) -> int:
    """Send due jobs. ``once``: send what is due now and return the count; otherwise run one
    thread per printer until ``stop`` is set and return the total handled."""
    if once:
        with db.connection():
            recover_interrupted()
        return sum(drain(devices, settings) for devices in _groups(settings).values())
    stop = stop or threading.Event()
    threads, counts = _start(settings, stop, daemon=False)
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
    return sum(counts)


def start_background(settings: dict) -> threading.Event:
    """Start the per-printer workers as daemon threads; set the returned Event to stop them."""
    stop = threading.Event()
    _start(settings, stop, daemon=True)
    return stop


def request(device: str, layout: str, data: dict, settings: dict, requested_by_id=None,
            copies: int = 1, reprint_of: PrintJob | None = None, run_id=None) -> PrintJob:
    """Queue a job outside a workflow step (reprints, test prints), in its own transaction."""
    with db.write():
        return PrintJob.create(
            device=device, layout=layout, data=data, copies=copies, created_at=clock.now(),
            requested_by_id=requested_by_id, station=str(settings.get("station", "")),
            training=bool(settings.get("training") or (reprint_of and reprint_of.training)),
            reprint_of=reprint_of, run_id=run_id)


def reprint(job_id: int, settings: dict, requested_by_id=None) -> PrintJob:
    """A new job printing the same thing again, linked to the original."""
    original = PrintJob.get_by_id(job_id)
    return request(original.device, original.layout, original.data, settings,
                   requested_by_id, reprint_of=original, run_id=original.run_id)


def retry(job_id: int) -> PrintJob:
    """Make a waiting or failed job due now. Printed or cancelled jobs are left alone."""
    with db.write():
        (PrintJob.update(status="queued", next_attempt_at=clock.now())
         .where(PrintJob.id == job_id, PrintJob.status.in_(["queued", "failed"])).execute())
    return PrintJob.get_by_id(job_id)


def cancel(job_id: int) -> PrintJob:
    """Stop a job that has not printed (it stays listed, as cancelled)."""
    with db.write():
        (PrintJob.update(status="cancelled", next_attempt_at=None)
         .where(PrintJob.id == job_id, PrintJob.status.in_(["queued", "failed"])).execute())
    return PrintJob.get_by_id(job_id)


def print_test(settings: dict, wait_seconds: float = 20.0) -> list[str]:
    """Print one of every label layout and one slip now; say what happened, in words."""
    jobs = []
    for layout in LABEL_LAYOUTS:
        jobs.append(request("label", layout, samples.LABELS[layout], settings))
    jobs.append(request("receipt", "receiving_slip", samples.SLIPS["receiving_slip"],
                        settings))
    run_worker(settings, once=True)
    # A running kiosk's own worker may have taken some of them; wait for it to finish.
    deadline = time.monotonic() + wait_seconds
    with db.connection():
        while time.monotonic() < deadline:
            states = [PrintJob.get_by_id(j.id).status for j in jobs]
            if not any(s in ("queued", "sending") for s in states):
                break
            time.sleep(0.2)
        lines = []
        for device in DEVICES:
            url = settings.get(SETTING[device], "none")
            extra = (f", {settings.get('label_stock')} in stock, {settings.get('label_dpi')} dpi"
                     if device == "label" else "")
            lines.append(f"{device.capitalize()} printer ({url}{extra}):")
            for job in jobs:
                if job.device != device:
                    continue
                job = PrintJob.get_by_id(job.id)
                name = describe(job.layout)
                if job.status == "printed":
                    lines.append(_("Sent: {name}.", name=name))
                    continue
                if job.status == "failed":
                    lines.append(_("Not printed: {name}. {error}", name=name,
                                   error=job.last_error))
                else:
                    lines.append(_("Not sent yet: {name} is still {status}; is another kiosk "
                                   "program holding the printer?", name=name,
                                   status=job.status))
                # A test print that did not come out now should not surprise anyone later.
                cancel(job.id)
    return lines

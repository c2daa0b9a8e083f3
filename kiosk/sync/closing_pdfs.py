"""The syncer keeps the day's report PDF of each signed closing (``kiosk/closing_pdf.py``
queues them).

For each closing whose PDF is owed: claim it (one process at a time, by a compare-and-set
on its row), make the report, write the file, and in one transaction keep its
``KeptReport`` row, its audit entry and the closing's mark that it is kept; the mark is set
only while the claim is still ours, so a second PDF of one closing is never kept.

A maker that fails (a bad font, a full disk) records why and is tried again after a pause
that grows; one that crashed is noticed as the sync worker's claims are (``liveness``): a
claimer on this host whose process is gone is taken over at once, one on another host once
its claim is older than ``LEASE``. A crash between writing the file and keeping its row
leaves a file no row names; the next maker removes it before making its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from kiosk import clock, db, reports
from kiosk.models import ClosingPdf, KeptReport
from kiosk.sync import liveness

log = logging.getLogger("kiosk.sync")

LEASE = dt.timedelta(minutes=10)  # a PDF takes seconds; this is a claimer gone quiet
RETRY_MINUTES = (1, 5, 15, 60)  # after the 1st, 2nd, 3rd, later failures


class LostClaim(Exception):
    """Another maker took the closing over meanwhile: this PDF is not kept."""


def me() -> str:
    """This process, as a claimer: host, pid and a mark telling it from a later same pid."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{liveness.process_mark(pid)}"


def _gone(job: ClosingPdf, now: dt.datetime) -> bool:
    """Whether the process that claimed the job can no longer be making it."""
    host, _, rest = job.claimed_by.partition(":")
    pid, _, mark = rest.partition(":")
    if host == socket.gethostname() and pid.isdigit():
        return liveness.process_mark(int(pid)) != mark
    return job.claimed_at is None or now - job.claimed_at > LEASE


def due(now: dt.datetime) -> list[ClosingPdf]:
    """The closings whose PDF should be made now, oldest first."""
    jobs = ClosingPdf.select().where(ClosingPdf.status != "kept").order_by(ClosingPdf.id)
    return [j for j in jobs
            if (j.status == "queued" and (j.retry_at is None or j.retry_at <= now))
            or (j.status == "making" and _gone(j, now))]


def claim(job: ClosingPdf, who: str, now: dt.datetime) -> bool:
    """Take the job if it still stands as it was read (nobody else took it meanwhile)."""
    with db.write():
        taken = ClosingPdf.update(status="making", claimed_by=who, claimed_at=now,
                                  attempts=ClosingPdf.attempts + 1).where(
            ClosingPdf.id == job.id, ClosingPdf.status == job.status,
            ClosingPdf.claimed_by == job.claimed_by).execute()
    return taken == 1


def file_name(job: ClosingPdf) -> str:
    """What goes after the day in the file's name: one closing's files are told apart."""
    return f"end-of-day-at-close-{job.check_id}"


def _remove_unkept(job: ClosingPdf, settings: dict) -> None:
    """Files an earlier, crashed maker of this closing wrote but never kept (no row names
    them). Only the claim's holder calls this, so no maker is writing one meanwhile."""
    year = reports.folder(settings) / f"{job.day:%Y}"
    stem = f"{job.day.isoformat()}-{file_name(job)}-"
    found = [p for p in year.glob(f"{stem}*") if p.suffix in (".pdf", ".part")]
    if not found:
        return
    named = {p for (p,) in KeptReport.select(KeptReport.path).where(
        KeptReport.day == job.day).tuples()}
    for path in found:
        if str(path.relative_to(reports.folder(settings))) not in named:
            log.warning("removing %s: a PDF of closing %s made but never kept", path,
                        job.check_id)
            path.unlink(missing_ok=True)


def make(job: ClosingPdf, who: str, settings: dict) -> KeptReport | None:
    """Make and keep the claimed closing's PDF; None when it failed (recorded, retried) or
    another maker took it over."""
    _remove_unkept(job, settings)

    def mark_kept(kept: KeptReport) -> None:
        if not ClosingPdf.update(status="kept", kept=kept.id, last_error="").where(
                ClosingPdf.id == job.id, ClosingPdf.status == "making",
                ClosingPdf.claimed_by == who).execute():
            raise LostClaim(f"closing {job.check_id} was taken over")

    try:
        return reports.keep_pdf(job.day, job.signed_by, settings, job.station,
                                occasion="at close", name=file_name(job), along=mark_kept)
    except LostClaim:
        log.warning("the PDF of closing %s was taken over by another maker", job.check_id)
        return None
    except Exception as exc:  # recorded for the manager's screen, and tried again later
        log.exception("making the PDF of closing %s failed", job.check_id)
        attempts = ClosingPdf.get_by_id(job.id).attempts
        pause = RETRY_MINUTES[min(attempts, len(RETRY_MINUTES)) - 1]
        with db.write():
            ClosingPdf.update(status="queued", last_error=str(exc)[:500] or type(exc).__name__,
                              retry_at=clock.now() + dt.timedelta(minutes=pause)).where(
                ClosingPdf.id == job.id, ClosingPdf.claimed_by == who).execute()
        return None


def make_due(settings: dict) -> list[KeptReport]:
    """Keep the PDF of every closing that is owed one now; what was kept."""
    who, kept = me(), []
    for job in due(clock.now()):
        if claim(job, who, clock.now()):
            made = make(ClosingPdf.get_by_id(job.id), who, settings)
            if made is not None:
                kept.append(made)
    return kept

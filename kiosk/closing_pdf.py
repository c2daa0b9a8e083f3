"""The day's report PDF owed at close (SOP §7.3): queued by the closing manager's signature,
made and kept afterwards by the syncer (``kiosk/sync/closing_pdfs.py``).

A PDF takes seconds to lay out, and a step holds the write lock while it commits, so the
signature only writes a ``ClosingPdf`` row in its own transaction (with the signing step's
records); the PDF follows within seconds. Screens ask ``state`` what to say: kept, with the
SHA-256, or being made.
"""

from __future__ import annotations

import datetime as dt

from kiosk.models import ClosingPdf, KeptReport
from kiosk.models.reconciliation import DayCheck
from kiosk.words import _


def queue(check: DayCheck, signer, station: str, now: dt.datetime) -> ClosingPdf:
    """The closing's PDF is owed (call inside the signing step's write)."""
    return ClosingPdf.create(check=check.id, day=check.day, signed_by=signer, station=station,
                             queued_at=now, status="queued", claimed_by="", attempts=0,
                             last_error="")


def state(day: dt.date) -> dict | None:
    """What the manager's screens say of the day's PDF at close: None when no closing of the
    day was signed; else ``{"kept": KeptReport | None, "words": ..., "error": ...}``."""
    job = (ClosingPdf.select().where(ClosingPdf.day == day)
           .order_by(ClosingPdf.id.desc()).first())
    if job is None:
        return None
    kept = KeptReport.get_or_none(KeptReport.id == job.kept_id) if job.kept_id else None
    if kept is not None:
        return {"kept": kept, "sha256": kept.sha256, "error": "",
                "words": _("Report kept at close, SHA-256 {sha256}", sha256=kept.sha256)}
    error = job.last_error if job.attempts else ""
    if error:
        said = _("Report at close: being made (a PDF takes a few seconds; the syncer makes "
                 "it). The last try failed: {error}; it is tried again.", error=error)
    else:
        said = _("Report at close: being made (a PDF takes a few seconds; the syncer makes "
                 "it).")
    return {"kept": None, "sha256": "", "error": error, "words": said}

"""Reports kept as records: the end-of-day report's PDF, its SHA-256, who made it and when.

The PDF itself is a file in the reports folder (``reports_folder`` setting, by default
``reports/`` beside the database); the row is what proves which file it was. Rows are never
changed or deleted (retention: ``kiosk.retention``).
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey
from kiosk.models.people import Employee
from kiosk.models.reconciliation import DayCheck

KEPT_KINDS = ("end_of_day",)


class KeptReport(BaseModel):
    """One PDF of one store day's report, as it was generated."""

    kind = peewee.CharField(default="end_of_day")
    day = peewee.DateField(index=True)  # the store's day the report covers
    sha256 = peewee.CharField(max_length=64)
    size = peewee.IntegerField()  # bytes
    path = peewee.CharField()  # relative to the reports folder
    generated_by = ForeignKey(Employee, null=True, backref="+", index=False)  # None: the system
    generated_at = peewee.DateTimeField()
    station = peewee.CharField(default="")
    occasion = peewee.CharField(default="on demand")  # on demand | at close | evidence packet


class ClosingPdf(BaseModel):
    """The day's report PDF owed for one signed closing reconciliation (SOP §7.3: the report
    is generated at close and kept for seven years).

    The closing manager's signature queues it; the syncer makes and keeps it (``kept``), so
    the signature never waits for a PDF. ``status``: queued (to make, at ``retry_at`` or at
    once), making (claimed by ``claimed_by``, a process; taken over when that process is
    gone), kept. One row a closing: a retry can never keep a second PDF of it.
    """

    check = ForeignKey(DayCheck, unique=True, backref="+")
    day = peewee.DateField()
    signed_by = ForeignKey(Employee, backref="+", index=False)
    station = peewee.CharField(default="")
    queued_at = peewee.DateTimeField()
    status = peewee.CharField(default="queued", index=True)  # queued | making | kept
    claimed_by = peewee.CharField(default="")
    claimed_at = peewee.DateTimeField(null=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(default="")
    retry_at = peewee.DateTimeField(null=True)
    kept = ForeignKey(KeptReport, null=True, backref="+", index=False)

"""Reports kept as records: the end-of-day report's PDF, its SHA-256, who made it and when.

The PDF itself is a file in the reports folder (``reports_folder`` setting, by default
``reports/`` beside the database); the row is what proves which file it was. Rows are never
changed or deleted (retention: ``kiosk.retention``).
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey
from kiosk.models.people import Employee

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

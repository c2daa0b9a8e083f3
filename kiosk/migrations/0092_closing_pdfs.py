"""The end-of-day report's PDF owed for each signed closing, from the signature until the
PDF is kept, as first released (``frozen``).

The signature queues it in its own transaction; the syncer makes it afterwards, since a PDF
takes seconds and no step may hold the write lock that long. One row a closing (``check``
is unique), so a closing is never kept twice however often the making is retried.
"""

from peewee import CharField, DateField, DateTimeField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
DayCheck = existing("DayCheck")
KeptReport = existing("KeptReport")


class ClosingPdf(Table):
    check = fk(DayCheck, unique=True)
    day = DateField()
    signed_by = fk(Employee, index=False)
    station = CharField()
    queued_at = DateTimeField()
    status = CharField(index=True)
    claimed_by = CharField()
    claimed_at = DateTimeField(null=True)
    attempts = IntegerField()
    last_error = TextField()
    retry_at = DateTimeField(null=True)
    kept = fk(KeptReport, null=True, index=False)


def up(database):
    create(database, [ClosingPdf])

"""Print jobs: created in the step's transaction, sent later by the print worker."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField

PRINT_STATUSES = ("queued", "sending", "printed", "failed", "cancelled")


class PrintJob(BaseModel):
    """A label or slip to print: which device, which layout, with what data.

    The workflow only names the layout and its data; turning it into ZPL or ESC/POS
    bytes is the hardware layer's job. A failed job keeps its reason in plain words.
    """

    device = peewee.CharField()  # label | receipt
    layout = peewee.CharField()
    data = JSONField(default=dict)
    copies = peewee.IntegerField(default=1)
    status = peewee.CharField(default="queued", index=True)
    attempts = peewee.IntegerField(default=0)
    last_error = peewee.TextField(default="")
    next_attempt_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField()
    printed_at = peewee.DateTimeField(null=True)
    run_id = peewee.IntegerField(null=True, index=True)
    step_event_id = peewee.IntegerField(null=True)
    requested_by_id = peewee.IntegerField(null=True)
    station = peewee.CharField(default="")
    training = peewee.BooleanField(default=False)
    reprint_of = ForeignKey("self", null=True, backref="reprints")

"""Opening and closing reconciliation: Metrc's receipts as pulled, each day's checks, the
differences they found and how each was settled, the packages counted, and the manager's
word on every message still waiting at close.

Records are kept as the SOP needs them in an inspection: a difference keeps the figures it
was found with, and its settling (who, when, why, which messages corrected it) is written
once; ``MetrcReceipt`` is the last copy pulled of a receipt Metrc holds.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField, QuantityField
from kiosk.models.people import Employee

CHECK_KINDS = ("open", "close")
DIFFERENCE_KINDS = ("unreported", "unsold", "quantity", "void", "return", "count")
SETTLED_AS = ("explained", "corrected", "escalated")


class MetrcReceipt(BaseModel):
    """A sales receipt as Metrc holds it (the syncer's pulls), per the store's day.

    ``lines`` are ``[{tag, quantity, unit, amount}]`` as Metrc last said; ``corrected``,
    when set, is what the kiosk has since told Metrc the receipt should say (a fix sent
    through the outbox), so the next fix of the same receipt starts from it.
    """

    metrc_id = peewee.IntegerField(unique=True)
    external_number = peewee.CharField(default="")
    sold_local = peewee.CharField()  # SalesDateTime as Metrc writes it (facility clock)
    sold_at = peewee.DateTimeField()  # the same moment, naive UTC
    sold_on = peewee.DateField(index=True)  # the store's day
    customer_type = peewee.CharField(default="Consumer")
    is_final = peewee.BooleanField(default=False)
    archived = peewee.BooleanField(default=False)  # voided in Metrc: sells nothing
    lines = JSONField(default=list)
    corrected = JSONField(null=True)
    last_modified = peewee.DateTimeField(null=True)
    pulled_at = peewee.DateTimeField()


class DayCheck(BaseModel):
    """One opening (``open``: the day before's sales) or closing (``close``: today's)
    reconciliation of a store day, from its run until the manager signs it."""

    day = peewee.DateField()
    kind = peewee.CharField()  # open | close
    run_id = peewee.IntegerField(unique=True)
    status = peewee.CharField(default="open")  # open | signed | cancelled
    started_by = ForeignKey(Employee, backref="+", index=False)
    started_at = peewee.DateTimeField()
    figures = JSONField(default=dict)  # what was compared: lines, receipts, as of when
    signed_by = ForeignKey(Employee, null=True, backref="+", index=False)
    signed_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("day", "kind"), False),)


class DayDifference(BaseModel):
    """One difference a reconciliation found for one package, and how it was settled.

    Sales differences compare what the POS sold (net of returns, voids left out) with what
    Metrc's receipts say was sold; a count difference compares a package counted with what
    the books expected. ``detail`` keeps the receipts behind the figures (and, once it is
    escalated, the ``variance`` an investigator takes up); ``messages`` the outbox keys of a
    correction sent to Metrc.
    """

    check = ForeignKey(DayCheck, backref="differences")
    day = peewee.DateField(index=True)
    tag = peewee.CharField(max_length=24)
    item_name = peewee.CharField(default="")
    unit = peewee.CharField(default="Each")
    kind = peewee.CharField()  # see DIFFERENCE_KINDS
    pos = QuantityField(null=True)
    metrc = QuantityField(null=True)
    expected = QuantityField(null=True)
    counted = QuantityField(null=True)
    detail = JSONField(default=dict)
    settled = peewee.CharField(default="")  # "" | explained | corrected | escalated
    reason = peewee.CharField(default="")
    note = peewee.TextField(default="")
    settled_by = ForeignKey(Employee, null=True, backref="+", index=False)
    settled_at = peewee.DateTimeField(null=True)
    messages = JSONField(default=list)
    found_at = peewee.DateTimeField()


class DayCount(BaseModel):
    """One package of a spot count (opening) or closing count: what the books expect,
    never shown to the counter, and what was counted."""

    check = ForeignKey(DayCheck, backref="counts")
    tag = peewee.CharField(max_length=24)
    item_name = peewee.CharField(default="")
    unit = peewee.CharField(default="Each")
    place = peewee.CharField(default="")
    expected = QuantityField()
    source = peewee.CharField(default="")  # where the expected figure comes from, in words
    counted = QuantityField(null=True)
    counted_by = ForeignKey(Employee, null=True, backref="+", index=False)
    counted_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("check", "tag"), True),)


class WaitingNote(BaseModel):
    """The closing manager's word on one message still waiting for Metrc or the POS."""

    check = ForeignKey(DayCheck, backref="waiting_notes")
    message_id = peewee.IntegerField(index=True)
    reason = peewee.CharField()
    note = peewee.TextField()
    by = ForeignKey(Employee, backref="+", index=False)
    at = peewee.DateTimeField()

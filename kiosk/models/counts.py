"""Cycle counts, the variances they find, and what the POS and Metrc last said about stock.

A ``Count`` is one count of one scope (a location, a category, or a spot count of packages the
kiosk picked), scheduled by a manager for a day or started on the spot by a counter. Its
``CountLine`` rows are the packages expected in that scope and those found in it; the
expected quantities stay here and never reach the counter's screen. A ``Variance`` is a
package whose counted quantity, ledger, POS and Metrc figures do not all agree (or that was
expected and not found, or found and not expected); it is recounted, then investigated and
resolved, and keeps the four figures it was found with.

``PosInventory`` and ``MetrcPackage`` hold the last figure each outside system gave per
package tag: the POS's inventory reports and the syncer's pulls of Metrc's package lists.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField, QuantityField
from kiosk.models.people import Employee
from kiosk.models.stock import Location, Package

COUNT_SCOPES = ("location", "category", "spot")
COUNT_STATUSES = ("scheduled", "counting", "recount", "closed", "cancelled")
VARIANCE_KINDS = ("missing", "extra", "quantity")
VARIANCE_STATES = ("recount", "investigating", "adjusted", "closed")


class Count(BaseModel):
    """One count of one scope; ``due_on`` is the store's date it is due (None: ad hoc)."""

    title = peewee.CharField()
    scope = peewee.CharField()  # location | category | spot
    location = ForeignKey(Location, null=True, backref="+")
    category = peewee.CharField(default="")
    spot_size = peewee.IntegerField(null=True)
    due_on = peewee.DateField(null=True, index=True)
    status = peewee.CharField(default="scheduled", index=True)
    scheduled_by = ForeignKey(Employee, null=True, backref="+", index=False)
    created_at = peewee.DateTimeField()
    run_id = peewee.IntegerField(null=True)  # the cycle_count run counting it
    expected = peewee.IntegerField(default=0)  # packages in scope when counting began
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)  # the area was finished; variances found
    closed_at = peewee.DateTimeField(null=True)  # both signatures given
    note = peewee.TextField(default="")


class CountLine(BaseModel):
    """One package of a count: expected in its scope, found in it, or both.

    ``ledger`` is the ledger's figure when the package was counted (or when the area was
    finished, for one never found). A recount never replaces the first count: both are kept.
    """

    count = ForeignKey(Count, backref="lines", index=False)  # (count, tag) below serves it
    tag = peewee.CharField(max_length=24)
    package = ForeignKey(Package, null=True, backref="+", index=False)
    item_name = peewee.CharField(default="")
    unit = peewee.CharField(default="Each")
    expected = peewee.BooleanField(default=False)
    records_place = peewee.CharField(default="")  # "on Vault shelf B2": where the records have it
    counted = QuantityField(null=True)
    counted_by = ForeignKey(Employee, null=True, backref="+", index=False)
    counted_at = peewee.DateTimeField(null=True)
    counted_how = peewee.CharField(default="")  # keypad, scale, or "typed weight: <why>"
    ledger = QuantityField(null=True)
    recounted = QuantityField(null=True)
    recounted_by = ForeignKey(Employee, null=True, backref="+", index=False)
    recounted_at = peewee.DateTimeField(null=True)
    recounted_how = peewee.CharField(default="")
    looked_again = peewee.BooleanField(default=False)  # a recount looked and did not find it

    class Meta:
        indexes = ((("count", "tag"), True),)


class Variance(BaseModel):
    """A package whose four figures disagree, found by a count; followed until resolved.

    ``physical`` is the count, or the recount once there is one (the recount stands).
    """

    count = ForeignKey(Count, backref="variances")
    line = ForeignKey(CountLine, backref="+", index=False)
    tag = peewee.CharField(max_length=24, index=True)
    package = ForeignKey(Package, null=True, backref="+", index=False)
    item_name = peewee.CharField(default="")
    unit = peewee.CharField(default="Each")
    kind = peewee.CharField()  # missing | extra | quantity
    physical = QuantityField(null=True)
    ledger = QuantityField(null=True)
    pos = QuantityField(null=True)
    metrc = QuantityField(null=True)
    state = peewee.CharField(default="recount", index=True)
    found_at = peewee.DateTimeField()
    recount = peewee.CharField(default="")  # cleared | confirmed, once recounted
    run_id = peewee.IntegerField(null=True)  # the variance_investigation run working on it
    cause = peewee.CharField(default="")
    cause_note = peewee.TextField(default="")
    checks = JSONField(default=list)  # [{"what", "ref", "by", "at"}]
    resolution = peewee.CharField(default="")  # adjusted | fixed elsewhere | cleared by recount
    resolution_note = peewee.TextField(default="")
    adjustment = QuantityField(null=True)  # the signed change sent to the ledger and Metrc
    adjustment_reason = peewee.CharField(default="")
    incident = peewee.BooleanField(default=False)  # theft suspected: the manager follows up
    follow_up_by = ForeignKey(Employee, null=True, backref="+", index=False)
    follow_up_at = peewee.DateTimeField(null=True)
    follow_up_note = peewee.TextField(default="")
    closed_at = peewee.DateTimeField(null=True)


class PosInventory(BaseModel):
    """The POS's last inventory figure for one package tag (its report or webhook)."""

    tag = peewee.CharField(unique=True, max_length=24)
    quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    room = peewee.CharField(default="")
    as_of = peewee.DateTimeField()  # when the POS says the figure held
    received_at = peewee.DateTimeField()
    source = peewee.CharField(default="webhook")  # webhook | csv | demo


class MetrcPackage(BaseModel):
    """Metrc's last word on one package, from the syncer's pulls of its package lists."""

    tag = peewee.CharField(unique=True, max_length=24)
    metrc_id = peewee.IntegerField(null=True)
    quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    location_name = peewee.CharField(default="")
    item_name = peewee.CharField(default="")
    state = peewee.CharField(default="active", index=True)  # active | onhold | inactive
    last_modified = peewee.DateTimeField(null=True)  # Metrc's, in UTC
    pulled_at = peewee.DateTimeField()

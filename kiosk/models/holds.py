"""Holds and the ways out of the quarantine cage: release, return to vendor, destruction, and
recalls (SOP §5).

A ``PackageHold`` is one package (or part of one) taken out of sellable stock, with the
reason in full, who held it, when, and what happens next; it stays open until the package
is released, returned to its vendor or destroyed, and then keeps who closed it and how. The
stock itself changes only through ledger movements (kinds ``quarantine``, ``release``,
``return``, ``destroy``); these rows say why.

A ``Recall`` is one recall a manager entered (an item, a batch, a source package or a lab
test batch); ``RecallPackage`` is each package of it the kiosk found, where it was found,
and the hold that keeps it. A ``VendorReturn`` is one return-to-vendor with its lines; a
``Destruction`` is one package destroyed, with its weight, method and the two people.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, QuantityField
from kiosk.models.people import Employee
from kiosk.models.stock import Item, Location, Package

HOLD_STATUSES = ("held", "released", "returned", "destroyed")
NEXT_STEPS = ("vendor", "destruction", "lab", "manager")


class Recall(BaseModel):
    """A recall a manager entered, and how far bringing its packages in has come."""

    kind = peewee.CharField()  # item | batch | source | lab
    value = peewee.CharField()  # the item's id, the batch, the source tag, the lab batch
    item = ForeignKey(Item, null=True, backref="+", index=False)
    description = peewee.CharField()  # "Batch GC-BD-2611", as the screens name it
    notice = peewee.TextField(default="")  # the recall notice: who issued it, why
    status = peewee.CharField(default="open", index=True)  # open | done
    started_at = peewee.DateTimeField()
    started_by = ForeignKey(Employee, backref="+", index=False)
    run_id = peewee.IntegerField(null=True)
    done_at = peewee.DateTimeField(null=True)


class PackageHold(BaseModel):
    """One package, or ``quantity`` units of it, on hold: never sellable, never pickable."""

    package = ForeignKey(Package, backref="holds")
    tag = peewee.CharField(max_length=24)
    quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    whole = peewee.BooleanField(default=True)  # False: part of the package's units
    reason = peewee.CharField()  # a code of holds.REASONS
    reason_text = peewee.TextField()  # the reason in full, as the label prints it
    sale_ref = peewee.CharField(default="")  # a customer return: the sale it came back from
    next_step = peewee.CharField()  # vendor | destruction | lab | manager
    status = peewee.CharField(default="held", index=True)
    held_at = peewee.DateTimeField()
    held_by = ForeignKey(Employee, null=True, backref="+", index=False)
    held_from = ForeignKey(Location, null=True, backref="+", index=False)  # where it was
    run_id = peewee.IntegerField(null=True)
    recall = ForeignKey(Recall, null=True, backref="holds", index=False)
    closed_at = peewee.DateTimeField(null=True)
    closed_by = ForeignKey(Employee, null=True, backref="+", index=False)
    closed_run_id = peewee.IntegerField(null=True)
    closed_note = peewee.TextField(default="")


class RecallPackage(BaseModel):
    """A package a recall found, where it was then, and the hold that keeps it."""

    recall = ForeignKey(Recall, backref="packages", index=False)  # the pair's index serves
    package = ForeignKey(Package, backref="+", index=False)
    found_in = peewee.CharField()  # vault | floor | pick | cage
    found_at = peewee.CharField(default="")  # the place's name when it was found
    hold = ForeignKey(PackageHold, null=True, backref="+", index=False)
    # How the recall matched it, in words: "batch GC-BD-2611", "made from 1A40… (manifest
    # 0000300101)", "received with COA COA-GC-2611 (manifest 0000300101)".
    matched = peewee.CharField(default="")

    class Meta:
        indexes = ((("recall", "package"), True),)


class VendorReturn(BaseModel):
    """A return to a vendor: who takes it, why, who signed, and Metrc's outgoing manifest."""

    vendor_name = peewee.CharField()
    vendor_license = peewee.CharField()
    reason = peewee.TextField()
    run_id = peewee.IntegerField(unique=True)
    created_at = peewee.DateTimeField()
    created_by = ForeignKey(Employee, backref="+", index=False)
    metrc_manifest = peewee.CharField(default="")  # the number Metrc gave the transfer
    metrc_entered_by = ForeignKey(Employee, null=True, backref="+", index=False)
    metrc_entered_at = peewee.DateTimeField(null=True)


class ReturnLine(BaseModel):
    """One package going back on a return, and the manifest it came to us on."""

    vendor_return = ForeignKey(VendorReturn, backref="lines")
    package = ForeignKey(Package, backref="+", index=False)
    tag = peewee.CharField(max_length=24, index=True)
    item_name = peewee.CharField()
    quantity = QuantityField()
    unit = peewee.CharField()
    manifest_number = peewee.CharField(default="")  # empty: rejected at receiving
    rejected = peewee.BooleanField(default=False)  # Metrc already sends it back


class Destruction(BaseModel):
    """One package (or held part) destroyed: weight, method, reason and the two people."""

    run_id = peewee.IntegerField(index=True)
    package = ForeignKey(Package, backref="+", index=False)
    tag = peewee.CharField(max_length=24, index=True)
    item_name = peewee.CharField()
    quantity = QuantityField()
    unit = peewee.CharField()
    weight = QuantityField()
    weight_unit = peewee.CharField()
    keyed = peewee.BooleanField()  # typed by hand, not read from the scale
    keyed_reason = peewee.TextField(default="")
    method = peewee.CharField()
    collector = peewee.CharField(default="")  # who collects or processes the waste
    mixed_with = peewee.TextField(default="")  # the non-cannabis waste it was mixed with
    reason = peewee.CharField()  # Metrc's adjustment reason
    reason_note = peewee.TextField()
    performed_by = ForeignKey(Employee, backref="+", index=False)
    witnessed_by = ForeignKey(Employee, backref="+", index=False)
    hold = ForeignKey(PackageHold, null=True, backref="+", index=False)
    at = peewee.DateTimeField()

"""Incoming transfers (manifests), their packages, purchase orders and lab results, and what
each package received was made from and tested with (its origins, which a recall asks)."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, DecimalField, ForeignKey, JSONField, QuantityField
from kiosk.models.stock import Item, Package

TRANSFER_STATUSES = ("incoming", "receiving", "received", "cancelled")
TRANSFER_PACKAGE_STATES = ("shipped", "accepted", "rejected")


class Transfer(BaseModel):
    """A delivery shipped to us, as the state system (or the paper manifest) lists it."""

    manifest_number = peewee.CharField(unique=True)
    metrc_transfer_id = peewee.IntegerField(null=True, index=True)
    metrc_delivery_id = peewee.IntegerField(null=True)
    shipper_name = peewee.CharField(default="")
    shipper_license = peewee.CharField(default="")
    receiver_license = peewee.CharField(default="")
    driver_name = peewee.CharField(default="")
    driver_license = peewee.CharField(default="")
    vehicle = peewee.CharField(default="")  # make, model and plate as one line
    est_departure = peewee.DateTimeField(null=True)
    est_arrival = peewee.DateTimeField(null=True)
    actual_departure = peewee.DateTimeField(null=True)
    actual_arrival = peewee.DateTimeField(null=True)
    case_count = peewee.IntegerField(null=True)
    status = peewee.CharField(default="incoming", index=True)
    source = peewee.CharField(default="state")  # state | demo | paper
    created_at = peewee.DateTimeField()
    received_at = peewee.DateTimeField(null=True)
    run_id = peewee.IntegerField(null=True)
    raw = JSONField(null=True)  # what the state system sent, kept for read-back comparison


class TransferPackage(BaseModel):
    """One package on a manifest; ``state`` and ``received_quantity`` are our verdict."""

    transfer = ForeignKey(Transfer, backref="packages")
    tag = peewee.CharField(index=True, max_length=24)
    item = ForeignKey(Item, null=True, backref="+")
    item_name = peewee.CharField(default="")
    batch = peewee.CharField(default="")
    shipped_quantity = QuantityField()
    shipped_unit = peewee.CharField(default="Each")
    received_quantity = QuantityField(null=True)
    state = peewee.CharField(default="shipped")
    reason = peewee.TextField(default="")
    label_thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    label_cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    metrc_package_id = peewee.IntegerField(null=True)
    # The packages it was made from, as the manifest lists them (Metrc's SourcePackageLabels:
    # tags separated by commas), kept as sent.
    source_tags = peewee.TextField(default="")

    class Meta:
        indexes = ((("transfer", "tag"), True),)


class PurchaseOrder(BaseModel):
    """What we ordered from a vendor."""

    number = peewee.CharField(unique=True)
    vendor_name = peewee.CharField()
    vendor_license = peewee.CharField(default="")
    transfer = ForeignKey(Transfer, null=True, backref="purchase_orders")
    status = peewee.CharField(default="open")
    created_at = peewee.DateTimeField()


class PurchaseOrderLine(BaseModel):
    """One ordered item and quantity on a purchase order."""

    purchase_order = ForeignKey(PurchaseOrder, backref="lines")
    item = ForeignKey(Item, backref="+")
    ordered_quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    unit_cost = DecimalField(max_digits=12, decimal_places=2, default=0)


class LabResult(BaseModel):
    """A certificate of analysis result for a package tag or a batch."""

    tag = peewee.CharField(null=True, index=True)
    batch = peewee.CharField(default="", index=True)
    test_type = peewee.CharField()  # e.g. "THC Potency", "Pesticides", "Microbials"
    passed = peewee.BooleanField()
    thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    coa_ref = peewee.CharField(default="")  # the COA document's reference or file name
    tested_at = peewee.DateTimeField(null=True)
    source = peewee.CharField(default="state")


ORIGIN_KINDS = ("source", "lab")


class PackageOrigin(BaseModel):
    """One thing a package came from, recorded when it is received: a source package it was
    made from (``source``: that package's tag) or the lab test batch it was received with
    (``lab``: the COA's reference). A recall by source package or lab test batch finds the
    store's packages here; ``transfer`` is the manifest that said so."""

    package = ForeignKey(Package, backref="origins")
    kind = peewee.CharField()  # source | lab
    value = peewee.CharField()  # upper case, as recalls compare it
    transfer = ForeignKey(Transfer, null=True, backref="+", index=False)

    class Meta:
        indexes = ((("kind", "value"), False),)

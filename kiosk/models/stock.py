"""Stock: locations, items (SKUs), state-tagged packages and the append-only ledger."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, DecimalField, ForeignKey, QuantityField
from kiosk.models.people import Employee

# pickup: where bagged online orders wait for their customers.
LOCATION_KINDS = ("vault", "sales_floor", "quarantine", "receiving", "tote", "pickup")
# not_received: a delivery's package whose receiving was cancelled (its stock reversed).
PACKAGE_STATUSES = ("active", "quarantined", "on_hold", "empty", "rejected", "returned",
                    "destroyed", "not_received")


class Location(BaseModel):
    """A place stock can be: vault shelf, sales floor, quarantine cage, receiving dock, tote."""

    code = peewee.CharField(unique=True)  # what its barcode says, e.g. LOC-V-A1
    name = peewee.CharField()
    kind = peewee.CharField()
    active = peewee.BooleanField(default=True)


class Item(BaseModel):
    """A product type (SKU): brand, form, size; often carries a UPC/GTIN."""

    name = peewee.CharField()
    brand = peewee.CharField(default="")
    category = peewee.CharField()
    gtin = peewee.CharField(null=True, index=True)  # normalised to 14 digits
    unit = peewee.CharField(default="Each")
    metrc_item_id = peewee.IntegerField(null=True)


class Package(BaseModel):
    """One state-tagged unit or lot. ``quantity`` caches the sum of its movements."""

    tag = peewee.CharField(unique=True, max_length=24)
    item = ForeignKey(Item, backref="packages")
    batch = peewee.CharField(default="")
    quantity = QuantityField(default=0)
    unit = peewee.CharField(default="Each")
    location = ForeignKey(Location, null=True, backref="packages")
    status = peewee.CharField(default="active", index=True)
    received_at = peewee.DateTimeField(null=True)
    expires_on = peewee.DateField(null=True)
    thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    created_at = peewee.DateTimeField()


class Movement(BaseModel):
    """One append-only stock movement. Quantity is a signed change; a move has 0 change."""

    package = ForeignKey(Package, backref="movements")
    quantity = QuantityField()
    kind = peewee.CharField()  # receipt, move, adjust, sale, pick, quarantine, release, correction
    # Movements are searched by package and run only; each index more is a page more to
    # write at every move (see migration 0030).
    from_location = ForeignKey(Location, null=True, backref="+", index=False)
    to_location = ForeignKey(Location, null=True, backref="+", index=False)
    reason = peewee.CharField(default="")
    note = peewee.TextField(default="")
    actor = ForeignKey(Employee, null=True, backref="+", index=False)
    station = peewee.CharField(default="")
    run_id = peewee.IntegerField(null=True, index=True)
    step_event_id = peewee.IntegerField(null=True)
    corrects = ForeignKey("self", null=True, backref="corrections", index=False)
    at = peewee.DateTimeField()

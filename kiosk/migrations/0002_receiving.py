"""Transfers (manifests), their packages, purchase orders and lab results, as first released
(``frozen``)."""

from peewee import BooleanField, CharField, DateTimeField, DecimalField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create, existing, fk

Item = existing("Item")


class Transfer(Table):
    manifest_number = CharField(unique=True)
    metrc_transfer_id = IntegerField(null=True, index=True)
    metrc_delivery_id = IntegerField(null=True)
    shipper_name = CharField()
    shipper_license = CharField()
    receiver_license = CharField()
    driver_name = CharField()
    driver_license = CharField()
    vehicle = CharField()
    est_departure = DateTimeField(null=True)
    est_arrival = DateTimeField(null=True)
    actual_departure = DateTimeField(null=True)
    actual_arrival = DateTimeField(null=True)
    case_count = IntegerField(null=True)
    status = CharField(index=True)
    source = CharField()
    created_at = DateTimeField()
    received_at = DateTimeField(null=True)
    run_id = IntegerField(null=True)
    raw = TextField(null=True)


class TransferPackage(Table):
    transfer = fk(Transfer)
    tag = CharField(index=True, max_length=24)
    item = fk(Item, null=True)
    item_name = CharField()
    batch = CharField()
    shipped_quantity = DecimalField(max_digits=14, decimal_places=4)
    shipped_unit = CharField()
    received_quantity = DecimalField(max_digits=14, decimal_places=4, null=True)
    state = CharField()
    reason = TextField()
    label_thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    label_cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    metrc_package_id = IntegerField(null=True)

    class Meta:
        indexes = ((("transfer", "tag"), True),)


class PurchaseOrder(Table):
    number = CharField(unique=True)
    vendor_name = CharField()
    vendor_license = CharField()
    transfer = fk(Transfer, null=True)
    status = CharField()
    created_at = DateTimeField()


class PurchaseOrderLine(Table):
    purchase_order = fk(PurchaseOrder)
    item = fk(Item)
    ordered_quantity = DecimalField(max_digits=14, decimal_places=4)
    unit = CharField()
    unit_cost = DecimalField(max_digits=12, decimal_places=2)


class LabResult(Table):
    tag = CharField(null=True, index=True)
    batch = CharField(index=True)
    test_type = CharField()
    passed = BooleanField()
    thc_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    cbd_pct = DecimalField(max_digits=6, decimal_places=2, null=True)
    coa_ref = CharField()
    tested_at = DateTimeField(null=True)
    source = CharField()


def up(database):
    create(database, [Transfer, TransferPackage, PurchaseOrder, PurchaseOrderLine, LabResult])

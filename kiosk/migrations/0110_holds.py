"""Holds, recalls, returns to vendor and destructions, as first released (``frozen``)."""

from peewee import BooleanField, CharField, DateTimeField, DecimalField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
Item = existing("Item")
Location = existing("Location")
Package = existing("Package")


def amount(**kwargs) -> DecimalField:
    return DecimalField(max_digits=14, decimal_places=4, **kwargs)


class Recall(Table):
    kind = CharField()
    value = CharField()
    item = fk(Item, null=True, index=False)
    description = CharField()
    notice = TextField()
    status = CharField(index=True)
    started_at = DateTimeField()
    started_by = fk(Employee, index=False)
    run_id = IntegerField(null=True)
    done_at = DateTimeField(null=True)


class PackageHold(Table):
    package = fk(Package)
    tag = CharField(max_length=24)
    quantity = amount()
    unit = CharField()
    whole = BooleanField()
    reason = CharField()
    reason_text = TextField()
    sale_ref = CharField()
    next_step = CharField()
    status = CharField(index=True)
    held_at = DateTimeField()
    held_by = fk(Employee, null=True, index=False)
    held_from = fk(Location, null=True, index=False)
    run_id = IntegerField(null=True)
    recall = fk(Recall, null=True, index=False)
    closed_at = DateTimeField(null=True)
    closed_by = fk(Employee, null=True, index=False)
    closed_run_id = IntegerField(null=True)
    closed_note = TextField()


class RecallPackage(Table):
    recall = fk(Recall, index=False)
    package = fk(Package, index=False)
    found_in = CharField()
    found_at = CharField()
    hold = fk(PackageHold, null=True, index=False)

    class Meta:
        indexes = ((("recall", "package"), True),)


class VendorReturn(Table):
    vendor_name = CharField()
    vendor_license = CharField()
    reason = TextField()
    run_id = IntegerField(unique=True)
    created_at = DateTimeField()
    created_by = fk(Employee, index=False)
    metrc_manifest = CharField()
    metrc_entered_by = fk(Employee, null=True, index=False)
    metrc_entered_at = DateTimeField(null=True)


class ReturnLine(Table):
    vendor_return = fk(VendorReturn)
    package = fk(Package, index=False)
    tag = CharField(max_length=24, index=True)
    item_name = CharField()
    quantity = amount()
    unit = CharField()
    manifest_number = CharField()
    rejected = BooleanField()


class Destruction(Table):
    run_id = IntegerField(index=True)
    package = fk(Package, index=False)
    tag = CharField(max_length=24, index=True)
    item_name = CharField()
    quantity = amount()
    unit = CharField()
    weight = amount()
    weight_unit = CharField()
    keyed = BooleanField()
    keyed_reason = TextField()
    method = CharField()
    collector = CharField()
    mixed_with = TextField()
    reason = CharField()
    reason_note = TextField()
    performed_by = fk(Employee, index=False)
    witnessed_by = fk(Employee, index=False)
    hold = fk(PackageHold, null=True, index=False)
    at = DateTimeField()


def up(database):
    create(database, [Recall, PackageHold, RecallPackage, VendorReturn, ReturnLine,
                      Destruction])

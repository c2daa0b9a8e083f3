"""Cycle counts, their lines and variances, and the POS's and Metrc's last figures per tag,
as first released (``frozen``)."""

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    IntegerField,
    TextField,
)

from kiosk.migrations.frozen import Table, create, existing, fk

Employee = existing("Employee")
Location = existing("Location")
Package = existing("Package")


def quantity(**kwargs) -> DecimalField:
    return DecimalField(max_digits=14, decimal_places=4, **kwargs)


class Count(Table):
    title = CharField()
    scope = CharField()
    location = fk(Location, null=True)
    category = CharField()
    spot_size = IntegerField(null=True)
    due_on = DateField(null=True, index=True)
    status = CharField(index=True)
    scheduled_by = fk(Employee, null=True, index=False)
    created_at = DateTimeField()
    run_id = IntegerField(null=True)
    expected = IntegerField()
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    note = TextField()


class CountLine(Table):
    count = fk(Count, index=False)
    tag = CharField(max_length=24)
    package = fk(Package, null=True, index=False)
    item_name = CharField()
    unit = CharField()
    expected = BooleanField()
    records_place = CharField()
    counted = quantity(null=True)
    counted_by = fk(Employee, null=True, index=False)
    counted_at = DateTimeField(null=True)
    counted_how = CharField()
    ledger = quantity(null=True)
    recounted = quantity(null=True)
    recounted_by = fk(Employee, null=True, index=False)
    recounted_at = DateTimeField(null=True)
    recounted_how = CharField()
    looked_again = BooleanField()

    class Meta:
        indexes = ((("count", "tag"), True),)


class Variance(Table):
    count = fk(Count)
    line = fk(CountLine, index=False)
    tag = CharField(max_length=24, index=True)
    package = fk(Package, null=True, index=False)
    item_name = CharField()
    unit = CharField()
    kind = CharField()
    physical = quantity(null=True)
    ledger = quantity(null=True)
    pos = quantity(null=True)
    metrc = quantity(null=True)
    state = CharField(index=True)
    found_at = DateTimeField()
    recount = CharField()
    run_id = IntegerField(null=True)
    cause = CharField()
    cause_note = TextField()
    checks = TextField()
    resolution = CharField()
    resolution_note = TextField()
    adjustment = quantity(null=True)
    adjustment_reason = CharField()
    incident = BooleanField()
    follow_up_by = fk(Employee, null=True, index=False)
    follow_up_at = DateTimeField(null=True)
    follow_up_note = TextField()
    closed_at = DateTimeField(null=True)


class PosInventory(Table):
    tag = CharField(unique=True, max_length=24)
    quantity = quantity()
    unit = CharField()
    room = CharField()
    as_of = DateTimeField()
    received_at = DateTimeField()
    source = CharField()


class MetrcPackage(Table):
    tag = CharField(unique=True, max_length=24)
    metrc_id = IntegerField(null=True)
    quantity = quantity()
    unit = CharField()
    location_name = CharField()
    item_name = CharField()
    state = CharField(index=True)
    last_modified = DateTimeField(null=True)
    pulled_at = DateTimeField()


def up(database):
    create(database, [Count, CountLine, Variance, PosInventory, MetrcPackage])

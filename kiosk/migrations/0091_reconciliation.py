"""Opening and closing reconciliation: Metrc's receipts as pulled, each day's checks, their
differences and counts, and the closing manager's word on messages still waiting, as first
released (``frozen``)."""

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


def quantity(**kwargs) -> DecimalField:
    return DecimalField(max_digits=14, decimal_places=4, **kwargs)


class MetrcReceipt(Table):
    metrc_id = IntegerField(unique=True)
    external_number = CharField()
    sold_local = CharField()
    sold_at = DateTimeField()
    sold_on = DateField(index=True)
    customer_type = CharField()
    is_final = BooleanField()
    archived = BooleanField()
    lines = TextField()
    corrected = TextField(null=True)
    last_modified = DateTimeField(null=True)
    pulled_at = DateTimeField()


class DayCheck(Table):
    day = DateField()
    kind = CharField()
    run_id = IntegerField(unique=True)
    status = CharField()
    started_by = fk(Employee, index=False)
    started_at = DateTimeField()
    figures = TextField()
    signed_by = fk(Employee, null=True, index=False)
    signed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("day", "kind"), False),)


class DayDifference(Table):
    check = fk(DayCheck)
    day = DateField(index=True)
    tag = CharField(max_length=24)
    item_name = CharField()
    unit = CharField()
    kind = CharField()
    pos = quantity(null=True)
    metrc = quantity(null=True)
    expected = quantity(null=True)
    counted = quantity(null=True)
    detail = TextField()
    settled = CharField()
    reason = CharField()
    note = TextField()
    settled_by = fk(Employee, null=True, index=False)
    settled_at = DateTimeField(null=True)
    messages = TextField()
    found_at = DateTimeField()


class DayCount(Table):
    check = fk(DayCheck)
    tag = CharField(max_length=24)
    item_name = CharField()
    unit = CharField()
    place = CharField()
    expected = quantity()
    source = CharField()
    counted = quantity(null=True)
    counted_by = fk(Employee, null=True, index=False)
    counted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("check", "tag"), True),)


class WaitingNote(Table):
    check = fk(DayCheck)
    message_id = IntegerField(index=True)
    reason = CharField()
    note = TextField()
    by = fk(Employee, index=False)
    at = DateTimeField()


def up(database):
    create(database, [MetrcReceipt, DayCheck, DayDifference, DayCount, WaitingNote])

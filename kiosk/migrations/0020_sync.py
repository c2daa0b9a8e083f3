"""The syncer's records: target health, read-back differences, POS sales, pick requests, as
first released (``frozen``)."""

from peewee import CharField, DateTimeField, DecimalField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create


class SyncState(Table):
    key = CharField(unique=True)
    value = TextField()
    updated_at = DateTimeField()


class Discrepancy(Table):
    manifest_number = CharField(index=True)
    tag = CharField()
    field = CharField()
    ours = CharField()
    theirs = CharField()
    message_id = IntegerField(null=True)
    detected_at = DateTimeField()
    resolved_at = DateTimeField(null=True)
    resolved_by_id = IntegerField(null=True)
    resolved_note = TextField()


class PosSale(Table):
    source = CharField()
    receipt = CharField()
    tag = CharField(index=True)
    quantity = DecimalField(max_digits=14, decimal_places=4)
    unit = CharField()
    amount = DecimalField(max_digits=12, decimal_places=2, null=True)
    sold_at = DateTimeField(index=True)
    received_at = DateTimeField()

    class Meta:
        indexes = ((("receipt", "tag"), True),)


class PickRequest(Table):
    external_id = CharField(unique=True)
    lines = TextField()
    note = TextField()
    requested_at = DateTimeField()
    received_at = DateTimeField()
    status = CharField(index=True)


def up(database):
    create(database, [SyncState, Discrepancy, PosSale, PickRequest])

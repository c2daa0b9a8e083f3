"""The persistent print queue, as first released (``frozen``)."""

from peewee import BooleanField, CharField, DateTimeField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create, fk


class PrintJob(Table):
    device = CharField()
    layout = CharField()
    data = TextField()
    copies = IntegerField()
    status = CharField(index=True)
    attempts = IntegerField()
    last_error = TextField()
    next_attempt_at = DateTimeField(null=True)
    created_at = DateTimeField()
    printed_at = DateTimeField(null=True)
    run_id = IntegerField(null=True, index=True)
    step_event_id = IntegerField(null=True)
    requested_by_id = IntegerField(null=True)
    station = CharField()
    training = BooleanField()
    reprint_of = fk("self", null=True)


def up(database):
    create(database, [PrintJob])

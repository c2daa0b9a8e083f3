"""The outbox of messages for the state system and the POS, as first released (``frozen``)."""

from peewee import CharField, DateTimeField, IntegerField, TextField

from kiosk.migrations.frozen import Table, create


class OutboxMessage(Table):
    target = CharField(index=True)
    kind = CharField()
    payload = TextField()
    external_key = CharField(unique=True)
    ordering_key = CharField(index=True)
    status = CharField(index=True)
    attempts = IntegerField()
    next_attempt_at = DateTimeField(index=True)
    last_error = TextField()
    created_at = DateTimeField()
    delivered_at = DateTimeField(null=True)
    claimed_by = CharField(null=True)
    claimed_at = DateTimeField(null=True)
    run_id = IntegerField(null=True, index=True)
    step_event_id = IntegerField(null=True)
    resolved_by_id = IntegerField(null=True)
    resolved_note = TextField()


def up(database):
    create(database, [OutboxMessage])

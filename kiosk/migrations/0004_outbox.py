"""The outbox of messages for the state system and the POS."""

from kiosk.models import OutboxMessage


def up(database):
    database.create_tables([OutboxMessage])

"""Live sync workers (``SyncWorker``): a dead worker's claimed messages are taken over as soon
as it is known dead, instead of after a five-minute lease (``frozen``)."""

from peewee import CharField, DateTimeField, IntegerField

from kiosk.migrations.frozen import Table, create


class SyncWorker(Table):
    worker_id = CharField(unique=True)
    host = CharField()
    pid = IntegerField()
    process_mark = CharField()
    started_at = DateTimeField()
    beat_at = DateTimeField()


def up(database):
    create(database, [SyncWorker])

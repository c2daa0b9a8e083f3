"""Live sync workers (``SyncWorker``): a dead worker's claimed messages are taken over as soon
as it is known dead, instead of after a five-minute lease."""

from kiosk.models.sync import SyncWorker


def up(database):
    database.create_tables([SyncWorker])

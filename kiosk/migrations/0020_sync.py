"""The syncer's records: target health, read-back differences, POS sales, pick requests."""

from kiosk.models.sync import Discrepancy, PickRequest, PosSale, SyncState


def up(database):
    database.create_tables([SyncState, Discrepancy, PosSale, PickRequest])

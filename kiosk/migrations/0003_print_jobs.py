"""The persistent print queue."""

from kiosk.models import PrintJob


def up(database):
    database.create_tables([PrintJob])

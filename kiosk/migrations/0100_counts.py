"""Cycle counts, their lines and variances, and the POS's and Metrc's last figures per tag."""

from kiosk.models.counts import Count, CountLine, MetrcPackage, PosInventory, Variance


def up(database):
    database.create_tables([Count, CountLine, Variance, PosInventory, MetrcPackage])

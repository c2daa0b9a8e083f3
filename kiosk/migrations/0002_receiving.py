"""Transfers (manifests), their packages, purchase orders and lab results."""

from kiosk.models import LabResult, PurchaseOrder, PurchaseOrderLine, Transfer, TransferPackage


def up(database):
    database.create_tables([Transfer, TransferPackage, PurchaseOrder, PurchaseOrderLine, LabResult])

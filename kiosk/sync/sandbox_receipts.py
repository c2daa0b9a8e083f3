"""Sales receipts in the training Metrc: as Metrc lists them, fixed (PUT), voided (DELETE),
and the demo store's receipts of the last days (``sandbox_sales``), which appear as their
sales happen, seeded differences and all, so a morning's reconciliation has work.

A fix is checked the way Metrc checks a receipt (it exists, is not voided, names packages
of this facility and has at least one transaction) and applied whole; a void archives the
receipt, and voiding one already voided changes nothing.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock
from kiosk.sync import sandbox_sales
from kiosk.sync.sandbox_rules import WRITES, facility_stamp, package_of, stamp

FIRST_ID = 500000  # the demo's own receipts; those the kiosk sends are numbered 700001 on
REPORTED_AFTER = dt.timedelta(minutes=3)  # the POS reports a sale this long after it


def _receipt(world, receipt_id) -> dict:
    for receipt in world.receipts:
        if str(receipt["Id"]) == str(receipt_id):
            return receipt
    raise ValueError(f"Receipt {receipt_id} does not exist for this facility.")


def check_update(world, obj):
    receipt = _receipt(world, obj.get("Id"))
    if receipt.get("ArchivedDate"):
        raise ValueError(f"Receipt {receipt['Id']} is voided and cannot be changed.")
    lines = obj.get("Transactions") or []
    if not lines:
        raise ValueError("A receipt must have at least one transaction.")
    for line in lines:
        package_of(world, line, "PackageLabel")
        if float(line.get("Quantity") or 0) <= 0:
            raise ValueError(f"The quantity sold of {line.get('PackageLabel')} must be more "
                             "than zero.")


def apply_update(world, obj):
    receipt = _receipt(world, obj["Id"])
    receipt.update(SalesDateTime=obj.get("SalesDateTime") or receipt["SalesDateTime"],
                   Transactions=list(obj["Transactions"]), LastModified=stamp(clock.now()))


WRITES[("PUT", "/sales/v2/receipts")] = (check_update, apply_update)


def void(world, receipt_id: str) -> None:
    """``DELETE /sales/v2/receipts/{id}``: the receipt is archived (a second time: no-op)."""
    receipt = _receipt(world, receipt_id)
    if not receipt.get("ArchivedDate"):
        now = clock.now()
        receipt.update(ArchivedDate=facility_stamp(now), LastModified=stamp(now))
    world.applied.append((f"/sales/v2/receipts/{receipt_id}", {"Id": receipt["Id"]},
                          clock.now()))


def row(receipt: dict) -> dict:
    """A receipt as Metrc lists it: its transactions in Metrc's read names."""
    lines = receipt.get("Transactions") or []
    return {"Id": receipt["Id"], "ReceiptNumber": str(receipt["Id"]),
            "ExternalReceiptNumber": receipt.get("ExternalReceiptNumber"),
            "SalesDateTime": receipt.get("SalesDateTime"),
            "SalesCustomerType": receipt.get("SalesCustomerType") or "Consumer",
            "TotalPackages": len(lines),
            "TotalPrice": round(sum(float(t.get("TotalAmount") or 0) for t in lines), 2),
            "IsFinal": receipt.get("IsFinal", False), "ArchivedDate": receipt.get("ArchivedDate"),
            "LastModified": receipt.get("LastModified"),
            "Transactions": [{"PackageLabel": t.get("PackageLabel"),
                              "QuantitySold": float(t.get("Quantity") or 0),
                              "UnitOfMeasureName": t.get("UnitOfMeasure") or "Each",
                              "TotalPrice": float(t.get("TotalAmount") or 0),
                              "LastModified": receipt.get("LastModified")} for t in lines]}


def adopt_sales(world, packages: list[dict]) -> None:
    """From now on the sandbox holds the demo store's receipts (``packages`` as
    ``sandbox_sales`` takes them); they appear as their sales happen (``top_up``)."""
    world.demo_packages = sorted(packages, key=lambda p: p["tag"])
    world.demo_added = set()
    top_up(world)


def top_up(world) -> None:
    """Add the demo receipts whose sales have been reported by now."""
    packages = getattr(world, "demo_packages", None)
    if not packages:
        return
    now = clock.now()
    today = clock.store_date(now)
    for day in sandbox_sales.recent_days(now):
        for sale in sandbox_sales.metrc_receipts(packages, day, now - REPORTED_AFTER):
            if sale["external"] in world.demo_added:
                continue
            world.demo_added.add(sale["external"])
            world.receipts.append({
                "Id": FIRST_ID + len(world.demo_added), "ExternalReceiptNumber": sale["external"],
                "SalesDateTime": facility_stamp(sale["at"]), "SalesCustomerType": "Consumer",
                "IsFinal": day < today, "ArchivedDate": None,
                "LastModified": stamp(sale["at"] + REPORTED_AFTER),
                "Transactions": [{"PackageLabel": line["tag"], "Quantity": float(line["quantity"]),
                                  "UnitOfMeasure": line["unit"],
                                  "TotalAmount": float(line["amount"])}
                                 for line in sale["lines"]]})

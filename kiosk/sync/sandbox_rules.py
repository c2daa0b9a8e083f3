"""The rules the training sandbox applies to each Metrc write, one check and one apply each.

A check raises ``ValueError`` with the sentence Metrc would put in its ``[{"row", "message"}]``
answer; the request is applied only when every row passes (Metrc's all-or-nothing), so the
apply functions never fail.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock


def stamp(value: dt.datetime | None) -> str | None:
    """A naive-UTC time as Metrc writes a record's ``LastModified``: in UTC, saying so."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "+00:00"


def facility_stamp(value: dt.datetime | None) -> str | None:
    """A naive-UTC time as Metrc writes a transfer's or a lab test's times: on the
    facility's clock, with no offset (``2026-11-23T13:00:00.000``)."""
    if value is None:
        return None
    return clock.local(value.replace(microsecond=0)).isoformat(timespec="milliseconds")


def day(text) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def package_of(world, obj: dict, key: str = "Label") -> dict:
    """The package a row names, or the error Metrc gives for a package not at this facility."""
    label = obj.get(key)
    pkg = world.packages.get(label or "")
    if pkg is None:
        raise ValueError(f"Package {label} does not exist in the current Facility.")
    return pkg


def check_location(world, obj):
    package_of(world, obj)
    if obj.get("Location") not in world.locations:
        raise ValueError(f"Location {obj.get('Location')!r} does not exist.")
    day(obj.get("MoveDate"))


def apply_location(world, obj):
    pkg = world.packages[obj["Label"]]
    pkg["LocationName"], pkg["LastModified"] = obj["Location"], clock.now()


def check_note(world, obj):
    package_of(world, obj, "PackageLabel")


def apply_note(world, obj):
    pkg = world.packages[obj["PackageLabel"]]
    pkg["Note"], pkg["LastModified"] = obj.get("Note") or "", clock.now()


def check_adjust(world, obj):
    pkg = package_of(world, obj)
    reason = world.reasons.get(obj.get("AdjustmentReason"))
    if reason is None:
        raise ValueError(f"Adjustment reason {obj.get('AdjustmentReason')!r} is not valid "
                         "for this facility.")
    if reason["requires_note"] and not (obj.get("ReasonNote") or "").strip():
        raise ValueError(f"A note is required for adjustment reason {reason['name']!r}.")
    unit = world.units.get(obj.get("UnitOfMeasure"))
    own = world.units[pkg["UnitOfMeasureName"]]
    if unit is None or unit["quantity_type"] != own["quantity_type"]:
        raise ValueError(f"Unit of measure {obj.get('UnitOfMeasure')!r} cannot be used "
                         f"with package {pkg['Label']} ({own['name']}).")
    if pkg["IsFinished"]:
        raise ValueError(f"Package {pkg['Label']} is finished and cannot be adjusted.")
    if unit["name"] != own["name"]:
        raise ValueError(f"Adjust package {pkg['Label']} in {own['name']}.")
    if pkg["Quantity"] + Decimal(str(obj.get("Quantity"))) < 0:
        raise ValueError(f"Package {pkg['Label']} would have a negative quantity.")
    day(obj.get("AdjustmentDate"))


def apply_adjust(world, obj):
    pkg = world.packages[obj["Label"]]
    pkg["Quantity"] += Decimal(str(obj["Quantity"]))
    pkg["LastModified"] = clock.now()
    adjustment_id = 600000 + len(world.adjustments) + 1
    world.adjustments.append({
        "Id": adjustment_id, "PackageId": pkg["Id"], "PackageLabel": pkg["Label"],
        "AdjustmentQuantity": float(obj["Quantity"]),
        "AdjustmentUnitOfMeasureName": obj["UnitOfMeasure"],
        "AdjustmentReasonName": obj["AdjustmentReason"],
        "AdjustmentNote": obj.get("ReasonNote") or "",
        "AdjustmentDate": obj["AdjustmentDate"], "AdjustedByUserName": "Training User"})
    return adjustment_id


def check_finish(world, obj):
    pkg = package_of(world, obj)
    if pkg["Quantity"] != 0:
        raise ValueError(f"Package {pkg['Label']} still has {pkg['Quantity']} "
                         f"{pkg['UnitOfMeasureName']} and cannot be finished.")
    day(obj.get("ActualDate"))


def apply_finish(world, obj):
    pkg = world.packages[obj["Label"]]
    pkg["IsFinished"], pkg["FinishedDate"] = True, obj["ActualDate"]
    pkg["LastModified"] = clock.now()


def check_unfinish(world, obj):
    if not package_of(world, obj)["IsFinished"]:
        raise ValueError(f"Package {obj['Label']} is not finished.")


def apply_unfinish(world, obj):
    pkg = world.packages[obj["Label"]]
    pkg["IsFinished"], pkg["FinishedDate"] = False, None
    pkg["LastModified"] = clock.now()


def check_receipt(world, obj):
    if any(r["ExternalReceiptNumber"] == obj.get("ExternalReceiptNumber")
           for r in world.receipts if obj.get("ExternalReceiptNumber")):
        raise ValueError(f"Receipt {obj['ExternalReceiptNumber']} already exists.")
    for line in obj.get("Transactions") or []:
        package_of(world, line, "PackageLabel")


def apply_receipt(world, obj):
    receipt_id = 700000 + len(world.receipts) + 1
    world.receipts.append({"Id": receipt_id, "ExternalReceiptNumber":
                          obj.get("ExternalReceiptNumber"), "SalesDateTime":
                          obj.get("SalesDateTime"), "IsFinal": False,
                          "Transactions": obj.get("Transactions") or [],
                          "LastModified": stamp(clock.now())})
    return receipt_id


WRITES = {
    ("PUT", "/packages/v2/location"): (check_location, apply_location),
    ("PUT", "/packages/v2/note"): (check_note, apply_note),
    ("POST", "/packages/v2/adjust"): (check_adjust, apply_adjust),
    ("PUT", "/packages/v2/finish"): (check_finish, apply_finish),
    ("PUT", "/packages/v2/unfinish"): (check_unfinish, apply_unfinish),
    ("POST", "/sales/v2/receipts"): (check_receipt, apply_receipt),
}

"""The demo world, in one place: what the training sandbox serves and the demo store holds.

``demo_data(license, now)`` is the single source for the demo: the training sandbox serves it
as Metrc would, and the demo builder and the receiving tests build the local store from the
same call, so the incoming manifests, tags, items, batches, quantities and lab results agree
on both sides. Everything is plain data (str, int, float, datetime); nothing here touches the
database or the network.
"""

from __future__ import annotations

import datetime as dt

OUR_LICENSE = "C10-0000001-LIC"
TAG_PREFIX = "1A40603000037790000"  # 19 characters + a 5-digit serial = a 24-character tag


def tag(serial: int) -> str:
    """A demo Metrc tag (24 upper-case characters)."""
    return f"{TAG_PREFIX}{serial:05d}"


LOCATIONS = (
    # code (what the shelf barcode says), Metrc location name, our kind
    ("LOC-RCV", "Receiving Dock", "receiving"),
    ("LOC-V-A1", "Vault A1", "vault"),
    ("LOC-V-A2", "Vault A2", "vault"),
    ("LOC-FLOOR", "Sales Floor", "sales_floor"),
    ("LOC-QUAR", "Quarantine", "quarantine"),
)

ITEMS = (
    # Metrc item id, name, brand, category, unit, quantity type, declared THC %, CBD %, GTIN
    (5101, "Sunset Sherbet 3.5g Flower", "Golden Coast", "Flower (packaged eighth - each)",
     "Each", "CountBased", 24.5, 0.1, "00850012345012"),
    (5102, "Blue Dream 1g Pre-Roll", "Golden Coast", "Pre-Roll Flower", "Each", "CountBased",
     21.0, 0.2, "00850012345029"),
    (5103, "Pineapple Express Vape 0.5g", "Cloud Nine", "Vape Cartridge (volume - each)",
     "Each", "CountBased", 85.2, 0.3, "00850012345036"),
    (5104, "Calm Mint Gummies 100mg", "Cloud Nine", "Edible (weight - each)", "Each",
     "CountBased", 0.9, 0.9, "00850012345043"),
    (5105, "OG Kush Bulk Flower", "Golden Coast", "Flower", "Grams", "WeightBased", 22.8, 0.1,
     None),
)

ADJUST_REASONS = (
    # name, requires a note
    ("Damage (Non-Recoverable)", True),
    ("Drying", False),
    ("Entry Error", True),
    ("Incorrect Quantity", False),
    ("Scale Variance", False),
    ("Theft", True),
    ("Waste (Unusable Product)", True),
)

UNITS = (
    ("CountBased", "Each", "ea"),
    ("WeightBased", "Grams", "g"),
    ("WeightBased", "Ounces", "oz"),
    ("WeightBased", "Pounds", "lb"),
    ("WeightBased", "Milligrams", "mg"),
    ("WeightBased", "Kilograms", "kg"),
)


def _item(item_id: int) -> dict:
    for row in ITEMS:
        if row[0] == item_id:
            (iid, name, brand, category, unit, qtype, thc, cbd, gtin) = row
            return {"id": iid, "name": name, "brand": brand, "category": category, "unit": unit,
                    "quantity_type": qtype, "thc_pct": thc, "cbd_pct": cbd, "gtin": gtin}
    raise KeyError(item_id)


def _package(serial: int, item_id: int, batch: str, quantity: float, **extra) -> dict:
    item = _item(item_id)
    return {"tag": tag(serial), "package_id": 880000 + serial, "item_id": item_id,
            "item_name": item["name"], "batch": batch, "quantity": quantity,
            "unit": item["unit"], **extra}


def _labs(pkg: dict, tested: dt.datetime, lab_id: int, microbials_pass: bool = True) -> list:
    item = _item(pkg["item_id"])
    rows = [("THC", True, item["thc_pct"]), ("CBD", True, item["cbd_pct"]),
            ("Pesticides", True, None), ("Microbials", microbials_pass, None),
            ("Heavy Metals", True, None)]
    return [{"tag": pkg["tag"], "package_id": pkg["package_id"], "batch": pkg["batch"],
             "result_id": lab_id * 10 + i, "test_type": name, "passed": passed,
             "level": level, "overall_passed": microbials_pass, "tested_at": tested,
             "lab_name": "Verde Analytics", "lab_license": "C8-0000042-LIC",
             "document_id": 70000 + lab_id}
            for i, (name, passed, level) in enumerate(rows)]


def demo_data(license: str = OUR_LICENSE, now: dt.datetime | None = None) -> dict:
    """The demo licences, locations, items, stock on hand, incoming transfers and lab results.

    ``license`` is our facility licence (settings["license"]). Times are relative to ``now``
    (naive UTC) so the manifests are always "arriving today". Keys:

    - ``facility``: our licence and name; ``shippers``: the licences that ship to us
    - ``locations``: (code, name, kind) rows; ``items``: dicts (id, name, brand, category,
      unit, quantity_type, thc_pct, cbd_pct, gtin)
    - ``on_hand``: packages already in our store (tag, package_id, item_id, item_name, batch,
      quantity, unit, location)
    - ``transfers``: dicts with manifest_number, transfer_id, delivery_id, shipper_name,
      shipper_license, driver_name, driver_license, vehicle_make/model/plate, est_departure,
      est_arrival, last_modified and packages (tag, package_id, item_id, item_name, batch,
      quantity (shipped), unit)
    - ``lab_results``: one dict per test (tag, package_id, batch, test_type, passed, level,
      overall_passed, tested_at, lab_name, lab_license, document_id, result_id)
    - ``adjust_reasons``, ``units``, ``employees``
    """
    now = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    today = now.replace(hour=0, minute=0, second=0)
    shippers = [
        {"license": "C11-0000222-LIC", "name": "Golden Coast Distribution"},
        {"license": "C11-0000333-LIC", "name": "Cloud Nine Wholesale"},
    ]
    transfers = [
        {"manifest_number": "0000104501", "transfer_id": 4501, "delivery_id": 94501,
         "shipper_name": shippers[0]["name"], "shipper_license": shippers[0]["license"],
         "driver_name": "Dana Reyes", "driver_license": "D7712345",
         "vehicle_make": "Ford", "vehicle_model": "Transit", "vehicle_plate": "8ABC123",
         "est_departure": now - dt.timedelta(hours=2), "est_arrival": now + dt.timedelta(hours=1),
         "last_modified": now - dt.timedelta(hours=3),
         # Each made from the shipper's bulk package of its batch (SourcePackageLabels).
         "packages": [_package(101, 5101, "GC-SS-2611", 48, source_tags=tag(901)),
                      _package(102, 5102, "GC-BD-2611", 100, source_tags=tag(902)),
                      _package(103, 5105, "GC-OG-2611", 453.6, source_tags=tag(903))]},
        {"manifest_number": "0000104502", "transfer_id": 4502, "delivery_id": 94502,
         "shipper_name": shippers[1]["name"], "shipper_license": shippers[1]["license"],
         "driver_name": "Sam Okafor", "driver_license": "D8823456",
         "vehicle_make": "Mercedes-Benz", "vehicle_model": "Sprinter", "vehicle_plate": "7XYZ987",
         "est_departure": now - dt.timedelta(hours=1), "est_arrival": now + dt.timedelta(hours=3),
         "last_modified": now - dt.timedelta(hours=2),
         "packages": [_package(201, 5103, "CN-PE-2611", 60, source_tags=tag(911)),
                      _package(202, 5104, "CN-CM-2611", 40,
                               source_tags=f"{tag(911)}, {tag(912)}")]},
    ]
    on_hand = [
        _package(11, 5101, "GC-SS-2610", 24, location="Vault A1"),
        _package(12, 5102, "GC-BD-2610", 50, location="Vault A1"),
        _package(13, 5103, "CN-PE-2610", 30, location="Vault A2"),
        _package(14, 5105, "GC-OG-2610", 226.8, location="Vault A2"),
    ]
    lab_results = []
    for number, pkg in enumerate([p for t in transfers for p in t["packages"]] + on_hand):
        # One incoming package failed microbials: receiving must quarantine it.
        failed = pkg["tag"] == tag(202)
        lab_results += _labs(pkg, today - dt.timedelta(days=9), 300 + number,
                             microbials_pass=not failed)
    return {
        "facility": {"license": license, "name": "Demo Dispensary"},
        "shippers": shippers,
        "locations": [{"code": c, "name": n, "kind": k} for c, n, k in LOCATIONS],
        "items": [_item(row[0]) for row in ITEMS],
        "on_hand": on_hand,
        "transfers": transfers,
        "lab_results": lab_results,
        "adjust_reasons": [{"name": n, "requires_note": r} for n, r in ADJUST_REASONS],
        "units": [{"quantity_type": q, "name": n, "abbreviation": a} for q, n, a in UNITS],
        "employees": [
            {"name": "Alex Manager", "license": "EMP-1001", "is_manager": True},
            {"name": "Riley Receiver", "license": "EMP-1002", "is_manager": False},
        ],
    }

"""The demo store: people, places, products and stock that look like a real dispensary,
and two deliveries expected today.

Deterministic (a fixed random seed) so the README's badges, PINs and tags and the tests
agree. The store's own modules never import this one: the demo is built from them.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from kiosk import auth, clock, config, db, ledger, manifests
from kiosk.models import Employee, Item, Location, Package, PackageOrigin, Station
from kiosk.scans import gs1_check_digit

# (name, badge, PIN, roles, active) — listed in the README.
EMPLOYEES = (
    ("Ana Reyes", "1001", "1234", "receiver", True),
    ("Ben Okafor", "1002", "2345", "receiver,vault", True),
    ("Carla Nguyen", "1003", "3456", "vault,runner", True),
    ("Dev Patel", "1004", "4567", "runner", True),
    ("Erin Walsh", "1005", "5678", "counter,vault", True),
    ("Femi Adeyemi", "1006", "6789", "manager,vault", True),
    ("Gus Lindqvist", "1007", "7890", "manager,admin", True),
    ("Hana Sato", "1008", "8901", "receiver,counter", True),
    ("Ivan Petrov", "1009", "9012", "runner", False),
)

LOCATIONS = (
    *[(f"LOC-V-{row}{n}", f"Vault shelf {row}{n}", "vault") for row in "AB" for n in range(1, 5)],
    ("LOC-FLOOR", "Sales floor", "sales_floor"),
    ("LOC-Q", "Quarantine cage", "quarantine"),
    ("LOC-DOCK", "Receiving dock", "receiving"),
    ("LOC-TOTE-1", "Delivery tote 1", "tote"),
    ("LOC-TOTE-2", "Delivery tote 2", "tote"),
    ("LOC-PICKUP", "Online order pickup", "pickup"),
)

# (category, brand, name, unit, thc %, cbd %, shelf life in days or None)
ITEMS = (
    ("Flower", "Golden Coast", "Blue Dream 3.5g Jar", "Each", 22.1, 0.1, None),
    ("Flower", "Golden Coast", "OG Kush 3.5g Jar", "Each", 24.6, 0.1, None),
    ("Flower", "Humboldt Heritage", "Sour Diesel 3.5g Jar", "Each", 21.3, 0.2, None),
    ("Flower", "Humboldt Heritage", "Granddaddy Purple 7g", "Each", 19.8, 0.1, None),
    ("Flower", "Valle Verde", "Gelato 3.5g Jar", "Each", 26.0, 0.1, None),
    ("Flower", "Valle Verde", "Wedding Cake 14g", "Each", 23.4, 0.1, None),
    ("Flower", "Sierra Sun", "Harlequin 3.5g (CBD)", "Each", 6.2, 10.4, None),
    ("Pre-Roll", "Golden Coast", "Blue Dream Pre-Roll 1g", "Each", 21.0, 0.1, 365),
    ("Pre-Roll", "Mañana Farms", "Jack Herer Pre-Roll 5-Pack", "Each", 20.5, 0.1, 365),
    ("Pre-Roll", "Mañana Farms", "Infused Pre-Roll 1g", "Each", 38.2, 0.1, 365),
    ("Pre-Roll", "Sierra Sun", "Mini Dogwalkers 10-Pack", "Each", 22.7, 0.1, 365),
    ("Vape", "Cloud Nine", "Pineapple Express Cart 0.5g", "Each", 86.1, 0.3, 540),
    ("Vape", "Cloud Nine", "Strawberry Cough Cart 1g", "Each", 84.7, 0.2, 540),
    ("Vape", "Crème Labs", "Live Resin Cart 1g", "Each", 79.9, 0.4, 540),
    ("Vape", "Crème Labs", "Disposable Pen 0.3g", "Each", 82.0, 0.1, 540),
    ("Vape", "Cloud Nine", "CBD 1:1 Cart 0.5g", "Each", 38.0, 37.5, 540),
    ("Concentrate", "Alpine Extracts", "Live Rosin 1g", "Each", 74.3, 0.2, 365),
    ("Concentrate", "Alpine Extracts", "Shatter 1g", "Each", 80.6, 0.1, 365),
    ("Concentrate", "Señor Sauce", "Diamonds & Sauce 1g", "Each", 88.9, 0.1, 365),
    ("Concentrate", "Señor Sauce", "Badder 1g", "Each", 76.5, 0.2, 365),
    ("Concentrate", "Alpine Extracts", "Bulk Wax (grams)", "Grams", 75.0, 0.1, 365),
    ("Edible", "Sweet Leaf", "Watermelon Gummies 100mg", "Each", 0.4, 0.0, 270),
    ("Edible", "Sweet Leaf", "Sour Apple Gummies 100mg", "Each", 0.4, 0.0, 270),
    ("Edible", "Cacao Canna", "Dark Chocolate Bar 100mg", "Each", 0.3, 0.0, 365),
    ("Edible", "Cacao Canna", "Milk Chocolate Minis 100mg", "Each", 0.3, 0.0, 365),
    ("Edible", "Sweet Leaf", "CBD Sleep Gummies 20:1", "Each", 0.1, 2.0, 270),
    ("Edible", "Brew Bros", "Lemonade Shot 10mg", "Each", 0.01, 0.0, 180),
    ("Tincture", "Tierra Drops", "THC Tincture 1000mg 30ml", "Each", 3.3, 0.1, 730),
    ("Tincture", "Tierra Drops", "CBD Tincture 1500mg 30ml", "Each", 0.1, 5.0, 730),
    ("Tincture", "Tierra Drops", "1:1 Tincture 500mg 30ml", "Each", 1.7, 1.7, 730),
    ("Tincture", "Sierra Sun", "Sublingual Spray 250mg", "Each", 2.1, 0.1, 730),
    ("Flower", "Golden Coast", "Bulk Blue Dream (grams)", "Grams", 22.1, 0.1, None),
)

TAG_PREFIX = "1A4060300"  # our facility's tag block in the demo (any 24 upper-case alnum)


def demo_tag(serial: int) -> str:
    """A 24-character demo package tag."""
    return f"{TAG_PREFIX}{serial:015d}"


def demo_upc(index: int) -> str:
    """A valid UPC-A for demo item ``index`` (company prefix 850012)."""
    body = f"850012{index:05d}"
    return body + str(gs1_check_digit(body))


def build(packages: int = 320, seed: int = 7, license: str = "C10-0000001-LIC") -> dict:
    """Create the demo store in the bound database (which must be migrated and empty).

    Besides the stock, two deliveries are expected today (with their lab results and
    purchase orders) so receiving can be tried at once; the training sandbox serves two
    more that the syncer pulls, as Metrc would.
    """
    rng = random.Random(seed)
    now = clock.now()
    counts = {}
    with db.write():
        for name, kind in (("receiving-1", "receiving"), ("vault-1", "vault"),
                           ("floor-1", "floor")):
            Station.get_or_create(name=name, defaults={"kind": kind})
        for name, badge, pin, roles, active in EMPLOYEES:
            Employee.create(name=name, badge=badge, pin_hash=auth.hash_pin(pin), roles=roles,
                            active=active, created_at=now)
        locations = {code: Location.create(code=code, name=name, kind=kind)
                     for code, name, kind in LOCATIONS}
        items = []
        for index, (category, brand, name, unit, thc, cbd, life) in enumerate(ITEMS, 1):
            upc = demo_upc(index)
            item = Item.create(name=name, brand=brand, category=category, gtin=upc.zfill(14),
                               unit=unit)
            items.append((item, thc, cbd, life))
        shelves = [loc for code, loc in locations.items() if code.startswith("LOC-V-")]
        for serial in range(1, packages + 1):
            item, thc, cbd, life = items[(serial - 1) % len(items)]
            received = now - dt.timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 9))
            expires = (received.date() + dt.timedelta(days=life)) if life else None
            batch = f"{item.brand[:3].upper()}-{received:%y%m}-{rng.randint(100, 999)}"
            quantity = (Decimal(rng.choice((250, 500, 1000))) if item.unit == "Grams"
                        else Decimal(rng.choice((6, 10, 12, 24, 25, 50, 100))))
            place = locations["LOC-FLOOR"] if serial % 5 == 0 else rng.choice(shelves)
            package = Package.create(
                tag=demo_tag(serial), item=item, batch=batch, unit=item.unit, location=None,
                received_at=received, expires_on=expires, thc_pct=Decimal(str(thc)),
                cbd_pct=Decimal(str(cbd)), created_at=received)
            ledger.receive(package, quantity, to_location=place, reason="opening stock",
                           station="demo")
            for kind, value in demo_origins(serial):
                PackageOrigin.create(package=package, kind=kind, value=value)
        expected = deliveries({"license": license})
        for delivery in expected:
            manifests.load_transfer(delivery)
        ledger.audit("demo.build", "store", {"packages": packages,
                                             "deliveries": len(expected)})
    counts.update(employees=len(EMPLOYEES), locations=len(LOCATIONS), items=len(ITEMS),
                  packages=packages, deliveries=len(expected))
    return counts


def demo_origins(serial: int) -> list[tuple[str, str]]:
    """What an opening-stock package was made from and tested with, so a recall by source
    package or lab test batch can be tried: every item's packages come from a few of the
    vendor's bulk packages (``demo_source_tag``), and two bulk packages share one COA."""
    index, round_ = (serial - 1) % len(ITEMS), (serial - 1) // len(ITEMS)
    group = round_ % 3
    return [("source", demo_source_tag(index, group)),
            ("lab", f"COA-D{index + 1:02d}-{group // 2 + 1}")]


def demo_source_tag(index: int, group: int) -> str:
    """The vendor's bulk package opening stock of item ``index`` (0-based) was made from."""
    return f"1A4010100{(index + 1) * 10 + group:015d}"


def deliveries(settings: dict | None = None) -> list[dict]:
    """Two realistic incoming manifests for the demo store, as ``load_transfer`` dicts.

    ``settings`` gives our licence (``settings["license"]``; the default licence when None).

    Items come from the demo catalogue by name. Our licence is the receiver. Among them: one
    batch whose microbials test failed, one package with no COA at all, one label whose THC
    is far from the lab's, and a purchase order with a short, an over and an unordered item.
    Times are relative to now, so the deliveries are always "arriving today".
    """
    catalogue = {name: (unit, thc, cbd) for _cat, _brand, name, unit, thc, cbd, _life in ITEMS}
    now = clock.now().replace(microsecond=0)

    def lines(prefix: str, serial: int, batches: list[tuple]) -> tuple[list, list, int]:
        packages, labs = [], []
        for number, (code, name, count, per_case, options) in enumerate(batches, 1):
            unit, thc, cbd = catalogue[name]
            label_thc = options.get("label_thc", thc)
            batch = f"{code}-{now:%y%m}"
            source = f"{prefix}{900 + number:015d}"  # the shipper's bulk package of the batch
            for _ in range(count):
                serial += 1
                packages.append({"tag": f"{prefix}{serial:015d}", "item": name, "batch": batch,
                                 "quantity": per_case, "unit": unit, "thc_pct": label_thc,
                                 "cbd_pct": cbd, "package_id": 770000 + serial,
                                 "source_tags": [source]})
            if options.get("no_coa"):
                continue
            tested = now - dt.timedelta(days=12)
            coa = f"COA-{batch}"
            labs += [{"batch": batch, "test_type": "THC", "passed": True, "thc_pct": thc,
                      "coa_ref": coa, "tested_at": tested},
                     {"batch": batch, "test_type": "CBD", "passed": True, "cbd_pct": cbd,
                      "coa_ref": coa, "tested_at": tested}]
            for test in ("Pesticides", "Microbials", "Heavy Metals", "Residual Solvents"):
                passed = not (test == "Microbials" and options.get("fail_micro"))
                labs.append({"batch": batch, "test_type": test, "passed": passed,
                             "coa_ref": coa, "tested_at": tested})
        return packages, labs, serial

    first_packages, first_labs, _ = lines("1A4050100", 5000, [
        ("GC-BD", "Blue Dream 3.5g Jar", 6, 48, {}),
        ("GC-OG", "OG Kush 3.5g Jar", 5, 48, {}),
        ("GC-PR", "Blue Dream Pre-Roll 1g", 6, 100, {}),
        ("VV-GE", "Gelato 3.5g Jar", 4, 24, {"fail_micro": True}),
        ("VV-WC", "Wedding Cake 14g", 3, 12, {"label_thc": 31.0}),
        ("GC-BK", "Bulk Blue Dream (grams)", 2, 453.6, {}),
    ])
    second_packages, second_labs, _ = lines("1A4070200", 7000, [
        ("CN-PE", "Pineapple Express Cart 0.5g", 6, 50, {}),
        ("CN-SC", "Strawberry Cough Cart 1g", 5, 50, {}),
        ("CL-LR", "Live Resin Cart 1g", 4, 25, {}),
        ("CL-DP", "Disposable Pen 0.3g", 4, 40, {}),
        ("SL-WM", "Watermelon Gummies 100mg", 5, 60, {}),
        ("CN-CB", "CBD 1:1 Cart 0.5g", 2, 25, {"no_coa": True}),
    ])
    license = (settings or {}).get("license") or config.DEFAULTS["license"]
    return [
        # Metrc's ids, as a pull from Metrc would give them: the training sandbox serves
        # these deliveries too, so they can be read back after receiving.
        {"manifest_number": "0000205101", "source": "demo", "transfer_id": 205101,
         "delivery_id": 9205101,
         "shipper_name": "Golden Coast Distribution", "shipper_license": "C11-0000222-LIC",
         "receiver_license": license, "driver_name": "Dana Reyes", "driver_license": "D7712345",
         "vehicle": "Ford Transit 8ABC123", "est_departure": now - dt.timedelta(hours=2),
         "est_arrival": now + dt.timedelta(minutes=30), "case_count": 6,
         "packages": first_packages, "lab_results": first_labs,
         "purchase_order": {
             "number": "PO-24017", "vendor_name": "Golden Coast Distribution",
             "vendor_license": "C11-0000222-LIC", "lines": [
                 {"item": "Blue Dream 3.5g Jar", "quantity": 288, "unit_cost": "11.50"},
                 {"item": "OG Kush 3.5g Jar", "quantity": 288, "unit_cost": "12.25"},
                 {"item": "Blue Dream Pre-Roll 1g", "quantity": 500, "unit_cost": "3.10"},
                 {"item": "Gelato 3.5g Jar", "quantity": 96, "unit_cost": "13.00"},
                 {"item": "Bulk Blue Dream (grams)", "quantity": 907.2, "unit": "Grams",
                  "unit_cost": "2.40"}]}},
        {"manifest_number": "0000205102", "source": "demo", "transfer_id": 205102,
         "delivery_id": 9205102,
         "shipper_name": "Cloud Nine Wholesale", "shipper_license": "C11-0000333-LIC",
         "receiver_license": license, "driver_name": "Sam Okafor", "driver_license": "D8823456",
         "vehicle": "Mercedes-Benz Sprinter 7XYZ987", "est_departure": now - dt.timedelta(hours=1),
         "est_arrival": now + dt.timedelta(hours=2), "case_count": 4,
         "packages": second_packages, "lab_results": second_labs,
         "purchase_order": {
             "number": "PO-24018", "vendor_name": "Cloud Nine Wholesale",
             "vendor_license": "C11-0000333-LIC", "lines": [
                 {"item": "Pineapple Express Cart 0.5g", "quantity": 300, "unit_cost": "14.00"},
                 {"item": "Strawberry Cough Cart 1g", "quantity": 250, "unit_cost": "19.00"},
                 {"item": "Live Resin Cart 1g", "quantity": 100, "unit_cost": "22.00"},
                 {"item": "Disposable Pen 0.3g", "quantity": 160, "unit_cost": "9.00"},
                 {"item": "Watermelon Gummies 100mg", "quantity": 300, "unit_cost": "6.50"},
                 {"item": "CBD 1:1 Cart 0.5g", "quantity": 50, "unit_cost": "15.00"}]}},
    ]


def record_sales(now: dt.datetime | None = None) -> int:
    """The demo store's sales of the last days, as its POS would have sent them (for a
    store with no POS link; with the training Dutchie, the syncer pulls the same sales from
    it). The training Metrc holds the receipts of the same sales, with a morning's worth of
    differences. Returns how many lines were new."""
    from kiosk.sync import pos, sandbox_sales, sandbox_store

    store = sandbox_store.store_from_database()
    now = now or clock.now()
    new = 0
    with db.write():
        for day in sandbox_sales.recent_days(now):
            for sale in sandbox_sales.day_sales(store["packages"], day, now):
                kind = "void" if sale["void"] else "return" if sale["return_of"] else "sale"
                for line in sale["lines"]:
                    new += pos.record_sale("demo", str(sale["id"]), line["tag"],
                                           line["quantity"], sale["at"].isoformat() + "+00:00",
                                           unit=line["unit"], amount=line["amount"], kind=kind)
    return new

"""A small store for the quarantine tests: two vault shelves, the sales floor, the quarantine
cage and the dock; products with a batch each; packages on the shelves and the floor, some
received on a manifest from a vendor; and the people who hold, release, return and destroy.
``driver`` works runs through the kiosk's own HTTP views, as the touchscreen does."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hold_helpers import OTHER_VENDOR, TAGS, VENDOR, HoldDriver  # noqa: E402

from kiosk import clock, db, ledger  # noqa: E402
from kiosk.models import (  # noqa: E402
    Item,
    Location,
    Package,
    Transfer,
    TransferPackage,
)

# tag number: (item, batch, place, quantity, the vendor's manifest or None)
STOCK = {1: ("flower", "GC-BD-2611", "LOC-V-A1", "24", "0000300101"),
         2: ("flower", "GC-BD-2611", "LOC-V-A2", "12", "0000300101"),
         3: ("flower", "GC-BD-2611", "LOC-FLOOR", "6", "0000300101"),
         4: ("cart", "CN-PE-2611", "LOC-V-A1", "50", "0000300202"),
         5: ("bulk", "GC-BK-2611", "LOC-V-A2", "453.6", "0000300101"),
         6: ("gummies", "SL-WM-2611", "LOC-V-A1", "30", None)}


@pytest.fixture
def cage_store(database, make_employee, fixed_clock):
    """The store and its people."""
    with db.write():
        places = {code: Location.create(code=code, name=name, kind=kind)
                  for code, name, kind in (("LOC-V-A1", "Vault shelf A1", "vault"),
                                           ("LOC-V-A2", "Vault shelf A2", "vault"),
                                           ("LOC-FLOOR", "Sales floor", "sales_floor"),
                                           ("LOC-Q", "Quarantine cage", "quarantine"),
                                           ("LOC-DOCK", "Receiving dock", "receiving"))}
        items = {"flower": Item.create(name="Blue Dream 3.5g Jar", brand="Golden Coast",
                                       category="Flower"),
                 "cart": Item.create(name="Pineapple Express Cart 0.5g", brand="Cloud Nine",
                                     category="Vape"),
                 "bulk": Item.create(name="Bulk Blue Dream (grams)", brand="Golden Coast",
                                     category="Flower", unit="Grams"),
                 "gummies": Item.create(name="Watermelon Gummies 100mg", brand="Sweet Leaf",
                                        category="Edible")}
        now = clock.now()
        manifests = {}
        for number, (name, licence) in (("0000300101", VENDOR), ("0000300202", OTHER_VENDOR)):
            manifests[number] = Transfer.create(
                manifest_number=number, shipper_name=name, shipper_license=licence,
                receiver_license="C10-0000001-LIC", status="received", source="state",
                created_at=now, received_at=now)
        for n, (product, batch, place, amount, manifest) in STOCK.items():
            item = items[product]
            package = Package.create(tag=TAGS[n], item=item, batch=batch, unit=item.unit,
                                     created_at=now, received_at=now)
            ledger.receive(package, Decimal(amount), to_location=places[place])
            if manifest:
                TransferPackage.create(transfer=manifests[manifest], tag=TAGS[n], item=item,
                                       item_name=item.name, batch=batch,
                                       shipped_quantity=Decimal(amount), shipped_unit=item.unit,
                                       received_quantity=Decimal(amount), state="accepted")
    return {
        "dev": make_employee("Dev Patel", "1004", "4567", "runner"),
        "carla": make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
        "gus": make_employee("Gus Lindqvist", "1007", "7890", "manager,admin"),
        "ana": make_employee("Ana Reyes", "1001", "1234", "receiver"),
    }


@pytest.fixture
def driver(cage_store, kiosk):
    """A screen: ``driver.as_("dev")`` logs that person in."""
    return HoldDriver(kiosk)

"""A small store for the count tests: two vault shelves, four products with barcodes, the
packages on shelf A1 (and one on B2) with their ledger, POS and Metrc figures, and the people
who count, recount and approve. The expected figures are unusual numbers on purpose, so a
test can say they never appear on a counter's screen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from count_helpers import STOCK, TAGS, UPC, CountDriver

from kiosk import clock, db, ledger
from kiosk.models import Item, Location, MetrcPackage, Package, PosInventory


@pytest.fixture
def count_store(database, make_employee, fixed_clock):
    """The store, its figures and its people."""
    with db.write():
        places = {code: Location.create(code=code, name=name, kind=kind)
                  for code, name, kind in (("LOC-V-A1", "Vault shelf A1", "vault"),
                                           ("LOC-V-B2", "Vault shelf B2", "vault"),
                                           ("LOC-FLOOR", "Sales floor", "sales_floor"),
                                           ("LOC-Q", "Quarantine cage", "quarantine"))}
        items = {"flower": Item.create(name="Blue Dream 3.5g Jar", category="Flower",
                                       gtin=UPC["flower"].zfill(14)),
                 "cart": Item.create(name="Pineapple Express Cart 0.5g", category="Vape",
                                     gtin=UPC["cart"].zfill(14)),
                 "gummies": Item.create(name="Watermelon Gummies 100mg", category="Edible",
                                        gtin=UPC["gummies"].zfill(14)),
                 "bulk": Item.create(name="Bulk Blue Dream (grams)", category="Flower",
                                     gtin=UPC["bulk"].zfill(14), unit="Grams")}
        now = clock.now()
        for n, (product, place, mine, pos, metrc) in STOCK.items():
            item = items[product]
            package = Package.create(tag=TAGS[n], item=item, unit=item.unit, created_at=now,
                                     received_at=now)
            ledger.receive(package, Decimal(mine), to_location=places[place])
            if pos is not None:
                PosInventory.create(tag=TAGS[n], quantity=Decimal(pos), unit=item.unit,
                                    as_of=now, received_at=now, source="webhook")
            MetrcPackage.create(tag=TAGS[n], quantity=Decimal(metrc), unit=item.unit,
                                location_name=places[place].name, state="active",
                                pulled_at=now)
    return {
        "erin": make_employee("Erin Walsh", "1005", "5678", "counter,vault"),
        "hana": make_employee("Hana Sato", "1008", "8901", "receiver,counter"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
        "gus": make_employee("Gus Lindqvist", "1007", "7890", "manager,admin"),
        "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
    }


@pytest.fixture
def driver(count_store, kiosk):
    """A counting screen: ``driver.as_("erin")`` logs that person in."""
    return CountDriver(kiosk)

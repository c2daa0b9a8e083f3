"""Fixtures for the receiving tests: a small store, manifests loaded into it, and a
receiver logged in at the kiosk (helpers are in receiving_helpers.py)."""

from __future__ import annotations

import pytest
from receiving_helpers import Receiver

from kiosk import db, demo, manifests
from kiosk.models import Item, Location


@pytest.fixture
def store(database, make_employee, fixed_clock):
    """Locations and items of the demo store, and the people who receive."""
    with db.write():
        for code, name, kind in demo.LOCATIONS:
            Location.create(code=code, name=name, kind=kind)
        for index, (category, brand, name, unit, *_rest) in enumerate(demo.ITEMS, 1):
            Item.create(name=name, brand=brand, category=category, unit=unit,
                        gtin=demo.demo_upc(index).zfill(14))
    return {
        "ana": make_employee("Ana Reyes", "1001", "1234", "receiver"),
        "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
        "carla": make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
    }


@pytest.fixture
def load():
    """Load manifest dicts into the store; returns the Transfers."""

    def loader(*datas):
        with db.write():
            return [manifests.load_transfer(d) for d in datas]

    return loader


@pytest.fixture
def receive(kiosk, store):
    """Log in as Ana and start a receiving run."""

    def start(badge="1001", pin="1234", workflow="receiving"):
        kiosk.login(badge, pin)
        return Receiver(kiosk, workflow)

    return start

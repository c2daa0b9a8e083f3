"""A demo store with a day of sales on both sides: the training Metrc (its receipts carry
the morning's seeded differences) and the training Dutchie, both real HTTP servers on
loopback, and settings for an app and a syncer that talk to them."""

from __future__ import annotations

import pytest

from kiosk import clock, db, demo
from kiosk.sync import sandbox_receipts, sandbox_store
from kiosk.sync.dutchie_sandbox import INTEGRATOR_KEY, LOCATION_KEY, DutchieSandbox
from kiosk.sync.sandbox import Sandbox, adopt_store_stock
from kiosk.sync.sandbox_data import OUR_LICENSE


@pytest.fixture
def store(database, fixed_clock):
    """The demo store (120 packages), built at the test clock's now (9 am in the store)."""
    with db.connection():
        demo.build(packages=120)
    return sandbox_store.store_from_database()


@pytest.fixture
def metrc(store):
    box = Sandbox(OUR_LICENSE, now=clock.now())
    adopt_store_stock(box.world)
    sandbox_receipts.adopt_sales(box.world, store["packages"])
    box.start()
    yield box
    box.stop()


@pytest.fixture
def dutchie(store):
    box = DutchieSandbox(store)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def settings(settings, metrc, dutchie):
    return {**settings, "license": OUR_LICENSE, "state_system": "metrc",
            "metrc_url": metrc.url, "metrc_vendor_key": "training-vendor-key",
            "metrc_user_key": "training-user-key", "metrc_timeout": 3,
            "pos": f"dutchie+{dutchie.url}", "pos_location_key": LOCATION_KEY,
            "pos_integrator_key": INTEGRATOR_KEY, "recon_count_packages": 3}


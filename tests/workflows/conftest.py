"""Stock the workflow tests share."""

import pytest

from kiosk import db, ledger
from kiosk.models import Item, Location, Package


@pytest.fixture
def gummies(database, fixed_clock):
    """One package of gummies (ten units) on vault shelf A1, and shelf B2 to move it to."""
    with db.write():
        shelf = Location.create(code="LOC-V-A1", name="Vault shelf A1", kind="vault")
        Location.create(code="LOC-V-B2", name="Vault shelf B2", kind="vault")
        package = Package.create(tag="1A4060300000000000000077",
                                 item=Item.create(name="Gummies", category="Edible"),
                                 created_at=fixed_clock.now())
        ledger.receive(package, 10, to_location=shelf)
    return package

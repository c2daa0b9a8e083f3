"""Destruction: only what is held in the cage, weighed on the scale (the fake serial scale
on a pseudo-terminal) or typed with a reason, two people, the log slip, Metrc's adjustment
to zero and the package finished, the POS told."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hold_helpers import TAGS
from test_quarantine import quarantine

from kiosk import db, variances
from kiosk.models import Destruction, Movement, OutboxMessage, Package, PackageHold, PrintJob

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "counts"))
from fake_scale import FakeScale  # noqa: E402


@pytest.fixture
def fake():
    scale = FakeScale(weight="41.60", unit="g")
    yield scale
    scale.close()


@pytest.fixture
def settings(settings, fake):
    return {**settings, "scale": fake.url}


@pytest.fixture
def reasons(database, fixed_clock):
    """Metrc's adjustment reasons, as the syncer keeps them after a pull."""
    with db.write():
        variances.keep_reasons([{"name": "Drying", "requires_note": False},
                                {"name": "Waste (Unusable Product)", "requires_note": True}],
                               fixed_clock.now())


def destroy(driver, tag, weight=None, method="grind_mix"):
    driver.start("destroy")
    said = driver.scan(tag)
    if said["tone"] != "ok":
        return said
    if weight is None:
        driver.answer("", source="scale")
    else:
        driver.answer(weight, source="keyed", reason="Scale is out for calibration")
    driver.answer(method)
    if method in ("grind_mix", "compost"):
        driver.answer("Cat litter, 45 g", source="typed")
    assert "Waste (Unusable Product)" in driver.text()
    driver.answer("Waste (Unusable Product)")
    driver.answer("Seal broken; jar contaminated", source="typed")
    first = driver.sign("carla")
    assert first["tone"] == "ok", first
    return driver.sign("femi")


def test_a_package_destroyed_from_the_cage_with_the_scale_and_a_witness(driver, reasons):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "damaged")
    driver.as_("carla")
    said = destroy(driver, TAGS[1])
    assert said["tone"] == "ok", said
    package = Package.one(tag=TAGS[1])
    assert package.status == "destroyed" and package.quantity == 0
    done = Destruction.get()
    assert (done.weight, done.weight_unit, done.keyed) == (Decimal("41.6"), "g", False)
    assert (done.performed_by.name, done.witnessed_by.name) == ("Carla Nguyen", "Femi Adeyemi")
    assert done.mixed_with == "Cat litter, 45 g"
    assert PackageHold.get().status == "destroyed"
    assert Movement.get(Movement.kind == "destroy").quantity == Decimal("-24")
    adjust = OutboxMessage.get(OutboxMessage.kind == "package.adjust").payload
    assert (adjust["quantity"], adjust["reason"]) == ("-24", "Waste (Unusable Product)")
    kinds = [m.kind for m in OutboxMessage.select().where(OutboxMessage.ordering_key == TAGS[1])
             .order_by(OutboxMessage.id)]
    assert kinds[-3:] == ["package.adjust", "package.finish", "stock.adjusted"]
    driver.answer("print")
    slip = PrintJob.get(PrintJob.layout == "destruction_log")
    assert slip.data["weight"] == "41.60" and slip.data["witnessed_by"] == "Femi Adeyemi"


def test_a_typed_weight_is_kept_as_typed_with_its_reason(driver, reasons):
    driver.as_("dev")
    quarantine(driver, TAGS[2], "expired")
    driver.as_("carla")
    assert destroy(driver, TAGS[2], weight="38.2", method="hauler")["tone"] == "ok"
    done = Destruction.get()
    assert done.keyed and done.keyed_reason == "Scale is out for calibration"
    assert done.weight == Decimal("38.2") and done.mixed_with == ""


def test_nothing_outside_the_cage_can_be_destroyed(driver, reasons):
    driver.as_("carla")
    said = destroy(driver, TAGS[1])
    assert said["tone"] == "error" and "Nothing can be destroyed that is not in the cage" in \
        said["message"]
    assert 'data-offer="quarantine"' in driver.text()
    assert Package.one(tag=TAGS[1]).status == "active"


def test_the_same_person_cannot_be_their_own_witness(driver, reasons):
    driver.as_("dev")
    quarantine(driver, TAGS[1])
    driver.as_("carla")
    driver.start("destroy")
    driver.scan(TAGS[1])
    driver.answer("", source="scale")
    driver.answer("hauler")
    driver.answer("Drying")
    driver.answer("Mouldy", source="typed")
    driver.sign("carla")
    assert driver.sign("carla")["tone"] == "error"
    assert Package.one(tag=TAGS[1]).status == "quarantined"


def test_destroying_a_held_part_leaves_the_rest_of_the_package(driver, reasons):
    driver.as_("dev")
    quarantine(driver, TAGS[4], part=5)
    driver.as_("carla")
    assert destroy(driver, TAGS[4], method="hauler")["tone"] == "ok"
    package = Package.one(tag=TAGS[4])
    assert package.status == "active" and package.quantity == Decimal("45")
    assert OutboxMessage.get(OutboxMessage.kind == "package.adjust").payload["quantity"] == "-5"
    assert not OutboxMessage.select().where(OutboxMessage.kind == "package.finish").exists()

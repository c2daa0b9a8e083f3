"""Part of a package on hold: the screens say what is possible (Metrc cannot split a package,
so the part is held here, at the POS and in a Metrc note; it can be released or destroyed,
never returned to the vendor on its own), the hold is recorded as that part, and a whole
package returned or destroyed later takes the units held apart from it too, so Metrc's
quantity and the store's end together."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from hold_helpers import TAGS, VENDOR
from test_destroy import destroy, fake, reasons, settings  # noqa: F401 (fixtures)
from test_quarantine import quarantine

from kiosk.models import (
    Destruction,
    Movement,
    OutboxMessage,
    Package,
    PackageHold,
    PrintJob,
    ReturnLine,
)


def messages(tag: str, kind: str) -> list[dict]:
    return [m.payload for m in OutboxMessage.select().where(
        OutboxMessage.ordering_key == tag, OutboxMessage.kind == kind).order_by(OutboxMessage.id)]


def offers(html: str) -> list[str]:
    return [b["data-offer"] for b in BeautifulSoup(html, "html.parser").select("[data-offer]")]


def test_holding_part_says_what_is_possible_and_records_only_that_part(driver):
    driver.as_("dev")
    driver.start("quarantine")
    driver.scan(TAGS[1])  # 24 jars
    driver.answer("damaged")
    screen = driver.text()
    assert "cannot split" in screen and "cannot go back to the vendor on their own" in screen
    assert "released (back into the package) or destroyed" in screen
    driver.answer("part")
    driver.answer("4", source="typed")
    assert driver.scan("LOC-Q")["tone"] == "ok"
    package = Package.one(tag=TAGS[1])
    assert (package.status, package.quantity, package.location.code) == \
        ("active", Decimal("20"), "LOC-V-A1")  # the rest stays sellable where it is
    moved = Movement.get(Movement.kind == "quarantine")
    assert moved.quantity == Decimal("-4") and moved.to_location.code == "LOC-V-A1"
    assert moved.note == "4 Each held in Quarantine cage, 20 stay sellable"
    held = PackageHold.get()
    assert (held.whole, held.quantity, held.status) == (False, Decimal("4"), "held")
    assert messages(TAGS[1], "stock.hold") == [{"tag": TAGS[1], "reason": "Damaged",
                                                "quantity": "4", "unit": "Each",
                                                "whole": False}]
    assert messages(TAGS[1], "package.location") == []  # Metrc's package has not moved
    (note,) = messages(TAGS[1], "package.note")
    assert note["note"].startswith("4 Each of 24 Each on hold in quarantine")
    label = PrintJob.get(PrintJob.layout == "quarantine_label").data
    assert label["reason"] == "4 Each of this package: Damaged"
    # Holding more of it later says how much is already held apart.
    driver.start("quarantine")
    driver.scan(TAGS[1])
    assert "Already held apart" in driver.text()
    driver.answer("expired")
    assert "All the rest of it: 20 Each (4 Each already held)" in driver.text()


def test_part_of_a_package_cannot_go_back_to_its_vendor_and_the_ways_are_offered(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "recalled", part=4)
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    said = driver.scan(TAGS[1])
    assert said["tone"] == "error"
    assert "Only 4 Each of package" in said["message"]
    assert "20 Each of it is still in stock on Vault shelf A1" in said["message"]
    assert "part of a package cannot go back to its vendor" in said["message"]
    assert offers(driver.text()) == ["quarantine", "destroy", "release"]
    page = driver.kiosk.get(f"/cage/package/{TAGS[1]}").get_data(as_text=True)
    assert "cannot go back to the vendor alone" in page
    ways = [b["data-way"] for b in BeautifulSoup(page, "html.parser").select("[data-way]")]
    assert ways == ["release", "destroy", "quarantine"]  # no return for a part


def test_the_whole_package_goes_back_with_the_part_held_apart(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "recalled", part=4)
    quarantine(driver, TAGS[1], "recalled")  # the rest of it: 20
    assert Package.one(tag=TAGS[1]).location.code == "LOC-Q"
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    said = driver.scan(TAGS[1])
    assert said["tone"] == "ok" and "24 Each goes back" in said["message"], said
    driver.answer("__finish__")
    driver.answer("Vendor recall", source="typed")
    driver.sign("carla")
    assert driver.sign("femi")["tone"] == "ok"
    package = Package.one(tag=TAGS[1])
    assert (package.status, package.quantity) == ("returned", Decimal("0"))
    assert Movement.get(Movement.kind == "return").quantity == Decimal("-20")
    assert [h.status for h in PackageHold.select().order_by(PackageHold.id)] == \
        ["returned", "returned"]
    assert ReturnLine.get().quantity == Decimal("24")
    (adjusted,) = messages(TAGS[1], "stock.adjusted")
    assert Decimal(adjusted["quantity"]) == Decimal("-24") and adjusted["new_quantity"] == "0"
    driver.answer("print")
    slip = PrintJob.get(PrintJob.layout == "rtv_slip").data
    assert [(p["tag"], p["quantity"]) for p in slip["packages"]] == [(TAGS[1], "24")]
    driver.answer("0000412345", source="typed")
    (sent,) = messages("rtv-1", "transfer.returned")
    assert sent["packages"] == [{"tag": TAGS[1], "quantity": "24", "unit": "Each"}]


@pytest.mark.usefixtures("reasons")
def test_destroying_the_whole_package_takes_the_part_held_apart_too(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[4], "damaged", part=5)
    quarantine(driver, TAGS[4], "damaged")  # the other 45
    driver.as_("carla")
    assert destroy(driver, TAGS[4], method="hauler")["tone"] == "ok"
    package = Package.one(tag=TAGS[4])
    assert (package.status, package.quantity) == ("destroyed", Decimal("0"))
    assert {h.status for h in PackageHold.select()} == {"destroyed"}
    assert Destruction.get().quantity == Decimal("50")
    (adjust,) = messages(TAGS[4], "package.adjust")
    assert Decimal(adjust["quantity"]) == Decimal("-50")  # Metrc's whole package: to zero
    assert len(messages(TAGS[4], "package.finish")) == 1

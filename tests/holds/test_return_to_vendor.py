"""Return to vendor: from the cage only, each package's vendor licence checked against the
manifest it came on, two people sign, the packages leave our stock in that step, the RTV
slip prints (the driver's copy and the sheet for Metrc), and the manifest number Metrc gave
the return is recorded with who entered it."""

from __future__ import annotations

from decimal import Decimal

from hold_helpers import OTHER_VENDOR, TAGS, VENDOR
from test_quarantine import quarantine

from kiosk.models import (
    Movement,
    OutboxMessage,
    Package,
    PackageHold,
    PrintJob,
    ReturnLine,
    VendorReturn,
)


def test_two_packages_go_back_to_their_vendor_signed_by_two(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "recalled")
    quarantine(driver, TAGS[5], "damaged")
    driver.as_("carla")
    driver.start("return_to_vendor")
    assert f"{VENDOR[0]} · {VENDOR[1]}" in driver.text()
    driver.answer(VENDOR[1])
    assert driver.scan(TAGS[1])["tone"] == "ok"
    assert driver.scan(TAGS[5])["tone"] == "ok"
    driver.answer("__finish__")
    driver.answer("Vendor recall 2611-R", source="typed")
    assert driver.sign("carla")["tone"] == "ok"
    said = driver.sign("femi")
    assert said["tone"] == "ok" and "2 package(s) left our stock" in said["message"], said
    for n in (1, 5):
        package = Package.one(tag=TAGS[n])
        assert package.status == "returned" and package.quantity == 0
    assert {h.status for h in PackageHold.select()} == {"returned"}
    assert Movement.select().where(Movement.kind == "return").count() == 2
    made = VendorReturn.get()
    assert (made.vendor_license, made.created_by.name) == (VENDOR[1], "Carla Nguyen")
    assert sorted(line.manifest_number for line in ReturnLine.select()) == ["0000300101"] * 2
    assert ReturnLine.get(ReturnLine.tag == TAGS[5]).quantity == Decimal("453.6")
    assert OutboxMessage.select().where(OutboxMessage.kind == "stock.adjusted").count() == 2
    driver.answer("print")
    slip = PrintJob.get(PrintJob.layout == "rtv_slip").data
    assert slip["license"] == VENDOR[1] and [p["tag"] for p in slip["packages"]] == \
        [TAGS[1], TAGS[5]]
    assert driver.answer("12-34", source="typed")["tone"] == "error"  # not a manifest number
    assert driver.answer("0000412345", source="typed")["tone"] == "ok"
    made = VendorReturn.get()
    assert made.metrc_manifest == "0000412345" and made.metrc_entered_by.name == "Carla Nguyen"


def test_a_package_from_another_vendor_is_refused_by_licence(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[4], "recalled")
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    said = driver.scan(TAGS[4])
    assert said["tone"] == "error"
    assert f"came from {OTHER_VENDOR[0]} ({OTHER_VENDOR[1]})" in said["message"]


def test_only_what_is_in_the_cage_goes_back(driver):
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    said = driver.scan(TAGS[2])
    assert said["tone"] == "error" and "not on hold in the quarantine cage" in said["message"]
    said = driver.answer("__finish__")  # nothing on the return yet
    assert said["tone"] == "error" and "at least one package" in said["message"]
    assert Package.one(tag=TAGS[2]).status == "active"


def test_the_same_person_cannot_witness_their_own_return(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "recalled")
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    driver.scan(TAGS[1])
    driver.answer("__finish__")
    driver.answer("Recall", source="typed")
    driver.sign("carla")
    assert driver.sign("carla")["tone"] == "error"
    assert Package.one(tag=TAGS[1]).status == "quarantined"

"""No dead ends: every refusal that names a procedure offers it, one tap away, and the tap
starts that procedure (with the package already scanned where its first step is a scan);
a procedure the person may not start says who does it instead of a button that would only
refuse them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from hold_helpers import TAGS, VENDOR, feedback
from test_quarantine import quarantine

from kiosk import clock, db, ledger, manifests, workflows
from kiosk.models import Location, Package, Run, Transfer, TransferPackage

REJECTED = TAGS[7]
# Words in a refusal that name a procedure -> the procedure's key.
NAMED = {"quarantine it": "quarantine", "bring it into the cage": "quarantine",
         "quarantine the rest": "quarantine", "a reason and a quarantine label": "quarantine",
         "release it": "release", "release them": "release",
         "goes back to its vendor": "return_to_vendor",
         "destroy the held": "destroy", "destroy it": "destroy",
         "paper manifest": "paper_manifest", "receive a delivery": "receiving"}


@pytest.fixture
def rejected(driver):
    """A package rejected at receiving, still on the dock (the vendor's in Metrc)."""
    with db.write():
        item = Package.one(tag=TAGS[1]).item
        package = Package.create(tag=REJECTED, item=item, batch="GC-BD-2611", unit="Each",
                                 created_at=clock.now(), status="rejected")
        ledger.receive(package, Decimal(0), to_location=Location.one(code="LOC-DOCK"))
        Package.update(status="rejected").where(Package.id == package.id).execute()
        TransferPackage.create(transfer=Transfer.get(Transfer.manifest_number == "0000300101"),
                               tag=REJECTED, item=item, item_name=item.name, batch="GC-BD-2611",
                               shipped_quantity=Decimal(6), shipped_unit="Each",
                               state="rejected")
    return REJECTED


def ways_out(driver, said: dict) -> dict[str, dict]:
    """The refusal's ways out on screen: workflow -> the form's fields (or None for a
    procedure this person may not start, which says who does it)."""
    assert said["tone"] == "error", said
    page = BeautifulSoup(driver.text(), "html.parser")
    found = {}
    for form in page.select("form.offer"):
        fields = {i["name"]: i.get("value", "") for i in form.select("input[type=hidden]")}
        found[fields["workflow"]] = fields
    for note in page.select("[data-offer-other]"):
        found[note["data-offer-other"]] = None
    named = {key for words, key in NAMED.items() if words in said["message"].lower()}
    assert named <= set(found), (said["message"], found)
    assert all(workflows.get(key) is not None for key in found)
    return found


def tap(driver, fields: dict) -> Run:
    """Tap the offered button: the procedure starts, the package already scanned."""
    response = driver.kiosk.post("/cage/start", fields)
    assert response.status_code == 200 and "HX-Push-Url" in response.headers
    run = Run.get_by_id(int(response.headers["HX-Push-Url"].rsplit("/", 1)[1]))
    assert run.workflow == fields["workflow"]
    if fields.get("tag"):  # taken as the first scan: the procedure is past it
        assert feedback(response)["tone"] in ("ok", "warn"), feedback(response)
        assert run.current_step != workflows.get(run.workflow).steps[0].id
    return run


def test_the_move_screen_offers_every_procedure_it_names(driver, rejected):
    driver.as_("dev")
    quarantine(driver, TAGS[2])
    driver.as_("carla")  # vault and runner
    driver.start("move_package")
    ways = ways_out(driver, driver.scan(TAGS[2]))  # held in the cage
    assert set(ways) == {"release"}
    driver.start("move_package")
    driver.scan(TAGS[1])
    ways = ways_out(driver, driver.scan("LOC-Q"))  # the cage is no place to move to
    assert tap(driver, ways["quarantine"]).current_step == "reason"
    driver.start("move_package")
    ways = ways_out(driver, driver.scan(rejected))
    assert set(ways) == {"return_to_vendor"}
    tap(driver, ways["return_to_vendor"])
    # A runner may not return it: the screen says who does, with no button to refuse them.
    driver.as_("dev")
    driver.start("move_package")
    ways = ways_out(driver, driver.scan(rejected))
    assert ways == {"return_to_vendor": None}
    assert "Return it to its vendor: done by vault staff, a receiver or a manager" in \
        driver.text()


def test_a_package_a_recall_holds_where_it_stands_is_brought_in_from_each_refusal(driver):
    driver.as_("femi")
    driver.start("recall")
    driver.answer("batch")
    driver.answer("GC-BD-2611", source="typed")
    driver.answer("Notice", source="typed")
    driver.answer("hold")
    driver.as_("carla")
    for workflow in ("move_package", "return_to_vendor", "destroy"):
        driver.start(workflow)
        if workflow == "return_to_vendor":
            driver.answer(VENDOR[1])
        ways = ways_out(driver, driver.scan(TAGS[1]))
        assert set(ways) == {"quarantine"}
    run = tap(driver, ways["quarantine"])
    assert run.current_step == "cage"


def test_return_and_destruction_offer_the_way_in_for_what_is_not_held(driver, rejected):
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    ways = ways_out(driver, driver.scan(TAGS[2]))
    assert tap(driver, ways["quarantine"]).current_step == "reason"
    driver.start("destroy")
    ways = ways_out(driver, driver.scan(TAGS[2]))
    assert set(ways) == {"quarantine"}
    driver.start("destroy")
    ways = ways_out(driver, driver.scan(rejected))
    assert set(ways) == {"return_to_vendor"}
    driver.start("release")
    ways = ways_out(driver, driver.scan(rejected))
    assert set(ways) == {"return_to_vendor"}
    driver.start("quarantine")
    ways = ways_out(driver, driver.scan(rejected))
    assert set(ways) == {"return_to_vendor"}


def test_a_part_held_package_offers_each_way_its_refusal_names(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], part=4)
    driver.as_("carla")
    driver.start("return_to_vendor")
    driver.answer(VENDOR[1])
    ways = ways_out(driver, driver.scan(TAGS[1]))
    assert list(ways) == ["quarantine", "destroy", "release"]
    assert tap(driver, ways["destroy"]).current_step == "weight"
    assert tap(driver, ways["release"]).current_step in ("reason", "which")
    assert tap(driver, ways["quarantine"]).current_step == "reason"


def test_receiving_and_the_paper_manifest_offer_each_other(driver):
    with db.write():
        manifests.load_transfer({"manifest_number": "0000300999", "shipper_name": VENDOR[0],
                                 "shipper_license": VENDOR[1], "packages": []})
    driver.as_("ana")
    driver.start("receiving")
    ways = ways_out(driver, driver.answer("MAN-0000309901", source="scanner"))
    run = tap(driver, ways["paper_manifest"])
    assert run.current_step == "shipper"  # the manifest number is taken already
    driver.start("paper_manifest")
    ways = ways_out(driver, driver.answer("MAN-0000300999", source="scanner"))
    assert tap(driver, ways["receiving"]).workflow == "receiving"

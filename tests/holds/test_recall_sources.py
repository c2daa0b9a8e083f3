"""A recall by source package tag and by lab test batch: a delivery whose manifest lists each
package's source packages (Metrc's SourcePackageLabels) and its COA is received through the
receiving screens, then a manager recalls the source package, or the lab test batch; the
kiosk finds exactly the packages made from it (and the source package itself, when the
store has it), says how each matched, holds them all, and its screen keeps the how."""

from __future__ import annotations

from hold_helpers import TAGS, VENDOR

from kiosk import db, manifests
from kiosk.models import Package, PackageHold, PackageOrigin, Recall, RecallPackage

MANIFEST = "0000300404"
SOURCE = "1A4050100000000000000777"  # the vendor's bulk package the jars were made from
OTHER_SOURCE = "1A4050100000000000000778"
COA = "COA-LAB-2611-77"
NEW = {n: f"1A4050100{700 + n:015d}" for n in range(1, 4)}  # the delivery's three jars
# Jar 1 and 2 from SOURCE; jar 3 from SOURCE and OTHER_SOURCE, as Metrc lists it (commas).
SOURCES = {1: [SOURCE], 2: SOURCE.lower(), 3: f"{SOURCE}, {OTHER_SOURCE}"}


def delivery(bulk_source: str | None = None) -> dict:
    packages = [{"tag": NEW[n], "item": "Blue Dream 3.5g Jar", "batch": "GC-BD-2612",
                 "quantity": 10, "unit": "Each", "source_tags": SOURCES[n]} for n in NEW]
    if bulk_source:  # jar 3 also lists a package the store itself holds
        packages[2]["source_tags"] = f"{SOURCE}, {bulk_source}"
    return {"manifest_number": MANIFEST, "source": "state", "shipper_name": VENDOR[0],
            "shipper_license": VENDOR[1], "receiver_license": "C10-0000001-LIC",
            "case_count": 1, "packages": packages,
            "lab_results": [{"batch": "GC-BD-2612", "test_type": t, "passed": True,
                             "thc_pct": 21.5 if t == "THC" else None, "coa_ref": COA}
                            for t in ("THC", "Microbials")]}


def receive_it(driver, data: dict) -> None:
    """Ana receives the delivery at the dock's screens and puts it away."""
    with db.write():
        manifests.load_transfer(data)
    driver.as_("ana")
    driver.start("receiving")
    for step, value in (("delivery", f"MAN-{MANIFEST}"), ("transport", "pass"), ("order", ""),
                        ("cases", "1")):
        assert driver.at() == step
        assert driver.answer(value)["tone"] in ("ok", "warn"), step
    for n in NEW:
        driver.scan(NEW[n])
        driver.answer("intact")
        driver.answer("10", source="keypad")
        assert driver.answer("accept")["tone"] in ("ok", "warn")
    for n, shelf in ((1, "LOC-V-A1"), (2, "LOC-V-A2"), (3, "LOC-V-A2")):
        assert driver.at() == "putaway", driver.text()[:300]
        driver.scan(NEW[n])
        driver.scan(shelf)


def start_recall(driver, kind: str, value: str) -> dict:
    driver.as_("femi")
    driver.start("recall")
    driver.answer(kind)
    return driver.answer(value, source="typed")


def test_received_packages_keep_their_source_packages_and_coa(driver):
    receive_it(driver, delivery())
    kept = {(o.package.tag, o.kind, o.value) for o in PackageOrigin.select()}
    assert kept == {(NEW[1], "source", SOURCE), (NEW[2], "source", SOURCE),
                    (NEW[3], "source", SOURCE), (NEW[3], "source", OTHER_SOURCE),
                    (NEW[1], "lab", COA), (NEW[2], "lab", COA), (NEW[3], "lab", COA)}
    assert {o.transfer.manifest_number for o in PackageOrigin.select()} == {MANIFEST}


def test_a_recall_of_a_source_package_holds_what_was_made_from_it(driver):
    receive_it(driver, delivery())
    said = start_recall(driver, "source", SOURCE.lower())  # typed off the notice, any case
    assert said["tone"] == "ok", said
    said = driver.answer("Golden Coast notice GC-R-12: bulk lot failed a retest", source="typed")
    screen = driver.text()
    assert f"Source package {SOURCE}" in screen and "Hold all 3 packages now" in screen
    assert f"Matched: made from source package {SOURCE} (manifest {MANIFEST})" in screen
    # The cage's fixture stock came on no manifest listing sources: the screen says so.
    assert "6 packages in the store have no source packages on record" in screen
    said = driver.answer("hold")
    assert said["tone"] == "ok" and "3 package(s) put on hold" in said["message"], said
    assert {p.tag: p.status for p in Package.select().where(Package.tag.in_(list(NEW.values())))} \
        == {t: "quarantined" for t in NEW.values()}
    assert Package.one(tag=TAGS[1]).status == "active"  # another source: untouched
    recall = Recall.get()
    assert (recall.kind, recall.value) == ("source", SOURCE)
    assert {r.matched for r in RecallPackage.select()} == \
        {f"made from source package {SOURCE} (manifest {MANIFEST})"}
    page = driver.kiosk.get(f"/cage/recall/{recall.id}").get_data(as_text=True)
    assert f"Source package {SOURCE}: 0 of 3 in the cage" in page
    assert f"made from source package {SOURCE} (manifest {MANIFEST})" in page
    # Those outside the cage each have their way in, one tap away.
    assert page.count('data-offer="quarantine"') == 3


def test_the_other_source_finds_only_the_jar_made_from_both(driver):
    receive_it(driver, delivery())
    assert start_recall(driver, "source", OTHER_SOURCE)["tone"] == "ok"
    driver.answer("Notice 78", source="typed")
    assert "Hold all 1 package now" in driver.text()


def test_a_source_package_the_store_holds_is_recalled_with_what_was_made_from_it(driver):
    receive_it(driver, delivery(bulk_source=TAGS[5]))
    assert start_recall(driver, "source", TAGS[5])["tone"] == "ok"
    driver.answer("Bulk lot recalled", source="typed")
    screen = driver.text()
    assert "Hold all 2 packages now" in screen
    assert "Matched: is the source package itself" in screen
    said = driver.answer("hold")
    assert "2 package(s) put on hold" in said["message"]
    assert {r.package.tag: r.matched for r in RecallPackage.select()} == {
        TAGS[5]: "is the source package itself",
        NEW[3]: f"made from source package {TAGS[5]} (manifest {MANIFEST})"}


def test_a_recall_of_a_lab_test_batch_holds_what_came_with_that_coa(driver):
    receive_it(driver, delivery())
    assert start_recall(driver, "lab", COA.lower())["tone"] == "ok"
    driver.answer("DCC notice: lab results of COA-LAB-2611-77 unreliable", source="typed")
    screen = driver.text()
    assert f"Lab test batch {COA}" in screen and "Hold all 3 packages now" in screen
    assert f"Matched: received with lab test batch (COA) {COA} (manifest {MANIFEST})" in screen
    said = driver.answer("hold")
    assert "3 package(s) put on hold" in said["message"]
    assert {h.tag for h in PackageHold.select()} == set(NEW.values())
    assert all("Lab test batch" in h.reason_text for h in PackageHold.select())


def test_an_unknown_source_or_coa_and_a_malformed_tag_are_refused_in_words(driver):
    receive_it(driver, delivery())
    said = start_recall(driver, "source", "1A4050100000000000000999")
    assert said["tone"] == "error" and "No package in the store was made from" in \
        said["message"]
    said = driver.answer("1A40501", source="typed")
    assert said["tone"] == "error" and "1A4060300000000000000001" in said["message"]
    said = start_recall(driver, "lab", "COA-NOPE")
    assert said["tone"] == "error" and "No package in the store was received with lab test " \
        "batch (COA) COA-NOPE" in said["message"]

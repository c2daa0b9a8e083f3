"""Quarantine and release through the kiosk's own screens: the hold is one step (ledger,
hold row, label, POS and Metrc messages), the held package is refused by the procedures that
would sell or move it, and a release needs a manager who did not hold it."""

from __future__ import annotations

from decimal import Decimal

from hold_helpers import TAGS

from kiosk.models import Movement, OutboxMessage, Package, PackageHold, PrintJob


def quarantine(driver, tag, reason="damaged", part=None, note=None):
    driver.start("quarantine")
    assert driver.scan(tag)["tone"] == "ok"
    driver.answer(reason)
    if note is not None:
        driver.answer(note, source="typed")
    if part is None:
        driver.answer("all")
    else:
        driver.answer("part")
        driver.answer(str(part), source="typed")
    return driver.scan("LOC-Q")


def test_a_runner_holds_a_package_in_one_step(driver):
    driver.as_("dev")
    said = quarantine(driver, TAGS[1], "damaged")
    assert said["tone"] == "ok", said
    package = Package.one(tag=TAGS[1])
    assert package.status == "quarantined" and package.location.code == "LOC-Q"
    assert package.quantity == Decimal("24")  # held whole: nothing leaves the ledger
    held = PackageHold.get(PackageHold.tag == TAGS[1])
    assert (held.status, held.reason_text, held.held_by.name, held.next_step) == \
        ("held", "Damaged", "Dev Patel", "destruction")
    label = PrintJob.get(PrintJob.layout == "quarantine_label")
    assert label.data["tag"] == TAGS[1] and label.data["reason"] == "Damaged"
    assert label.data["who"] == "Dev Patel" and label.data["date"] == "2026-11-23"
    kinds = {(m.target, m.kind) for m in OutboxMessage.select()
             .where(OutboxMessage.ordering_key == TAGS[1])}
    assert kinds == {("pos", "stock.hold"), ("metrc", "package.location"),
                     ("metrc", "package.note")}
    note = OutboxMessage.get(OutboxMessage.kind == "package.note").payload["note"]
    assert "Damaged" in note and "Dev Patel" in note
    assert driver.at() == "package"  # ready for the next package
    assert driver.answer("__finish__")["tone"] == "ok"  # Done
    assert driver.run.status == "completed"


def test_other_reason_is_printed_whole_and_a_return_keeps_its_sale(driver):
    driver.as_("carla")
    words = ("Lid cracked and the jar smells of solvent; customer says it was sold like this "
             "yesterday afternoon")
    assert quarantine(driver, TAGS[4], "other", note=words)["tone"] == "ok"
    assert PrintJob.get(PrintJob.layout == "quarantine_label").data["reason"] == words
    driver.start("quarantine")
    driver.scan(TAGS[6])
    driver.answer("customer_return")
    driver.answer("type")
    driver.answer("R-10042", source="typed")
    driver.answer("all")
    assert driver.scan("LOC-Q")["tone"] == "ok"
    held = PackageHold.get(PackageHold.tag == TAGS[6])
    assert held.sale_ref == "R-10042" and "R-10042" in held.reason_text


def test_part_of_a_package_leaves_sellable_stock_and_says_what_metrc_can_do(driver):
    driver.as_("dev")
    driver.start("quarantine")
    driver.scan(TAGS[4])
    driver.answer("damaged")
    assert "cannot split" in driver.text()
    driver.answer("part")
    assert driver.answer("50", source="typed")["tone"] == "error"  # all of it is not part
    driver.answer("5", source="typed")
    assert driver.scan("LOC-Q")["tone"] == "ok"
    package = Package.one(tag=TAGS[4])
    assert package.status == "active" and package.quantity == Decimal("45")
    assert package.location.code == "LOC-V-A1"
    held = PackageHold.get(PackageHold.tag == TAGS[4])
    assert not held.whole and held.quantity == Decimal("5")
    note = OutboxMessage.get(OutboxMessage.kind == "package.note").payload["note"]
    assert note.startswith("5 Each of 50 Each on hold")


def test_a_held_package_cannot_be_moved_and_the_refusal_offers_release(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[2])
    driver.start("move_package")
    said = driver.scan(TAGS[2])
    assert said["tone"] == "error" and "on hold in quarantine" in said["message"]
    assert 'data-offer="release"' in driver.text()
    assert Package.one(tag=TAGS[2]).location.code == "LOC-Q"


def test_moving_into_the_cage_offers_the_quarantine_procedure(driver):
    driver.as_("dev")
    driver.start("move_package")
    driver.scan(TAGS[1])
    said = driver.scan("LOC-Q")
    assert said["tone"] == "error" and 'data-offer="quarantine"' in driver.text()
    response = driver.kiosk.post("/cage/start", {"workflow": "quarantine", "tag": TAGS[1]})
    assert response.status_code == 200
    run_id = int(response.headers["HX-Push-Url"].rsplit("/", 1)[1])
    driver.run_id = run_id
    assert driver.at() == "reason"  # the tag is already scanned


def test_a_package_already_held_is_refused_a_second_hold(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1])
    driver.start("quarantine")
    said = driver.scan(TAGS[1])
    assert said["tone"] == "error" and "already on hold" in said["message"]
    assert PackageHold.select().count() == 1


def test_release_needs_another_manager_and_puts_it_back(driver):
    driver.as_("femi")
    quarantine(driver, TAGS[3], "discrepant")
    driver.start("release")
    driver.scan(TAGS[3])
    driver.answer("resolved")
    driver.scan("LOC-V-A2")
    said = driver.sign("femi")  # held it: refused
    assert said["tone"] == "error" and "put this package on hold" in said["message"]
    assert Package.one(tag=TAGS[3]).status == "quarantined"
    said = driver.sign("gus")
    assert said["tone"] == "ok", said
    package = Package.one(tag=TAGS[3])
    assert package.status == "active" and package.location.code == "LOC-V-A2"
    held = PackageHold.get(PackageHold.tag == TAGS[3])
    assert held.status == "released" and "Gus Lindqvist" in held.closed_note
    assert PrintJob.select().where(PrintJob.layout == "package_label").count() == 1
    assert OutboxMessage.select().where(OutboxMessage.kind == "stock.release").count() == 1


def test_a_runner_cannot_sign_a_release(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[3])
    driver.start("release")
    driver.scan(TAGS[3])
    driver.answer("inspected")
    driver.scan("LOC-V-A1")
    said = driver.sign("carla")
    assert said["tone"] == "error"
    assert Package.one(tag=TAGS[3]).status == "quarantined"


def test_release_of_part_puts_the_units_back(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[4], part=5)
    driver.as_("femi")
    driver.start("release")
    driver.scan(TAGS[4])
    driver.answer("inspected")
    assert driver.at() == "sign"  # no shelf: the units go back into their package
    assert driver.sign("gus")["tone"] == "ok"
    assert Package.one(tag=TAGS[4]).quantity == Decimal("50")


def test_the_cage_lists_what_is_held_and_opens_a_timeline(driver):
    driver.as_("dev")
    quarantine(driver, TAGS[1], "expired")
    page = driver.kiosk.get("/cage").get_data(as_text=True)
    assert TAGS[1][-6:] in page and "Expired" in page and "Awaiting destruction" in page
    assert "Dev Patel" in page
    page = driver.kiosk.get(f"/cage/package/{TAGS[1]}").get_data(as_text=True)
    assert "Quarantined" in page and "Vault shelf A1" in page
    assert Movement.select().where(Movement.kind == "quarantine").count() == 1


def test_a_held_package_is_never_picked_and_a_hold_stops_a_pick_in_hand(driver):
    from kiosk import picks
    from kiosk.models.picks import PickedPackage

    driver.as_("dev")
    quarantine(driver, TAGS[2])  # the other jar of the batch stays on shelf A1
    request, _ = picks.intake("S-88", [{"item": "Blue Dream 3.5g Jar", "quantity": "1"}])
    driver.as_("carla")
    response = driver.kiosk.post(f"/picks/{request.id}/claim")
    driver.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
    said = driver.scan(TAGS[2])
    assert said["tone"] == "error" and "quarantined" in said["message"]
    assert driver.scan(TAGS[1])["tone"] == "ok"  # the kiosk's choice is the one not held
    # Dev quarantines the package Carla has just taken: her pick is stopped.
    driver.as_("dev")
    quarantine(driver, TAGS[1], "tampering")
    pick = PickedPackage.get()
    assert pick.withdrawn_at is not None and "on hold" in pick.withdraw_reason

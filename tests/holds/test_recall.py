"""A recall of a batch that sits on two shelves, the sales floor and one open pick: every
unit found, held where it is, labelled; the open pick is stopped; the floor gets a pick-back
task; the recall's screen follows the packages until every one is in the cage."""

from __future__ import annotations

from hold_helpers import TAGS

from kiosk import picks
from kiosk.models import Package, PackageHold, PrintJob, Recall
from kiosk.models.picks import PickedPackage, PickRequest

BATCH = "GC-BD-2611"  # tags 1 (shelf A1), 2 (shelf A2), 3 (floor)


def a_runner_takes_tag_1_for_a_sale(driver):
    """Dev claims a sale from the queue and scans package 1 for it: an open pick."""
    request, _ = picks.intake("S-77", [{"tag": TAGS[1], "quantity": "2"}])
    driver.as_("dev")
    response = driver.kiosk.post(f"/picks/{request.id}/claim")
    driver.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
    driver.scan(TAGS[1])
    assert PickedPackage.select().where(PickedPackage.withdrawn_at.is_null()).count() == 1
    return request


def recall_the_batch(driver):
    driver.as_("femi")
    driver.start("recall")
    driver.answer("batch")
    driver.answer(BATCH.lower(), source="typed")  # as typed off the notice, any case
    driver.answer("Golden Coast notice 2611-R: pesticide over the action level", source="typed")
    screen = driver.text()
    assert "Packages found" in screen and "Hold all 3 packages now" in screen
    return driver.answer("hold")


def test_a_recall_finds_holds_and_labels_every_package_and_stops_the_open_pick(driver):
    request = a_runner_takes_tag_1_for_a_sale(driver)
    said = recall_the_batch(driver)
    assert said["tone"] == "ok" and "3 package(s) put on hold" in said["message"], said
    held = {p.tag: p for p in Package.select().where(Package.batch == BATCH)}
    assert {p.status for p in held.values()} == {"quarantined"}
    # Held where they stand, until someone brings them in.
    assert [held[TAGS[n]].location.code for n in (1, 2, 3)] == ["LOC-V-A1", "LOC-V-A2",
                                                                "LOC-FLOOR"]
    assert Package.one(tag=TAGS[5]).status == "active"  # another batch is not touched
    job = PrintJob.get(PrintJob.layout == "quarantine_label")  # one job for them all
    assert [label["tag"] for label in job.data["labels"]] == [TAGS[1], TAGS[2], TAGS[3]]
    assert all("pesticide" in label["reason"] for label in job.data["labels"])
    recall = Recall.get()
    assert {h.recall_id for h in PackageHold.select()} == {recall.id}
    # The open pick is stopped: the runner's package is withdrawn and the line is open again.
    pick = PickedPackage.get()
    assert pick.withdrawn_at is not None and "withdrawn" in pick.withdraw_reason
    assert PickRequest.get_by_id(request.id).status == "claimed"
    # The floor's package and the picked one have pick-back tasks in the live queue.
    tasks = PickRequest.select().where(PickRequest.kind == "recall_pickback")
    assert sorted(t.external_id for t in tasks) == [f"RECALL-{recall.id}-{TAGS[1]}",
                                                    f"RECALL-{recall.id}-{TAGS[3]}"]
    assert {t.workflow for t in tasks} == {"quarantine"}


def test_the_recall_screen_follows_packages_into_the_cage(driver):
    recall_the_batch(driver)
    recall = Recall.get()
    page = driver.kiosk.get(f"/cage/recall/{recall.id}").get_data(as_text=True)
    assert "0 of 3 in the cage" in page
    # A runner claims the floor's pick-back task and brings the package in.
    task = PickRequest.get(PickRequest.external_id == f"RECALL-{recall.id}-{TAGS[3]}")
    driver.as_("carla")
    response = driver.kiosk.post(f"/picks/{task.id}/claim")
    driver.run_id = int(response.headers["HX-Redirect"].rsplit("/", 1)[1])
    assert driver.run.workflow == "quarantine"
    assert driver.scan(TAGS[3])["tone"] == "ok"
    assert driver.at() == "cage"  # a recalled package needs no reason: it has one
    assert driver.scan("LOC-Q")["tone"] == "ok"
    assert PickRequest.get_by_id(task.id).status == "handed_off"
    # The two from the shelves, through the quarantine procedure.
    for n in (1, 2):
        driver.start("quarantine")
        driver.scan(TAGS[n])
        driver.scan("LOC-Q")
    page = driver.kiosk.get(f"/cage/recall/{recall.id}").get_data(as_text=True)
    assert "3 of 3 in the cage" in page
    assert Recall.get_by_id(recall.id).status == "done"
    assert {p.location.code for p in Package.select().where(Package.batch == BATCH)} == \
        {"LOC-Q"}
    assert PackageHold.select().count() == 3  # brought in, not held a second time


def test_a_recall_counts_a_package_already_in_the_cage_without_holding_it_again(driver):
    driver.as_("dev")
    driver.start("quarantine")
    driver.scan(TAGS[2])
    driver.answer("damaged")
    driver.answer("all")
    driver.scan("LOC-Q")
    said = recall_the_batch(driver)
    assert "2 package(s) put on hold, 1 already held" in said["message"]
    assert PackageHold.select().count() == 3


def test_a_batch_the_store_does_not_have_is_refused_in_words(driver):
    driver.as_("femi")
    driver.start("recall")
    driver.answer("batch")
    said = driver.answer("NO-SUCH-BATCH", source="typed")
    assert said["tone"] == "error" and "No package in the store has batch" in said["message"]


def test_only_a_manager_starts_a_recall(driver):
    driver.as_("dev")
    response = driver.kiosk.post("/runs", {"workflow": "recall"})
    assert "HX-Redirect" not in response.headers

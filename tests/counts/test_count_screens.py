"""The screens around the counts: tiles on the home screen for whoever counts, the manager's
counts screen reached by touch from the manager menu (scheduled, in progress, closed; open
variances with age, size and state; one tap into any), the list of packages whose figures
disagree, and what a spot count picks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from bs4 import BeautifulSoup
from count_helpers import TAGS, UPC, count_and_close, schedule_shelf_a1

from kiosk import clock, counts, db
from kiosk.models import Count, Package, PosInventory, PosSale, Variance


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_the_manager_reaches_counts_by_touch_and_one_tap_opens_anything(driver, fixed_clock):
    count_and_close(driver)
    schedule_shelf_a1(driver)  # another count of A1, not started
    driver.as_("hana")
    driver.start("cycle_count")
    driver.ok("which", value="place")
    driver.ok("place", value="LOC-V-B2")
    driver.ok("product", value=UPC["flower"])  # a count in progress
    fixed_clock.advance(hours=26)

    driver.as_("femi")
    menu = soup(driver.get("/manager"))
    link = menu.find("a", href="/manager/counts")
    assert link is not None and "Counts and variances" in link.text
    page = soup(driver.get(link["href"]))
    scheduled = [tr.td.text for tr in page.select("#counts-scheduled tr")[1:]]
    assert scheduled == ["Vault shelf A1"]
    progress = [[td.text.strip() for td in tr.select("td")]
                for tr in page.select("#counts-in-progress tr")[1:]]
    assert progress[0][:4] == ["Vault shelf B2", "Hana Sato", "0 of 1 scanned", "counting"]
    closed = [tr.td.text for tr in page.select("#counts-closed tr")[1:]]
    assert closed == ["Vault shelf A1"]
    rows = {tr.td.text.split(" ")[0][:24]: [td.text.strip() for td in tr.select("td")]
            for tr in page.select("#open-variances tr")[1:]}
    assert rows[TAGS[4]][2:5] == ["1 d 2 h", "-388 Each", "investigating (not started)"]
    assert rows[TAGS[2]][3] == "0 Each"  # the shelf agrees with the ledger; the POS does not
    # One tap into any of them.
    for a in page.select("#counts a.btn[href^='/manager/']"):
        assert driver.kiosk.get(a["href"]).status_code == 200, a["href"]
    detail = soup(driver.get(page.select_one("#counts-closed a.btn")["href"]))
    figures = {tr.td.text[:24]: [td.text.strip() for td in tr.select("td")]
               for tr in detail.select("#count-lines tr")[1:]}
    assert figures[TAGS[2]][3:6] == ["644", "643", "644"]  # ledger, POS, Metrc
    assert "Erin Walsh (performed, counter)" in detail.text
    variance = soup(driver.get(f"/manager/variances/{Variance.get(Variance.tag == TAGS[4]).id}"))
    assert variance.find("button", string="Investigate") is not None
    assert "Received +388" in variance.select_one("#history").text


def test_only_managers_open_the_manager_screens(driver):
    driver.as_("erin")
    for url in ("/manager/counts", "/manager/figures"):
        assert driver.kiosk.get(url).status_code == 403


def test_count_tiles_are_for_people_who_count(driver):
    schedule_shelf_a1(driver)
    driver.as_("ben")  # receiver and vault: does not count
    assert "Counts due" not in driver.get("/")
    driver.as_("erin")
    home = soup(driver.get("/"))
    tile = home.select_one("#counts-due button.tile")
    assert tile.strong.text == "Count: Vault shelf A1" and "Due today" in tile.text


def test_a_count_in_progress_resumes_from_its_tile_and_is_not_started_twice(driver):
    scheduled = schedule_shelf_a1(driver)
    driver.as_("erin")
    first = driver.tap(f"/counts/{scheduled.id}/start")
    driver.as_("hana")
    again = driver.tap(f"/counts/{scheduled.id}/start")
    assert again == first
    assert "Being counted by Erin Walsh" in driver.get("/")


def test_the_list_of_figures_that_disagree(driver, count_store):
    with db.write():
        PosInventory.update(quantity=Decimal(700)).where(PosInventory.tag == TAGS[1]).execute()
    driver.as_("femi")
    page = soup(driver.get("/manager/figures"))
    assert page.h1.text == "Ledger, POS and Metrc disagree on 2 of 6 packages"
    rows = [[td.text.strip() for td in tr.select("td")] for tr in
            page.select("#disagreements tr")[1:]]
    assert [r[0][:24] for r in rows] == [TAGS[1], TAGS[2]]  # the largest gap first
    assert rows[0][2:] == ["731 Each", "700", "731"]


def test_a_spot_count_takes_the_best_sellers_then_what_was_not_counted_lately(count_store,
                                                                           fixed_clock):
    now = clock.now()
    with db.write():
        for receipt, tag, quantity, amount in (("R1", TAGS[3], 2, "40.00"),
                                               ("R2", TAGS[2], 1, "55.00"),
                                               ("R3", TAGS[1], 9, "12.00")):
            PosSale.create(source="webhook", receipt=receipt, tag=tag, quantity=quantity,
                           amount=Decimal(amount), sold_at=now - dt.timedelta(days=2),
                           received_at=now)
    picked = [Package.get_by_id(pid).tag for pid in counts.spot_pick(4, now)]
    # Two spots by sales value (55 then 40), two for the never-counted, by tag.
    assert picked == [TAGS[2], TAGS[3], TAGS[1], TAGS[4]]
    assert Count.select().count() == 0

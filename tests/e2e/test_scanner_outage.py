"""The scanner never goes quiet: with the kiosk server stopped mid-scan, scans wait (and the
screen says how many and that it is retrying), survive a reload, and land in order exactly
once when the server is back; a scan whose answer was lost after the server had saved it is
sent again and is neither recorded twice nor shown as an error."""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kiosk.demo import demo_tag
from kiosk.models import Package, StepEvent

BACK = 30_000  # ms: the server's restart, then the scanner's next try


def start_moving(page, login, start_run):
    login(page, "1003", "3456")
    run_id = start_run(page, "Move packages")
    expect(page.locator("#step h1")).to_have_text("Scan the package tag.")
    return run_id


def elsewhere(records, tag):
    """A vault shelf this package is not on."""
    with records():
        here = Package.get(Package.tag == tag).location.code
    return "LOC-V-A1" if here != "LOC-V-A1" else "LOC-V-A2"


def events(records, run_id):
    with records():
        return [(e.step_id, e.accepted, e.value.get("value"))
                for e in StepEvent.select().where(StepEvent.run == run_id).order_by(StepEvent.id)]


def test_scans_wait_through_a_server_restart_and_land_in_order_once(
        page, shoot, login, start_run, scan, records, live_server):
    run_id = start_moving(page, login, start_run)
    tag = demo_tag(21)
    destination = elsewhere(records, tag)
    live_server.stop()
    try:
        scan(page, tag)
        last = page.locator("#last-scan")
        expect(last).to_have_text("Connection lost — retrying · 1 scan waiting")
        expect(page.locator("#trouble-title")).to_have_text("Connection lost — retrying")
        expect(page.locator("#trouble-text")).to_contain_text("Nothing you scanned is lost")
        scan(page, destination)  # the next scan waits behind the first
        expect(last).to_have_text("Connection lost — retrying · 2 scans waiting")
        shoot(page, "server-down")
        page.wait_for_timeout(2500)  # a retry or two while the server is still down
        expect(last).to_have_text("Connection lost — retrying · 2 scans waiting")
    finally:
        live_server.start()
    expect(page.locator("#step [data-progress]")).to_have_text("1 package moved", timeout=BACK)
    expect(page.locator("#trouble")).to_be_hidden()
    expect(page.locator("#last-scan")).to_have_text(destination)
    expect(page.locator("#step .feedback.ok")).to_contain_text(f"Moved {tag[-6:]}")
    shoot(page, "back")
    assert events(records, run_id) == [("package", True, tag), ("destination", True, destination)]


def test_scans_waiting_for_the_server_survive_a_reload(page, shoot, login, start_run, scan,
                                                       records, live_server):
    run_id = start_moving(page, login, start_run)
    tag = demo_tag(22)
    destination = elsewhere(records, tag)
    live_server.stop()
    try:
        scan(page, tag)
        scan(page, destination)
        expect(page.locator("#last-scan")).to_have_text(
            "Connection lost — retrying · 2 scans waiting")
        try:  # the screen is reloaded while the server is down: the browser's error page
            page.reload()
        except PlaywrightError:
            pass
    finally:
        live_server.start()
    page.goto(f"/runs/{run_id}")  # the screen comes back to the run
    expect(page.locator("#step [data-progress]")).to_have_text("1 package moved", timeout=BACK)
    expect(page.locator("#last-scan")).to_have_text(destination)
    shoot(page, "after-reload")
    assert events(records, run_id) == [("package", True, tag), ("destination", True, destination)]
    # Nothing is left waiting in the page's storage.
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kiosk:scans'))"
                         ".map(k => JSON.parse(localStorage.getItem(k)).length)") in ([], [0])


def test_a_scan_saved_but_unanswered_is_not_recorded_twice_nor_an_error(
        page, shoot, login, start_run, scan, records):
    run_id = start_moving(page, login, start_run)
    tag = demo_tag(23)
    lost = []

    def answer_lost_on_the_way_back(route):
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().status)  # the server gets it and records it…
        route.abort("connectionreset")      # …and the answer never reaches the screen

    page.route("**/runs/*/steps/*", answer_lost_on_the_way_back)
    scan(page, tag)
    step = page.locator("#step")
    expect(step.locator("h1")).to_have_text("Scan the label of the place it goes.", timeout=BACK)
    assert lost == [200]
    feedback = step.locator(".feedback")
    expect(feedback).to_have_class("feedback ok")
    expect(feedback).to_contain_text(f"{tag} was recorded before the connection dropped")
    expect(page.locator("#last-scan")).to_have_text(tag)
    shoot(page, "recorded-once")
    assert events(records, run_id) == [("package", True, tag)]
    destination = elsewhere(records, tag)
    scan(page, destination)
    expect(step.locator("[data-progress]")).to_have_text("1 package moved")
    assert events(records, run_id) == [("package", True, tag), ("destination", True, destination)]

"""The keyboard-wedge scanner in a real browser: a tag typed at 3 ms a key plus Enter lands as
a scan whatever has focus, its Enter never presses a button, slow typing is told apart, and
every scan is answered with a tone, a colour and words.

And it never goes quiet: with the kiosk server stopped mid-scan, scans wait (the screen says
how many, and that it is retrying), survive a reload, and land in order exactly once when the
server is back; a scan whose answer was lost after the server had saved it is sent again and
is neither recorded twice nor shown as an error."""

from __future__ import annotations

from liveserver import HttpKiosk
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kiosk.demo import demo_tag
from kiosk.models import Movement, Package, Run, StepEvent

# Records the pitch of every tone kiosk.js plays, so the test can hear the feedback.
TONE_SPY = """
window.__tones = [];
const start = OscillatorNode.prototype.start;
OscillatorNode.prototype.start = function (...a) {
  window.__tones.push(this.frequency.value); return start.apply(this, a);
};
"""
OK_TONE, ERROR_TONE = [1320], [330, 330]
BACK = 30_000  # ms: the server's restart, then the scanner's next try


def start_moving(page, login, start_run, badge="1003", pin="3456"):
    page.add_init_script(TONE_SPY)
    login(page, badge, pin)
    run_id = start_run(page, "Move packages")
    expect(page.locator("#step h1")).to_have_text("Scan the package tag.")
    return run_id


def tones(page):
    return page.evaluate("window.__tones.splice(0)")


def elsewhere(records, tag):
    """A vault shelf this package is not on."""
    with records():
        here = Package.get(Package.tag == tag).location.code
    return "LOC-V-A1" if here != "LOC-V-A1" else "LOC-V-A2"


def events(records, run_id):
    with records():
        return [(e.step_id, e.accepted, e.value.get("value"), e.value.get("source"))
                for e in StepEvent.select().where(StepEvent.run == run_id).order_by(StepEvent.id)]


def test_scan_with_a_button_focused(page, shoot, login, start_run, scan, records):
    run_id = start_moving(page, login, start_run)
    finish = page.get_by_role("button", name="Finish moving")
    finish.focus()
    expect(finish).to_be_focused()
    shoot(page, "finish-button-focused")
    tag = demo_tag(1)
    page.wait_for_timeout(50)  # the tone spy is installed; nothing played yet
    tones(page)
    scan(page, tag)

    step = page.locator("#step")
    expect(step.locator(".feedback.ok")).to_contain_text("now scan where it goes")
    expect(step.locator(".feedback.ok")).to_contain_text("Accepted.")
    expect(step.locator("h1")).to_have_text("Scan the label of the place it goes.")
    expect(page.locator("#last-scan")).to_have_text(tag)
    page.wait_for_function("window.__tones.length >= 1")
    assert tones(page) == OK_TONE
    shoot(page, "package-scanned")
    # The scanner's Enter did not press "Finish moving": the run is still open and the only
    # thing recorded is the scan.
    assert events(records, run_id) == [("package", True, tag, "scanner")]
    with records():
        assert Run.get_by_id(run_id).status == "active"

    # Now the "Type it instead" control has focus; Enter must not open it either.
    summary = page.locator("#step details.manual summary")
    summary.focus()
    destination = elsewhere(records, tag)
    scan(page, destination)
    expect(step.locator(".feedback.ok")).to_contain_text(f"Moved {tag[-6:]} to")
    expect(step.locator("h1")).to_have_text("Scan the package tag.")
    expect(step.locator("[data-progress]")).to_have_text("1 package moved")
    assert page.locator("#step details.manual[open]").count() == 0
    shoot(page, "moved")
    with records():
        package = Package.get(Package.tag == tag)
        assert package.location.code == destination
        assert Movement.select().where(Movement.run_id == run_id).count() == 1


def test_wrong_scan_is_red_with_words_and_a_low_tone(page, shoot, login, start_run, scan,
                                                      records):
    start_moving(page, login, start_run, "1002", "2345")
    page.wait_for_timeout(50)
    tones(page)
    scan(page, "LOC-FLOOR")
    step = page.locator("#step")
    alert = step.locator(".feedback.error[role=alert]")
    expect(alert).to_contain_text("Not accepted.")
    expect(alert).to_contain_text("LOC-FLOOR")
    expect(page.locator("body.flash-error")).to_have_count(1)
    page.wait_for_function("window.__tones.length >= 2")
    assert tones(page) == ERROR_TONE
    shoot(page, "wrong-scan")
    # The red message stays until the next action, while the one-off flash has ended.
    page.wait_for_timeout(900)
    expect(page.locator("body.flash-error")).to_have_count(0)
    expect(alert).to_be_visible()

    scan(page, demo_tag(2))
    expect(step.locator(".feedback.ok")).to_be_visible()
    expect(step.locator(".feedback.error")).to_have_count(0)
    page.wait_for_function("window.__tones.length >= 1")
    assert tones(page) == OK_TONE


def test_slow_typing_is_not_a_scan(page, shoot, login, start_run, records):
    run_id = start_moving(page, login, start_run, "1006", "6789")
    tag = demo_tag(3)
    page.keyboard.type(tag[:8], delay=120)  # a person at a keyboard, not a scanner
    expect(page.locator("#last-scan")).to_have_text(f"Typing: {tag[:8]} (press Enter to send)")
    shoot(page, "typing")
    page.wait_for_timeout(300)
    assert events(records, run_id) == []  # nothing is sent while a person is typing
    page.keyboard.type(tag[8:], delay=120)
    page.keyboard.press("Enter")
    expect(page.locator("#step .feedback.ok")).to_contain_text("now scan where it goes")
    assert events(records, run_id) == [("package", True, tag, "keyboard")]


def test_scan_into_a_focused_text_box_is_still_a_scan(page, shoot, login, start_run, scan,
                                                     records):
    run_id = start_moving(page, login, start_run, "1005", "5678")
    page.locator("#step details.manual summary").tap()
    field = page.locator("#step details.manual input[name=value]")
    field.tap()
    expect(field).to_be_focused()
    tag = demo_tag(4)
    scan(page, tag)
    expect(page.locator("#step .feedback.ok")).to_contain_text("now scan where it goes")
    assert events(records, run_id) == [("package", True, tag, "scanner")]
    # A person typing into that box still types into it, and Enter sends what they typed.
    page.locator("#step details.manual summary").tap()
    field = page.locator("#step details.manual input[name=value]")
    field.tap()
    destination = elsewhere(records, tag)
    page.keyboard.type(destination, delay=90)
    expect(field).to_have_value(destination)
    shoot(page, "typed-into-box")
    page.keyboard.press("Enter")
    expect(page.locator("#step .feedback.ok")).to_contain_text(f"Moved {tag[-6:]}")
    assert events(records, run_id)[-1] == ("destination", True, destination, "typed")


def test_two_scans_back_to_back_both_land(page, shoot, login, start_run, scan, records):
    run_id = start_moving(page, login, start_run, "1001", "1234")
    tag = demo_tag(6)
    destination = elsewhere(records, tag)
    # The second scan arrives while the first is still on its way: it waits its turn and
    # goes with the screen's new revision.
    scan(page, tag)
    scan(page, destination)
    expect(page.locator("#step [data-progress]")).to_have_text("1 package moved")
    expect(page.locator("#last-scan")).to_have_text(destination)
    shoot(page, "both-landed")
    assert events(records, run_id) == [("package", True, tag, "scanner"),
                                       ("destination", True, destination, "scanner")]


def test_scans_made_while_the_page_still_loads_are_held_then_land(page, shoot, login, start_run,
                                                                 scan, records):
    """A receiver scans the moment a screen appears, before its other scripts have loaded
    (a busy kiosk): the scans are caught, held, and sent in order once the page is ready."""
    run_id = start_moving(page, login, start_run, "1001", "1234")
    tag = demo_tag(7)
    destination = elsewhere(records, tag)
    held = []  # the page's htmx, kept back until the scans are made
    page.route("**/static/vendor/htmx-*.js", lambda route: held.append(route))
    page.goto(f"/runs/{run_id}", wait_until="commit")
    expect(page.locator("#step h1")).to_have_text("Scan the package tag.")
    assert page.evaluate("typeof htmx") == "undefined" and len(held) == 1
    scan(page, tag)
    scan(page, destination)
    assert events(records, run_id) == []  # held in the page, not sent yet
    held[0].continue_()
    page.unroute("**/static/vendor/htmx-*.js")
    expect(page.locator("#step [data-progress]")).to_have_text("1 package moved")
    expect(page.locator("#last-scan")).to_have_text(destination)
    shoot(page, "held-then-landed")
    assert events(records, run_id) == [("package", True, tag, "scanner"),
                                       ("destination", True, destination, "scanner")]


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
    assert events(records, run_id) == [("package", True, tag, "scanner"),
                                       ("destination", True, destination, "scanner")]


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
    # Which page sent them (this one, or the reload if the server was back before it
    # finished) does not matter: they reach the run once each, in order.
    expect(page.locator("#step [data-progress]")).to_have_text("1 package moved", timeout=BACK)
    shoot(page, "after-reload")
    assert events(records, run_id) == [("package", True, tag, "scanner"),
                                       ("destination", True, destination, "scanner")]
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
    assert events(records, run_id) == [("package", True, tag, "scanner")]
    destination = elsewhere(records, tag)
    scan(page, destination)
    expect(step.locator("[data-progress]")).to_have_text("1 package moved")
    assert events(records, run_id) == [("package", True, tag, "scanner"),
                                       ("destination", True, destination, "scanner")]


def test_a_waiting_scan_whose_run_ended_meanwhile_is_refused_in_words(
        page, login, start_run, scan, records, live_server):
    run_id = start_moving(page, login, start_run)
    down = []
    page.route("**/runs/*/steps/*", lambda route: route.abort("connectionrefused") if down
               else route.continue_())
    down.append(True)
    tag = demo_tag(24)
    scan(page, tag)
    expect(page.locator("#last-scan")).to_have_text("Connection lost — retrying · 1 scan waiting")
    # Meanwhile a colleague finishes the run from another screen.
    other = HttpKiosk(live_server.url, "receiving-1")
    other.login("1002", "2345")
    _, rev = other.current(run_id)
    other.submit(run_id, "package", "__finish__", rev)
    down.clear()
    step = page.locator("#step")
    expect(step.locator("h1")).to_have_text("Move packages is completed.", timeout=BACK)
    expect(step.locator(".feedback.error")).to_contain_text(
        "Nothing saved. This run is completed; nothing more can be recorded in it.")
    expect(page.locator("#last-scan")).to_have_text(f"{tag} (not recorded)")
    assert events(records, run_id) == [("package", True, "__finish__", "scanner")]

"""The idle lock in a real browser, on a server with short timeouts (3 s idle + 3 s warning):
the warning, "I'm here", the lock that hides the work, and the run resuming after login."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from kiosk.demo import demo_tag
from kiosk.models import LoginSession

LIVE_SERVER_ENV = {"KIOSK_IDLE_SECONDS": "3", "KIOSK_IDLE_WARNING_SECONDS": "3"}
WARNING_SECONDS = 3


def test_idle_warns_locks_and_the_run_resumes(page, shoot, login, scan, start_run, records):
    login(page, "1003", "3456")
    run_id = start_run(page, "Move packages")
    tag = demo_tag(21)
    scan(page, tag)
    step = page.locator("#step")
    expect(step.locator("h1")).to_have_text("Scan the label of the place it goes.")

    overlay = page.locator("#idle")
    expect(overlay).to_be_visible(timeout=6_000)
    expect(overlay).to_contain_text("Still there?")
    expect(page.locator("#idle-count")).to_have_text(re.compile("^[1-3]$"))
    shoot(page, "idle-warning")

    # Nobody answers: the screen locks and shows nothing of the work but its name.
    expect(page.locator("#login h1")).to_have_text(
        "Scan your badge, or type your badge number.", timeout=8_000)
    expect(page.locator("body")).to_have_attribute("data-logged-in", "no")
    expect(page.locator(".open-runs")).to_contain_text("Move packages · started")
    assert tag not in page.content() and tag[-6:] not in page.content()
    shoot(page, "locked")
    with records():
        session = (LoginSession.select().where(LoginSession.end_reason.is_null(False))
                   .order_by(LoginSession.id.desc()).first())
        assert session.employee.name == "Carla Nguyen" and session.end_reason == "idle"

    # The next login goes straight back to the step where the run stopped.
    login(page, "1003", "3456")
    expect(page).to_have_url(re.compile(f"/runs/{run_id}$"))
    expect(step.locator("h1")).to_have_text("Scan the label of the place it goes.")
    expect(step.locator("table.facts")).to_contain_text(tag)
    shoot(page, "resumed")
    scan(page, "LOC-TOTE-1")
    expect(step.locator(".feedback.ok")).to_contain_text(f"Moved {tag[-6:]} to Delivery tote 1")


def test_im_here_keeps_the_session(page, shoot, login, live_server):
    login(page, "1002", "2345")
    overlay = page.locator("#idle")
    expect(overlay).to_be_visible(timeout=6_000)
    warned = time.monotonic()
    # Answer at once (the warning itself is photographed in the test above): on a busy
    # machine a screenshot here can take the whole warning, and then the screen has locked.
    page.locator("#idle-stay").tap()
    expect(overlay).to_be_hidden()
    # Past the moment the screen would have locked, the person is still logged in, on the
    # screen and on the server.
    page.wait_for_timeout(max(0, WARNING_SECONDS + 0.4 - (time.monotonic() - warned)) * 1000)
    expect(page.locator("body")).to_have_attribute("data-logged-in", "yes")
    home = page.context.request.get(live_server.url + "/").text()
    assert "Ben Okafor" in home and "Scan your badge" not in home
    shoot(page, "still-logged-in")


def test_server_ends_a_session_whose_screen_never_locked(page, login, live_server):
    """The lock is the server's too: a screen whose script stopped cannot keep a session."""
    login(page, "1005", "5678")
    page.goto("about:blank")  # no script left to lock or to renew
    api = page.context.request
    assert "Erin Walsh" in api.get(live_server.url + "/").text()
    page.wait_for_timeout(7_500)  # beyond 3 s idle + 3 s warning, and last_seen's lag
    home = api.get(live_server.url + "/").text()
    assert "Erin Walsh" not in home and "Scan your badge" in home

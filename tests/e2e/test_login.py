"""Logging in at the kiosk in a real browser: keypad and badge scan, and every refusal."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk.models import LoginAttempt, LoginSession


def test_keypad_login_then_logout(page, shoot, keypad, records):
    shoot(page, "lock-screen")
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    keypad(page, "1002")
    expect(page.locator("[data-keypad-input=badge]")).to_have_value("1002")
    page.get_by_role("button", name="Next").tap()
    expect(page.locator("#login h1")).to_have_text("Hi Ben Okafor. Enter your PIN.")
    keypad(page, "2345")
    # The PIN is masked on screen.
    expect(page.locator("[data-keypad-input=pin]")).to_have_attribute("type", "password")
    shoot(page, "pin-entered")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Ben Okafor")
    expect(page.get_by_role("button", name=re.compile("Vault entry"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Move packages"))).to_be_visible()
    shoot(page, "home")
    with records():
        session = LoginSession.select().order_by(LoginSession.id.desc()).first()
        assert session.employee.name == "Ben Okafor" and session.ended_at is None
        assert session.station == "vault-1"

    page.get_by_role("button", name="Log out").tap()
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "no")
    with records():
        assert LoginSession.get_by_id(session.id).end_reason == "logout"


def test_badge_scan_then_pin(page, shoot, scan, keypad):
    scan(page, "EMP-1003")
    expect(page.locator("#login h1")).to_have_text("Hi Carla Nguyen. Enter your PIN.")
    keypad(page, "3456")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Carla Nguyen")
    shoot(page, "home")


def test_wrong_pin_then_right_pin(page, shoot, keypad):
    keypad(page, "1008")
    page.get_by_role("button", name="Next").tap()
    keypad(page, "0000")
    page.get_by_role("button", name="Log in").tap()
    alert = page.locator("#login [role=alert]")
    expect(alert).to_contain_text("Wrong PIN. Try again.")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "no")
    shoot(page, "wrong-pin")
    # Still at the PIN stage for the same badge, greeted by name, with an empty PIN field.
    expect(page.locator("#login h1")).to_have_text("Hi Hana Sato. Enter your PIN.")
    expect(page.locator("[data-keypad-input=pin]")).to_have_value("")
    keypad(page, "8901")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Hana Sato")


def test_an_empty_pin_is_asked_for_not_counted(page, shoot, keypad, records):
    with records():
        before = LoginAttempt.select().where(LoginAttempt.badge == "1001").count()
    keypad(page, "1001")
    page.get_by_role("button", name="Next").tap()
    page.get_by_role("button", name="Log in").tap()
    asked = page.locator("#login .feedback.warn[role=status]")
    expect(asked).to_have_text("! Type your PIN on the keypad, then press Log in.")
    expect(page.locator("#login h1")).to_have_text("Hi Ana Reyes. Enter your PIN.")
    shoot(page, "pin-asked")
    with records():
        assert LoginAttempt.select().where(LoginAttempt.badge == "1001").count() == before
    keypad(page, "1234")
    page.get_by_role("button", name="Log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Ana Reyes")


def test_unknown_badge(page, shoot, keypad):
    keypad(page, "4242")
    page.get_by_role("button", name="Next").tap()
    expect(page.locator("#login [role=alert]")).to_contain_text(
        "Badge 4242 is not known here. Check the number or ask a manager.")
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    shoot(page, "unknown-badge")


def test_inactive_badge(page, shoot, scan):
    scan(page, "1009")
    expect(page.locator("#login [role=alert]")).to_contain_text(
        "Badge 1009 (Ivan Petrov) is no longer active. Ask a manager.")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "no")
    shoot(page, "inactive-badge")


def test_five_wrong_pins_lock_the_badge(page, shoot, keypad, records):
    keypad(page, "1004")
    page.get_by_role("button", name="Next").tap()
    alert = page.locator("#login [role=alert]")
    for attempt in range(1, 5):
        keypad(page, "1111")
        page.get_by_role("button", name="Log in").tap()
        expect(alert).to_contain_text("Wrong PIN. Try again.")
        expect(page.locator("#login h1")).to_have_text("Hi Dev Patel. Enter your PIN.")
        expect(page.locator("[data-keypad-input=pin]")).to_have_value("")
        with records():
            assert LoginAttempt.select().where(LoginAttempt.badge == "1004").count() == attempt
    keypad(page, "1111")
    page.get_by_role("button", name="Log in").tap()
    locked = ("Badge 1004 is locked after 5 wrong PINs. Try again in 5 minutes, or ask a "
              "manager to unlock it.")
    expect(alert).to_have_text("✖ Wrong PIN. " + locked)
    shoot(page, "locked")
    # Even the right PIN is refused now, at the badge stage, in the same words.
    keypad(page, "1004")
    page.get_by_role("button", name="Next").tap()
    expect(alert).to_have_text("✖ " + locked)
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    shoot(page, "locked-at-badge")
    expect(page.locator("body")).to_have_attribute("data-logged-in", "no")


def test_each_screen_is_its_own_station(browser, live_server, login, records):
    """Two screens on one server: each names its station once and keeps it; logging in at
    one never logs out the other, while a second login at the same screen replaces the first."""
    screens = []
    for name in ("receiving-1", "vault-1", "vault-1"):
        context = browser.new_context(viewport={"width": 1080, "height": 1920}, has_touch=True,
                                      base_url=live_server.url)
        page = context.new_page()
        page.goto(f"/?station={name}")
        page.goto("/")  # later visits need no parameter: the screen remembers
        expect(page.locator(".topbar .where")).to_contain_text(f"· {name}")
        screens.append(page)
    try:
        login(screens[0], "1001", "1234")
        login(screens[1], "1005", "5678")
        for page, who in zip(screens[:2], ("Ana Reyes", "Erin Walsh"), strict=True):
            page.reload()
            expect(page.locator(".topbar .who")).to_have_text(who)
        with records():
            stations = {s.employee.name: s.station for s in
                        LoginSession.select().where(LoginSession.ended_at.is_null())}
        assert stations["Ana Reyes"] == "receiving-1" and stations["Erin Walsh"] == "vault-1"

        login(screens[2], "1006", "6789")  # another screen calling itself vault-1
        screens[1].reload()
        expect(screens[1].locator("body")).to_have_attribute("data-logged-in", "no")
        screens[0].reload()
        expect(screens[0].locator(".topbar .who")).to_have_text("Ana Reyes")

        # A name the store does not know is not taken: the screen asks for a manager to
        # register it, and meanwhile keeps its own station.
        screens[0].goto("/?station=made-up-9")
        expect(screens[0].locator("#register h1")).to_have_text(
            "This screen calls itself made-up-9, which is not one of this store's stations yet.")
        screens[0].goto("/")
        expect(screens[0].locator(".topbar .where")).to_contain_text("· receiving-1")
    finally:
        for page in screens:
            page.context.close()

"""What a manager approves on the screen itself, by touch in Chromium: unlocking a locked
badge (from the manager menu) and registering a screen the store does not know yet."""

from __future__ import annotations

import re

from liveserver import HttpKiosk
from playwright.sync_api import expect

from kiosk.models import AuditEntry, BadgeUnlock, Station


def test_a_manager_unlocks_a_badge_by_touch(page, live_server, shoot, keypad, login, records):
    elsewhere = HttpKiosk(live_server.url, "receiving-1")
    for _ in range(5):
        elsewhere.post("/login/pin", {"badge": "1004", "pin": "1111"}).raise_for_status()

    login(page, "1006", "6789")
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("Locked badges")).tap()
    row = page.locator("tr[data-badge='1004']")
    expect(row).to_contain_text("Dev Patel")
    expect(row).to_contain_text("5 min left")
    expect(page.locator("table.refusals tr").nth(1)).to_contain_text("wrong PIN")
    shoot(page, "locked-badges")

    row.get_by_role("button", name="Unlock 1004").tap()
    form = page.locator("#unlock-form")
    expect(form.locator("h2")).to_have_text("Unlock badge 1004 (Dev Patel): a manager signs")
    keypad(page, "1006")
    form.get_by_role("button", name="Type PIN").tap()
    keypad(page, "6789")
    expect(form.locator("[data-keypad-input=badge]")).to_have_value("1006")
    shoot(page, "signing")
    form.get_by_role("button", name="Unlock").tap()
    expect(page.locator("#badges .feedback")).to_contain_text(
        "Badge 1004 (Dev Patel) is unlocked. Femi Adeyemi signed for it.")
    expect(page.locator("#badges")).to_contain_text("No badge is locked right now.")
    shoot(page, "unlocked")
    with records():
        unlock = BadgeUnlock.get()
        assert (unlock.badge, unlock.unlocked_by.name, unlock.station) == \
            ("1004", "Femi Adeyemi", "vault-1")
        assert AuditEntry.select().where(AuditEntry.action == "badge.unlocked").count() == 1

    page.get_by_role("button", name="Log out").tap()
    login(page, "1004", "4567")
    expect(page.locator(".topbar .who")).to_have_text("Dev Patel")


def test_a_manager_registers_a_new_screen_by_touch(page, shoot, keypad, records):
    page.goto("/?station=vault-9")
    register = page.locator("#register")
    expect(register.locator("h1")).to_have_text(
        "This screen calls itself vault-9, which is not one of this store's stations yet.")
    expect(page.locator(".topbar .where")).to_contain_text("unregistered screen")
    shoot(page, "asks-for-a-manager")
    keypad(page, "1006")
    register.get_by_role("button", name="Type PIN").tap()
    keypad(page, "6789")
    register.get_by_role("button", name="Register vault-9 as a vault screen").tap()
    expect(page.locator("#login h1")).to_have_text("Scan your badge, or type your badge number.")
    expect(page.locator(".topbar .where")).to_contain_text("· vault-9")
    shoot(page, "registered")
    page.goto("/")  # the screen keeps its new name
    expect(page.locator(".topbar .where")).to_contain_text("· vault-9")
    with records():
        assert Station.get(Station.name == "vault-9").kind == "vault"
        entry = AuditEntry.get(AuditEntry.action == "station.register")
        assert (entry.station, entry.actor_name) == ("vault-9", "Femi Adeyemi")

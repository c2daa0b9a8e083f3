"""The manager's locked-badges screen: who is locked and for how long, the latest wrong PINs,
and an unlock signed with another manager's own badge + PIN, after which the badge's wrong
PINs count from nothing again."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from kiosk.models import AuditEntry, BadgeUnlock, LoginAttempt

LOCKED_DEV = ("Badge 1004 is locked after 5 wrong PINs. Try again in 5 minutes, or ask a "
              "manager to unlock it.")


def text(response) -> str:
    return BeautifulSoup(response.data, "html.parser").get_text(" ", strip=True)


@pytest.fixture
def staff(make_employee):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    make_employee("Dev Patel", "1004", "4567", "runner")
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    make_employee("Gus Lindqvist", "1007", "7890", "manager,admin")


def lock(kiosk, badge):
    for _ in range(5):
        last = kiosk.post("/login/pin", {"badge": badge, "pin": "0000"})
    assert "is locked after 5 wrong PINs" in text(last)


def test_a_manager_unlocks_a_badge_on_their_own_signature(kiosk, staff, fixed_clock):
    lock(kiosk, "1004")
    kiosk.login("1006", "6789")
    screen = BeautifulSoup(kiosk.get("/manager/badges").data, "html.parser")
    row = screen.find("tr", attrs={"data-badge": "1004"})
    assert "Dev Patel" in row.text and "5 min left" in row.text
    unlock = row.find("button")
    assert unlock.text == "Unlock 1004" and unlock["hx-get"] == "/manager/badges/1004/unlock"
    refusals = screen.find("table", class_="refusals").find_all("tr")[1:]
    assert len(refusals) == 5 and all("wrong PIN" in r.text for r in refusals)
    form = kiosk.get("/manager/badges/1004/unlock")
    assert "Unlock badge 1004 (Dev Patel): a manager signs" in text(form)

    # A signature is badge + PIN now: no PIN is asked for, a wrong one counts against the
    # signer, a non-manager may not.
    asked = kiosk.post("/manager/badges/1004/unlock", {"badge": "1006", "pin": ""})
    assert "Type your PIN on the keypad, then press Unlock." in text(asked)
    assert "Wrong PIN. Try again." in text(
        kiosk.post("/manager/badges/1004/unlock", {"badge": "1006", "pin": "1111"}))
    assert "Ana Reyes can't unlock badges: it needs a manager." in text(
        kiosk.post("/manager/badges/1004/unlock", {"badge": "1001", "pin": "1234"}))
    assert BadgeUnlock.select().count() == 0

    done = kiosk.post("/manager/badges/1004/unlock", {"badge": "1007", "pin": "7890"})
    assert "Badge 1004 (Dev Patel) is unlocked. Gus Lindqvist signed for it." in text(done)
    assert done.headers["HX-Retarget"] == "#badges"
    assert json.loads(done.headers["HX-Trigger"])["kiosk:feedback"]["tone"] == "ok"
    assert "No badge is locked right now." in text(done)
    unlock = BadgeUnlock.get()
    assert (unlock.badge, unlock.employee.name, unlock.unlocked_by.name) == \
        ("1004", "Dev Patel", "Gus Lindqvist")
    signed = LoginAttempt.get_by_id(unlock.attempt_id)
    assert (signed.badge, signed.ok, signed.purpose) == ("1007", True, "unlock")
    entry = AuditEntry.get(AuditEntry.action == "badge.unlocked")
    assert entry.actor_name == "Gus Lindqvist" and entry.detail == \
        {"badge": "1004", "unlock": unlock.id, "attempt": signed.id}

    # The lockout counts from the unlock: four more wrong PINs do not lock it again.
    kiosk.post("/logout")
    for _ in range(4):
        assert "Wrong PIN. Try again." in text(
            kiosk.post("/login/pin", {"badge": "1004", "pin": "0000"}))
    assert kiosk.login("1004", "4567").headers["HX-Redirect"] == "/"


def test_nobody_unlocks_their_own_badge(kiosk, staff, fixed_clock):
    kiosk.login("1006", "6789")
    # Femi's badge gets locked while Femi is logged in (wrong PINs at a sign-off, say).
    fixed_clock.advance(seconds=1)
    lock(kiosk.__class__(kiosk.app), "1006")
    kiosk.get("/")  # Femi's own screen is still logged in
    refused = kiosk.post("/manager/badges/1006/unlock", {"badge": "1007", "pin": "7890"})
    assert ("Femi Adeyemi can't unlock their own badge: another manager must do it, logged "
            "in as themselves.") in text(refused)
    assert BadgeUnlock.select().count() == 0
    # Femi cannot sign for it either: a locked badge signs nothing.
    kiosk.post("/logout")
    kiosk.login("1007", "7890")
    refused = kiosk.post("/manager/badges/1006/unlock", {"badge": "1006", "pin": "6789"})
    assert "Badge 1006 is locked after 5 wrong PINs." in text(refused)
    assert BadgeUnlock.select().count() == 0


def test_only_managers_open_the_screen_and_only_locked_badges_unlock(kiosk, staff,
                                                                      fixed_clock):
    kiosk.login("1004", "4567")
    assert kiosk.get("/manager/badges").status_code == 403
    assert kiosk.post("/manager/badges/1001/unlock",
                      {"badge": "1004", "pin": "4567"}).status_code == 403
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    # A badge that is not locked (any more: another manager was quicker) is said so.
    gone = kiosk.post("/manager/badges/1001/unlock", {"badge": "1006", "pin": "6789"})
    assert "Badge 1001 is not locked any more." in text(gone)
    assert gone.headers["HX-Retarget"] == "#badges" and BadgeUnlock.select().count() == 0
    assert kiosk.get("/manager/badges/x<b>/unlock").status_code == 404
    assert LOCKED_DEV not in text(kiosk.get("/manager/badges"))

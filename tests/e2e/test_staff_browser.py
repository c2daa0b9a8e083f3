"""Staff on the screen in a real browser: a runner finds no way to staff management (no
tile, and 403 at its address), a manager adds a person by touch and signs for it, a badge
number already held is refused in words, a manager finds no way to change their own roles
(and a forged request is refused), and a PIN reset makes the person choose a new PIN at
their next login."""

from __future__ import annotations

import json
import re

from onscreen import type_on_screen
from playwright.sync_api import expect

from kiosk.models import Employee, StaffChange


def sign(page, form, keypad, badge: str, pin: str, button: str) -> None:
    form.get_by_role("button", name="Type badge").tap()
    keypad(page, badge)
    form.get_by_role("button", name="Type PIN").tap()
    keypad(page, pin)
    form.get_by_role("button", name=button, exact=True).tap()


def add_person(page, keypad, name: str, badge: str) -> None:
    """The add form, filled by touch, up to the manager's signature."""
    add = page.locator("#add")
    add.locator("input[name=name]").tap()
    type_on_screen(page, name, then="hide")
    keypad(page, badge)
    add.locator("label.toggle", has_text="Receiver").tap()
    add.locator("label.toggle", has_text="Counter").tap()
    add.locator("label.toggle", has_text="Español").tap()
    add.get_by_role("button", name="Next: a manager signs").tap()


def test_a_runner_finds_no_way_to_staff_management(page, login):
    login(page, "1004", "4567")
    expect(page.get_by_role("link", name="Manager screens")).to_have_count(0)
    expect(page.locator("a[href^='/manager']")).to_have_count(0)
    response = page.goto("/manager/staff")
    assert response.status == 403
    expect(page.locator("[role=alert]")).to_contain_text("Dev Patel can't open this screen.")


def test_a_manager_adds_a_person_by_touch(page, shoot, login, keypad, records):
    login(page, "1006", "6789")
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("^Staff")).tap()
    expect(page.locator("#people tr[data-badge]")).to_have_count(9)
    expect(page.get_by_role("link", name="Locked badges and wrong PINs")).to_be_visible()
    shoot(page, "staff")
    page.get_by_role("link", name="Add a person").tap()

    add_person(page, keypad, "Iris Moreno", "1003")  # Carla Nguyen's badge
    expect(page.locator("#add [role=alert]")).to_have_text(
        "✖ Badge 1003 already belongs to Carla Nguyen. Badge numbers are unique among active "
        "people: use another number, or deactivate Carla Nguyen first.")
    shoot(page, "badge-taken")
    add = page.locator("#add")
    add.locator("input[name=new_badge]").evaluate("el => el.value = ''")
    keypad(page, "1010")
    expect(add.locator("label.toggle", has_text="Español").locator("input")).to_be_checked()
    add.get_by_role("button", name="Next: a manager signs").tap()
    expect(add.locator("table.facts")).to_contain_text("Receiver, Counter")
    shoot(page, "sign-to-add")
    sign(page, add.locator("form.signform"), keypad, "1006", "6789", "Sign and add")
    notice = page.locator("#person .feedback.ok")
    expect(notice).to_contain_text("Iris Moreno is added. At their first login they scan "
                                   "their badge and choose their own PIN, within 24 hours.")
    expect(page.locator("#person table.history")).to_contain_text("Femi Adeyemi (manager, "
                                                                  "approved)")
    shoot(page, "added")
    with records():
        iris = Employee.get(Employee.badge == "1010")
        assert (iris.name, iris.roles, iris.language, iris.must_set_pin) == (
            "Iris Moreno", "receiver,counter", "es", True)


def test_a_manager_cannot_change_their_own_roles(page, login, records):
    login(page, "1006", "6789")
    with records():
        femi = Employee.get(Employee.badge == "1006")
    page.goto(f"/manager/staff/{femi.id}")
    expect(page.locator("#person")).to_contain_text("This is you: nobody changes their own "
                                                    "record here.")
    expect(page.locator("#person .changes")).to_have_count(0)
    # A request made by hand, with this screen's own session and token, is refused too.
    token = json.loads(page.locator("body").get_attribute("hx-headers"))["X-CSRF-Token"]
    answer = page.request.post(f"/manager/staff/{femi.id}/details",
                               form={"roles": "admin", "language": "en", "badge": "1006",
                                     "pin": "6789"},
                               headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert answer.status == 200
    assert "Femi Adeyemi can&#39;t change their own record" in answer.text()
    with records():
        assert Employee.get_by_id(femi.id).roles == "manager,vault"
        assert StaffChange.select().where(StaffChange.employee == femi.id).count() == 0


def test_a_pin_reset_makes_the_person_choose_a_new_pin(page, shoot, login, keypad, records):
    login(page, "1006", "6789")
    with records():
        ana = Employee.get(Employee.badge == "1001")
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("^Staff")).tap()
    page.get_by_role("link", name="Ana Reyes").tap()
    page.locator("#person").get_by_role("button", name="Reset PIN").tap()
    form = page.locator("#change-form")
    expect(form.locator("h2")).to_have_text("Reset the PIN of Ana Reyes: a manager signs")
    sign(page, form, keypad, "1006", "6789", "Reset PIN")
    expect(page.locator("#person .feedback.ok")).to_contain_text(
        "Ana Reyes's PIN is reset: it works no more.")
    expect(page.locator("#person")).to_contain_text("Must choose a PIN at the next login")
    page.get_by_role("button", name="Log out").tap()

    keypad(page, "1001")
    page.locator("#login").get_by_role("button", name="Next").tap()
    login_box = page.locator("#login")
    expect(login_box.locator("h1")).to_have_text("Hi Ana Reyes. Choose your new PIN.")
    shoot(page, "choose-pin")
    keypad(page, "1234")  # her old PIN, typed twice: refused as too easy anyway
    login_box.get_by_role("button", name="Type it again").tap()
    keypad(page, "1234")
    login_box.get_by_role("button", name="Save PIN and log in").tap()
    expect(login_box.locator("[role=alert]")).to_contain_text("1234 is too easy to guess")
    keypad(page, "2580")
    login_box.get_by_role("button", name="Type it again").tap()
    keypad(page, "2580")
    login_box.get_by_role("button", name="Save PIN and log in").tap()
    expect(page.locator(".topbar .who")).to_have_text("Ana Reyes")
    shoot(page, "logged-in")
    page.get_by_role("button", name="Log out").tap()
    login(page, "1001", "2580")
    expect(page.locator(".topbar .who")).to_have_text("Ana Reyes")
    with records():
        assert not Employee.get_by_id(ana.id).must_set_pin
        assert [c.action for c in StaffChange.select().where(StaffChange.employee == ana.id)] \
            == ["reset_pin"]

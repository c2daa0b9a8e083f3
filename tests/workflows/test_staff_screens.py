"""Staff on the manager's screen (Flask client): adding a person, changing roles, resetting a
PIN, deactivating; each change signed by a manager's badge + PIN now and audited. Nobody
changes their own record, only an admin grants admin, a badge number belongs to one active
person, and a reset PIN is chosen again at the next login."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from kiosk import staff as staff_rules
from kiosk.models import AuditEntry, Employee, LoginAttempt, LoginSession, StaffChange


@pytest.fixture
def people(make_employee):
    return {
        "ana": make_employee("Ana Reyes", "1001", "1234", "receiver"),
        "dev": make_employee("Dev Patel", "1004", "4567", "runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
        "gus": make_employee("Gus Lindqvist", "1007", "7890", "manager,admin"),
        "hana": make_employee("Hana Sato", "1008", "8901", "manager"),
    }


def text(response) -> str:
    return BeautifulSoup(response.data, "html.parser").get_text(" ", strip=True)


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


def other_screen(kiosk):
    """A second screen of the store (another station), as a second browser."""
    from kiosk import db
    from kiosk.models import Station

    with db.write():
        Station.get_or_create(name="test-2")
    screen = kiosk.__class__(kiosk.app)
    screen.get("/?station=test-2")
    return screen


NEW = {"name": "Iris Moreno", "new_badge": "1010", "roles": ["receiver", "counter"],
       "language": "es"}


def test_a_runner_cannot_reach_staff_management(kiosk, people, fixed_clock):
    kiosk.login("1004", "4567")
    home = BeautifulSoup(kiosk.get("/").data, "html.parser")
    assert not home.find("a", href="/manager") and not home.find("a", href="/manager/staff")
    ana = people["ana"].id
    for url in ("/manager/staff", "/manager/staff/new", f"/manager/staff/{ana}",
                f"/manager/staff/{ana}/reset-pin"):
        assert kiosk.get(url).status_code == 403, url
    for url, data in (("/manager/staff/new", {**NEW, "badge": "1004", "pin": "4567"}),
                      (f"/manager/staff/{ana}/details", {"roles": ["manager"],
                                                         "language": "en", "badge": "1004",
                                                         "pin": "4567"}),
                      (f"/manager/staff/{ana}/reset-pin", {"badge": "1004", "pin": "4567"})):
        assert kiosk.post(url, data).status_code == 403, url
    assert Employee.get_by_id(ana).roles == "receiver" and StaffChange.select().count() == 0


def test_a_manager_adds_a_person_who_chooses_a_pin_at_first_login(kiosk, people,
                                                                   fixed_clock):
    kiosk.login("1006", "6789")
    menu = BeautifulSoup(kiosk.get("/manager").data, "html.parser")
    assert menu.find("a", href="/manager/staff")
    listing = BeautifulSoup(kiosk.get("/manager/staff").data, "html.parser")
    assert listing.find("a", href="/manager/badges")  # unlock from here
    assert listing.find("a", href="/manager/staff/new")

    checked = kiosk.post("/manager/staff/new/check", NEW)
    summary = BeautifulSoup(checked.data, "html.parser").select_one("table.facts").text
    assert "Iris Moreno" in summary and "Receiver, Counter" in summary and "Español" in summary
    # Signed with a manager's own badge + PIN, now.
    assert "Type your PIN on the keypad, then press Sign and add." in text(
        kiosk.post("/manager/staff/new", {**NEW, "badge": "1006", "pin": ""}))
    assert "Wrong PIN. Try again." in text(
        kiosk.post("/manager/staff/new", {**NEW, "badge": "1006", "pin": "0000"}))
    assert "Ana Reyes can't change staff records: it needs a manager." in text(
        kiosk.post("/manager/staff/new", {**NEW, "badge": "1001", "pin": "1234"}))
    assert Employee.select().where(Employee.badge == "1010").count() == 0

    added = kiosk.post("/manager/staff/new", {**NEW, "badge": "1006", "pin": "6789"})
    iris = Employee.get(Employee.badge == "1010")
    assert added.headers["HX-Redirect"] == f"/manager/staff/{iris.id}?done=added"
    assert (iris.name, iris.roles, iris.language, iris.active, iris.must_set_pin) == (
        "Iris Moreno", "receiver,counter", "es", True, True)
    change = StaffChange.get()
    assert (change.action, change.printed_name, change.role, change.meaning) == (
        "add", "Femi Adeyemi", "manager", "approved")
    assert change.after == {"name": "Iris Moreno", "badge": "1010",
                            "roles": "receiver,counter", "language": "es", "active": True}
    assert staff_rules.intact(change)
    assert LoginAttempt.get_by_id(change.attempt_id).purpose == "staff"
    entry = AuditEntry.get(AuditEntry.action == "staff.add")
    assert entry.actor_name == "Femi Adeyemi" and entry.detail["hash"] == change.change_hash
    page = text(kiosk.get(added.headers["HX-Redirect"]))
    assert "Iris Moreno is added. At their first login they scan their badge" in page
    assert "Must choose a PIN at the next login" in page

    # Iris has no PIN: her badge leads to choosing one; no PIN works, none is guessed.
    kiosk.post("/logout")
    stage = kiosk.post("/login/badge", {"value": "1010"})
    assert "Hi Iris Moreno. Choose your new PIN." in text(stage)
    guessed = kiosk.post("/login/pin", {"badge": "1010", "pin": "1234"})
    assert "Hi Iris Moreno. Choose your new PIN." in text(guessed)
    kept = LoginAttempt.select().where(LoginAttempt.badge == "1010").get()
    assert (kept.ok, kept.reason) == (False, "no pin")  # recorded, not counted as a guess
    for pin, again, words in (("12", "12", "Choose a PIN of 4 to 8 digits."),
                              ("2580", "2581", "The two PINs are not the same."),
                              ("1111", "1111", "1111 is too easy to guess"),
                              ("3456", "3456", "3456 is too easy to guess"),
                              ("1010", "1010", "Your PIN can't be your badge number.")):
        assert words in text(kiosk.post("/login/new-pin", {"badge": "1010", "pin": pin,
                                                           "again": again}))
    chosen = kiosk.post("/login/new-pin", {"badge": "1010", "pin": "2580", "again": "2580"})
    assert chosen.headers["HX-Redirect"] == "/"
    assert BeautifulSoup(kiosk.get("/").data, "html.parser").select_one(".who").text == \
        "Iris Moreno"
    assert not Employee.get_by_id(iris.id).must_set_pin
    kiosk.post("/logout")
    assert kiosk.login("1010", "2580").headers["HX-Redirect"] == "/"
    # Once chosen, the new-PIN screen is no way in: it starts the login again.
    assert kiosk.post("/login/new-pin", {"badge": "1010", "pin": "9630",
                                         "again": "9630"}).headers["HX-Redirect"] == "/"


def test_duplicate_active_badges_are_refused_in_words(kiosk, people, fixed_clock):
    kiosk.login("1006", "6789")
    taken = kiosk.post("/manager/staff/new/check", {**NEW, "new_badge": "1004"})
    assert ("Badge 1004 already belongs to Dev Patel. Badge numbers are unique among active "
            "people: use another number, or deactivate Dev Patel first.") in text(taken)
    # Also when signing (another manager may have added it meanwhile).
    assert "Badge 1004 already belongs to Dev Patel." in text(kiosk.post(
        "/manager/staff/new", {**NEW, "new_badge": "EMP-1004", "badge": "1006",
                               "pin": "6789"}))
    assert Employee.select().where(Employee.badge == "1004").count() == 1

    # Once Dev is deactivated, his number can be given to someone new.
    gone = kiosk.post(f"/manager/staff/{people['dev'].id}/deactivate",
                      {"reason": "Left the company", "badge": "1006", "pin": "6789"})
    assert "Dev Patel is deactivated" in feedback(gone)["message"]
    kiosk.post("/manager/staff/new", {**NEW, "new_badge": "1004", "badge": "1006",
                                      "pin": "6789"})
    holders = list(Employee.select().where(Employee.badge == "1004").order_by(Employee.id))
    assert [(e.name, e.active) for e in holders] == [("Dev Patel", False), ("Iris Moreno", True)]
    # The badge now finds Iris; the database itself refuses a second active holder.
    assert Employee.holder("1004").name == "Iris Moreno"
    from peewee import IntegrityError

    from kiosk import auth, clock, db
    with pytest.raises(IntegrityError), db.write():
        Employee.create(name="Twin", badge="1004", pin_hash=auth.hash_pin("2580"),
                        roles="runner", created_at=clock.now())


def test_nobody_changes_their_own_roles_and_only_an_admin_grants_admin(kiosk, people,
                                                                        fixed_clock):
    femi, gus, hana = people["femi"], people["gus"], people["hana"]
    kiosk.login("1006", "6789")
    own = BeautifulSoup(kiosk.get(f"/manager/staff/{femi.id}").data, "html.parser")
    assert "This is you: nobody changes their own record here." in own.text
    assert not own.select("#person .changes button")
    # Femi grants herself admin: refused, whoever signs (even an admin).
    for signer in (("1006", "6789"), ("1007", "7890")):
        refused = kiosk.post(f"/manager/staff/{femi.id}/details",
                             {"roles": ["manager", "vault", "admin"], "language": "en",
                              "badge": signer[0], "pin": signer[1]})
        assert ("Femi Adeyemi can't change their own record, roles included: another "
                "manager must do it, logged in as themselves.") in text(refused)
    # A manager cannot make Hana an admin; nor touch an admin's record.
    refused = kiosk.post(f"/manager/staff/{hana.id}/details",
                         {"roles": ["manager", "admin"], "language": "en", "badge": "1006",
                          "pin": "6789"})
    assert "Only an admin can make someone an admin, and Femi Adeyemi is not one." in \
        text(refused)
    refused = kiosk.post(f"/manager/staff/{gus.id}/reset-pin", {"badge": "1006",
                                                                "pin": "6789"})
    assert ("Gus Lindqvist is an admin: only another admin can change their record, and "
            "Femi Adeyemi is not one.") in text(refused)
    assert (Employee.get_by_id(femi.id).roles, Employee.get_by_id(hana.id).roles) == (
        "manager,vault", "manager")
    assert not Employee.get_by_id(gus.id).must_set_pin
    # The admin, logged in as himself, cannot change his own roles either.
    kiosk.post("/logout")
    kiosk.login("1007", "7890")
    assert "Gus Lindqvist can't change their own record" in text(kiosk.post(
        f"/manager/staff/{gus.id}/details", {"roles": ["manager"], "language": "es",
                                             "badge": "1007", "pin": "7890"}))
    # An admin may grant admin to someone else; the change keeps what it was.
    done = kiosk.post(f"/manager/staff/{hana.id}/details",
                      {"roles": ["manager", "admin"], "language": "es", "badge": "1007",
                       "pin": "7890"})
    assert done.headers["HX-Retarget"] == "#person"
    assert feedback(done)["message"] == ("Hana Sato's roles and language are changed. Gus "
                                         "Lindqvist signed for it.")
    assert (Employee.get_by_id(hana.id).roles, Employee.get_by_id(hana.id).language) == (
        "manager,admin", "es")
    change = StaffChange.get(StaffChange.action == "details")
    assert (change.before, change.after, change.role) == (
        {"roles": "manager", "language": "en"}, {"roles": "manager,admin", "language": "es"},
        "admin")
    assert staff_rules.intact(change)
    history = BeautifulSoup(done.data, "html.parser").select_one("table.history").text
    assert "roles manager → manager, admin" in history and "Gus Lindqvist (admin, approved)" \
        in history
    # Nothing is a change: said so, nothing recorded.
    assert "Nothing was changed" in text(kiosk.post(
        f"/manager/staff/{hana.id}/details", {"roles": ["manager", "admin"], "language": "es",
                                              "badge": "1007", "pin": "7890"}))
    assert StaffChange.select().count() == 1


def test_a_pin_reset_forces_a_new_pin_at_next_login(kiosk, people, fixed_clock):
    ana = people["ana"]
    ana_screen = other_screen(kiosk)
    ana_screen.login("1001", "1234")
    kiosk.login("1006", "6789")
    person = BeautifulSoup(kiosk.get(f"/manager/staff/{ana.id}").data, "html.parser")
    reset = person.find("button", string="Reset PIN")
    assert reset["hx-get"] == f"/manager/staff/{ana.id}/reset-pin"
    assert "Reset the PIN of Ana Reyes: a manager signs" in text(kiosk.get(reset["hx-get"]))
    done = kiosk.post(f"/manager/staff/{ana.id}/reset-pin", {"badge": "1006", "pin": "6789"})
    assert feedback(done)["message"].startswith("Ana Reyes's PIN is reset: it works no more.")
    assert Employee.get_by_id(ana.id).must_set_pin
    # Ana is logged out where she was, and her old PIN works nowhere: not at login...
    assert LoginSession.get(LoginSession.employee == ana.id).end_reason == "pin reset"
    assert BeautifulSoup(ana_screen.get("/").data, "html.parser").select_one("#login")
    assert "Choose your new PIN" in text(ana_screen.post("/login/pin", {"badge": "1001",
                                                                        "pin": "1234"}))
    # ... nor at a signature (she has no PIN to sign with), and it is not a wrong PIN.
    refused = kiosk.post(f"/manager/staff/{people['dev'].id}/reset-pin",
                         {"badge": "1001", "pin": "1234"})
    assert "Ana Reyes has no PIN yet. Log in with badge 1001 to choose one" in text(refused)
    assert LoginAttempt.select().where(LoginAttempt.reason == "wrong pin").count() == 0

    stage = ana_screen.post("/login/badge", {"value": "EMP-1001"})
    assert "Hi Ana Reyes. Choose your new PIN." in text(stage)
    ana_screen.post("/login/new-pin", {"badge": "1001", "pin": "7531", "again": "7531"})
    ana_screen.post("/logout")
    assert "Wrong PIN" in text(ana_screen.post("/login/pin", {"badge": "1001", "pin": "1234"}))
    assert ana_screen.login("1001", "7531").headers["HX-Redirect"] == "/"
    assert AuditEntry.select().where(AuditEntry.action == "pin.set").count() == 1


def test_a_reset_pin_must_be_chosen_within_a_day(kiosk, people, fixed_clock):
    kiosk.login("1006", "6789")
    kiosk.post(f"/manager/staff/{people['ana'].id}/reset-pin", {"badge": "1006", "pin": "6789"})
    fixed_clock.advance(hours=staff_rules.PIN_RESET_HOURS, minutes=1)
    late = kiosk.__class__(kiosk.app).post("/login/new-pin", {"badge": "1001", "pin": "7531",
                                                              "again": "7531"})
    assert ("The time to choose a PIN for badge 1001 ran out (24 hours after the reset). Ask "
            "a manager to reset it again.") in text(late)
    assert Employee.get_by_id(people["ana"].id).must_set_pin


def test_deactivating_needs_a_reason_and_ends_the_persons_logins(kiosk, people, fixed_clock):
    dev = people["dev"]
    dev_screen = other_screen(kiosk)
    dev_screen.login("1004", "4567")
    kiosk.login("1006", "6789")
    form = text(kiosk.get(f"/manager/staff/{dev.id}/deactivate"))
    assert "Deactivate Dev Patel: a manager signs" in form and "Left the company" in form
    assert "Say why Dev Patel is deactivated." in text(kiosk.post(
        f"/manager/staff/{dev.id}/deactivate", {"reason": "", "badge": "1006", "pin": "6789"}))
    done = kiosk.post(f"/manager/staff/{dev.id}/deactivate",
                      {"reason": "Badge lost or stolen", "badge": "1006", "pin": "6789"})
    assert feedback(done)["message"] == (
        "Dev Patel is deactivated: they can no longer log in or sign, and badge 1004 may be "
        "given to someone else. Femi Adeyemi signed for it.")
    assert not Employee.get_by_id(dev.id).active
    assert BeautifulSoup(dev_screen.get("/").data, "html.parser").select_one("#login")
    assert LoginSession.get(LoginSession.employee == dev.id).end_reason == "deactivated"
    assert "no longer active" in text(dev_screen.post("/login/badge", {"value": "1004"}))
    change = StaffChange.get(StaffChange.action == "deactivate")
    assert (change.reason, change.before, change.after) == ("Badge lost or stolen",
                                                            {"active": True}, {"active": False})
    # An inactive person's record is not changed further; the page says what they are.
    page = text(kiosk.get(f"/manager/staff/{dev.id}"))
    assert "Inactive: can't log in or sign" in page and "Reset PIN" not in page
    assert "Dev Patel is no longer active; nothing can be changed." in text(kiosk.post(
        f"/manager/staff/{dev.id}/reset-pin", {"badge": "1006", "pin": "6789"}))


def test_a_persons_page_shows_their_wrong_pins_and_lock(kiosk, people, fixed_clock):
    for _ in range(5):
        kiosk.post("/login/pin", {"badge": "1004", "pin": "0000"})
    kiosk.login("1006", "6789")
    listing = BeautifulSoup(kiosk.get("/manager/staff").data, "html.parser")
    assert "Locked until 09:05" in listing.find("tr", attrs={"data-badge": "1004"}).text
    page = BeautifulSoup(kiosk.get(f"/manager/staff/{people['dev'].id}").data, "html.parser")
    assert len(page.select("table.refusals tr")) == 6  # heading + five wrong PINs
    assert page.find("a", href="/manager/badges", string="Unlock on Locked badges")


def test_the_forms_refuse_what_is_not_a_person(kiosk, people, fixed_clock):
    kiosk.login("1006", "6789")
    for bad, words in (({"name": ""}, "Type the person's name."),
                       ({"name": "X" * 81}, "The name is too long: at most 80 characters"),
                       ({"name": "1234"}, "Type the name in letters"),
                       ({"name": "Iris\x00Moreno"}, "Type the name in letters"),
                       ({"new_badge": "12"}, "A badge number is 3 to 10 digits"),
                       ({"new_badge": "9" * 500}, "A badge number is 3 to 10 digits"),
                       ({"roles": []}, "Choose at least one role."),
                       ({"roles": ["owner"]}, "Choose at least one role."),
                       ({"language": "fr"}, "Choose English or Español.")):
        response = kiosk.post("/manager/staff/new/check", {**NEW, **bad})
        assert response.status_code == 200 and words in text(response), bad
    assert kiosk.get("/manager/staff/99999").status_code == 404
    assert kiosk.get(f"/manager/staff/{2**64}").status_code == 404
    assert kiosk.post(f"/visitors/{2**64}/sign-out").status_code == 404  # no record has it
    assert kiosk.get(f"/manager/staff/{people['ana'].id}/promote").status_code == 404
    assert "Choose roles from the buttons only." in text(kiosk.post(
        f"/manager/staff/{people['ana'].id}/details",
        {"roles": ["receiver", "owner"], "language": "en", "badge": "1006", "pin": "6789"}))
    assert StaffChange.select().count() == 0

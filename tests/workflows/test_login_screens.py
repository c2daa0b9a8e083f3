"""Login, logout, the idle lock and resuming the run after the next login."""

import json

from bs4 import BeautifulSoup

from kiosk.models import LoginAttempt, LoginSession, Run


def _text(response):
    return BeautifulSoup(response.data, "html.parser").get_text(" ", strip=True)


def test_keypad_login_and_logout(kiosk, make_employee, fixed_clock):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    assert "Hi Ana Reyes. Enter your PIN." in _text(kiosk.post("/login/badge", {"value": "1001"}))
    response = kiosk.post("/login/pin", {"badge": "1001", "pin": "1234"})
    assert response.headers["HX-Redirect"] == "/"
    assert "Ana Reyes" in _text(kiosk.get("/"))
    kiosk.post("/logout")
    assert "Scan your badge" in _text(kiosk.get("/"))
    assert LoginSession.get().end_reason == "logout"


def test_login_refusals_are_one_clear_sentence(kiosk, make_employee, fixed_clock):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    make_employee("Ivan Petrov", "1009", "9012", "runner", active=False)
    assert "Badge 4242 is not known here" in _text(kiosk.post("/login/badge", {"value": "4242"}))
    assert "no longer active" in _text(kiosk.post("/login/badge", {"value": "1009"}))
    assert "That is not a badge" in _text(kiosk.post("/login/badge",
                                                     {"value": "1A4060300000000000000001"}))
    wrong = kiosk.post("/login/pin", {"badge": "1001", "pin": "9999"})
    assert "Wrong PIN. Try again." in _text(wrong)
    assert json.loads(wrong.headers["HX-Trigger"])["kiosk:feedback"]["tone"] == "error"
    # The greeting keeps the name, and the PIN is asked again for the same badge.
    assert "Hi Ana Reyes. Enter your PIN." in _text(wrong)
    assert BeautifulSoup(wrong.data, "html.parser").find("input", {"name": "badge"})["value"] \
        == "1001"
    for _ in range(4):
        last = kiosk.post("/login/pin", {"badge": "1001", "pin": "9999"})
    locked = ("Badge 1001 is locked after 5 wrong PINs. Try again in 5 minutes, or ask a "
              "manager to unlock it.")
    assert "Wrong PIN. " + locked in _text(last)
    # One wording wherever the locked badge is refused, with the time left.
    fixed_clock.advance(seconds=90)
    later = locked.replace("5 minutes", "4 minutes")
    assert later in _text(kiosk.post("/login/badge", {"value": "1001"}))
    assert later in _text(kiosk.post("/login/pin", {"badge": "1001", "pin": "1234"}))


def test_an_empty_pin_is_asked_for_not_counted(kiosk, make_employee, fixed_clock):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    for _ in range(6):
        asked = kiosk.post("/login/pin", {"badge": "1001", "pin": ""})
        assert "Type your PIN on the keypad, then press Log in." in _text(asked)
        assert "Hi Ana Reyes. Enter your PIN." in _text(asked)
        assert json.loads(asked.headers["HX-Trigger"])["kiosk:feedback"]["tone"] == "warn"
    assert LoginAttempt.select().count() == 0
    assert kiosk.login("1001", "1234").headers["HX-Redirect"] == "/"


def test_post_without_csrf_token_is_refused(kiosk, make_employee):
    make_employee("Ana Reyes", "1001", "1234", "receiver")
    response = kiosk.http.post("/login/pin", data={"badge": "1001", "pin": "1234"})
    assert response.status_code == 400 and b"out of date" in response.data
    assert LoginSession.select().count() == 0


def test_idle_session_expires_and_the_run_resumes_after_login(kiosk, make_employee,
                                                               fixed_clock):
    make_employee("Ben Okafor", "1002", "2345", "vault")
    kiosk.login("1002", "2345")
    kiosk.post("/runs", {"workflow": "vault_entry"})
    run = Run.get()
    fixed_clock.advance(seconds=111)  # 90 s idle + 20 s warning, and then some
    ended = kiosk.get(f"/runs/{run.id}")
    assert ended.status_code == 302 and "ended=1" in ended.headers["Location"]
    assert "Your session ended" in _text(kiosk.get("/?ended=1"))
    kiosk.post("/logout", {"reason": "idle", "resume": str(run.id)})
    back = kiosk.login("1002", "2345")
    assert back.headers["HX-Redirect"] == f"/runs/{run.id}"


def test_home_lists_permitted_workflows_and_runs_here(kiosk, make_employee, fixed_clock):
    make_employee("Dev Patel", "1004", "4567", "runner")
    make_employee("Erin Walsh", "1005", "5678", "counter")
    kiosk.login("1004", "4567")
    kiosk.post("/runs", {"workflow": "move_package"})
    home = _text(kiosk.get("/"))
    assert "Move packages" in home and "In progress at this screen" in home
    kiosk.post("/logout")
    kiosk.login("1005", "5678")
    home = _text(kiosk.get("/"))
    assert "Vault entry" in home and "Move packages" not in home
    refused = kiosk.post("/runs", {"workflow": "move_package"})
    assert "can't start Move packages" in _text(refused)

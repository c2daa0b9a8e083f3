"""Sessions belong to their screen: the attacks on CSRF, stations and sessions, repeated
against the real server (``kiosk serve``) over HTTP.

- A form posted from another site carries neither the CSRF cookie nor the header; that used
  to pass as "equal". It could log someone in at a station or spend a manager's lockout.
- Any ``kiosk_station`` cookie was taken as it stood and written into the audit chain.
- A session made at vault-1 worked at receiving-1.
"""

from __future__ import annotations

import sys
from html import unescape
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import HttpKiosk, LiveServer, build_demo_database  # noqa: E402

from kiosk import db  # noqa: E402
from kiosk.models import AuditEntry, LoginAttempt, LoginSession, Run, Station  # noqa: E402

JUNK = "<script>alert(1)</script>" + "x" * 5000


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_empty_database):
    workdir = tmp_path_factory.mktemp("sessions")
    server = LiveServer(build_demo_database(module_empty_database), workdir).start()
    yield server
    server.stop()


def records(server):
    db.init(server.database_url)
    return db.connection()


def attempts(server) -> int:
    with records(server):
        return LoginAttempt.select().count()


def audit_text(server) -> str:
    with records(server):
        return " ".join(f"{e.station} {e.subject} {e.detail}" for e in AuditEntry.select())


def test_a_post_without_its_token_is_refused_and_records_nothing(server):
    before = attempts(server)
    screen = HttpKiosk(server.url, "vault-1")  # a real screen: it has its CSRF cookie
    token = screen.http.cookies["kiosk_csrf"]
    station = {"kiosk_station": "vault-1"}
    forms = [
        {},  # a cross-site form: no cookie, no header
        {"cookies": {**station, "kiosk_csrf": token}},  # the cookie alone
        {"cookies": station, "headers": {"X-CSRF-Token": token}},  # the header alone
        {"cookies": {**station, "kiosk_csrf": token}, "headers": {"X-CSRF-Token": "x" + token}},
        {"cookies": {**station, "kiosk_csrf": token}, "headers": {"X-CSRF-Token": "ÿ" * 10}},
    ]
    for _ in range(3):  # more than enough wrong PINs to lock the manager, were they counted
        for form in forms:
            for path, data in (("/login/badge", {"value": "1006"}),
                               ("/login/pin", {"badge": "1006", "pin": "0000"})):
                refused = requests.post(server.url + path, data=data, timeout=10, **form)
                assert refused.status_code == 400, (path, form)
                assert "nothing was saved" in refused.text
    assert attempts(server) == before
    screen.login("1006", "6789")  # the manager was never locked out


def test_an_unknown_station_asks_a_manager_and_is_never_recorded(server):
    before = attempts(server)
    screen = requests.Session()
    page = screen.get(f"{server.url}/?station=made-up-9", timeout=10)
    assert "This screen calls itself made-up-9" in unescape(page.text)
    assert "kiosk_station" not in screen.cookies  # not this screen's name until registered

    # A forged cookie naming it is refused too, and nothing is recorded.
    screen.cookies.set("kiosk_station", "made-up-9")
    token = screen.cookies["kiosk_csrf"]
    refused = screen.post(f"{server.url}/login/badge", data={"value": "1006"}, timeout=10,
                          headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert refused.status_code == 403 and refused.headers["HX-Redirect"] == "/"
    refused = screen.post(f"{server.url}/login/pin", data={"badge": "1006", "pin": "1"},
                          timeout=10, headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    assert attempts(server) == before

    # A name that is no station name is shown cut and escaped, and cannot be registered.
    junk = requests.get(server.url + "/", params={"station": JUNK}, timeout=10)
    assert "<script>alert" not in junk.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in junk.text
    assert "x" * 41 not in junk.text and 'id="register"' in junk.text
    assert 'name="name"' not in junk.text
    assert "made-up-9" not in audit_text(server) and "script" not in audit_text(server)


def test_a_manager_registers_a_new_screen_once(server):
    screen = requests.Session()
    screen.get(f"{server.url}/?station=vault-2", timeout=10)
    headers = {"X-CSRF-Token": screen.cookies["kiosk_csrf"], "HX-Request": "true"}

    def register(badge, pin, name="vault-2"):
        return screen.post(f"{server.url}/stations/register", timeout=10, headers=headers,
                           data={"name": name, "kind": "vault", "badge": badge, "pin": pin})

    refused = register("1001", "1234")  # Ana is a receiver
    assert "Ana Reyes can't register screens: it needs a manager." in unescape(refused.text)
    assert "Wrong PIN. Try again." in unescape(register("1006", "1111").text)
    assert "not a station" in unescape(register("1006", "6789", name=JUNK).text)
    with records(server):
        assert not Station.select().where(Station.name == "vault-2").exists()
    done = register("1006", "6789")
    assert done.headers["HX-Redirect"] == "/" and screen.cookies["kiosk_station"] == "vault-2"
    assert "Scan your badge" in screen.get(server.url + "/", timeout=10).text
    with records(server):
        entries = list(AuditEntry.select().where(AuditEntry.action == "station.register"))
        assert [(e.station, e.subject, e.actor_name) for e in entries] == \
            [("vault-2", "station:vault-2", "Femi Adeyemi")]
        attempt = LoginAttempt.get_by_id(entries[0].detail["attempt"])
        assert (attempt.badge, attempt.ok, attempt.purpose) == ("1006", True, "station")
    # From now on it is a station like the others: any screen may open it, nobody is asked.
    other = HttpKiosk(server.url, "vault-2")
    other.login("1005", "5678")
    with records(server):
        assert LoginSession.select().order_by(LoginSession.id.desc()).get().station == "vault-2"


def test_a_session_works_only_at_its_own_station(server):
    vault = HttpKiosk(server.url, "vault-1")
    vault.login("1003", "3456")
    stolen = vault.http.cookies["kiosk_session"]
    elsewhere = HttpKiosk(server.url, "receiving-1")
    elsewhere.http.cookies.set("kiosk_session", stolen)
    home = elsewhere.http.get(server.url + "/", timeout=10)
    assert 'data-logged-in="no"' in home.text
    with records(server):
        runs = Run.select().count()
    refused = elsewhere.post("/runs", {"workflow": "move_package"})
    assert refused.headers["HX-Redirect"] == "/?ended=1"
    with records(server):
        assert Run.select().count() == runs
    # At its own screen the session still works, and is still Carla's.
    assert 'data-logged-in="yes"' in vault.http.get(server.url + "/", timeout=10).text

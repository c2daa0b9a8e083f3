"""Vault entry and exit (SOP §1) through the kiosk's own screens."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from kiosk.models import AuditEntry, PrintJob, Run, Signature, VaultVisit


@pytest.fixture
def staff(make_employee):
    return {
        "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
        "carla": make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
        "ivan": make_employee("Ivan Petrov", "1009", "9012", "runner", active=False),
    }


def _start(kiosk):
    kiosk.post("/runs", {"workflow": "vault_entry"})
    return Run.select().order_by(Run.id.desc()).get()


def _feedback(response):
    import json

    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


def test_two_people_enter_and_leave(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    run = _start(kiosk)
    kiosk.step(run.id, "purpose", value="count")
    first = kiosk.step(run.id, "enter", badge="1002", pin="2345")
    assert "Next signature" in _feedback(first)["message"]
    page = BeautifulSoup(first.data, "html.parser")
    assert "Ben Okafor signed" in page.select_one(".signed").text
    second = kiosk.step(run.id, "enter", badge="EMP-1003", pin="3456")
    assert _feedback(second) == {"tone": "ok", "message":
                                 "Ben Okafor and Carla Nguyen are signed into the vault."}
    visit = VaultVisit.get()
    assert (visit.purpose, visit.first_person.name, visit.second_person.name, visit.station) == \
        ("Cycle count", "Ben Okafor", "Carla Nguyen", "test-1")
    kiosk.step(run.id, "slip", value="print")
    job = PrintJob.get()
    assert (job.device, job.layout) == ("receipt", "vault_access_slip")
    assert job.data["people"] == ["Ben Okafor", "Carla Nguyen"]
    fixed_clock.advance(minutes=42)
    kiosk.login("1003", "3456")  # the screen locked meanwhile; anyone may carry on the run
    # Someone who did not go in cannot sign the exit.
    outsider = kiosk.step(run.id, "exit", badge="1006", pin="6789")
    assert "Femi Adeyemi did not sign in" in _feedback(outsider)["message"]
    kiosk.step(run.id, "exit", badge="1003", pin="3456")
    done = kiosk.step(run.id, "exit", badge="1002", pin="2345")
    assert _feedback(done)["message"] == "Vault exit recorded. Thank you."
    assert VaultVisit.get().exited_at == fixed_clock.now()
    assert Run.get_by_id(run.id).status == "completed"
    meanings = [(s.printed_name, s.meaning) for s in Signature.select().order_by(Signature.id)]
    assert meanings == [("Ben Okafor", "performed"), ("Carla Nguyen", "witnessed"),
                        ("Carla Nguyen", "performed"), ("Ben Okafor", "witnessed")]
    assert AuditEntry.select().where(AuditEntry.action == "vault.exit").count() == 1
    # The finished run's page shows what it printed, as the print screens draw it.
    finished = BeautifulSoup(kiosk.get(f"/runs/{run.id}").data, "html.parser")
    assert finished.select_one("[hx-get]")["hx-get"] == f"/manager/printing/runs/{run.id}"


def test_the_same_person_twice_is_refused(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    run = _start(kiosk)
    kiosk.step(run.id, "purpose", value="restock")
    kiosk.step(run.id, "enter", badge="1002", pin="2345")
    again = kiosk.step(run.id, "enter", badge="1002", pin="2345")
    assert _feedback(again)["tone"] == "error"
    assert "Ben Okafor has already signed here" in _feedback(again)["message"]
    assert VaultVisit.select().count() == 0
    assert Run.get_by_id(run.id).current_step == "enter"


def test_inactive_and_unknown_badges_cannot_sign(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    run = _start(kiosk)
    kiosk.step(run.id, "purpose", value="other")
    assert "no longer active" in _feedback(kiosk.step(run.id, "enter", badge="1009",
                                                      pin="9012"))["message"]
    assert "not known here" in _feedback(kiosk.step(run.id, "enter", badge="5555",
                                                    pin="1"))["message"]


def test_the_access_log_lists_visits_by_date(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    for purpose in ("count", "putaway"):
        run = _start(kiosk)
        kiosk.step(run.id, "purpose", value=purpose)
        kiosk.step(run.id, "enter", badge="1002", pin="2345")
        kiosk.step(run.id, "enter", badge="1003", pin="3456")
        kiosk.step(run.id, "slip", value="skip", reason="printer moved")
        fixed_clock.advance(minutes=15)
        kiosk.login("1002", "2345")
        kiosk.step(run.id, "exit", badge="1002", pin="2345")
        kiosk.step(run.id, "exit", badge="1003", pin="3456")
        fixed_clock.advance(days=1)
        kiosk.login("1002", "2345")
    kiosk.login("1006", "6789")
    first_day = fixed_clock.now().date() - dt.timedelta(days=2)
    page = BeautifulSoup(kiosk.get(f"/manager/vault-log?from={first_day}").data, "html.parser")
    rows = page.select("#vault-log tr")[1:]
    assert len(rows) == 1
    cells = [td.text for td in rows[0].select("td")]
    assert cells[1:4] == ["Ben Okafor", "Carla Nguyen", "Cycle count"] and cells[5] == "15 min"
    both = BeautifulSoup(kiosk.get(f"/manager/vault-log?from={first_day}&to="
                                   f"{first_day + dt.timedelta(days=1)}").data, "html.parser")
    assert len(both.select("#vault-log tr")) == 3


def test_the_access_log_is_for_managers(kiosk, staff, fixed_clock):
    kiosk.login("1003", "3456")
    response = kiosk.get("/manager/vault-log")
    assert response.status_code == 403
    assert "can't open this screen" in BeautifulSoup(response.data, "html.parser").text


def test_pins_are_hashed_outside_the_writers_lock(kiosk, staff, monkeypatch):
    """The PIN hash is slow on purpose; while it runs no other screen's scan may wait for the
    write transaction. Logins and signatures check it first, then record the attempt."""
    from kiosk import auth, db

    inside = []
    real = auth.check_pin

    def watched(pin, stored):
        inside.append(db.database.in_transaction())
        return real(pin, stored)

    monkeypatch.setattr(auth, "check_pin", watched)
    kiosk.login("1002", "2345")
    run = _start(kiosk)
    kiosk.step(run.id, "purpose", value="count")
    wrong = kiosk.step(run.id, "enter", badge="1002", pin="0000")
    assert "Wrong PIN" in _feedback(wrong)["message"]
    kiosk.step(run.id, "enter", badge="1002", pin="2345")
    second = kiosk.step(run.id, "enter", badge="1003", pin="3456")
    assert _feedback(second)["tone"] == "ok"
    assert len(inside) == 4 and not any(inside)
    assert [s.printed_name for s in Signature.select().order_by(Signature.id)] == \
        ["Ben Okafor", "Carla Nguyen"]

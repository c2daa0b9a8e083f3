"""A vault entry with a visitor names them: in the access log, on the slip and at the exit.
The visitor's escort must be one of the two going in; without a visitor to take in, the
step is not asked, so a vault entry without visitors is as it always was."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from kiosk.models import AuditEntry, PrintJob, Run, VaultVisitor, Visitor
from kiosk.workflows import vault_entry


@pytest.fixture
def staff(make_employee):
    return {
        "ana": make_employee("Ana Reyes", "1001", "1234", "receiver"),
        "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
        "carla": make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
    }


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


def visitor(kiosk, name, company, escort) -> Visitor:
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    for step, value in (("area", "vault"), ("name", name), ("company", company),
                        ("purpose", "contractor"), ("id_kind", "driver_licence"),
                        ("id_last4", "4821")):
        kiosk.step(run.id, step, value=value)
    kiosk.step(run.id, "escort_vault", badge=escort[0], pin=escort[1])
    kiosk.step(run.id, "badge", value="print")
    return Visitor.get(Visitor.name == name)


def enter(kiosk, first, second) -> Run:
    kiosk.post("/runs", {"workflow": "vault_entry"})
    run = Run.select().where(Run.workflow == "vault_entry").order_by(Run.id.desc()).get()
    kiosk.step(run.id, "purpose", value="inspection")
    kiosk.step(run.id, "enter", badge=first[0], pin=first[1])
    kiosk.step(run.id, "enter", badge=second[0], pin=second[1])
    return Run.get_by_id(run.id)


def test_a_visitor_goes_into_the_vault_and_is_named(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    sam = visitor(kiosk, "Sam Ortiz", "Bright Electric", ("1006", "6789"))
    lee = visitor(kiosk, "Lee Park", "Cool Air HVAC", ("1001", "1234"))  # escort stays out
    run = enter(kiosk, ("1002", "2345"), ("1006", "6789"))
    assert run.current_step == "visitors"
    page = BeautifulSoup(kiosk.get(f"/runs/{run.id}").data, "html.parser")
    # Sam can be tapped (Femi, his escort, is going in); Lee cannot.
    assert [b["data-choice"] for b in page.select("button[data-choice]")] == [sam.code]

    refused = kiosk.step(run.id, "visitors", value=lee.code, source="scanner")
    assert feedback(refused) == {"tone": "error", "message": (
        "Lee Park (Cool Air HVAC) is escorted by Ana Reyes, who is not going in. Ana Reyes "
        "must go in with them, or sign them in again with one of you as escort.")}
    taken = kiosk.step(run.id, "visitors", value=sam.code, source="scanner")
    assert feedback(taken) == {"tone": "ok", "message": "Sam Ortiz (Bright Electric) goes in "
                               "with you, escorted by Femi Adeyemi."}
    # Sam was the only one who could go: the step is done by itself.
    assert Run.get_by_id(run.id).current_step == "slip"
    assert VaultVisitor.get().visitor_id == sam.id
    kiosk.step(run.id, "slip", value="print")
    slip = PrintJob.get(PrintJob.layout == "vault_access_slip")
    assert slip.data["visitors"] == [{"name": "Sam Ortiz", "company": "Bright Electric",
                                      "code": sam.code, "escort": "Femi Adeyemi"}]

    kiosk.login("1006", "6789")
    log = BeautifulSoup(kiosk.get("/manager/vault-log").data, "html.parser")
    row = log.select("#vault-log tr")[1]
    assert row("td")[-1].text.strip() == "Sam Ortiz (Bright Electric)"
    kiosk.step(run.id, "exit", badge="1002", pin="2345")
    done = kiosk.step(run.id, "exit", badge="1006", pin="6789")
    assert feedback(done)["message"] == "Vault exit recorded, with Sam Ortiz. Thank you."
    assert AuditEntry.select().where(AuditEntry.action == "vault.visitor").count() == 1


def test_the_visitors_step_takes_only_visitors_who_may_go(kiosk, staff, fixed_clock):
    kiosk.login("1002", "2345")
    sam = visitor(kiosk, "Sam Ortiz", "Bright Electric", ("1002", "2345"))
    kim = visitor(kiosk, "Kim Lo", "Bright Electric", ("1003", "3456"))
    run = enter(kiosk, ("1002", "2345"), ("1003", "3456"))
    kiosk.step(run.id, "visitors", value=sam.code, source="scanner")
    again = kiosk.step(run.id, "visitors", value=sam.code, source="scanner")
    assert feedback(again)["message"] == "Sam Ortiz (Bright Electric) is already going in with you."
    kiosk.post(f"/visitors/{kim.id}/sign-out")
    gone = kiosk.step(run.id, "visitors", value=kim.code, source="scanner")
    assert feedback(gone)["message"] == ("Kim Lo (Bright Electric) is signed out. Sign them in "
                                         "again to take them in.")
    assert "not a visitor badge of this store" in feedback(
        kiosk.step(run.id, "visitors", value="VIS-999999", source="scanner"))["message"]
    assert "This step needs a visitor badge" in feedback(
        kiosk.step(run.id, "visitors", value="EMP-1002", source="scanner"))["message"]
    on = kiosk.step(run.id, "visitors", value="__finish__")
    assert feedback(on)["tone"] == "ok" and Run.get_by_id(run.id).current_step == "slip"
    assert [v.visitor_id for v in VaultVisitor.select()] == [sam.id]


def test_without_a_visitor_the_entry_is_as_before(kiosk, staff, fixed_clock):
    """No visitor to take in: straight from the signatures to the slip. A run already past
    that step when a visitor arrives carries on (the workflow kept its version and step
    ids, so runs open when the kiosk is upgraded go on as they were)."""
    assert vault_entry.WORKFLOW.version == 1
    kiosk.login("1002", "2345")
    run = enter(kiosk, ("1002", "2345"), ("1003", "3456"))
    assert run.current_step == "slip" and "visitors" not in run.data
    visitor(kiosk, "Sam Ortiz", "Bright Electric", ("1002", "2345"))
    kiosk.step(run.id, "slip", value="skip", reason="Not needed this time")
    kiosk.step(run.id, "exit", badge="1002", pin="2345")
    done = kiosk.step(run.id, "exit", badge="1003", pin="3456")
    assert feedback(done)["message"] == "Vault exit recorded. Thank you."
    assert Run.get_by_id(run.id).status == "completed" and VaultVisitor.select().count() == 0

"""The visitor log through the kiosk's own screens (Flask client): a visitor signed in with an
escort, their badge printed, signed out by a scan or from the list, who is inside now, a
manager's signed resolution, and what closing asks (``visitors.inside_now``)."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from kiosk import ledger, visitors
from kiosk.models import (
    AuditEntry,
    LoginAttempt,
    PrintJob,
    Run,
    Signature,
    Visitor,
    VisitorExit,
)


@pytest.fixture
def staff(make_employee):
    return {
        "ana": make_employee("Ana Reyes", "1001", "1234", "receiver"),
        "ben": make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
        "dev": make_employee("Dev Patel", "1004", "4567", "runner"),
        "femi": make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"),
        "gus": make_employee("Gus Lindqvist", "1007", "7890", "manager,admin"),
    }


def feedback(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]


def text(response) -> str:
    return BeautifulSoup(response.data, "html.parser").get_text(" ", strip=True)


def sign_in(kiosk, name="Jane Doe", company="Golden Coast Distribution", area="receiving",
            purpose="delivery", escort=("1002", "2345"), print_badge=True) -> Run:
    """Walk the visitor workflow to the end; returns the run."""
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.select().where(Run.workflow == "visitor").order_by(Run.id.desc()).get()
    assert feedback(kiosk.step(run.id, "area", value=area))["tone"] == "ok"
    kiosk.step(run.id, "name", value=name)
    kiosk.step(run.id, "company", value=company)
    kiosk.step(run.id, "purpose", value=purpose)
    if purpose == "other":
        kiosk.step(run.id, "purpose_note", value="Fire alarm test")
    kiosk.step(run.id, "id_kind", value="driver_licence")
    kiosk.step(run.id, "id_last4", value="x821")
    signed = kiosk.step(run.id, f"escort_{area}", badge=escort[0], pin=escort[1])
    if print_badge and feedback(signed)["tone"] == "ok":
        kiosk.step(run.id, "badge", value="print")
    return Run.get_by_id(run.id)


def test_a_visitor_is_signed_in_with_an_escort_and_gets_a_badge(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    run = sign_in(kiosk, print_badge=False)
    visitor = Visitor.get()
    assert (visitor.name, visitor.company, visitor.purpose, visitor.area) == (
        "Jane Doe", "Golden Coast Distribution", "Delivering or collecting (driver)",
        "receiving")
    # Of the ID, only its kind and last four characters, as typed (upper-cased).
    assert (visitor.id_kind, visitor.id_last4) == ("Driver licence", "X821")
    assert visitor.escort.name == "Ben Okafor" and visitor.entered_at == fixed_clock.now()
    assert visitor.code == f"VIS-{visitor.id:06d}"
    # The escort's badge + PIN is a signature: printed name, role, meaning, bound to a hash.
    signature = Signature.get_by_id(visitor.escort_signature_id)
    assert (signature.printed_name, signature.role, signature.meaning, signature.step_id) == \
        ("Ben Okafor", "receiver", "approved", "escort_receiving")
    # Good for the store's day: until 23:59 in Los Angeles.
    assert visitors.badge_data(visitor)["valid_until"] == "2026-11-23 23:59"

    page = kiosk.get(f"/runs/{run.id}")
    shown = BeautifulSoup(page.data, "html.parser")
    assert shown.select_one(".preview[data-layout=visitor_badge]") is not None
    assert "Driver licence …X821" in shown.select_one("table.facts").text
    done = kiosk.step(run.id, "badge", value="print")
    assert feedback(done) == {"tone": "ok", "message":
                              f"Jane Doe is signed in with badge {visitor.code}. When they "
                              "leave, scan the badge at any screen's home, or sign them out "
                              "on Visitors inside."}
    job = PrintJob.get()
    assert (job.device, job.layout) == ("label", "visitor_badge")
    assert job.data == {"code": visitor.code, "name": "Jane Doe",
                        "company": "Golden Coast Distribution", "escort": "Ben Okafor",
                        "date": "2026-11-23", "valid_until": "2026-11-23 23:59"}
    assert Run.get_by_id(run.id).status == "completed"
    assert AuditEntry.select().where(AuditEntry.action == "visitor.sign_in").count() == 1


def test_the_escort_must_have_access_to_the_area(kiosk, staff, fixed_clock):
    kiosk.login("1004", "4567")  # a runner may sign visitors in, and escort in the vault
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.get()
    for step, value in (("area", "receiving"), ("name", "Jane Doe"), ("company", "Acme"),
                        ("purpose", "vendor"), ("id_kind", "passport"), ("id_last4", "1234")):
        kiosk.step(run.id, step, value=value)
    refused = kiosk.step(run.id, "escort_receiving", badge="1004", pin="4567")
    assert feedback(refused) == {"tone": "error", "message": "Dev Patel can't sign as escort "
                                 "in receiving: it needs a receiver or manager or vault."}
    assert Visitor.select().count() == 0 and Run.get_by_id(run.id).current_step == \
        "escort_receiving"
    # The same runner may escort in the vault: whoever may go into the vault may.
    kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Wrong area"})
    vault = sign_in(kiosk, area="vault", escort=("1004", "4567"))
    assert vault.status == "completed" and Visitor.get().escort.name == "Dev Patel"


def test_answers_are_checked_and_can_be_changed(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    kiosk.post("/runs", {"workflow": "visitor"})
    run = Run.get()
    kiosk.step(run.id, "area", value="vault")
    assert "has no letters in it" in feedback(kiosk.step(run.id, "name", value="12345"))[
        "message"]
    assert "too long: at most 80" in feedback(kiosk.step(run.id, "name", value="A" * 81))[
        "message"]
    kiosk.step(run.id, "name", value="Jane Dough")
    back = kiosk.step(run.id, "company", value="__back__")
    assert feedback(back)["tone"] == "ok" and Run.get_by_id(run.id).current_step == "name"
    kiosk.step(run.id, "name", value="Jane Doe")
    kiosk.step(run.id, "company", value="Cal Fire")
    kiosk.step(run.id, "purpose", value="other")
    assert Run.get_by_id(run.id).current_step == "purpose_note"
    kiosk.step(run.id, "purpose_note", value="Fire alarm test")
    kiosk.step(run.id, "id_kind", value="state_id")
    for wrong in ("12", "12 34", "12345", "12-4"):
        assert feedback(kiosk.step(run.id, "id_last4", value=wrong))["tone"] == "error"
    kiosk.step(run.id, "id_last4", value="9z9z")
    kiosk.step(run.id, "escort_vault", badge="1006", pin="6789")
    visitor = Visitor.get()
    assert (visitor.name, visitor.purpose, visitor.id_last4, visitor.area,
            visitor.escort.name) == ("Jane Doe", "Fire alarm test", "9Z9Z", "vault",
                                     "Femi Adeyemi")


def test_a_scan_at_home_signs_the_visitor_out(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    sign_in(kiosk)
    visitor = Visitor.get()
    home = BeautifulSoup(kiosk.get("/").data, "html.parser")
    assert home.select_one("#home-visitors")["data-scan-url"] == "/visitors/scan"
    assert "Visitors inside now: 1" in home.select_one("#home-visitors").text

    fixed_clock.advance(hours=2, minutes=10)
    kiosk.login("1001", "1234")  # the screen locked meanwhile
    out = kiosk.post("/visitors/scan", {"value": visitor.code, "source": "scanner"})
    assert feedback(out) == {"tone": "ok", "message": "Jane Doe (Golden Coast Distribution) "
                             "is signed out at 11:10, after 2 h 10 min inside."}
    answer = BeautifulSoup(out.data, "html.parser").select_one("#home-visitors")
    assert answer.select_one(".feedback.ok") and "Visitors inside now: 0" in answer.text
    left = VisitorExit.get()
    assert (left.visitor_id, left.how, left.by.name, left.at) == (
        visitor.id, "scan", "Ana Reyes", fixed_clock.now())
    # The sign-in record is as it was: the sign-out is a record of its own.
    assert Visitor.get_by_id(visitor.id).__data__ == visitor.__data__

    # Scanned again (a double scan, another screen): nothing more is recorded.
    again = kiosk.post("/visitors/scan", {"value": visitor.code.replace("VIS-0000", "vis-")})
    assert feedback(again)["tone"] == "warn"
    assert "was already signed out at 11:10 by Ana Reyes" in feedback(again)["message"]
    assert VisitorExit.select().count() == 1
    # Codes that are no visitor's are refused in words.
    assert feedback(kiosk.post("/visitors/scan", {"value": "VIS-999999"}))["message"] == (
        "VIS-999999 is not a visitor badge of this store. Check the badge, or sign the "
        "visitor out from the list of visitors inside.")
    wrong = feedback(kiosk.post("/visitors/scan", {"value": "1A4060300000000000000001"}))
    assert wrong["tone"] == "error" and wrong["message"].startswith(
        "That was a package tag (24 letters and digits) (1A4060300000000000000001). Here a "
        "scan signs a visitor out; to scan anything else, start a procedure first.")


def test_the_list_shows_who_is_inside_and_signs_them_out(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    sign_in(kiosk, "Jane Doe", "Golden Coast Distribution")
    fixed_clock.advance(minutes=1)
    sign_in(kiosk, "Sam Ortiz", "Bright Electric", area="vault", purpose="contractor",
            escort=("1006", "6789"))
    kiosk.post("/logout")
    kiosk.login("1004", "4567")  # any member of staff sees who is inside
    page = BeautifulSoup(kiosk.get("/visitors").data, "html.parser")
    assert page.select_one("#visitors h1").text == "Visitors inside now: 2"
    rows = page.select("#inside tr[data-visitor]")
    assert [r.select_one("strong").text for r in rows] == ["Jane Doe", "Sam Ortiz"]
    assert "Femi Adeyemi" in rows[1].text and "Driver licence …X821" in rows[1].text
    assert not page.find("button", string="Resolve…")  # a manager's job
    assert page.select_one("#visitors")["data-scan-url"] == "/visitors/scan?on=list"

    sam = Visitor.get(Visitor.name == "Sam Ortiz")
    out = kiosk.post(f"/visitors/{sam.id}/sign-out")
    assert feedback(out)["message"].startswith("Sam Ortiz (Bright Electric) is signed out")
    assert out.headers["HX-Retarget"] == "#visitors"
    assert [v.name for v in visitors.inside_now()] == ["Jane Doe"]
    assert VisitorExit.get().how == "list"
    twice = kiosk.post(f"/visitors/{sam.id}/sign-out")
    assert feedback(twice)["tone"] == "warn" and VisitorExit.select().count() == 1
    # A scan on the list answers with the list.
    jane = Visitor.get(Visitor.name == "Jane Doe")
    scanned = kiosk.post("/visitors/scan?on=list", {"value": jane.code})
    assert "Visitors inside now: 0" in text(scanned)
    assert visitors.inside_now() == []


def test_closing_asks_who_is_inside_and_a_manager_resolves_them(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    sign_in(kiosk)
    jane = Visitor.get()
    # What closing will call: Jane blocks closing while she is in it.
    assert [(v.name, v.escort.name) for v in visitors.inside_now()] == [("Jane Doe",
                                                                          "Ben Okafor")]
    assert kiosk.get(f"/visitors/{jane.id}/resolve").status_code == 403  # not a manager
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    page = BeautifulSoup(kiosk.get("/visitors").data, "html.parser")
    resolve = page.find("button", string="Resolve…")
    assert resolve["hx-get"] == f"/visitors/{jane.id}/resolve"
    assert "Resolve Jane Doe (Golden Coast Distribution): a manager signs" in text(
        kiosk.get(resolve["hx-get"]))

    url = f"/visitors/{jane.id}/resolve"
    assert "Say why the visitor was not signed out" in text(
        kiosk.post(url, {"reason": " ", "badge": "1006", "pin": "6789"}))
    assert "Wrong PIN. Try again." in text(
        kiosk.post(url, {"reason": "Left without signing out", "badge": "1006", "pin": "0"}))
    assert "Ana Reyes can't resolve a visitor: it needs a manager." in text(
        kiosk.post(url, {"reason": "Left without signing out", "badge": "1001",
                         "pin": "1234"}))
    assert visitors.inside_now() != []

    fixed_clock.advance(hours=9)
    kiosk.login("1006", "6789")
    done = kiosk.post(url, {"reason": "Left without signing out", "badge": "1007",
                            "pin": "7890"})
    assert feedback(done) == {"tone": "ok", "message": "Jane Doe (Golden Coast Distribution) "
                              "is signed out: resolved by Gus Lindqvist (\"Left without "
                              "signing out\")."}
    assert done.headers["HX-Retarget"] == "#visitors"
    assert visitors.inside_now() == []
    left = VisitorExit.get()
    assert (left.how, left.reason, left.by.name, left.printed_name, left.meaning) == (
        "resolved", "Left without signing out", "Gus Lindqvist", "Gus Lindqvist", "approved")
    attempt = LoginAttempt.get_by_id(left.attempt_id)
    assert (attempt.badge, attempt.ok, attempt.purpose) == ("1007", True, "visitor")
    assert left.record_hash == visitors.resolution_hash(jane, left.by, left.reason, left.at)
    entry = AuditEntry.get(AuditEntry.action == "visitor.resolved")
    assert entry.actor_name == "Gus Lindqvist" and entry.detail["record_hash"] == \
        left.record_hash
    # `kiosk verify` checks the resolution against what the manager signed.
    assert ledger.verify_chain() == []
    VisitorExit.update(reason="Escorted out").where(VisitorExit.id == left.id).execute()
    assert f"Visitor {jane.id}'s signed resolution no longer matches what the manager " \
        "signed: it was altered." in ledger.verify_chain()


def test_no_more_than_five_visitors_per_escort(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    for n in range(5):
        sign_in(kiosk, f"Visitor {chr(65 + n)}", "Tour group")
    assert visitors.escorting(staff["ben"].id) == 5
    run = sign_in(kiosk, "Visitor F", "Tour group")
    assert run.current_step == "escort_receiving" and Visitor.select().count() == 5
    refused = kiosk.step(run.id, "escort_receiving", badge="1002", pin="2345")
    assert "Ben Okafor already escorts 5 visitors, the most one person may." in \
        feedback(refused)["message"]
    kiosk.step(run.id, "escort_receiving", badge="1006", pin="6789")
    assert Visitor.select().count() == 6


def test_a_cancelled_sign_in_signs_the_visitor_out(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    run = sign_in(kiosk, print_badge=False)
    assert run.current_step == "badge" and len(visitors.inside_now()) == 1
    cancelled = kiosk.post(f"/runs/{run.id}/cancel", {"reason": "Wrong visitor"})
    assert feedback(cancelled)["message"] == ("Jane Doe was signed in and is now signed out "
                                              "again, because the sign-in was cancelled. "
                                              "Take back their badge.")
    assert visitors.inside_now() == []
    left = VisitorExit.get()
    assert (left.how, left.reason) == ("cancelled", "Wrong visitor")


def test_the_visitor_log_by_date_is_for_managers(kiosk, staff, fixed_clock):
    kiosk.login("1001", "1234")
    sign_in(kiosk)
    fixed_clock.advance(minutes=30)
    kiosk.login("1001", "1234")
    kiosk.post("/visitors/scan", {"value": Visitor.get().code})
    assert kiosk.get("/visitors/log").status_code == 403
    kiosk.post("/logout")
    kiosk.login("1006", "6789")
    page = BeautifulSoup(kiosk.get("/visitors/log?from=2026-11-23").data, "html.parser")
    cells = [td.get_text(" ", strip=True) for td in page.select("#visitor-log tr")[1]("td")]
    assert cells[0] == "2026-11-23 09:00"
    assert cells[1:6] == ["Jane Doe Golden Coast Distribution",
                          "Delivering or collecting (driver) Receiving", "Driver licence …X821",
                          "Ben Okafor", "09:30 badge scanned, Ana Reyes"]
    assert cells[6] == "30 min"
    empty = BeautifulSoup(kiosk.get("/visitors/log?from=2026-11-20").data, "html.parser")
    assert "No visitors signed in between 2026-11-20 and 2026-11-20." in empty.text

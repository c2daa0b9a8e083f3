"""Two-person vault entry in a real browser: purpose, two signatures (never the same person
twice), the access slip, and the two-person exit."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from kiosk.models import PrintJob, Run, Signature, VaultVisit


def sign(page, keypad, badge, pin, *, by_scan=None):
    """One signature: a badge scan (``by_scan``) or the badge typed on the keypad, then the PIN."""
    form = page.locator("#step form.signform")
    if by_scan:
        by_scan(page, badge)
        expect(form.locator("[data-scan-field=badge]")).to_have_value(badge)
    else:
        form.get_by_role("button", name="Type badge").tap()
        keypad(page, badge)
        form.get_by_role("button", name="Type PIN").tap()
    keypad(page, pin)
    form.get_by_role("button", name="Sign").tap()


def test_two_people_enter_and_leave(page, shoot, login, keypad, scan, records):
    login(page, "1002", "2345")
    page.get_by_role("button", name=re.compile("Vault entry")).tap()
    step = page.locator("#step")
    expect(step.locator("h1")).to_have_text("Why are you going into the vault?")
    shoot(page, "purpose")
    step.get_by_role("button", name="Cycle count").tap()

    expect(step.locator("h1")).to_contain_text("Both people entering")
    expect(step.locator("h2.signer")).to_contain_text("first person entering")
    shoot(page, "first-signature")
    sign(page, keypad, "1002", "2345", by_scan=scan)
    expect(step.locator(".feedback.ok")).to_contain_text("Signed by Ben Okafor. Next signature")
    expect(step.locator("h2.signer")).to_contain_text("second person entering")

    # The same person cannot be the second signer.
    sign(page, keypad, "1002", "2345")
    expect(step.locator("[role=alert]")).to_contain_text(
        "Ben Okafor has already signed here. A different person must sign as second person "
        "entering.")
    expect(step.locator("h2.signer")).to_contain_text("second person entering")
    shoot(page, "same-person-refused")

    # A wrong PIN is refused too, and says so.
    sign(page, keypad, "1003", "9999")
    expect(step.locator("[role=alert]")).to_contain_text("Wrong PIN")

    sign(page, keypad, "1003", "3456")
    expect(step.locator(".feedback.ok")).to_contain_text(
        "Ben Okafor and Carla Nguyen are signed into the vault.")
    expect(step.locator("h1")).to_have_text("Print the vault access slip.")
    shoot(page, "slip")
    run_id = int(step.get_attribute("data-run"))
    with records():
        visit = VaultVisit.get(VaultVisit.run == run_id)
        assert (visit.first_person.name, visit.second_person.name) == ("Ben Okafor",
                                                                        "Carla Nguyen")
        assert visit.purpose == "Cycle count" and visit.station == "vault-1"
        assert visit.exited_at is None

    step.get_by_role("button", name="Print", exact=True).tap()
    expect(step.locator("h1")).to_contain_text("sign out")
    with records():
        job = PrintJob.get(PrintJob.run_id == run_id)
        assert job.layout == "vault_access_slip"
        assert job.data["people"] == ["Ben Okafor", "Carla Nguyen"]

    # Only the two who went in may sign out.
    sign(page, keypad, "1006", "6789")
    expect(step.locator("[role=alert]")).to_contain_text(
        "Femi Adeyemi did not sign in. Ben Okafor and Carla Nguyen must sign out.")
    shoot(page, "outsider-refused")
    sign(page, keypad, "1003", "3456", by_scan=scan)
    expect(step.locator(".feedback.ok")).to_contain_text("Signed by Carla Nguyen")
    sign(page, keypad, "1002", "2345")
    expect(step.locator(".feedback.ok")).to_contain_text("Vault exit recorded. Thank you.")
    expect(step.locator("h1")).to_have_text("Vault entry is completed.")
    expect(step.locator("table.facts tr")).to_have_count(5)  # header + four signatures
    shoot(page, "completed")

    with records():
        run = Run.get_by_id(run_id)
        assert run.status == "completed"
        signatures = list(Signature.select().where(Signature.run == run_id)
                          .order_by(Signature.id))
        assert [(s.step_id, s.printed_name, s.meaning) for s in signatures] == [
            ("enter", "Ben Okafor", "performed"), ("enter", "Carla Nguyen", "witnessed"),
            ("exit", "Carla Nguyen", "performed"), ("exit", "Ben Okafor", "witnessed")]
        assert VaultVisit.get(VaultVisit.run == run_id).exited_at is not None

"""The manager's screen of a day's reconciliation: reached from the manager's menu, it shows
both sides' figures, the opening check with each difference and how it was settled, and
pulls the day again on demand; only managers see it."""

from __future__ import annotations

from bs4 import BeautifulSoup
from recon_helpers import MANAGER, Manager, yesterday

from kiosk import clock
from kiosk import reconciliation as recon
from kiosk.sync import sales_pulls


def words(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def test_the_day_screen_shows_the_opening_and_pulls_on_demand(kiosk, settings, fixed_clock):
    kiosk.login(*MANAGER)
    menu = kiosk.get("/manager").text
    assert "/manager/reconciliation" in menu and "Day's reconciliation" in words(menu)

    # Before any pull: nothing from Metrc, and the button pulls the day now.
    screen = words(kiosk.get("/manager/reconciliation").text)
    assert f"Sales of {yesterday():%A %d %B %Y}" in screen and "never pulled" in screen
    answer = kiosk.post("/manager/reconciliation/pull", {"day": yesterday().isoformat()})
    said = words(answer.text)
    assert "Metrc:" in said and "receipts read" in said and "Dutchie:" in said
    assert "packages where the POS and Metrc differ" in said

    manager = Manager(kiosk, "open_store", *MANAGER)
    manager.ok("figures", value="compare")
    first = recon.unsettled(manager.run.data["check"])
    manager.ok("difference", value="escalate")
    second = recon.unsettled(manager.run.data["check"])
    manager.ok("difference", value="explain")
    manager.ok("reason", value="test")
    manager.ok("note", value="Training sale rung up on the live register.")

    screen = words(kiosk.get(f"/manager/reconciliation?day={yesterday()}").text)
    assert "In progress: started by Femi Adeyemi" in screen
    assert first.tag in screen and "Escalated: variance" in screen
    assert second.tag in screen and "Explained: Test or training sale" in screen
    assert "Training sale rung up on the live register." in screen
    assert "not yet" in screen  # the differences no one has settled yet
    assert "Closing reconciliation of the day" in screen and "Not started" in screen


def test_only_managers_see_it(kiosk, settings, fixed_clock):
    kiosk.login("1001", "1234")  # Ana, a receiver
    response = kiosk.get("/manager/reconciliation")
    assert response.status_code == 403
    response = kiosk.post("/manager/reconciliation/pull", {"day": str(clock.store_date())})
    assert response.status_code == 403
    assert sales_pulls.state("pull:receipts") == {}

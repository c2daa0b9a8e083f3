"""The manager's screens through the kiosk: the manager's home leads to every one of them."""

import pytest
from bs4 import BeautifulSoup

from kiosk import db
from kiosk.models import AuditEntry, Run, Station

TAG = "1A4060300000000000000077"  # the gummies (tests/workflows/conftest.py)


@pytest.fixture
def manager(kiosk, make_employee):
    make_employee("Femi Adeyemi", "1006", "6789", "manager,vault")
    kiosk.login("1006", "6789")
    return kiosk


def _page(response):
    assert response.status_code == 200, response.data[:400]
    return BeautifulSoup(response.data, "html.parser")


def test_the_manager_home_leads_to_every_manager_screen(app, manager):
    home = _page(manager.get("/"))
    assert home.find("a", string="Manager screens")["href"] == "/manager"
    menu = _page(manager.get("/manager"))
    assert menu.select("a.tile")
    # Every screen a manager opens without naming a record (the manager's own area, print
    # jobs, sync…) is a link away from the menu, or from a screen the menu leads to; each
    # one opens.
    reached, queue = set(), ["/manager"]
    while queue:
        href = queue.pop()
        if href in reached:
            continue
        reached.add(href)
        page = _page(manager.get(href))
        # A screen's heading (the day report's is its document's own, shared with the PDF).
        assert page.select_one("h1.prompt, #day-report h1"), href
        queue += [a["href"].split("?")[0] for a in page.select("a[href^='/manager']")]
    adapter = app.url_map.bind("localhost")
    screens = {adapter.build(rule.endpoint) for rule in app.url_map.iter_rules()
               if "GET" in rule.methods and not rule.arguments
               and rule.rule.startswith("/manager/")}
    assert screens and screens <= reached, screens - reached



def _open_move(app, screen, make_employee, fixed_clock):
    """Carla started moving at vault-2 at 9:00, scanned the gummies at 9:01 and has not said
    where they go."""
    with db.write():
        Station.create(name="vault-2", kind="vault")
    make_employee("Carla Nguyen", "1003", "3456", "vault,runner")
    carla = type(screen)(app)  # another screen, as the kiosk fixture's
    carla.get("/?station=vault-2")
    carla.login("1003", "3456")
    carla.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).get()
    fixed_clock.advance(minutes=1)
    carla.step(run.id, "package", value=TAG)
    fixed_clock.advance(minutes=20)
    return run


def test_open_runs_say_what_each_run_is_doing_and_a_tap_opens_it(app, manager, make_employee,
                                                                  gummies, fixed_clock):
    run = _open_move(app, manager, make_employee, fixed_clock)
    manager.login("1006", "6789")  # back at this screen after the idle lock
    page = _page(manager.get("/manager/runs"))
    row = page.select_one(f"#run-{run.id}")
    tile = row.select_one("a.tile")
    assert tile["href"] == f"/runs/{run.id}"
    words = [t.get_text(" ", strip=True) for t in tile.find_all(["strong", "span", "small"])]
    assert words == ["Move packages", "0 moved",
                     "Now: Scan the label of the place it goes. (step 2 of 2)",
                     "Started 09:00 by Carla Nguyen at vault-2 · last step 09:01"]
    assert _page(manager.get(tile["href"])).select_one("#step")["data-step"] == "destination"


def test_a_manager_cancels_an_open_run_with_a_reason(app, manager, make_employee, gummies,
                                                      fixed_clock):
    run = _open_move(app, manager, make_employee, fixed_clock)
    manager.login("1006", "6789")
    form = _page(manager.get("/manager/runs")).select_one(f"#run-{run.id} details.cancel form")
    assert form["hx-post"] == f"/manager/runs/{run.id}/cancel"
    refused = _page(manager.post(form["hx-post"], {"reason": " "}))
    assert refused.select_one(".feedback.error").get_text(" ", strip=True) == (
        "✖ Say why the run is cancelled.")
    assert Run.get_by_id(run.id).status == "active" and refused.select_one(f"#run-{run.id}")
    done = _page(manager.post(form["hx-post"], {"reason": "Left open at the end of a shift"}))
    assert done.select_one(".feedback.ok").get_text(" ", strip=True) == (
        f"✔ Move packages (run {run.id}) is cancelled: Left open at the end of a shift.")
    assert not done.select_one(f"#run-{run.id}")
    cancelled = Run.get_by_id(run.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_by.name == "Femi Adeyemi"
    assert AuditEntry.select().where(AuditEntry.action == "run.cancel").count() == 1


def test_only_a_manager_cancels_from_the_open_runs(app, kiosk, make_employee, gummies,
                                                   fixed_clock):
    run = _open_move(app, kiosk, make_employee, fixed_clock)
    make_employee("Dev Patel", "1004", "4567", "runner")
    kiosk.login("1004", "4567")
    response = kiosk.post(f"/manager/runs/{run.id}/cancel", {"reason": "mine now"})
    assert response.status_code == 403 and Run.get_by_id(run.id).status == "active"


def test_a_run_of_an_older_version_is_listed_for_a_manager_to_cancel(app, manager,
                                                                     make_employee, gummies,
                                                                     fixed_clock):
    run = _open_move(app, manager, make_employee, fixed_clock)
    with db.write():  # started before this kiosk's procedure changed
        Run.update(version=0, current_step="gone").where(Run.id == run.id).execute()
    manager.login("1006", "6789")
    row = _page(manager.get("/manager/runs")).select_one(f"#run-{run.id}")
    assert "started on version 0; this kiosk has version 1" in row.get_text(" ", strip=True)
    assert row.select_one("details.cancel form")

"""Moving packages (SOP §4 restock) through the kiosk's own screens: the run finishes by its
"Finish moving" button, after moves or none."""

import json

import pytest
from bs4 import BeautifulSoup

from kiosk.models import Movement, Run

TAG = "1A4060300000000000000077"  # the gummies (conftest)


@pytest.fixture
def mover(kiosk, make_employee, gummies):
    make_employee("Carla Nguyen", "1003", "3456", "vault,runner")
    kiosk.login("1003", "3456")

    def start():
        kiosk.post("/runs", {"workflow": "move_package"})
        return Run.select().order_by(Run.id.desc()).get()

    return kiosk, start


def _finish(kiosk, run):
    response = kiosk.step(run.id, "package", value="__finish__")
    assert response.status_code == 200
    cue = json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]
    return BeautifulSoup(response.data, "html.parser").select_one("section#step"), cue


def test_finish_after_a_move_completes_the_run(mover):
    kiosk, start = mover
    run = start()
    kiosk.step(run.id, "package", value=TAG)
    kiosk.step(run.id, "destination", value="LOC-V-B2")
    step, cue = _finish(kiosk, run)
    assert cue["tone"] == "ok"
    assert step.select_one("h1").get_text() == "Move packages is completed."
    assert Run.get_by_id(run.id).status == "completed"
    assert Movement.select().where(Movement.run_id == run.id).count() == 1


def test_finish_with_nothing_moved_completes_the_run(mover):
    kiosk, start = mover
    run = start()
    step, cue = _finish(kiosk, run)
    assert cue["tone"] == "ok" and "completed" in step.select_one("h1").get_text()
    assert Run.get_by_id(run.id).status == "completed"

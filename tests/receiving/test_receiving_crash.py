"""SIGKILL of the real server in the middle of a delivery: nothing accepted is lost, nothing
is half-saved, and the run resumes exactly where it was."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from kiosk_http import KioskHTTP
from receiving_helpers import manifest

from kiosk import db, ledger, manifests
from kiosk.models import Movement, Run, StepEvent, Transfer, TransferPackage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import LiveServer, build_demo_database  # noqa: E402

TAG = "1A4050900{:015d}"
TAGS = [TAG.format(n) for n in range(1, 7)]


@pytest.fixture
def server(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    db.init(url)
    with db.connection(), db.write():
        manifests.load_transfer(manifest(packages=6))
    server = LiveServer(url, tmp_path, station="receiving-1")
    server.start()
    yield server
    server.stop()


def saved(url):
    """What the database holds now, read fresh from the file."""
    db.init(url)
    with db.connection():
        run = Run.select().where(Run.workflow == "receiving").get()
        return {"step": run.current_step, "rev": run.rev, "data": dict(run.data),
                "events": [(e.step_id, e.accepted) for e in
                           StepEvent.select().where(StepEvent.run == run).order_by(StepEvent.id)],
                "receipts": Movement.select().where(Movement.kind == "receipt",
                                                    Movement.run_id == run.id).count(),
                # this delivery's lines only: the demo store has manifests of its own
                "states": [tp.state for tp in TransferPackage.select().where(
                    TransferPackage.tag.in_(TAGS)).order_by(TransferPackage.id)],
                "problems": ledger.verify_quantities() + ledger.verify_chain()}


def check(screen, run_id, tag):
    for step, form in (("package", {"value": tag}), ("condition", {"value": "intact"}),
                       ("units", {"value": "48"}), ("decide", {"value": "accept"})):
        answer, _ = screen.step(run_id, step, **form)
        assert answer["tone"] == "ok", answer


def test_sigkill_mid_delivery_loses_nothing(server):
    screen = KioskHTTP(server.url)
    screen.login("1001", "1234")
    run_id = screen.start("receiving")
    screen.show(run_id)
    for step, form in (("delivery", {"value": "MAN-0000300001"}), ("transport", {"value": "pass"}),
                       ("order", {}), ("cases", {"value": "1"})):
        assert screen.step(run_id, step, **form)[0]["tone"] == "ok"
    for n in (1, 2, 3):
        check(screen, run_id, TAG.format(n))
    screen.step(run_id, "package", value=TAG.format(4))
    screen.step(run_id, "condition", value="intact")
    before = saved(server.database_url)
    assert before["step"] == "units" and before["receipts"] == 3

    server.kill()  # kill -9 between two answers
    after_kill = saved(server.database_url)
    assert after_kill == before
    server.start()
    screen = KioskHTTP(server.url)
    screen.login("1001", "1234")
    page = screen.show(run_id)
    assert screen.step_id == "units" and "3 of 6 checked, 0 rejected" in page
    assert TAG.format(4) in page  # the package being checked is still on screen
    screen.step(run_id, "units", value="48")
    # A second kill while an answer is on its way: it is either wholly saved or not at all.
    rev = screen.rev
    screen.send_only(f"/runs/{run_id}/steps/decide", {"value": "accept", "rev": rev})
    time.sleep(0.002)
    server.kill()
    state = saved(server.database_url)
    assert state["problems"] == [] and len(state["states"]) == 6
    if state["step"] == "decide":  # the answer never landed: nothing of it is kept
        assert state["receipts"] == 3 and state["states"][3] == "shipped"
        assert state["rev"] == rev
    else:  # it landed whole: event, receipt and verdict together
        assert state["step"] == "package" and state["receipts"] == 4
        assert state["states"][3] == "accepted" and state["rev"] == rev + 1
    server.start()
    screen = KioskHTTP(server.url)
    screen.login("1002", "2345")  # the next shift carries on
    screen.show(run_id)
    if screen.step_id == "decide":
        assert screen.step(run_id, "decide", value="accept")[0]["tone"] == "ok"
    for n in (5, 6):
        check(screen, run_id, TAG.format(n))
    for n in range(1, 7):
        screen.step(run_id, "putaway", value=TAG.format(n))
        screen.step(run_id, "shelf", value="LOC-V-A1")
    assert screen.step_id == "review"
    screen.step(run_id, "review", value="__finish__")
    assert screen.step(run_id, "sign", badge="1002", pin="2345")[0]["tone"] == "ok"
    screen.step(run_id, "slip", value="print")
    screen.step(run_id, "labels", value="print")
    assert screen.step(run_id, "metrc", value="pass")[0]["tone"] == "ok"
    db.init(server.database_url)
    with db.connection():
        assert Run.get_by_id(run_id).status == "completed"
        assert Transfer.get(Transfer.manifest_number == "0000300001").status == "received"
        assert Movement.select().where(Movement.kind == "receipt",
                                       Movement.run_id == run_id).count() == 6
        assert StepEvent.select().where(StepEvent.step_id == "decide",
                                        StepEvent.accepted == True).count() == 6  # noqa: E712
        assert ledger.verify_quantities() == [] and ledger.verify_chain() == []

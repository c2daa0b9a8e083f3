"""The pick queue on a real PostgreSQL server (the chain set-up): its hand-written SQL, two
runners claiming one request at the same instant (the request's row lock), a pick and its
hand-off, and a claim that lapses."""

from __future__ import annotations

import threading

import pytest

from kiosk import db, demo, engine, ledger, pick_queue, pick_stock, picks, workflows
from kiosk.models import Employee, Movement, Run
from kiosk.models.picks import PickEvent, PickRequest

SETTINGS = {"pick_idle_minutes": 10, "training": True}


@pytest.mark.postgres
def test_intake_claims_a_pick_and_a_lapse_on_postgres(postgres_url, fixed_clock):
    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=60)
        name = next(item.name for item, _ in pick_queue.items_in_vault())
        request, new = picks.intake("PG-1", [{"item": name, "quantity": 1}], kind="online")
        assert new and picks.queue_version(SETTINGS) == "1"
        waiting, in_hand = pick_queue.queue_rows()
        assert [r.title for r in waiting] == ["Online order PG-1"] and not in_hand
        carla, dev = (Employee.get(Employee.badge == b) for b in ("1003", "1004"))
    flow = workflows.get("pick")
    start, claims = threading.Barrier(2), []

    def tap(runner, station):
        with db.connection():
            start.wait()
            claims.append(picks.claim(request.id, runner, station,
                                      lambda: engine.start(flow, runner, station, SETTINGS)))

    threads = [threading.Thread(target=tap, args=(p, f"pg-{p.badge}")) for p in (carla, dev)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(c.won for c in claims) == [False, True]
    winner = next(c for c in claims if c.won)
    with db.connection():
        assert PickEvent.select().where(PickEvent.kind == "claimed").count() == 1
        assert Run.select().where(Run.workflow == "pick").count() == 1
        runner = Employee.get_by_id(Run.get_by_id(winner.run_id).operator_id)
        line = pick_stock.line_states(request.id)[0].line
        tag = pick_stock.choice_for(line).tag
    for step, value in (("take", tag), ("bag_label", "print"), ("handoff", "LOC-PICKUP")):
        with db.connection():
            run = Run.get_by_id(winner.run_id)
            outcome = engine.submit(run.id, step, run.rev, {"value": value}, runner, "pg",
                                    SETTINGS, workflows)
            assert outcome.accepted, outcome.message
    with db.connection():
        assert PickRequest.get_by_id(request.id).status == "handed_off"
        assert Movement.select().where(Movement.kind == "pick").count() == 1
        # A second request, claimed and left idle past the store's limit, goes back.
        second, _ = picks.intake("PG-2", [{"item": name, "quantity": 1}])
        picks.claim(second.id, runner, "pg", lambda: engine.start(flow, runner, "pg", SETTINGS))
        fixed_clock.advance(minutes=11)
        assert picks.queue_version(SETTINGS).endswith("s")
        assert picks.release_stale(SETTINGS) == 1
        assert PickRequest.get_by_id(second.id).status == "open"
        assert ledger.verify_chain() == [] and ledger.verify_quantities() == []
    db.database.close_all()

"""Opening and closing reconciliation on a real PostgreSQL server (the chain set-up): the
pulls from the training Metrc and Dutchie, the comparison, every kind of settling, the
corrections delivered, and a closing refused, then signed, over a message explained."""

from __future__ import annotations

from recon_helpers import MANAGER, queue, yesterday

from kiosk import clock, db, demo, engine, workflows
from kiosk import reconciliation as recon
from kiosk.models import DayCheck, DayDifference, Employee, OutboxMessage, Run, Variance
from kiosk.sync import sales_pulls, sandbox_receipts, sandbox_store
from kiosk.sync.dutchie_sandbox import INTEGRATOR_KEY, LOCATION_KEY, DutchieSandbox
from kiosk.sync.sandbox import Sandbox, adopt_store_stock
from kiosk.sync.sandbox_data import OUR_LICENSE
from kiosk.sync.worker import Worker


def submit(run_id: int, step: str, person: Employee, settings: dict, **raw):
    run = Run.get_by_id(run_id)
    assert run.current_step == step, f"at {run.current_step}, not {step}"
    return engine.submit(run_id, step, run.rev, raw, person, "pg-1", settings, workflows)


def test_opening_and_closing_on_postgres(postgres_url, fixed_clock):
    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=80)
        store = sandbox_store.store_from_database()
        metrc = Sandbox(OUR_LICENSE, now=clock.now())
        adopt_store_stock(metrc.world)
    sandbox_receipts.adopt_sales(metrc.world, store["packages"])
    dutchie = DutchieSandbox(store)
    metrc.start()
    dutchie.start()
    settings = {"database": postgres_url, "license": OUR_LICENSE, "state_system": "metrc",
                "metrc_url": metrc.url, "metrc_vendor_key": "v", "metrc_user_key": "u",
                "metrc_timeout": 3, "pos": f"dutchie+{dutchie.url}",
                "pos_location_key": LOCATION_KEY, "pos_integrator_key": INTEGRATOR_KEY,
                "recon_count_packages": 2, "sync_deadline_hours": 24}
    try:
        assert "receipts read" in sales_pulls.pull_day(settings, yesterday())
        with db.connection():
            femi = Employee.get(Employee.badge == MANAGER[0])
            run = engine.start(workflows.get("open_store"), femi, "pg-1", settings)
            assert submit(run.id, "figures", femi, settings, value="compare").accepted
            answers = {"quantity": "escalate", "unsold": "explain"}
            while Run.get_by_id(run.id).current_step == "difference":
                difference = recon.unsettled(Run.get_by_id(run.id).data["check"])
                answer = answers.get(difference.kind, "correct")
                assert submit(run.id, "difference", femi, settings, value=answer).accepted
                if answer == "explain":
                    submit(run.id, "reason", femi, settings, value="by_hand")
                    submit(run.id, "note", femi, settings, value="Keyed by hand in Metrc.")
            submit(run.id, "spot", femi, settings, value="ok")
            signed = submit(run.id, "sign", femi, settings, badge=MANAGER[0], pin=MANAGER[1])
            assert signed.accepted and signed.tone == "done"
            assert {d.settled for d in DayDifference.select()} == {"corrected", "escalated",
                                                                    "explained"}
            variance = Variance.get_by_id(DayDifference.get(
                DayDifference.settled == "escalated").detail["variance"])
            assert variance.state == "investigating"
            Worker(settings).drain()
            assert {m.status for m in OutboxMessage.select()} == {"delivered"}
            assert metrc.refusals == []

        fixed_clock.advance(hours=11)
        with db.connection():
            queue(store["packages"][0]["tag"])
            run = engine.start(workflows.get("close_store"), femi, "pg-1", settings)
            submit(run.id, "sales", femi, settings, value="ok")
            for step in ("count_scan", "count_missing"):
                value = "__finish__" if step == "count_scan" else "none"
                if Run.get_by_id(run.id).current_step == step:
                    submit(run.id, step, femi, settings, value=value)
            while Run.get_by_id(run.id).current_step == "difference":
                submit(run.id, "difference", femi, settings, value="escalate")
            submit(run.id, "investigations", femi, settings, value="ok")
            submit(run.id, "waiting", femi, settings, value="explain")
            submit(run.id, "wait_reason", femi, settings, value="outage")
            submit(run.id, "wait_note", femi, settings, value="Metrc down; ticket 88.")
            queue(store["packages"][1]["tag"])  # one more arrives before the signature
            refused = submit(run.id, "sign", femi, settings, badge=MANAGER[0], pin=MANAGER[1])
            assert not refused.accepted and "still waits unexplained" in refused.message
            submit(run.id, "sign", femi, settings, value="__back__")
            submit(run.id, "waiting", femi, settings, value="explain")
            submit(run.id, "wait_reason", femi, settings, value="by_hand")
            submit(run.id, "wait_note", femi, settings, value="Moved by hand.")
            assert submit(run.id, "sign", femi, settings, badge=MANAGER[0],
                          pin=MANAGER[1]).accepted
            assert DayCheck.get(DayCheck.kind == "close").status == "signed"
    finally:
        metrc.stop()
        dutchie.stop()
        db.database.close_all()

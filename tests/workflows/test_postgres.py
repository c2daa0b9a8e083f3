"""The same records and engine on a real PostgreSQL server (the chain set-up)."""

import threading

from kiosk import db, demo, engine, ledger, workflows
from kiosk.models import Employee, Movement, OutboxMessage, Package, Run, StepEvent


def test_migrations_demo_and_concurrent_moves_on_postgres(postgres_url):
    db.init(postgres_url)
    assert db.upgrade()[0] == "0001_foundation"
    with db.connection():
        demo.build(packages=60)
        mover = Employee.get(Employee.badge == "1003")
        flow = workflows.get("move_package")
        packages = list(Package.select().where(Package.status == "active").limit(20))
    results = []

    def kiosk_worker(chunk, station):
        with db.connection():
            run = engine.start(flow, mover, station, {})
            for package in chunk:
                target = "LOC-V-B4" if package.location.code != "LOC-V-B4" else "LOC-V-A1"
                for step, value in (("package", package.tag), ("destination", target)):
                    fresh = Run.get_by_id(run.id)
                    outcome = engine.submit(run.id, step, fresh.rev, {"value": value}, mover,
                                            station, {}, workflows)
                    results.append(outcome.accepted)

    threads = [threading.Thread(target=kiosk_worker, args=(packages[i::4], f"pg-{i}"))
               for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    with db.connection():
        assert all(results) and len(results) == 40
        assert Movement.select().where(Movement.kind == "move").count() == 20
        assert OutboxMessage.select().count() == 40
        assert StepEvent.select().count() == 40
        assert ledger.verify_chain() == [] and ledger.verify_quantities() == []
    db.database.close_all()


def test_a_double_tap_records_one_step_on_postgres(postgres_url):
    """Two submissions of the same revision at the same moment: the run's row lock makes the
    second wait for the first, then find its revision taken."""
    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=20)
        mover = Employee.get(Employee.badge == "1003")
        flow = workflows.get("move_package")
        tag = Package.select().where(Package.status == "active").first().tag
        run = engine.start(flow, mover, "pg-tap", {})
    start = threading.Barrier(2)
    outcomes = []

    def tap():
        with db.connection():
            start.wait()
            outcomes.append(engine.submit(run.id, "package", run.rev, {"value": tag}, mover,
                                          "pg-tap", {}, workflows))

    taps = [threading.Thread(target=tap) for _ in range(2)]
    [t.start() for t in taps]
    [t.join() for t in taps]
    assert sorted(o.tone for o in outcomes) == ["ok", "stale"]
    with db.connection():
        assert StepEvent.select().where(StepEvent.run == run.id).count() == 1
        assert Run.get_by_id(run.id).rev == run.rev + 1
    db.database.close_all()

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


def test_a_delivery_changed_and_cancelled_on_postgres(postgres_url):
    """Back, a stray scan, the FIFO hint's query and a cancel that undoes the run, on
    PostgreSQL."""
    from kiosk import manifests
    from kiosk.models import Transfer, TransferPackage

    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=40)
        ana = Employee.get(Employee.badge == "1001")
        flow = workflows.get("receiving")
        run = engine.start(flow, ana, "pg-dock", {"license": "C10-0000001-LIC"})
        first, second = (f"1A4050100000000000{n:06d}" for n in (5001, 5002))

        def answer(step, value, **more):
            fresh = Run.get_by_id(run.id)
            return engine.submit(run.id, step, fresh.rev, {"value": value, **more}, ana,
                                 "pg-dock", {"license": "C10-0000001-LIC"}, workflows)

        for step, value in (("delivery", "MAN-0000205101"), ("transport", "pass"),
                            ("order", ""), ("cases", "6"), ("package", first),
                            ("condition", "intact"), ("units", "8"),
                            ("decide", engine.BACK), ("units", "48"), ("decide", "accept")):
            assert answer(step, value).accepted, step
        assert answer("package", second).accepted
        refused = answer("condition", first, source="scanner")
        assert refused.message.startswith("That scan (…005001) was not recorded: finish package")
        transfer = Transfer.get(Transfer.manifest_number == "0000205101")
        item = TransferPackage.get(TransferPackage.tag == first).item_id
        assert item in manifests.oldest_stock({item}, transfer.id)
        engine.cancel(run.id, ana, "pg-dock", "wrong delivery", flow, {})
        assert Transfer.get_by_id(transfer.id).status == "incoming"
        assert Package.get(Package.tag == first).quantity == 0
        assert ledger.verify_quantities() == [] and ledger.verify_chain() == []
    db.database.close_all()


def test_visitors_and_staff_on_postgres(postgres_url):
    """A visitor signed in and signed out by two screens at once (one sign-out is kept), and
    badge numbers unique among active people, on PostgreSQL."""
    import peewee
    import pytest

    from kiosk import auth, clock, staff, visitors
    from kiosk.models import VisitorExit

    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build(packages=10)
        ben = Employee.get(Employee.badge == "1002")
        manager = Employee.get(Employee.badge == "1006")
        flow = workflows.get("visitor")
        run = engine.start(flow, ben, "pg-1", {})
        for step, value in (("area", "receiving"), ("name", "Jane Doe"), ("company", "Acme"),
                            ("purpose", "vendor"), ("id_kind", "passport"),
                            ("id_last4", "4821")):
            outcome = engine.submit(run.id, step, Run.get_by_id(run.id).rev, {"value": value},
                                    ben, "pg-1", {}, workflows)
            assert outcome.accepted, outcome.message
        outcome = engine.submit(run.id, "escort_receiving", Run.get_by_id(run.id).rev,
                                {"badge": "1002", "pin": "2345"}, ben, "pg-1", {}, workflows)
        assert outcome.accepted, outcome.message
        (jane,) = visitors.inside_now()
    start, answers = threading.Barrier(2), []

    def scan_out(station):
        with db.connection():
            start.wait()
            with db.write():
                answers.append(visitors.sign_out(jane.id, ben, station, "scan").tone)

    threads = [threading.Thread(target=scan_out, args=(f"pg-{i}",)) for i in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    with db.connection():
        assert sorted(answers) == ["ok", "warn"] and VisitorExit.select().count() == 1
        assert visitors.inside_now() == []
        new = staff.details("Iris Moreno", "1002", ["runner"], "es")
        attempt = auth.attempt("1006", "6789", station="pg-1", purpose="staff")
        with pytest.raises(ValueError, match="Badge 1002 already belongs to Ben Okafor"):
            with db.write():
                staff.add(new, manager, manager, attempt.attempt_id, "pg-1")
        with db.write():
            staff.deactivate(ben.id, "Left the company", manager, manager,
                             attempt.attempt_id, "pg-1")
            staff.add(new, manager, manager, attempt.attempt_id, "pg-1")
        assert Employee.holder("1002").name == "Iris Moreno"
        with pytest.raises(peewee.IntegrityError), db.write():
            Employee.create(name="Twin", badge="1002", pin_hash="x", roles="runner",
                            created_at=clock.now())
    db.database.close_all()

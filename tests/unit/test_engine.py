"""The engine's invariants: one transaction per step, stale screens and double taps refused,
guards and refusals recorded, signatures bound to what they sign, runs pinned to a version."""

import threading
from decimal import Decimal

import pytest

from kiosk import auth, db, engine, ledger, words
from kiosk.engine import Option, Refuse, Signer
from kiosk.models import (
    AuditEntry,
    Item,
    Location,
    LoginAttempt,
    Movement,
    OutboxMessage,
    Package,
    PrintJob,
    Run,
    Signature,
    StepEvent,
)

TAG = "1A4060300000000000000001"


def tag_is_known(run, scanned):
    """The package exists."""
    return None if Package.get_or_none(Package.tag == scanned.value) else "Unknown package."


def keep_tag(run, scanned, ctx):
    """Remember the tag."""
    run.data["tag"] = scanned.value


def adjust(run, number, ctx):
    """Write a movement and an outbox message; refuse 13 after writing (nothing may stay)."""
    package = Package.get(Package.tag == run.data["tag"])
    ctx.movement(package, number - package.quantity, "adjust", reason="count")
    ctx.outbox("metrc", "package.adjust", {"tag": package.tag}, ordering_key=package.tag)
    if number == 13:
        raise Refuse("Thirteen is unlucky; count again.")
    if number == 666:
        raise RuntimeError("the power went out")


def slip(run):
    """One slip."""
    return [{"device": "receipt", "layout": "count_sheet", "data": {"tag": run.data["tag"]}}]


def finished(run, signers, ctx):
    """Remember who signed."""
    run.data["signed_by"] = [s.name for s in signers]


def make_workflow(version=1):
    return engine.Workflow(
        key="test_flow", title="Test flow", sop="TEST-1", version=version,
        roles=("counter", "manager"),
        steps=(
            engine.scan("tag", "Scan a tag", ("package_tag",), guards=(tag_is_known,),
                        effect=keep_tag),
            engine.count("qty", "How many?", unit="units", whole=True, effect=adjust,
                         back=engine.Back("tag", "Other tag", forget=("tag",))),
            engine.choose("cond", "Condition?", (Option("ok", "Fine"),
                                                 Option("bad", "Damaged", next="tag"))),
            engine.confirm("seal", "Seal intact?"),
            engine.print_step("print", "Print", jobs=slip),
            engine.sign_off("sign", "Sign", (Signer(("counter",), "performed"),
                                             Signer(("manager",), "approved")),
                            effect=finished),
        ))


class Registry:
    def __init__(self, *flows):
        self.flows = {f.key: f for f in flows}

    def get(self, key):
        return self.flows.get(key)


@pytest.fixture
def store(database, make_employee, fixed_clock):
    with db.write():
        shelf = Location.create(code="LOC-V-A1", name="Shelf A1", kind="vault")
        item = Item.create(name="Gummies", category="Edible")
        package = Package.create(tag=TAG, item=item, created_at=fixed_clock.now())
        ledger.receive(package, 10, to_location=shelf)
    return {
        "counter": make_employee("Cora", "2001", "1111", "counter"),
        "manager": make_employee("Max", "2002", "2222", "manager"),
        "runner": make_employee("Rui", "2003", "3333", "runner"),
        "workflow": make_workflow(),
    }


def submit(store, run, step, raw, who="counter", rev=None, registry=None):
    run = Run.get_by_id(run.id)
    return engine.submit(run.id, step, run.rev if rev is None else rev, raw, store[who],
                         "test-1", {"training": True}, registry or Registry(store["workflow"]))


def start(store):
    return engine.start(store["workflow"], store["counter"], "test-1", {})


def walk_to(store, run, step_id):
    answers = {"tag": {"value": TAG}, "qty": {"value": "9"}, "cond": {"value": "ok"},
               "seal": {"value": "pass"}, "print": {"value": "print"}}
    for step in ("tag", "qty", "cond", "seal", "print"):
        if step == step_id:
            return
        assert submit(store, run, step, answers[step]).accepted


def test_a_whole_run_records_every_step_and_its_effects(store):
    run = start(store)
    walk_to(store, run, "sign")
    first = submit(store, run, "sign", {"badge": "2001", "pin": "1111"})
    assert first.accepted and "Next signature" in first.message
    done = submit(store, run, "sign", {"badge": "2002", "pin": "2222"})
    assert done.tone == "done"
    run = Run.get_by_id(run.id)
    assert run.status == "completed" and run.data["signed_by"] == ["Cora", "Max"]
    assert Package.get(Package.tag == TAG).quantity == Decimal(9)
    assert OutboxMessage.select().count() == 1 and PrintJob.select().count() == 1
    assert PrintJob.get().training is True
    assert [e.step_id for e in StepEvent.select().order_by(StepEvent.id)] == \
        ["tag", "qty", "cond", "seal", "print", "sign", "sign"]
    assert ledger.verify_chain() == [] and ledger.verify_quantities() == []


def test_a_wrong_answer_is_recorded_refused_and_the_step_stays(store):
    run = start(store)
    outcome = submit(store, run, "tag", {"value": "012345678905"})
    assert not outcome.accepted
    assert "item barcode" in outcome.message and "package tag" in outcome.message
    outcome = submit(store, run, "tag", {"value": "1A4060300000000000000099"})
    assert outcome.message == "Unknown package."
    events = list(StepEvent.select().order_by(StepEvent.id))
    assert [e.accepted for e in events] == [False, False]
    assert Run.get_by_id(run.id).current_step == "tag"


def test_stale_screen_and_double_tap_record_nothing_twice(store):
    run = start(store)
    rev = Run.get_by_id(run.id).rev
    assert submit(store, run, "tag", {"value": TAG}, rev=rev).accepted
    again = submit(store, run, "tag", {"value": TAG}, rev=rev)  # the double tap
    assert again.tone == "stale" and "nothing new was saved" in again.message
    assert StepEvent.select().count() == 1
    # A second tab showing the old step posts to it: refused too.
    stale = submit(store, run, "tag", {"value": TAG}, rev=rev + 5)
    assert stale.tone == "stale"
    assert StepEvent.select().count() == 1


def test_a_scan_sent_again_after_its_answer_was_lost_is_not_recorded_twice(store):
    run = start(store)
    rev = Run.get_by_id(run.id).rev
    first = submit(store, run, "tag", {"value": TAG, "scan_id": "s-1"}, rev=rev)
    assert first.accepted
    # The answer never reached the screen; it sends the same scan at the same revision.
    again = submit(store, run, "tag", {"value": TAG, "scan_id": "s-1"}, rev=rev)
    assert again.accepted and again.tone == "ok" and again.event.id == first.event.id
    assert again.message == (f"{TAG} was recorded before the connection dropped; it is not "
                             "counted twice.")
    assert words.say(again.message, "es") == (
        f"{TAG} quedó registrado antes de que se cortara la conexión; no se cuenta dos veces.")
    assert StepEvent.select().count() == 1 and Run.get_by_id(run.id).current_step == "qty"
    # Another scan at that old revision is a stale screen's, as before; so is the same scan
    # sent by someone else.
    assert submit(store, run, "tag", {"value": TAG, "scan_id": "s-2"}, rev=rev).tone == "stale"
    assert submit(store, run, "tag", {"value": TAG, "scan_id": "s-1"}, rev=rev,
                  who="manager").tone == "stale"
    # A scan that was refused the first time gets its refusal again, and nothing more.
    rev = Run.get_by_id(run.id).rev
    refused = submit(store, run, "qty", {"value": "-3", "scan_id": "s-3"}, rev=rev)
    assert not refused.accepted
    again = submit(store, run, "qty", {"value": "-3", "scan_id": "s-3"}, rev=rev)
    assert (again.accepted, again.tone, again.message) == (False, "error", refused.message)
    assert StepEvent.select().count() == 2


def test_concurrent_double_submit_takes_exactly_one(store):
    run = start(store)
    rev = Run.get_by_id(run.id).rev
    outcomes = []

    def tap():
        with db.connection():
            outcomes.append(submit(store, run, "tag", {"value": TAG}, rev=rev))

    threads = [threading.Thread(target=tap) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(o.accepted for o in outcomes) == [False, False, False, True]
    assert StepEvent.select().where(StepEvent.accepted == True).count() == 1  # noqa: E712


def test_a_refusing_effect_keeps_nothing_it_wrote(store):
    run = start(store)
    walk_to(store, run, "qty")
    outcome = submit(store, run, "qty", {"value": "13"})
    assert not outcome.accepted and outcome.message == "Thirteen is unlucky; count again."
    assert Movement.select().where(Movement.kind == "adjust").count() == 0
    assert OutboxMessage.select().count() == 0
    assert Package.get(Package.tag == TAG).quantity == Decimal(10)
    assert Run.get_by_id(run.id).current_step == "qty"


def test_a_crash_inside_a_step_leaves_no_half_step(store):
    run = start(store)
    walk_to(store, run, "qty")
    before = (StepEvent.select().count(), Run.get_by_id(run.id).rev)
    with pytest.raises(RuntimeError):
        submit(store, run, "qty", {"value": "666"})
    assert (StepEvent.select().count(), Run.get_by_id(run.id).rev) == before
    assert Movement.select().where(Movement.kind == "adjust").count() == 0
    assert OutboxMessage.select().count() == 0
    # The same screen can simply try again.
    assert submit(store, run, "qty", {"value": "8"}).accepted


def test_counts_choices_and_confirmations_are_checked(store):
    run = start(store)
    walk_to(store, run, "qty")
    wanted = "enter a whole number of units from 0 to 99,999."
    assert submit(store, run, "qty", {"value": "two"}).message == \
        f"A count of two is not possible here: {wanted}"
    assert submit(store, run, "qty", {"value": "2.5"}).message == \
        f"A count of 2.5 is not possible here: {wanted}"
    assert submit(store, run, "qty", {"value": "-1"}).message == \
        f"A count of -1 is not possible here: {wanted}"
    assert submit(store, run, "qty", {"value": ""}).message == f"E{wanted[1:]}"
    assert submit(store, run, "qty", {"value": "5"}).accepted
    assert submit(store, run, "cond", {"value": "maybe"}).message == "Choose one of the buttons."
    assert submit(store, run, "cond", {"value": "bad"}).accepted   # loops back to the tag
    assert Run.get_by_id(run.id).current_step == "tag"
    walk_to(store, run, "seal")
    assert "Say what is wrong" in submit(store, run, "seal", {"value": "fail"}).message
    assert submit(store, run, "seal", {"value": "fail", "reason": "torn"}).accepted


def test_signatures_need_fresh_badge_and_pin_two_people_and_the_right_roles(store):
    run = start(store)
    walk_to(store, run, "sign")
    assert submit(store, run, "sign", {"badge": "2001", "pin": "0000"}).message == \
        "Wrong PIN. Try again."
    assert "can't sign as performed" in submit(store, run, "sign",
                                               {"badge": "2003", "pin": "3333"}).message
    assert submit(store, run, "sign", {"badge": "2001", "pin": "1111"}).accepted
    # The same person cannot fill the second signature, whatever roles they hold.
    twice = submit(store, run, "sign", {"badge": "2001", "pin": "1111"})
    assert "already signed" in twice.message
    # The logged-in session is never a signature: the PIN is always asked, and asking is
    # not a wrong PIN.
    tried = LoginAttempt.select().count()
    assert submit(store, run, "sign", {"badge": "2002", "pin": ""}, who="manager").message == \
        "Type the PIN on the keypad, then press Sign."
    assert LoginAttempt.select().count() == tried
    assert submit(store, run, "sign", {"badge": "2002", "pin": "2222"}).tone == "done"
    signatures = list(Signature.select().order_by(Signature.id))
    assert [(s.printed_name, s.role, s.meaning) for s in signatures] == \
        [("Cora", "counter", "performed"), ("Max", "manager", "approved")]
    assert all(len(s.record_hash) == 64 for s in signatures)
    assert signatures[0].record_hash != signatures[1].record_hash  # each signs what it saw
    # The PIN never reaches the record.
    assert all("pin" not in (e.value or {}) for e in StepEvent.select())


def test_wrong_pins_at_a_signature_are_kept_and_lock_the_badge_everywhere(store):
    run = start(store)
    walk_to(store, run, "sign")
    for guess in ("0000", "0001", "0002", "0003", "0004"):
        outcome = submit(store, run, "sign", {"badge": "2002", "pin": guess})
        assert not outcome.accepted
    assert outcome.message == ("Wrong PIN. Badge 2002 is locked after 5 wrong PINs. Try again "
                               "in 5 minutes, or ask a manager to unlock it.")
    # Each refused step undid what it wrote, but not the attempts: they were kept apart,
    # each with an audit entry naming it.
    attempts = list(LoginAttempt.select().where(LoginAttempt.badge == "2002"))
    assert [(a.purpose, a.reason) for a in attempts] == [("signature", "wrong pin")] * 5
    audited = [e.detail["attempt"] for e in AuditEntry.select()
               .where(AuditEntry.action == "signature.wrong_pin").order_by(AuditEntry.seq)]
    assert audited == [a.id for a in attempts]
    # The right PIN is refused unheard now, at a signature and at login alike.
    assert "is locked" in submit(store, run, "sign", {"badge": "2002", "pin": "2222"}).message
    with db.write():
        assert auth.authenticate("2002", "2222", station="test-1").locked
    assert Signature.select().count() == 0


def test_record_hash_changes_when_the_signed_record_changes(store):
    run = start(store)
    walk_to(store, run, "sign")
    run = Run.get_by_id(run.id)
    before = engine.record_hash(run)
    run.data["tampered"] = True
    assert engine.record_hash(run) != before


def test_a_run_resumes_exactly_where_it_was_after_a_restart(store, database):
    run = start(store)
    walk_to(store, run, "seal")
    rev = Run.get_by_id(run.id).rev
    db.database.close()
    db.init(database)  # a new process would bind afresh
    db.database.connect()
    resumed = Run.get_by_id(run.id)
    assert (resumed.current_step, resumed.rev, resumed.data["tag"]) == ("seal", rev, TAG)
    assert submit(store, resumed, "seal", {"value": "pass"}).accepted


def test_runs_are_pinned_to_their_workflow_version(store):
    run = start(store)
    newer = Registry(make_workflow(version=2))
    outcome = submit(store, run, "tag", {"value": TAG}, registry=newer)
    assert outcome.tone == "stale" and "version 1" in outcome.message and "version 2" in \
        outcome.message
    # A Spanish speaker reads the same refusal in Spanish, with both versions.
    assert words.say(outcome.message, "es").startswith(
        "Este procedimiento se empezó con la versión 1 de Test flow y este kiosco ahora tiene "
        "la versión 2.")


def test_only_permitted_roles_work_on_a_run(store):
    run = start(store)
    outcome = submit(store, run, "tag", {"value": TAG}, who="runner")
    assert not outcome.accepted and "may not work on" in outcome.message
    with pytest.raises(PermissionError):
        engine.start(store["workflow"], store["runner"], "test-1", {})


def test_cancel_needs_a_reason_and_the_right_person(store):
    run = start(store)
    with pytest.raises(ValueError, match="Say why"):
        engine.cancel(run.id, store["counter"], "test-1", " ")
    with pytest.raises(PermissionError):
        engine.cancel(run.id, store["runner"], "test-1", "wrong delivery")
    cancelled = engine.cancel(run.id, store["manager"], "test-1", "wrong delivery")
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "wrong delivery"
    assert submit(store, run, "tag", {"value": TAG}).tone == "stale"


def flag_it(run, _value, ctx):
    """Set the flag the next step's skip rule reads."""
    run.data["flag"] = True


def skip_when_flagged(run):
    """The flag is set (it is not, before the first step)."""
    return run.data["flag"]


def test_step_n_of_m_counts_only_the_steps_that_apply_to_this_run(store):
    flow = engine.Workflow(
        key="branchy", title="Branchy", sop="TEST-2", version=1, roles=("counter",),
        steps=(engine.instruct("first", "First", effect=flag_it),
               engine.instruct("maybe", "Only without the flag", skip_if=skip_when_flagged),
               engine.choose("ask", "Fine?", (Option("fine", "Fine", next="last"),
                                              Option("bad", "Bad", next="why"))),
               engine.instruct("why", "Why?", next="last", detour=True),
               engine.instruct("last", "Last")))
    assert engine.check(flow) == []
    registry = Registry(flow)
    run = engine.start(flow, store["counter"], "test-1", {})
    # The skip rule cannot tell yet, so that step counts; the detour does not.
    assert engine.position(flow, run) == (1, 4)
    submit(store, run, "first", {}, registry=registry)
    run = Run.get_by_id(run.id)
    assert (run.current_step, engine.position(flow, run)) == ("ask", (2, 3))
    submit(store, run, "ask", {"value": "bad"}, registry=registry)
    run = Run.get_by_id(run.id)
    assert (run.current_step, engine.position(flow, run)) == ("why", (3, 4))
    submit(store, run, "why", {}, registry=registry)
    run = Run.get_by_id(run.id)
    assert (run.current_step, engine.position(flow, run)) == ("last", (4, 4))


def test_a_detour_the_run_would_simply_go_on_to_is_a_broken_definition():
    flow = engine.Workflow(
        key="bad_detour", title="Bad", sop="TEST-3", version=1, roles=("counter",),
        steps=(engine.instruct("first", "First"), engine.instruct("why", "Why?", detour=True)))
    assert engine.check(flow) == ["why: a detour must not be reached by simply going on from "
                                  "the step before it"]


def test_a_scan_at_a_step_that_takes_none_is_refused_not_read_as_an_answer(store):
    run = start(store)
    submit(store, run, "tag", {"value": TAG})
    # A UPC is digits: typed it would be a count, but from the scanner it is a stray scan.
    outcome = submit(store, run, "qty", {"value": "012345678905", "source": "scanner"})
    assert (outcome.accepted, outcome.message) == (False, (
        "That scan (…678905) was not recorded: this step takes no scan; enter the count on "
        "the keypad."))
    assert Package.get(Package.tag == TAG).quantity == 10
    assert submit(store, run, "qty", {"value": "9", "source": "keyboard"}).accepted
    outcome = submit(store, run, "cond", {"value": TAG, "source": "scanner"})
    assert outcome.message.endswith("this step takes no scan; choose one of the buttons.")


def test_back_supersedes_the_answer_it_changes_and_forgets_it(store):
    run = start(store)
    submit(store, run, "tag", {"value": TAG})
    outcome = submit(store, run, "qty", {"value": engine.BACK})
    run = Run.get_by_id(run.id)
    assert outcome.accepted and run.current_step == "tag" and "tag" not in run.data
    tag_event = StepEvent.get(StepEvent.step_id == "tag")
    back = StepEvent.get(StepEvent.step_id == "qty")
    assert back.supersedes_id == tag_event.id and back.value == {"value": engine.BACK}
    # Back where a step has none is an ordinary (refused) answer.
    assert submit(store, run, "tag", {"value": engine.BACK}).accepted is False
    assert "Other tag → tag" in engine.describe(store["workflow"])


def undo_the_count(run, ctx):
    """Reverse the counted adjustment."""
    for movement in Movement.select().where(Movement.run_id == run.id, Movement.kind == "adjust"):
        ledger.correct(movement, reason="run cancelled", actor=ctx.actor, run_id=run.id,
                       step_event_id=ctx.event.id)
    if run.data.get("fail_undo"):
        raise RuntimeError("the disk is full")
    ctx.message = "The count is undone."


def test_on_cancel_runs_in_the_cancels_transaction(store):
    import dataclasses

    workflow = dataclasses.replace(store["workflow"], on_cancel=undo_the_count)
    run = start(store)
    walk_to(store, run, "cond")
    assert Package.get(Package.tag == TAG).quantity == 9
    with db.write():
        Run.update(data={**Run.get_by_id(run.id).data, "fail_undo": True}).where(
            Run.id == run.id).execute()
    with pytest.raises(RuntimeError):
        engine.cancel(run.id, store["counter"], "test-1", "wrong shelf", workflow)
    # Nothing of a cancel that failed half-way is kept.
    assert Run.get_by_id(run.id).status == "active"
    assert Package.get(Package.tag == TAG).quantity == 9
    with db.write():
        Run.update(data={**Run.get_by_id(run.id).data, "fail_undo": False}).where(
            Run.id == run.id).execute()
    cancelled = engine.cancel(run.id, store["counter"], "test-1", "wrong shelf", workflow)
    assert words.restore(cancelled.data["_cancel_note"]) == "The count is undone."
    assert Package.get(Package.tag == TAG).quantity == 10
    event = StepEvent.get(StepEvent.kind == "cancel")
    assert (event.step_id, event.value, event.actor.name) == ("cond", {"reason": "wrong shelf"},
                                                              "Cora")
    fix = Movement.get(Movement.kind == "correction")
    assert (fix.step_event_id, fix.corrects.kind) == (event.id, "adjust")
    assert "If it is cancelled: Reverse the counted adjustment." in engine.describe(workflow)
    assert ledger.verify_quantities() == [] and ledger.verify_chain() == []

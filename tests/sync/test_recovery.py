"""The syncer recovers in seconds: a pause per kind of failure, a cheap probe while Metrc is
down and sending again the moment it answers, and a dead worker's claims taken over at once.
Every request goes to the training sandbox over HTTP, which judges it against Metrc's own
collection; time is the test's clock wherever the sandbox does not have to answer slowly."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from kiosk import clock
from kiosk.models import OutboxMessage
from kiosk.models.sync import SyncWorker
from kiosk.sync import liveness, outbox, pauses, pulls, waiting
from kiosk.sync import worker as sync_worker
from kiosk.sync.delivery import deliver_metrc
from kiosk.sync.sandbox_data import tag
from kiosk.sync.worker import Worker

ON_HAND = [tag(11), tag(12), tag(13)]
PROBE = ("GET", "/unitsofmeasure/v2/active")


def _why(settings, message) -> str:
    row = OutboxMessage.get_by_id(message.id)
    return waiting.Reasons(settings, [row]).why(row)


def _paused_for(now) -> float:
    return (pauses.until(outbox.health("metrc")["pause"]) - now).total_seconds()


@pytest.mark.parametrize("failure", ["answers 500", "cannot be reached"])
def test_a_metrc_that_is_down_is_probed_every_few_seconds_and_sent_to_the_moment_it_answers(
        failure, sync_settings, sandbox, message, reload, fixed_clock):
    msgs = [message("package.note", {"tag": t, "note": "after the outage"}) for t in ON_HAND]
    if failure == "answers 500":
        sandbox.faults.errors_500 = 10 ** 6
    else:
        sandbox.stop()
    worker = Worker(sync_settings)
    waits = []
    for _ in range(3):  # three failures in a row, each pause brief and longer than the last
        worker.drain()
        waits.append(_paused_for(clock.now()))
        fixed_clock.advance(seconds=waits[-1])
    assert waits == [pauses.BRIEF, 2 * pauses.BRIEF, 4 * pauses.BRIEF]
    assert {reload(m).status for m in msgs} == {"pending"}
    if failure == "answers 500":
        assert sandbox.requests == [("PUT", "/packages/v2/note")] * 3
        assert _why(sync_settings, msgs[0]) == (
            "paused: Metrc answered 500 three times; probing every 5 s")
    else:
        assert _why(sync_settings, msgs[0]) == (
            "paused: Metrc could not be reached three times; probing every 5 s")

    # Down for ten minutes: probes, soon one every five seconds; the messages stay put.
    before, waits = len(sandbox.requests), []
    while sum(waits) < 600:
        worker.drain()
        waits.append(_paused_for(clock.now()))
        fixed_clock.advance(seconds=waits[-1])
    assert waits[:2] == [8 * pauses.BRIEF, pauses.PROBE_EVERY]
    assert set(waits[1:]) == {pauses.PROBE_EVERY} and len(waits) == 121
    if failure == "answers 500":
        assert sandbox.requests[before:] == [PROBE] * 121
    assert outbox.health("metrc")["ok"] is False
    assert {reload(m).status for m in msgs} == {"pending"}
    assert {reload(m).attempts for m in msgs} == {3}, "a probe costs the messages nothing"

    # Metrc is back: the next probe (within five seconds) answers and all goes at once.
    if failure == "answers 500":
        sandbox.faults.errors_500 = 0
    else:
        sandbox.start()
    back = clock.now()
    fixed_clock.advance(seconds=1)
    worker.drain()
    assert {reload(m).status for m in msgs} == {"delivered"}
    assert max(reload(m).delivered_at for m in msgs) - back <= dt.timedelta(
        seconds=pauses.PROBE_EVERY)
    assert sandbox.requests[-2:] == [PROBE, ("PUT", "/packages/v2/note")]
    assert outbox.health("metrc")["ok"] is True and outbox.health("metrc")["pause"] is None
    assert sandbox.refusals == []


def test_each_kind_of_failure_keeps_its_own_pause_and_429_waits_as_metrc_asks(
        sync_settings, sandbox, message, reload, fixed_clock):
    m = message("package.location", {"tag": ON_HAND[0], "location_name": "Vault A2"})
    worker = Worker({**sync_settings, "metrc_timeout": 0.3})
    sandbox.faults.errors_500 = 2
    for wait in (pauses.BRIEF, 2 * pauses.BRIEF):
        worker.drain()
        assert _paused_for(clock.now()) == wait
        fixed_clock.advance(seconds=wait)

    # A 429 waits exactly as long as Retry-After says: the 500s before it do not stretch it,
    # and Metrc is answering, so it is not probed.
    sandbox.faults.rate_limited, sandbox.faults.retry_after = 1, 30
    worker.drain()
    assert _paused_for(clock.now()) == 30
    assert not pauses.probing(outbox.health("metrc")["pause"])
    resume = clock.local(clock.now() + dt.timedelta(seconds=30)).strftime("%H:%M:%S")
    assert _why(sync_settings, m) == f"Metrc is rate-limiting us: next try at {resume}"
    sent = len(sandbox.requests)
    fixed_clock.advance(seconds=29)
    worker.drain()
    assert len(sandbox.requests) == sent, "nothing before Retry-After has passed"

    # An answer that never comes counts apart from the 500s (its first pause is brief), but
    # it is the third failure of a Metrc that is not answering: from now on, probes.
    fixed_clock.advance(seconds=1)
    sandbox.faults.delay = 1.0
    worker.drain()
    state = outbox.health("metrc")["pause"]
    assert state["counts"] == {"server_error": 2, "rate_limited": 1, "no_answer": 1}
    assert pauses.probing(state) and _paused_for(clock.now()) == pauses.BRIEF
    assert _why(sync_settings, m) == ("paused: Metrc failed three times in a row (last: it did "
                                      "not answer); probing every 5 s")
    sandbox.faults.delay = 0
    time.sleep(1.0)  # the slow PUT lands in the sandbox before we go on
    fixed_clock.advance(seconds=pauses.BRIEF)
    sent = len(sandbox.requests)
    worker.drain()
    assert sandbox.requests[sent:] == [PROBE, ("PUT", "/packages/v2/location")]
    assert reload(m).status == "delivered"
    assert sandbox.world.packages[ON_HAND[0]]["LocationName"] == "Vault A2"


def test_a_refusal_parks_only_its_message_and_pauses_nothing(sync_settings, sandbox, message,
                                                             reload, fixed_clock):
    bad = message("package.location", {"tag": ON_HAND[0], "location_name": "The Moon"})
    good = message("package.location", {"tag": ON_HAND[1], "location_name": "Vault A2"})
    Worker(sync_settings).drain()
    assert reload(bad).status == "attention" and reload(good).status == "delivered"
    assert outbox.health("metrc")["ok"] is True and not outbox.health("metrc").get("pause")
    assert _why(sync_settings, bad) == (f"needs a person: Metrc refused this for {ON_HAND[0]}: "
                                        "Location 'The Moon' does not exist.")


def test_a_worker_that_may_have_been_judged_dead_hands_back_instead_of_sending(
        sync_settings, sandbox, message, reload, fixed_clock):
    msgs = [message("package.note", {"tag": t, "note": "x"}) for t in ON_HAND]
    worker = Worker(sync_settings)
    claimed = outbox.claim(("metrc",), worker.id, now=clock.now(), heartbeat=worker.heartbeat)
    assert SyncWorker.get(SyncWorker.worker_id == worker.id).beat_at == clock.now()
    # Stuck long enough (a frozen VM, a starved thread) that its heartbeat went stale.
    fixed_clock.advance(seconds=liveness.DEAD_AFTER.total_seconds() + 1)
    deliver_metrc(worker.metrc, claimed, may_send=worker.heartbeat.may_send)
    assert sandbox.requests == []
    assert {reload(m).status for m in msgs} == {"pending"}
    assert {reload(m).attempts for m in msgs} == {0}, "an untried message costs no attempt"


def test_live_claims_are_kept_and_an_unregistered_claimer_keeps_its_own_until_the_lease(
        sync_settings, sandbox, message, reload, fixed_clock):
    mine = message("package.note", {"tag": ON_HAND[0], "note": "x"})
    slow = Worker(sync_settings)
    outbox.claim(("metrc",), slow.id, now=clock.now(), heartbeat=slow.heartbeat)
    other = message("package.note", {"tag": ON_HAND[1], "note": "y"})
    outbox.claim(("metrc",), "an-older-version", now=clock.now())
    fixed_clock.advance(seconds=liveness.DEAD_AFTER.total_seconds() / 2)
    assert outbox.take_over(("metrc",), "me", clock.now()) == 0, "both are still theirs"
    assert reload(mine).status == reload(other).status == "sending"
    fixed_clock.current = reload(other).claimed_at + liveness.LEASE + dt.timedelta(seconds=1)
    slow.heartbeat.beat()  # still beating: this host's process is alive and says so
    assert outbox.take_over(("metrc",), "me", clock.now(), grace=2) == 1
    assert reload(mine).status == "sending"
    assert reload(other).status == "pending" and reload(other).last_error == outbox.TAKEN_OVER


class _RealPace(clock.FixedClock):
    """The test's clock, running at the real pace from where it stood."""

    def __init__(self, start: dt.datetime):
        super().__init__(start)
        self.began = time.monotonic()

    def now(self) -> dt.datetime:
        return self.current + dt.timedelta(seconds=time.monotonic() - self.began)


def test_under_random_faults_everything_arrives_once_and_in_order(sync_settings, sandbox,
                                                                  message, reload, fixed_clock,
                                                                  by_package):
    """A third of all calls fail at random (500, 429, a dropped answer, an answer slower than
    the timeout), as in the attack on the syncer, while ``kiosk sync`` runs with its
    requests in flight side by side. The clock runs at the real pace, because slow answers
    take real time to land."""
    places = ["Vault A1", "Vault A2", "Sales Floor"]
    packages = [f"1A4060300000000066{n:06d}" for n in range(24)]
    sandbox.world.adopt(places, [{"tag": t, "quantity": 1000, "unit": "Each",
                                  "location": "Vault A1"} for t in packages])
    sandbox.faults.fail_share, sandbox.faults.slow, sandbox.faults.seed = 1 / 3, 1.8, 14
    sandbox.faults.retry_after = 1
    msgs = []
    for n in range(120):  # each package: adjust, move, note, adjust, move
        t = packages[n % len(packages)]
        if n // 24 % 3 == 0:
            msgs.append(message("package.adjust", {"tag": t, "quantity": -1, "unit": "Each",
                                                   "reason": "Drying", "note": f"n{n}"}))
        elif n // 24 % 3 == 1:
            msgs.append(message("package.location", {"tag": t, "location_name": places[n % 3]}))
        else:
            msgs.append(message("package.note", {"tag": t, "note": f"n{n}"}))
    previous = clock.install(_RealPace(clock.now()))
    stop = threading.Event()
    running = threading.Thread(target=sync_worker.run,
                               args=({**sync_settings, "metrc_timeout": 1.0},),
                               kwargs={"stop": stop})
    running.start()
    try:
        began = time.monotonic()
        while OutboxMessage.select().where(OutboxMessage.status != "delivered").exists():
            assert time.monotonic() - began < 300, "a guard against a hang, not a speed bound"
            time.sleep(0.1)
    finally:
        stop.set()
        running.join()
        clock.install(previous)
    assert sum(sandbox.faults_served.values()) >= 20 and all(sandbox.faults_served.values())
    time.sleep(1.8)  # any slow write still on its way lands before the count
    applied, expected = by_package([reload(m) for m in msgs])
    for t in packages:
        # A PUT may be repeated after a lost answer (safe), but never reordered; a POST
        # never lands twice.
        seen = [entry for i, entry in enumerate(applied[t]) if i == 0 or entry != applied[t][i - 1]]
        assert seen == expected[t], f"order for {t}"
        assert sum(1 for p, _ in applied[t] if p.endswith("adjust")) == 2
    assert len(sandbox.world.adjustments) == 48
    assert sandbox.refusals == []


def test_a_worker_waiting_on_a_slow_metrc_keeps_beating_and_keeps_its_claims(
        sync_settings, sandbox, message, reload, fixed_clock, monkeypatch):
    monkeypatch.setattr(liveness, "HEARTBEAT", 0.05)
    stop = threading.Event()
    running = threading.Thread(target=sync_worker.run, args=(sync_settings,),
                               kwargs={"stop": stop})
    running.start()
    try:
        deadline = time.monotonic() + 60
        while not pulls.last_pull():  # its first pull of manifests is done
            assert time.monotonic() < deadline, "the worker never pulled"
            time.sleep(0.01)
        sandbox.faults.delay = 1.5
        m = message("package.note", {"tag": ON_HAND[0], "note": "slow"})
        while ("PUT", "/packages/v2/note") not in sandbox.requests:
            assert time.monotonic() < deadline, "the worker never sent"
            time.sleep(0.01)
        fixed_clock.advance(seconds=liveness.DEAD_AFTER.total_seconds() * 3)
        while (SyncWorker.get(SyncWorker.worker_id == reload(m).claimed_by).beat_at
               != clock.now()):
            assert time.monotonic() < deadline, "no beat while the request was in flight"
            time.sleep(0.02)
        assert reload(m).status == "sending"
        assert outbox.take_over(("metrc",), "another worker", clock.now()) == 0
        while reload(m).status != "delivered":
            assert time.monotonic() < deadline, "never delivered"
            time.sleep(0.05)
    finally:
        stop.set()
        running.join()
    assert sandbox.requests.count(("PUT", "/packages/v2/note")) == 1
    assert SyncWorker.select().count() == 0, "a worker that stops says so"

"""Crash and concurrency tests against the real server (waitress in a child process).

- SIGKILL during a burst of scans from several kiosks: every step the server answered as
  accepted is on record exactly once, no step is half-applied, the ledger and audit chain
  verify, and each run carries on from the right step after a restart.
- A double tap (the same revision posted twice at once) records one step.
- A stale second tab is refused with a message and shown the current step.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import HttpKiosk, LiveServer, build_demo_database  # noqa: E402

from kiosk import db, ledger  # noqa: E402
from kiosk.demo import demo_tag  # noqa: E402
from kiosk.models import (  # noqa: E402
    AuditEntry,
    Movement,
    OutboxMessage,
    Package,
    Run,
    Station,
    StepEvent,
)

MOVERS = (("1001", "1234"), ("1002", "2345"), ("1003", "3456"), ("1004", "4567"),
          ("1005", "5678"), ("1006", "6789"))
SHELVES = ("LOC-V-A1", "LOC-V-B2")


def records(url):
    db.init(url)
    return db.connection()


def make_server(tmp_path, stations, database_url, env: dict | None = None) -> LiveServer:
    url = build_demo_database(database_url)
    with records(url), db.write():
        for name in stations:
            Station.create(name=name, kind="vault")
    return LiveServer(url, tmp_path, env=env).start()


class MovingKiosk:
    """A kiosk moving its own packages between two shelves, scan after scan, and noting
    every answer the server gave."""

    def __init__(self, server: LiveServer, number: int, badge: str, pin: str, tags: list[str]):
        self.kiosk = HttpKiosk(server.url, f"kiosk-{number}")
        self.kiosk.login(badge, pin)
        self.run_id = self.kiosk.start("move_package")
        self.tags = tags
        with records(server.database_url):
            self.where = {t: Package.get(Package.tag == t).location.code for t in tags}
        self.accepted: list[tuple[str, int, str]] = []  # (step, rev sent, value)
        self.unanswered: list[tuple[str, int, str]] = []
        self.refused = 0

    def work(self, stop: threading.Event) -> None:
        step, rev = self.kiosk.current(self.run_id)
        n = 0
        while not stop.is_set():
            tag = self.tags[n % len(self.tags)]
            target = SHELVES[0] if self.where[tag] != SHELVES[0] else SHELVES[1]
            value = tag if step == "package" else target
            try:
                response, tone = self.kiosk.submit(self.run_id, step, value, rev)
            except requests.RequestException:
                self.unanswered.append((step, rev, value))  # the server died mid-request
                return
            if response.status_code == 200 and tone == "ok":
                self.accepted.append((step, rev, value))
                if step == "destination":
                    self.where[tag] = target
                    n += 1
            else:
                self.refused += 1
            step, rev = self.kiosk.parse(response.text)


def test_sigkill_during_a_burst_loses_no_accepted_step(tmp_path, empty_database):
    stations = [f"kiosk-{i}" for i in range(len(MOVERS))]
    server = make_server(tmp_path, stations, empty_database)
    try:
        kiosks = [MovingKiosk(server, i, badge, pin,
                              [demo_tag(s) for s in range(1 + i, 241, len(MOVERS)) if s % 5][:8])
                  for i, (badge, pin) in enumerate(MOVERS)]
        stop = threading.Event()
        threads = [threading.Thread(target=k.work, args=(stop,)) for k in kiosks]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while sum(len(k.accepted) for k in kiosks) < 150 and time.monotonic() < deadline:
            time.sleep(0.005)
        # SIGKILL in the middle of the burst, at a moment not tied to any one request.
        time.sleep(random.uniform(0, 0.05))
        server.kill()
        for t in threads:
            t.join(timeout=15)
        stop.set()
        accepted = sum(len(k.accepted) for k in kiosks)
        assert accepted >= 150, "the burst was too small to mean anything"
        assert sum(len(k.unanswered) for k in kiosks) >= 1, "no request was cut off by the kill"

        if db.sqlite_path(server.database_url):  # the file the power cut left
            integrity = sqlite3.connect(db.sqlite_path(server.database_url)).execute(
                "PRAGMA integrity_check").fetchone()[0]
            assert integrity == "ok"
        server.start()  # same records, same port: the restarted store
        with records(server.database_url):
            check_records_after_crash(kiosks)
        for kiosk in kiosks:
            resume_after_restart(kiosk, server)
    finally:
        server.stop()


def check_records_after_crash(kiosks: list[MovingKiosk]) -> None:
    run_ids = [k.run_id for k in kiosks]
    events = list(StepEvent.select().where(StepEvent.run.in_(run_ids)).order_by(StepEvent.id))
    taken = [e for e in events if e.accepted]
    # Every step the server answered "accepted" is on record, exactly once.
    on_record = Counter((e.run_id, e.step_id, e.rev - 1, e.value["value"]) for e in taken)
    for kiosk in kiosks:
        for step, rev, value in kiosk.accepted:
            assert on_record[(kiosk.run_id, step, rev, value)] == 1, (kiosk.run_id, step, rev)
    # At most the one request cut off per kiosk was taken without an answer.
    answered = sum(len(k.accepted) for k in kiosks)
    assert answered <= len(taken) <= answered + sum(len(k.unanswered) for k in kiosks)

    check_whole_steps(run_ids, taken)
    assert ledger.verify_chain() == []
    assert ledger.verify_quantities() == []

    # Each run stands exactly where its last accepted step left it.
    for kiosk in kiosks:
        run = Run.get_by_id(kiosk.run_id)
        mine = [e for e in events if e.run_id == kiosk.run_id]
        assert run.rev == len(mine)  # the revision moved once per recorded submission
        last = [e for e in mine if e.accepted][-1]
        if last.step_id == "package":
            assert run.current_step == "destination"
            assert run.data["tag"] == last.value["value"]
        else:
            assert run.current_step == "package" and "tag" not in run.data
        assert run.data.get("moved", 0) == sum(e.step_id == "destination" for e in mine
                                                if e.accepted)
        for tag in kiosk.tags:
            last_move = (Movement.select().join(Package).where(Package.tag == tag)
                         .order_by(Movement.id.desc()).first())
            assert Package.get(Package.tag == tag).location_id == last_move.to_location_id


def check_whole_steps(run_ids: list[int], taken: list[StepEvent]) -> None:
    """No half-steps: each accepted move has its one movement, its two outbox messages and
    its audit entry; nothing exists without its accepted step."""
    moves = Counter(m.step_event_id for m in Movement.select().where(
        Movement.run_id.in_(run_ids)))
    messages = Counter((o.step_event_id, o.target) for o in OutboxMessage.select().where(
        OutboxMessage.run_id.in_(run_ids)))
    audited = Counter(a.detail.get("event") for a in AuditEntry.select().where(
        AuditEntry.action == "step"))
    destination_ids = {e.id for e in taken if e.step_id == "destination"}
    assert set(moves) == destination_ids and set(moves.values()) == {1}
    assert set(messages) == {(i, t) for i in destination_ids for t in ("metrc", "pos")}
    assert set(messages.values()) == {1}
    assert all(audited[e.id] == 1 for e in taken)


def resume_after_restart(kiosk: MovingKiosk, server: LiveServer) -> None:
    """The screen reopens on the step the run stopped at and takes the next scan."""
    step, rev = kiosk.kiosk.current(kiosk.run_id)
    with records(server.database_url):
        run = Run.get_by_id(kiosk.run_id)
        assert (step, rev) == (run.current_step, run.rev)
        tag = run.data.get("tag") or kiosk.tags[0]
        here = Package.get(Package.tag == tag).location.code
    if step == "package":
        response, tone = kiosk.kiosk.submit(kiosk.run_id, step, tag, rev)
        assert tone == "ok", response.text[:400]
        step, rev = kiosk.kiosk.parse(response.text)
    target = SHELVES[0] if here != SHELVES[0] else SHELVES[1]
    response, tone = kiosk.kiosk.submit(kiosk.run_id, "destination", target, rev)
    assert tone == "ok", response.text[:400]
    assert "Moved" in response.text


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_empty_database):
    server = make_server(tmp_path_factory.mktemp("concurrency"), ["tab-1", "tap-1"],
                         module_empty_database)
    yield server
    server.stop()


def tap_once(barrier, answers, kiosk, run_id, value, rev):
    barrier.wait()
    answers.append(kiosk.submit(run_id, "package", value, rev))


def test_double_tap_records_one_step(server):
    kiosk = HttpKiosk(server.url, "tap-1")
    kiosk.login("1003", "3456")
    run_id = kiosk.start("move_package")
    for serial in (31, 32, 33, 34, 36, 37, 38, 39):
        step, rev = kiosk.current(run_id)
        assert step == "package"
        barrier, answers = threading.Barrier(2), []
        # Two threads, two connections: both requests are truly in flight together.
        taps = [threading.Thread(target=tap_once, args=(barrier, answers, kiosk, run_id,
                                                        demo_tag(serial), rev))
                for _ in range(2)]
        for t in taps:
            t.start()
        for t in taps:
            t.join()
        tones = sorted(tone for _, tone in answers)
        assert tones == ["error", "ok"], [r.text[:300] for r, _ in answers]
        stale = next(r for r, tone in answers if tone == "error")  # nothing saved: red
        assert "already recorded or the screen was out of date" in stale.text
        with records(server.database_url):
            events = list(StepEvent.select().where(StepEvent.run == run_id,
                                                   StepEvent.rev == rev + 1))
            assert [(e.step_id, e.accepted) for e in events] == [("package", True)]
        # Put the run back at its first step for the next pair.
        response, tone = kiosk.submit(run_id, "destination", "LOC-TOTE-2", rev + 1)
        assert tone == "ok", response.text[:300]


def test_stale_second_tab_is_refused_with_a_message(server):
    first = HttpKiosk(server.url, "tab-1")
    first.login("1006", "6789")
    run_id = first.start("move_package")
    second = HttpKiosk(server.url, "tab-1")
    second.http.cookies.update(first.http.cookies)  # the same browser, another tab
    _, rev_seen_by_second = second.current(run_id)

    response, tone = first.submit(run_id, "package", demo_tag(41), rev_seen_by_second)
    assert tone == "ok"
    response, tone = second.submit(run_id, "package", demo_tag(42), rev_seen_by_second)
    assert response.status_code == 200 and tone == "error"  # nothing saved: red
    assert "Nothing saved." in response.text
    assert ("That was already recorded or the screen was out of date; nothing new was saved. "
            "Here is the current step.") in response.text
    # The refusal shows the step the run is really at, so the next scan goes to the right place.
    assert second.parse(response.text) == ("destination", rev_seen_by_second + 1)
    with records(server.database_url):
        run = Run.get_by_id(run_id)
        assert run.data["tag"] == demo_tag(41)
        assert StepEvent.select().where(StepEvent.run == run_id).count() == 1

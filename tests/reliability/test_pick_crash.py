"""The pick queue against the real server (``kiosk serve``: waitress in several processes and
the step writer) over HTTP.

- Two runners tap Claim on the same request at the same instant: exactly one claim is
  recorded, one run is started, and the other runner is told who has it.
- SIGKILL in the middle of several runners claiming, picking and handing off: after the
  restart nothing accepted is lost and nothing is doubled (each package taken once, each
  hand-off moved and reported once), the ledger and audit chain verify, and every runner
  carries on from where its run stood and hands off.
"""

from __future__ import annotations

import json
import random
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from liveserver import HttpKiosk, LiveServer  # noqa: E402
from test_crash import make_server as make_crash_server  # noqa: E402
from test_crash import records  # noqa: E402

from kiosk import ledger, pick_queue  # noqa: E402
from kiosk.demo import demo_tag  # noqa: E402
from kiosk.models import Movement, OutboxMessage, Package, Run, StepEvent  # noqa: E402
from kiosk.models.picks import PickedPackage, PickEvent, PickRequest  # noqa: E402
from kiosk.sync import pos  # noqa: E402

SECRET = "reliability-pos-secret"
RUNNERS = (("1003", "3456"), ("1004", "4567"), ("1006", "6789"), ("1002", "2345"))
CHOICE = re.compile(r"Tag ends</th><td>…(\d{6})")
WAITING = re.compile(r'<li class="request[^"]*" data-request="(\d+)"')


def make_server(tmp_path, stations, database_url) -> LiveServer:
    return make_crash_server(tmp_path, stations, database_url, env={"KIOSK_POS_SECRET": SECRET})


def send_request(server: LiveServer, external_id: str, lines: list[tuple[str, int]]) -> None:
    raw = json.dumps({"id": external_id, "lines": [{"item": i, "quantity": q}
                                                   for i, q in lines]}).encode()
    answer = requests.post(f"{server.url}/api/pos/pick-requests", data=raw, timeout=10,
                           headers={"Content-Type": "application/json",
                                    pos.SIGNATURE_HEADER: pos.sign(SECRET, raw)})
    assert answer.json() == {"ok": True, "new": True}, answer.text


def stocked_items(server: LiveServer, at_least: int) -> list[str]:
    """Demo items with at least ``at_least`` packages on vault shelves."""
    with records(server.database_url):
        from kiosk import pick_stock

        return [item.name for item, _ in pick_queue.items_in_vault()
                if pick_stock.candidates(item.id).count() >= at_least]


def request_id(server: LiveServer, external_id: str) -> int:
    with records(server.database_url):
        return PickRequest.get(PickRequest.external_id == external_id).id


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_empty_database):
    server = make_server(tmp_path_factory.mktemp("claims"), ["race-1", "race-2"],
                         module_empty_database)
    yield server
    server.stop()


def test_two_runners_claim_the_same_request_at_the_same_instant_and_one_gets_it(server):
    first, second = HttpKiosk(server.url, "race-1"), HttpKiosk(server.url, "race-2")
    first.login(*RUNNERS[0])
    second.login(*RUNNERS[1])
    names = {first: "Carla Nguyen", second: "Dev Patel"}
    item = stocked_items(server, 1)[0]
    for round_number in range(8):
        external = f"RACE-{round_number}"
        send_request(server, external, [(item, 1)])
        rid = request_id(server, external)
        barrier, answers = threading.Barrier(2), {}
        taps = [threading.Thread(target=tap_claim, args=(barrier, answers, k, rid))
                for k in (first, second)]
        for t in taps:
            t.start()
        for t in taps:
            t.join()
        winners = [k for k, r in answers.items() if "HX-Redirect" in r.headers]
        assert len(winners) == 1, {names[k]: r.text[:200] for k, r in answers.items()}
        winner = winners[0]
        loser = second if winner is first else first
        assert f"{names[winner]} claimed Sale {external} at" in answers[loser].text
        with records(server.database_url):
            assert PickEvent.select().where(PickEvent.request == rid,
                                            PickEvent.kind == "claimed").count() == 1
            claimed = PickRequest.get_by_id(rid)
            assert claimed.status == "claimed"
            runs = [r for r in Run.select().where(Run.workflow == "pick")
                    if r.data.get("request") == rid]
            assert [r.id for r in runs] == [claimed.run_id]
        # The winner hands it back, so both are free for the next round.
        run_id = int(answers[winner].headers["HX-Redirect"].rsplit("/", 1)[1])
        winner.post(f"/runs/{run_id}/cancel", {"reason": "Started by mistake"})


def tap_claim(barrier, answers, kiosk, rid):
    barrier.wait()
    answers[kiosk] = kiosk.post(f"/picks/{rid}/claim", {})


class Runner:
    """A runner at a screen of its own: claims what is waiting, scans what the screen says to
    take, hands off at the floor; notes every answer the server gave."""

    def __init__(self, server: LiveServer, number: int, badge: str, pin: str):
        self.kiosk = HttpKiosk(server.url, f"picker-{number}")
        self.kiosk.login(badge, pin)
        self.run_id: int | None = None
        self.accepted: list[tuple[int, str, int, str]] = []  # (run, step, rev sent, value)
        self.unanswered: list[tuple[int, str, int, str]] = []
        self.handed_off: list[int] = []
        self.cut = False  # a request of this runner's was in flight when the server died

    def claim_something(self) -> bool:
        page = self.kiosk.http.get(f"{self.kiosk.base}/picks", timeout=10).text
        for rid in WAITING.findall(page.split('id="in-hand"')[0]):
            answer = self.kiosk.post(f"/picks/{rid}/claim", {})
            if "HX-Redirect" in answer.headers:
                self.run_id = int(answer.headers["HX-Redirect"].rsplit("/", 1)[1])
                return True
        return False

    def step(self, html: str) -> bool:
        """Send the next answer the screen asks for; False once the server is gone."""
        step, rev = self.kiosk.parse(html)
        if step == "take":
            found = CHOICE.search(html)
            value = demo_tag(int(found.group(1))) if found else "__finish__"
        elif step == "short":
            value = "stock"
        else:
            value = "LOC-FLOOR"
        try:
            answer, tone = self.kiosk.submit(self.run_id, step, value, rev)
        except requests.RequestException:
            self.unanswered.append((self.run_id, step, rev, value))
            self.cut = True
            return False
        if answer.status_code == 200 and tone == "ok":
            self.accepted.append((self.run_id, step, rev, value))
            if step == "handoff":
                self.handed_off.append(self.run_id)
                self.run_id = None
        self.html = answer.text
        return True

    def work(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if self.run_id is None:
                    if not self.claim_something():
                        return
                    self.html = self.kiosk.http.get(
                        f"{self.kiosk.base}/runs/{self.run_id}", timeout=10,
                        headers={"HX-Request": "true"}).text
                if not self.step(self.html):
                    return
        except requests.RequestException:
            self.cut = True  # the server died while it claimed or read a screen


def test_sigkill_mid_pick_loses_nothing_and_doubles_nothing(tmp_path, empty_database):
    server = make_server(tmp_path, [f"picker-{i}" for i in range(len(RUNNERS))], empty_database)
    try:
        items = stocked_items(server, 4)
        rng = random.Random(16)
        for n in range(14):
            send_request(server, f"KILL-{n}", [(name, 1) for name in rng.sample(items, 3)])
        runners = [Runner(server, i, badge, pin) for i, (badge, pin) in enumerate(RUNNERS)]
        stop = threading.Event()
        threads = [threading.Thread(target=r.work, args=(stop,)) for r in runners]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while (sum(len(r.accepted) for r in runners) < 30 or not any(
                r.handed_off for r in runners)) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0, 0.05))  # at a moment tied to no one request
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=15)
        assert sum(len(r.accepted) for r in runners) >= 30, "too little happened to mean much"
        assert any(r.handed_off for r in runners)
        assert any(r.cut for r in runners), "no request was cut off by the kill"
        server.start()
        with records(server.database_url):
            check_nothing_lost_or_doubled(runners)
        for runner in runners:
            finish_after_restart(runner)
        with records(server.database_url):
            check_nothing_lost_or_doubled(runners)
            for runner in runners:
                for run_id in runner.handed_off:
                    assert Run.get_by_id(run_id).status == "completed"
    finally:
        server.stop()


def check_nothing_lost_or_doubled(runners: list[Runner]) -> None:
    events = {e.id: e for e in StepEvent.select().join(Run).where(Run.workflow == "pick")}
    taken = [e for e in events.values() if e.accepted]
    on_record = Counter((e.run_id, e.step_id, e.rev - 1, e.value["value"]) for e in taken)
    for runner in runners:
        for answer in runner.accepted:
            assert on_record[answer] == 1, answer
    # Every package taken belongs to exactly one accepted take step, and the other way round.
    takes = {e.id for e in taken if e.step_id == "take" and e.value["value"] != "__finish__"}
    picked = Counter(p.step_event_id for p in PickedPackage.select())
    assert set(picked) == takes and set(picked.values()) <= {1}
    # No package is held for two requests at once.
    held = Counter(p.package_id for p in PickedPackage.select().join(PickRequest).where(
        PickedPackage.withdrawn_at.is_null(), PickRequest.status.in_(("claimed", "picked"))))
    assert set(held.values()) <= {1}
    # Each hand-off moved each of its packages once, with one message to Metrc and one to the
    # POS each; nothing moved or was reported without its accepted hand-off.
    handoffs = {e.id: e for e in taken if e.step_id == "handoff"}
    moves = list(Movement.select().where(Movement.kind == "pick"))
    assert {m.step_event_id for m in moves} == set(handoffs)
    assert len({m.package_id for m in moves}) == len(moves)
    messages = Counter((o.step_event_id, o.target, o.ordering_key)
                       for o in OutboxMessage.select().where(
                           OutboxMessage.step_event_id.in_(list(handoffs) or [0])))
    assert set(messages.values()) <= {1}
    assert set(messages) == {(m.step_event_id, t, Package.get_by_id(m.package_id).tag)
                             for m in moves for t in ("metrc", "pos")}
    for request in PickRequest.select().where(PickRequest.status == "handed_off"):
        assert request.requested_at <= request.claimed_at <= request.picked_at \
            <= request.handed_off_at
    # One claim, one active run per request in hand.
    for request in PickRequest.select().where(PickRequest.status.in_(("claimed", "picked"))):
        assert Run.get_by_id(request.run_id).status == "active"
    assert ledger.verify_chain() == []
    assert ledger.verify_quantities() == []


def finish_after_restart(runner: Runner) -> None:
    """The screen reopens the run where it stands, and the runner hands off."""
    if runner.run_id is None:
        return
    html = runner.kiosk.http.get(f"{runner.kiosk.base}/runs/{runner.run_id}", timeout=10,
                                 headers={"HX-Request": "true"}).text
    for _ in range(12):
        step, _ = runner.kiosk.parse(html)
        if not step:  # the hand-off went in just before the kill, unanswered
            assert "Pick is completed" in html, html[:500]
            runner.handed_off.append(runner.run_id)
            runner.run_id = None
            return
        run_id = runner.run_id
        assert runner.step(html)
        html = runner.html
        if runner.run_id is None:
            assert run_id in runner.handed_off
            return
    raise AssertionError(f"run {runner.run_id} did not reach its hand-off: {html[:500]}")

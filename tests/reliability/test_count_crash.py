"""SIGKILL of the server in the middle of a blind count: after a restart the count carries on
from where its last accepted step left it, every step the server answered is on record
exactly once, no package is counted twice or lost, and the finished area agrees with the
shelf (nothing to recount)."""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import HttpKiosk, LiveServer, build_demo_database  # noqa: E402

from kiosk import clock, counts, db, demo, ledger  # noqa: E402
from kiosk.models import (  # noqa: E402
    Count,
    CountLine,
    Item,
    Location,
    Package,
    Run,
    StepEvent,
    Variance,
)

PACKAGES = 80
TAG = "1A4070200{:015d}"


def records(url):
    db.init(url)
    return db.connection()


def stock_a_shelf(url) -> tuple[int, dict[str, tuple[str, str]]]:
    """A shelf of PACKAGES packages (no POS or Metrc figure: only the ledger to agree with),
    and a count of it due today. Returns the count and {tag: (barcode, quantity)}."""
    shelf = {}
    with records(url), db.write():
        place = Location.create(code="LOC-V-C1", name="Vault shelf C1", kind="vault")
        for n in range(1, PACKAGES + 1):
            index = 1 + n % 11  # products sold by the unit
            item = Item.get(Item.gtin == demo.demo_upc(index).zfill(14))
            package = Package.create(tag=TAG.format(n), item=item, unit="Each",
                                     created_at=clock.now())
            quantity = 10 + n % 17
            ledger.receive(package, quantity, to_location=place)
            shelf[package.tag] = (demo.demo_upc(index), str(quantity))
        made = counts.schedule("location", location=place, due_on=clock.store_date(), by=None)
    return made.id, shelf


class CountingKiosk:
    """Erin counting the shelf over HTTP, noting every answer the server gave."""

    def __init__(self, server: LiveServer, count_id: int, shelf: dict):
        self.kiosk = HttpKiosk(server.url, "vault-1")
        self.kiosk.login("1005", "5678")
        response = self.kiosk.post(f"/counts/{count_id}/start", {})
        self.run_id = int(response.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[1])
        self.shelf = shelf
        self.accepted: list[tuple[str, int, str]] = []
        self.unanswered: list[tuple[str, int, str]] = []

    def answer(self, step: str, rev: int, value: str) -> tuple[str, int]:
        """Barcodes and tags come from the scanner; counts and buttons are tapped."""
        if step in ("product", "tag") and value != "__finish__":
            response, tone = self.kiosk.submit(self.run_id, step, value, rev)
        else:
            response = self.kiosk.post(f"/runs/{self.run_id}/steps/{step}",
                                       {"value": value, "rev": str(rev), "source": "tapped"})
            tone = json.loads(response.headers.get("HX-Trigger", "{}")).get(
                "kiosk:feedback", {}).get("tone", "")
        assert response.status_code == 200 and tone == "ok", (step, response.text[:300])
        self.accepted.append((step, rev, value))
        self.last = response.text
        return self.kiosk.parse(response.text)

    def count(self, tags: list[str], stop: threading.Event | None = None) -> None:
        """Count ``tags`` from whatever step the run stands at."""
        step, rev = self.kiosk.current(self.run_id)
        for tag in tags:
            barcode, quantity = self.shelf[tag]
            for want, value in (("product", barcode), ("tag", tag), ("units", quantity)):
                if stop is not None and stop.is_set():
                    return
                if want == "product" and step in ("tag", "units"):
                    continue  # the run already holds a product: carry on from its step
                if want == "tag" and step == "units":
                    continue
                try:
                    step, rev = self.answer(step, rev, value)
                except requests.RequestException:
                    self.unanswered.append((step, rev, value))  # the server died mid-request
                    return


def test_sigkill_mid_count_loses_nothing_and_counts_nothing_twice(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    count_id, shelf = stock_a_shelf(url)
    server = LiveServer(url, tmp_path).start()
    try:
        counter = CountingKiosk(server, count_id, shelf)
        tags = sorted(shelf)
        worker = threading.Thread(target=counter.count, args=(tags,))
        worker.start()
        deadline = time.monotonic() + 60
        while len(counter.accepted) < 3 * 40 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(random.uniform(0, 0.03))  # a moment not tied to any one request
        server.kill()
        worker.join(timeout=30)
        assert len(counter.accepted) >= 120, "too little was counted to mean anything"
        assert counter.unanswered, "no request was cut off by the kill"
        if db.sqlite_path(url):  # the file the power cut left
            integrity = sqlite3.connect(db.sqlite_path(url)).execute(
                "PRAGMA integrity_check").fetchone()[0]
            assert integrity == "ok"

        server.start()
        with records(url):
            counted_before = check_after_crash(counter, count_id)
        # Resume: the screen reopens where the run stands, and the rest of the shelf is counted.
        left = [t for t in tags if t not in counted_before]
        counter.count(left)
        step, rev = counter.kiosk.current(counter.run_id)
        step, rev = counter.answer(step, rev, "__finish__")
        counter.answer("area_end", rev, "finish")
        assert "Area finished with nothing to recount" in counter.last
        with records(url):
            lines = list(CountLine.select().where(CountLine.count == count_id))
            assert len(lines) == PACKAGES and all(ln.expected for ln in lines)
            assert {ln.tag: ln.counted for ln in lines} == {
                t: Decimal(q) for t, (_, q) in shelf.items()}
            assert not Variance.select().where(Variance.count == count_id).exists()
            run = Run.get_by_id(counter.run_id)
            assert run.data["scanned"] == PACKAGES and run.data["extra"] == 0
            assert ledger.verify_chain() == [] and ledger.verify_quantities() == []
    finally:
        server.stop()


def check_after_crash(counter: CountingKiosk, count_id: int) -> set[str]:
    """What the restarted store holds is exactly what was accepted (plus at most the one
    request cut off); returns the tags counted before the crash."""
    events = list(StepEvent.select().where(StepEvent.run == counter.run_id)
                  .order_by(StepEvent.id))
    taken = [e for e in events if e.accepted]
    on_record = Counter((e.step_id, e.rev - 1, e.value["value"]) for e in taken)
    for answered in counter.accepted:
        assert on_record[answered] == 1, answered
    assert len(counter.accepted) <= len(taken) - 1 <= len(counter.accepted) + 1  # +1: "which"
    lines = {ln.tag: ln for ln in CountLine.select().where(CountLine.count == count_id)}
    counted = {t for t, ln in lines.items() if ln.counted is not None}
    # Each "units" step on record counted exactly one line, and no line is counted without one.
    units = [e for e in taken if e.step_id == "units"]
    assert len(units) == len(counted)
    run = Run.get_by_id(counter.run_id)
    assert run.rev == len(events)  # one per submission, the tile's "which" included
    assert run.data["scanned"] == len(counted)
    assert Count.get_by_id(count_id).status == "counting"
    last = taken[-1]
    expected_step = {"which": "product", "product": "tag", "tag": "units", "units": "product"}
    assert run.current_step == expected_step[last.step_id]
    if run.current_step == "units":
        assert run.data["tag"] == last.value["value"]
    return counted

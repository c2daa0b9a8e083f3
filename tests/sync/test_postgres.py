"""Several sync workers on one PostgreSQL database never send the same message twice."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest

from kiosk import db
from kiosk.models import OutboxMessage
from kiosk.sync import outbox
from kiosk.sync.delivery import deliver_metrc
from kiosk.sync.worker import Worker

PACKAGES = [f"1A4060300000000099{n:06d}" for n in range(30)]


@pytest.fixture
def pg(postgres_url, sync_settings):
    """The sync settings, bound to a fresh real PostgreSQL database instead of SQLite."""
    db.database.close()
    db.init(postgres_url)
    db.upgrade()
    db.database.connect(reuse_if_open=True)
    yield {**sync_settings, "database": postgres_url}
    db.database.close_all() if hasattr(db.database, "close_all") else db.database.close()


@pytest.mark.postgres
def test_concurrent_workers_claim_disjoint_messages_and_keep_order(pg, sandbox, message, reload):
    sandbox.world.adopt([], [{"tag": t, "quantity": 1000, "unit": "Each",
                              "location": "Vault A1"} for t in PACKAGES])
    msgs = [message("package.adjust", {"tag": t, "quantity": -step, "unit": "Each",
                                       "reason": "Drying"})
            for step in range(1, 9) for t in PACKAGES]
    claimed = defaultdict(list)
    errors = []

    def work(worker: Worker):
        try:
            with db.connection():
                idle_since = None
                while True:
                    batch = outbox.claim(("metrc",), worker.id, limit=12)
                    claimed[worker.id] += [m.id for m in batch]
                    if batch:
                        idle_since = None
                        deliver_metrc(worker.metrc, batch)
                        continue
                    left = OutboxMessage.select().where(
                        OutboxMessage.status != "delivered").count()
                    if not left:
                        return
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > 20:
                        raise AssertionError(f"{left} messages never became claimable")
                    time.sleep(0.005)
        except Exception as exc:  # surfaced to the test below
            errors.append(exc)

    workers = [Worker(pg) for _ in range(4)]
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    ids = [i for batch in claimed.values() for i in batch]
    assert len(ids) == len(set(ids)) == len(msgs), "every message claimed exactly once"
    assert sum(1 for batch in claimed.values() if batch) >= 2, "the work was shared"
    assert {reload(m).status for m in msgs} == {"delivered"}
    assert len(sandbox.world.adjustments) == len(msgs)
    for t in PACKAGES:
        assert [a["AdjustmentQuantity"] for a in sandbox.world.adjustments
                if a["PackageLabel"] == t] == [-float(s) for s in range(1, 9)]


@pytest.mark.postgres
def test_a_claim_skips_rows_another_worker_holds(pg, sandbox, message):
    first = message("package.note", {"tag": PACKAGES[0], "note": "a"})
    second = message("package.note", {"tag": PACKAGES[1], "note": "b"})
    held, release, got = threading.Event(), threading.Event(), {}

    def hold():
        with db.connection():
            with db.database.atomic():
                rows = list(OutboxMessage.select().where(OutboxMessage.id == first.id)
                            .for_update())
                assert rows
                held.set()
                release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(10)
    start = time.monotonic()
    with db.connection():
        got["ids"] = [m.id for m in outbox.claim(("metrc",), "other", limit=10)]
    waited = time.monotonic() - start
    release.set()
    holder.join()
    assert got["ids"] == [second.id], "the locked row is skipped, not waited for"
    assert waited < 2


@pytest.mark.postgres
def test_a_dead_workers_claims_are_taken_over_at_once_on_postgresql(pg, sandbox, message, reload,
                                                                   fixed_clock):
    import subprocess
    import sys

    from kiosk import clock
    from kiosk.models.sync import SyncWorker

    sandbox.world.adopt([], [{"tag": PACKAGES[0], "quantity": 10, "unit": "Each",
                              "location": "Vault A1"}])
    m = message("package.adjust", {"tag": PACKAGES[0], "quantity": -1, "unit": "Each",
                                   "reason": "Drying"})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = Worker(pg)
    with db.connection():
        outbox.claim(("metrc",), dead.id, now=clock.now(), heartbeat=dead.heartbeat)
        # That worker's process has ended (it claimed, then died before sending).
        SyncWorker.update(pid=int(gone.stdout)).where(SyncWorker.worker_id == dead.id).execute()
        survivor = Worker(pg)
        survivor.drain()
        assert reload(m).status == "pending" and reload(m).last_error == outbox.TAKEN_OVER
        assert SyncWorker.select().where(SyncWorker.worker_id == dead.id).count() == 0
        fixed_clock.advance(seconds=pg["metrc_timeout"])
        survivor.drain()
    assert reload(m).status == "delivered"
    assert sandbox.requests[:2] == [("GET", "/packages/v2/adjustments"),
                                    ("POST", "/packages/v2/adjust")], "looked up, then sent"
    assert len(sandbox.world.adjustments) == 1

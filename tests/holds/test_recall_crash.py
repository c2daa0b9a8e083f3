"""SIGKILL in the middle of a recall's hold (the real server, waitress in a child process):
after a restart the recall is either wholly there or not at all, and confirming it again
from the screen it reopens on holds every package exactly once."""

from __future__ import annotations

import sqlite3
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "e2e"), str(ROOT / "receiving")]
from kiosk_http import KioskHTTP  # noqa: E402
from liveserver import LiveServer, build_demo_database  # noqa: E402

from kiosk import clock, db, ledger  # noqa: E402
from kiosk.models import (  # noqa: E402
    Item,
    Location,
    OutboxMessage,
    Package,
    PackageHold,
    PrintJob,
    Recall,
    RecallPackage,
    Run,
)

BATCH, SIZE = "RC-CRASH", 3000  # big enough that the kill lands inside its transaction
TAG = "1A4090300{:015d}"


def grow(url: str) -> None:
    db.init(url)
    with db.connection(), db.write():
        shelves = list(Location.select().where(Location.kind == "vault"))
        floor = Location.get(Location.kind == "sales_floor")
        item = Item.select().first()
        now = clock.now()
        for n in range(SIZE):
            package = Package.create(tag=TAG.format(n), item=item, batch=BATCH, unit="Each",
                                     created_at=now, received_at=now)
            ledger.receive(package, Decimal(4), to_location=floor if n % 7 == 0
                           else shelves[n % len(shelves)])


def manager_at_the_confirm(server: LiveServer) -> tuple[KioskHTTP, int]:
    screen = KioskHTTP(server.url)
    screen.get("/?station=vault-1")
    screen.login("1006", "6789")
    run_id = screen.start("recall")
    screen.show(run_id)
    screen.step(run_id, "kind", value="batch")
    screen.step(run_id, "value", value=BATCH, source="typed")
    screen.step(run_id, "notice", value="State notice 44: failed retest", source="typed")
    assert screen.step_id == "hold"
    return screen, run_id


def wal_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_sigkill_mid_recall_then_resume_holds_each_package_once(tmp_path):
    path = tmp_path / "kiosk.db"
    url = build_demo_database(path)
    grow(url)
    server = LiveServer(url, tmp_path).start()
    try:
        screen, run_id = manager_at_the_confirm(server)
        before = wal_size(path)
        screen.send_only(f"/runs/{run_id}/steps/hold", {"value": "hold", "rev": screen.rev})
        # Kill as soon as the recall's transaction is writing (its pages spill into the WAL).
        deadline = time.monotonic() + 60
        while wal_size(path) == before and time.monotonic() < deadline:
            time.sleep(0.001)
        server.kill()
        screen.close()
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"

        db.init(url)
        with db.connection():
            holds_now = PackageHold.select().count()
            # All or nothing: a recall is one step, one transaction.
            assert holds_now in (0, SIZE)
            interrupted = holds_now == 0
            if interrupted:
                assert not Recall.select().exists()
                assert not PrintJob.select().where(PrintJob.layout == "quarantine_label").exists()
                assert Package.select().where(Package.batch == BATCH,
                                              Package.status == "quarantined").count() == 0

        server.start()
        screen = KioskHTTP(server.url)
        screen.get("/?station=vault-1")
        screen.login("1006", "6789")
        screen.show(run_id)
        if interrupted:  # the screen reopens on the confirm; confirming again holds them all
            assert screen.step_id == "hold"
            feedback, _ = screen.step(run_id, "hold", value="hold")
            assert feedback["tone"] == "ok" and f"{SIZE} package(s) put on hold" in \
                feedback["message"], feedback
        screen.close()

        with db.connection():
            assert Recall.select().count() == 1
            assert PackageHold.select().count() == SIZE
            assert RecallPackage.select().count() == SIZE
            assert Package.select().where(Package.batch == BATCH,
                                          Package.status == "quarantined").count() == SIZE
            job = PrintJob.get(PrintJob.layout == "quarantine_label")
            assert len({label["tag"] for label in job.data["labels"]}) == SIZE
            notes = OutboxMessage.select().where(OutboxMessage.kind == "package.note")
            assert notes.count() == SIZE
            assert Run.get_by_id(run_id).status == "completed"
            assert ledger.verify_chain() == [] and ledger.verify_quantities() == []
    finally:
        server.stop()

"""Backup and restore, drilled while screens scan, on SQLite and on PostgreSQL.

Kiosks move packages over HTTP against ``kiosk serve`` while a backup is taken. Restored into
a fresh place, the backup holds every step the server had answered as accepted before the
backup began, exactly once, and no step half-written (each taken move has its movement, its
two outbox messages and its audit entry; each run's revision counts its events; ``kiosk
verify`` passes). SQLite: ``kiosk backup`` and ``kiosk restore``, which refuses while the
server runs and keeps the database it replaces. PostgreSQL: ``pg_dump`` and ``pg_restore``,
the commands the README gives.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2
from test_crash import MOVERS, MovingKiosk, check_whole_steps, records

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import LiveServer, build_demo_database  # noqa: E402

from kiosk import db, demo  # noqa: E402
from kiosk.demo import demo_tag  # noqa: E402
from kiosk.models import Run, Station, StepEvent  # noqa: E402

KIOSKS = 4


def kiosk(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "--database", url, *args],
                          capture_output=True, text=True, timeout=120)


def serve_demo(tmp_path: Path) -> LiveServer:
    """The demo store with a screen per kiosk, served; set up by the kiosk's own commands,
    so this process holds no connection to the database a restore will replace."""
    url = build_demo_database(tmp_path / "kiosk.db")
    for i in range(KIOSKS):
        assert kiosk(url, "stations", "add", "--name", f"kiosk-{i}", "--kind", "vault"
                     ).returncode == 0
    return LiveServer(url, tmp_path).start()


def scanning(server: LiveServer) -> tuple[list[MovingKiosk], threading.Event, list]:
    kiosks = [MovingKiosk(server, i, badge, pin,
                          [demo_tag(s) for s in range(1 + i, 241, KIOSKS) if s % 5][:8])
              for i, (badge, pin) in enumerate(MOVERS[:KIOSKS])]
    stop = threading.Event()
    threads = [threading.Thread(target=k.work, args=(stop,)) for k in kiosks]
    for t in threads:
        t.start()
    return kiosks, stop, threads


def accepted(kiosks: list[MovingKiosk], at_least: int = 0, seconds: float = 60) -> dict:
    """Each kiosk's steps the server has answered as accepted so far (once there are at
    least ``at_least`` in all)."""
    deadline = time.monotonic() + seconds
    while sum(len(k.accepted) for k in kiosks) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    return {k.run_id: list(k.accepted) for k in kiosks}


def stop_scanning(stop: threading.Event, threads: list) -> None:
    stop.set()
    for t in threads:
        t.join(timeout=30)


def check_restored(url: str, committed: dict, kiosks: list[MovingKiosk]) -> None:
    """Every step committed before the backup began is there once; none is half-written."""
    checked = kiosk(url, "verify")
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout
    run_ids = [k.run_id for k in kiosks]
    with records(url):
        events = list(StepEvent.select().where(StepEvent.run.in_(run_ids)))
        taken = [e for e in events if e.accepted]
        on_record = Counter((e.run_id, e.step_id, e.rev - 1, e.value["value"]) for e in taken)
        for run_id, steps in committed.items():
            for step, rev, value in steps:
                assert on_record[(run_id, step, rev, value)] == 1, (run_id, step, rev)
        assert len(taken) >= sum(len(steps) for steps in committed.values())
        check_whole_steps(run_ids, taken)  # nothing half-written
        for run_id in run_ids:
            assert Run.get_by_id(run_id).rev == sum(e.run_id == run_id for e in events)
    db.database.close_all()


def step_events(url: str) -> int:
    with records(url):
        count = StepEvent.select().count()
    db.database.close_all()
    return count


def test_a_backup_taken_while_screens_scan_restores_every_committed_step(tmp_path):
    server = serve_demo(tmp_path)
    live = tmp_path / "kiosk.db"
    backup = tmp_path / "backups" / "during-load.db"
    backup.parent.mkdir()
    try:
        kiosks, stop, threads = scanning(server)
        committed = accepted(kiosks, at_least=40)
        made = kiosk(server.database_url, "backup", str(backup))
        assert made.returncode == 0 and "integrity ok" in made.stdout, made.stderr
        # The screens kept scanning while the backup was taken.
        later = accepted(kiosks, at_least=sum(map(len, committed.values())) + 20)
        assert sum(map(len, later.values())) > sum(map(len, committed.values()))

        refused = kiosk(server.database_url, "restore", str(backup))
        assert refused.returncode == 1
        assert "The kiosk is running on" in refused.stderr
        assert "systemctl stop kiosk-app kiosk-sync" in refused.stderr
        assert not list(tmp_path.glob("kiosk.db.replaced-*"))
        stop_scanning(stop, threads)
    finally:
        server.stop()
    assert sum(len(k.unanswered) for k in kiosks) == 0

    fresh = f"sqlite:///{tmp_path / 'fresh' / 'kiosk.db'}"
    refused = kiosk(fresh, "restore", str(backup))
    # The backup holds no key (whoever had a backup could sign with it): in another place
    # the store's key, kept apart, is put back first.
    assert refused.returncode == 1 and "The audit key" in refused.stderr, refused.stderr
    (tmp_path / "fresh" / "audit.key").write_bytes((tmp_path / "audit.key").read_bytes())
    restored = kiosk(fresh, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "is whole, and its audit chain and stock ledger verify" in restored.stdout
    assert "kept as" not in restored.stdout  # there was nothing to replace
    check_restored(fresh, committed, kiosks)

    # In place, once the server is stopped: the database it replaces is kept, with the
    # steps that came after the backup.
    after_backup = step_events(server.database_url)
    restored = kiosk(server.database_url, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    [aside] = tmp_path.glob("kiosk.db.replaced-*")
    assert f"kept as {aside}" in restored.stdout
    assert step_events(f"sqlite:///{aside}") == after_backup
    assert step_events(server.database_url) < after_backup
    check_restored(f"sqlite:///{live}", committed, kiosks)


def test_restore_refuses_a_damaged_backup_and_replaces_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    assert kiosk(url, "db", "upgrade").returncode == 0
    good = tmp_path / "good.db"
    assert kiosk(url, "backup", str(good)).returncode == 0
    torn = tmp_path / "torn.db"
    torn.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    before = (tmp_path / "kiosk.db").read_bytes()
    refused = kiosk(url, "restore", str(torn))
    assert refused.returncode == 1
    assert "is damaged" in refused.stderr and "nothing was replaced" in refused.stderr
    assert (tmp_path / "kiosk.db").read_bytes() == before
    assert not list(tmp_path.glob("kiosk.db.replaced-*"))
    assert not list(tmp_path.glob("*.restoring*"))


def pg_tool(name: str) -> str:
    """The PostgreSQL client program of the same version as the server the tests start."""
    return str(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] / name)


def test_the_same_drill_on_postgresql_with_pg_dump_and_pg_restore(tmp_path, postgres_server,
                                                                 postgres_url):
    db.init(postgres_url)
    db.upgrade()
    with db.connection():
        demo.build()
        with db.write():
            for i in range(KIOSKS):
                Station.create(name=f"kiosk-{i}", kind="vault")
    db.database.close_all()
    server = LiveServer(postgres_url, tmp_path, env={"KIOSK_WORKERS": "2"}).start()
    dump = tmp_path / "kiosk.dump"
    try:
        kiosks, stop, threads = scanning(server)
        committed = accepted(kiosks, at_least=40)
        subprocess.run([pg_tool("pg_dump"), "--format=custom", f"--file={dump}",
                        postgres_url], check=True, capture_output=True, timeout=120)
        later = accepted(kiosks, at_least=sum(map(len, committed.values())) + 20)
        assert sum(map(len, later.values())) > sum(map(len, committed.values()))
        stop_scanning(stop, threads)
    finally:
        server.stop()

    host = psycopg2.extensions.parse_dsn(postgres_server + "/postgres")
    fresh = f"{postgres_server}/kiosk_restored_{os.getpid()}"
    subprocess.run([pg_tool("createdb"), "-h", host["host"], "-p", host["port"], "-U",
                    host["user"], fresh.rsplit("/", 1)[1]], check=True, capture_output=True)
    subprocess.run([pg_tool("pg_restore"), "--no-owner", f"--dbname={fresh}", str(dump)],
                   check=True, capture_output=True, timeout=120)
    check_restored(fresh, committed, kiosks)


def test_restore_refuses_while_another_program_has_the_database_open(tmp_path):
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    assert kiosk(url, "db", "upgrade").returncode == 0
    good = tmp_path / "good.db"
    assert kiosk(url, "backup", str(good)).returncode == 0
    shell = sqlite3.connect(tmp_path / "kiosk.db")  # as the sqlite3 shell would, left open
    try:
        shell.execute("SELECT count(*) FROM employee").fetchall()
        refused = kiosk(url, "restore", str(good))
        assert refused.returncode == 1
        assert "Another program has" in refused.stderr and "Nothing was replaced" in refused.stderr
        assert not list(tmp_path.glob("kiosk.db.replaced-*"))
    finally:
        shell.close()
    restored = kiosk(url, "restore", str(good))
    assert restored.returncode == 0, restored.stderr
    assert len(list(tmp_path.glob("kiosk.db.replaced-*"))) == 1

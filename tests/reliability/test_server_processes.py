"""The server in several processes, and the database's writers across processes.

- ``kiosk serve`` runs one waitress process per worker, all answering on one port; if the
  supervisor is killed the workers die with it (the port is free again for the restart), and if a
  worker dies the supervisor stops the rest and exits non-zero for systemd to restart.
- Writers in different processes queue on one lock and the next starts the moment the one
  before commits, instead of polling SQLite every 100 ms.
- Screens' connections are shared evenly between the workers, so no process runs out of its
  one core while the other idles.
- The write-ahead log is copied back into the database in the background, not inside a
  step's commit.
The processes' tests run on SQLite and on PostgreSQL; the writers' lock and the write-ahead
log are SQLite's own (PostgreSQL's server processes write side by side with row locks), so
their tests make a SQLite file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from liveserver import (  # noqa: E402
    LiveServer,
    build_demo_database,
    child_pids,
    worker_pids,
)

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def port_free(port: int) -> bool:
    try:
        with socket.create_server(("127.0.0.1", port)):
            return True
    except OSError:
        return False


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_workers_share_the_port_and_die_with_the_supervisor(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    server = LiveServer(url, tmp_path, env={"KIOSK_WORKERS": "2"}).start()
    try:
        workers = worker_pids(server.proc.pid)
        assert len(workers) == 2
        children = child_pids(server.proc.pid)  # the workers and the queue's change stream
        assert len(children) == 3
        answers = [requests.get(server.url + "/healthz", timeout=5).status_code
                   for _ in range(20)]
        assert answers == [200] * 20
        server.kill()  # SIGKILL: no handler runs in the supervisor
        assert wait_until(lambda: not any(alive(c) for c in children)), "orphaned processes"
        assert wait_until(lambda: port_free(server.port), 5), "the port is still held"
    finally:
        server.stop()


def connections_held(pid: int, port: int) -> int:
    """Open TCP connections on ``port`` that process ``pid`` holds, from /proc."""
    ours = set()
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == "01":  # ESTABLISHED
            ours.add(fields[9])  # the socket's inode
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        held += target.startswith("socket:[") and target[8:-1] in ours
    return held


def test_screens_connections_are_shared_evenly_between_workers(tmp_path, empty_database):
    """A browser keeps its connection open, so a screen stays with the process that took it.
    Ten screens must not pile onto one process while the other has two."""
    url = build_demo_database(empty_database)
    server = LiveServer(url, tmp_path, env={"KIOSK_WORKERS": "2"}).start()
    screens = []
    try:
        workers = worker_pids(server.proc.pid)
        for _ in range(10):  # screens come up one after another, each asking for a page
            screen = requests.Session()
            assert screen.get(server.url + "/healthz", timeout=5).status_code == 200
            screens.append(screen)
        assert wait_until(lambda: sorted(connections_held(w, server.port)
                                         for w in workers) == [5, 5], 3), \
            [connections_held(w, server.port) for w in workers]
        for screen in screens[:6]:  # six screens go dark; the next four that come up
            screen.close()
        assert wait_until(lambda: sum(connections_held(w, server.port) for w in workers) == 4)
        for _ in range(4):
            screen = requests.Session()
            assert screen.get(server.url + "/healthz", timeout=5).status_code == 200
            screens.append(screen)
        held = sorted(connections_held(w, server.port) for w in workers)
        assert held == [4, 4], f"connections per worker: {held}"
    finally:
        for screen in screens:
            screen.close()
        server.stop()


def test_a_dead_worker_stops_the_service_for_a_clean_restart(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    server = LiveServer(url, tmp_path, env={"KIOSK_WORKERS": "2"}).start()
    try:
        first, second = worker_pids(server.proc.pid)
        os.kill(first, signal.SIGKILL)
        assert server.proc.wait(timeout=15) != 0
        assert wait_until(lambda: not alive(second))
        assert "stopping the others" in server.log()
    finally:
        server.stop()


HOLDER = textwrap.dedent("""
    import sys, time
    from kiosk import db, ledger
    db.init(sys.argv[1])
    with db.connection():
        for line in sys.stdin:  # "hold": take the write lock until "release"
            with db.write():
                ledger.audit("test.hold", "holder")
                print("holding", flush=True)
                sys.stdin.readline()
            print(f"released {time.time():.6f}", flush=True)
""")

WAITER = textwrap.dedent("""
    import sys, time
    from kiosk import db, ledger
    db.init(sys.argv[1])
    with db.connection():
        print("ready", flush=True)
        for line in sys.stdin:  # "go": write once
            with db.write():
                started = time.time()
                ledger.audit("test.wait", "waiter")
            print(f"started {started:.6f}", flush=True)
""")


def test_a_writer_in_another_process_starts_the_moment_the_lock_is_released(tmp_path):
    url = build_demo_database(tmp_path / "kiosk.db")
    holder, waiter = (subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, text=True,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                      for code in (HOLDER, WAITER))
    assert waiter.stdout.readline().strip() == "ready"

    def say(process, line):
        process.stdin.write(line + "\n")
        process.stdin.flush()

    gaps = []
    for _ in range(3):
        say(holder, "hold")
        assert holder.stdout.readline().strip() == "holding"
        say(waiter, "go")
        time.sleep(0.6)  # the waiter has been waiting long enough for SQLite to back off
        say(holder, "release")
        released = float(holder.stdout.readline().split()[1])
        started = float(waiter.stdout.readline().split()[1])
        gaps.append(started - released)
    for process in (holder, waiter):
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    # SQLite's own busy handler retries every 100 ms by then; the queue hands over at once.
    # (The holder notes its release just after unlocking, so the waiter may note first.)
    assert all(-0.005 < gap < 0.02 for gap in gaps), f"waits after release: {gaps}"

    from kiosk import db, ledger

    db.init(url)
    with db.connection():
        assert ledger.verify_chain() == []


def test_the_log_is_checkpointed_in_the_background(tmp_path):
    from kiosk import db
    from kiosk.models import Station

    url = build_demo_database(tmp_path / "kiosk.db")
    path = tmp_path / "kiosk.db"
    db.init(url)
    with db.connection():
        with db.write():
            pass  # starts this process's checkpoint thread
        # A commit never copies the log back itself...
        assert db.database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        time.sleep(db.CHECKPOINT_SECONDS * 2)  # (the demo's own writes are copied back)
        before = path.read_bytes()
        with db.write():
            for n in range(50):
                Station.create(name=f"screen-{n}", kind="vault")
        # ...the background thread does, shortly after.
        assert wait_until(lambda: path.read_bytes() != before, db.CHECKPOINT_SECONDS * 8)
        assert Station.select().where(Station.name == "screen-49").exists()


def test_the_log_starts_again_while_screens_keep_reading_and_writing(tmp_path, monkeypatch):
    import threading

    from kiosk import db, ledger

    monkeypatch.setattr(db, "RESTART_FRAMES", 64)
    monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 0.05)
    url = build_demo_database(tmp_path / "kiosk.db")
    wal = tmp_path / "kiosk.db-wal"
    db.init(url)
    done = threading.Event()

    def reader():  # another screen, always somewhere inside the log
        with db.connection():
            while not done.is_set():
                db.database.execute_sql("SELECT COUNT(*) FROM audit_entry").fetchone()

    readers = [threading.Thread(target=reader) for _ in range(2)]
    [t.start() for t in readers]
    try:
        with db.connection():
            for n in range(1500):
                with db.write():
                    ledger.audit("test.write", f"n:{n}", {"padding": "x" * 600})
    finally:
        done.set()
        [t.join() for t in readers]
    # Without a restart the log keeps every page written: 16 to 22 MB here. With it, about
    # 1 MB on a quiet machine; the file keeps its largest size, so one restart that had to
    # wait on a busy machine leaves it at 3 or 4 MB. Half the smallest unrestarted log is
    # the line.
    assert wal.stat().st_size < 8_000_000, f"the log grew to {wal.stat().st_size} bytes"
    with db.connection():
        assert ledger.verify_chain() == []


def test_one_worker_serves_in_the_process_itself(tmp_path, empty_database):
    url = build_demo_database(empty_database)
    server = LiveServer(url, tmp_path, env={"KIOSK_WORKERS": "1"}).start()
    try:
        assert child_pids(server.proc.pid) == []
        assert requests.get(server.url + "/", timeout=5).status_code == 200
        assert "1 process)" in server.log()
    finally:
        server.stop()


def test_the_checkpoint_thread_outlives_a_writer_that_holds_the_lock_too_long(tmp_path,
                                                                             monkeypatch):
    from kiosk import db, ledger

    monkeypatch.setattr(db, "RESTART_FRAMES", 16)
    monkeypatch.setattr(db, "CHECKPOINT_SECONDS", 0.05)
    monkeypatch.setattr(db, "WRITE_WAIT_SECONDS", 0.2)
    url = build_demo_database(tmp_path / "kiosk.db")
    wal = tmp_path / "kiosk.db-wal"
    db.init(url)

    def salt() -> bytes:
        """The log header's salt: SQLite changes it each time the log starts again."""
        with open(wal, "rb") as log:
            return log.read(32)[16:24]

    def write(text):
        with db.write():
            ledger.audit("test.write", text, {"padding": "x" * 600})

    with db.connection():
        for n in range(100):  # past RESTART_FRAMES: the thread will want the writers' lock
            write(f"n:{n}")
        # A long write keeps the lock past the thread's wait, more than once.
        with db.write():
            time.sleep(db.WRITE_WAIT_SECONDS * 5)
        # The thread gave up those turns only: the log still starts again, and later writes
        # reuse its first pages instead of growing it.
        size, before = wal.stat().st_size, salt()
        assert wait_until(lambda: write("again") or salt() != before, 10)
        assert wal.stat().st_size <= size

"""Which sync workers are alive, so a dead one's claimed messages are taken over at once.

Each worker keeps a ``SyncWorker`` row: its host, pid, a mark of its process and its last beat.
It beats in the same transaction as every claim, and every ``HEARTBEAT`` seconds while it holds
claimed messages. A claimer is known dead, and its claims are taken over, when:

- it ran on this host and its process is gone (or the pid now belongs to another process):
  at once, which is the common case of a store server whose syncer was killed or crashed;
- its last beat is older than ``DEAD_AFTER`` (another host that went down, a hung process);
- it left no row (a worker of an older version) and its claim is older than ``LEASE``.

A worker that has not managed to beat for half of ``DEAD_AFTER`` stops sending what it holds
and hands it back, because the others may already be taking it over.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from kiosk import clock
from kiosk.db import write
from kiosk.models.sync import SyncWorker

HEARTBEAT = 2.0  # seconds between beats while a worker holds claims
DEAD_AFTER = dt.timedelta(seconds=10)
LEASE = dt.timedelta(minutes=5)  # for a claimer that never registered


def process_mark(pid: int) -> str | None:
    """Something that tells this process from a later one with the same pid, or None when no
    such process is running (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc (not Linux): whether the pid exists is all we can know
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "running"
    if fields[0] in (b"Z", b"X"):
        return None
    return fields[19].decode()  # the start time, in clock ticks since boot


class Heartbeat:
    """One worker's row and its beats."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self.last: dt.datetime | None = None  # the last beat that was committed

    def mark(self, now: dt.datetime) -> None:
        """Beat inside the caller's write transaction (a claim), registering if need be."""
        updated = (SyncWorker.update(beat_at=now)
                   .where(SyncWorker.worker_id == self.worker_id).execute())
        if not updated:
            pid = os.getpid()
            SyncWorker.create(worker_id=self.worker_id, host=socket.gethostname(), pid=pid,
                              process_mark=process_mark(pid) or "", started_at=now,
                              beat_at=now)

    def committed(self, now: dt.datetime) -> None:
        self.last = now

    def beat(self, now: dt.datetime | None = None) -> None:
        now = now or clock.now()
        with write():
            self.mark(now)
        self.committed(now)

    def may_send(self, now: dt.datetime | None = None) -> bool:
        """Whether this worker may still send what it claimed: beat recently, or beat now
        while the others cannot yet have judged it dead."""
        now = now or clock.now()
        if self.last is not None and now - self.last < DEAD_AFTER / 2:
            return True
        if self.last is not None and now - self.last < DEAD_AFTER:
            self.beat(now)
            return True
        return False

    def stop(self) -> None:
        """A clean exit: the row goes (its claims were all settled or handed back)."""
        with write():
            SyncWorker.delete().where(SyncWorker.worker_id == self.worker_id).execute()


def dead(claims: dict[str, dt.datetime], now: dt.datetime) -> set[str]:
    """Of the workers holding claims (worker id -> its oldest claim), those known dead."""
    if not claims:
        return set()
    rows = {r.worker_id: r for r in
            SyncWorker.select().where(SyncWorker.worker_id.in_(list(claims)))}
    host = socket.gethostname()
    gone = set()
    for worker_id, claimed_at in claims.items():
        row = rows.get(worker_id)
        if row is None:
            if claimed_at < now - LEASE:
                gone.add(worker_id)
        elif row.host == host and not _running(row):
            gone.add(worker_id)
        elif now - row.beat_at > DEAD_AFTER:
            gone.add(worker_id)
    return gone


def _running(row: SyncWorker) -> bool:
    mark = process_mark(row.pid)
    return mark is not None and (not row.process_mark or mark == row.process_mark)


def forget(worker_ids: set[str]) -> None:
    """Drop the rows of workers known dead (called inside the take-over's transaction)."""
    if worker_ids:
        SyncWorker.delete().where(SyncWorker.worker_id.in_(list(worker_ids))).execute()

"""Anchors: the audit chain's head written where an editor of the database cannot reach it.

Someone who can edit the database may cut the newest entries and set the chain's head back;
the entries left still link up. So the head (its entry number and hash) is also written
down outside the database: appended to a log file beside the key (``<store>.anchors``),
printed on the end-of-day slip and put in every evidence packet. `kiosk verify` checks that
the chain still passes through every anchor in the log, and through one given by hand
(``--anchor ENTRY:HASH``, as a slip or a packet says it).

The syncer appends an anchor whenever the head has moved (it wakes every few seconds), and
the kiosk does when it stops, when it prints the day's slip and when it makes a packet. An
anchor is only ever the head as committed, so a rolled-back step never leaves one behind.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk import audit_key, clock
from kiosk.db import database
from kiosk.words import _

LINE = re.compile(r"^(\S+) entry (\d+) hash ([0-9a-f]{64})$")
RESTORED = re.compile(r"^(\S+) restored ")  # `kiosk restore` put a backup in place
GIVEN = re.compile(r"^(?:entry\s*)?(\d+)\s*[:/ ]\s*(?:hash\s*)?([0-9a-f]{64})$")

_last: dict[Path, tuple[int, str]] = {}  # what this process wrote last, per log
_when: dict[Path, float] = {}  # and when (monotonic seconds)
EVERY_SECONDS = 60  # the syncer's anchors: at most one a minute, so the log stays small


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str = ""
    where: str = ""  # the log's line, or "given"

    @property
    def text(self) -> str:
        return f"entry {self.seq}, hash {self.hash}"


def path() -> Path:
    """The bound store's anchor log: beside its key file."""
    return audit_key.path().parent / f"{audit_key.store_name()}.anchors"


def head() -> tuple[int, str]:
    """The chain's committed head: its newest entry's number and hash."""
    row = database.execute_sql("SELECT seq, hash FROM chain_head WHERE id = 1").fetchone()
    return (row[0], row[1]) if row else (0, "0" * 64)


def write(every: float = 0) -> Anchor | None:
    """Append the head to the log if it moved since the log's last line (and, with
    ``every``, if this process wrote none in the last ``every`` seconds); the anchor written
    (None when there was nothing new)."""
    log = path()
    if every and time.monotonic() - _when.get(log, -every) < every:
        return None
    seq, digest = head()
    if seq == 0 or _last.get(log) == (seq, digest):
        return None
    newest = read(log)[-1:] if log not in _last else []
    if newest and (newest[0].seq, newest[0].hash) == (seq, digest):
        _last[log] = (seq, digest)
        return None
    at = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{at} entry {seq} hash {digest}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    _last[log], _when[log] = (seq, digest), time.monotonic()
    return Anchor(seq, digest, at, str(log))


def restored(backup: str) -> None:
    """Note in the log that `kiosk restore` put ``backup`` in place (by whoever may run it on
    the store's PC): the anchors before belong to the database it replaced, kept beside it,
    and the restored chain is anchored afresh from its head."""
    log = path()
    at = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as out:
        out.write(f"{at} restored {backup}; the anchors above are of the database it "
                  "replaced\n")
    _last.pop(log, None)
    _when.pop(log, None)
    write()


def write_quietly(every: float = 0) -> None:
    """As ``write``, for a loop or a shutdown that must not stop for it (a full disk, a
    database not there yet): the next one writes it."""
    try:
        write(every)
    except Exception:  # noqa: BLE001 (an anchor missed now is written at the next)
        pass


def read(log: Path | None = None) -> list[Anchor]:
    """Every anchor in the log, oldest first (none when there is no log yet). A line that is
    not an anchor is skipped here and reported by ``problems``."""
    log = log or path()
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    found = []
    for number, line in enumerate(lines, 1):
        if RESTORED.match(line):
            found = []  # the anchors above are of the database the restore replaced
            continue
        match = LINE.match(line.strip())
        if match:
            found.append(Anchor(int(match[2]), match[3], match[1], f"{log.name} line {number}"))
    return found


def parse(given: str) -> Anchor:
    """An anchor typed from a slip or a packet: ``ENTRY:HASH``; ValueError in words."""
    match = GIVEN.match(given.strip().lower())
    if not match:
        raise ValueError(f"{given!r} is not an anchor: give the entry number and the hash as "
                         "the slip prints them, e.g. 1234:9f2c…(64 hex digits).")
    return Anchor(int(match[1]), match[2], where="given")


def problems(hashes: dict[int, str], newest: int, given: list[Anchor] = ()) -> list[str]:
    """What the anchors say is wrong with a chain whose entries' hashes, by number, are
    ``hashes`` (only those the anchors ask about) and whose newest entry is ``newest``."""
    found = []
    for anchor in [*read(), *given]:
        where = _("the anchor given") if anchor.where == "given" else \
            _("the anchor of {at} ({where})", at=anchor.at, where=anchor.where)
        if anchor.seq > newest:
            found.append(_("The chain ends at entry {newest} but {where} names entry {seq}: "
                           "entries were cut from its end (and its head set back).",
                           newest=str(newest), where=where, seq=str(anchor.seq)))
        elif hashes.get(anchor.seq) != anchor.hash:
            found.append(_("Entry {seq} is not the one {where} names: the chain was rewritten "
                           "after it was anchored.", seq=str(anchor.seq), where=where))
    return found


def wanted(given: list[Anchor] = ()) -> set[int]:
    """The entry numbers whose hashes ``problems`` needs."""
    return {a.seq for a in read()} | {a.seq for a in given}

"""Retention: what a purge may remove, and what it never does.

California keeps cannabis records for seven years (4 CCR §15037), so nothing younger is ever
removed: ``purge(before)`` refuses any date later than seven years before today, and says
which date is the latest it would take.

Older than that, the database still loses nothing. Every record is named by the audit chain
(its movements, steps, signatures, logins), and the chain is one hash-linked line from its
first entry: a row deleted from it, or from under it, reads to ``kiosk verify`` exactly as
tampering does, and cutting the chain's start would leave nothing to check its rest against.
So the rows and the chain stay for the life of the store's database; a store that must make
it smaller archives a copy (``kiosk backup``, ``kiosk evidence``) and keeps it whole.

What a purge removes is the files the kiosk derives from those records and keeps beside them:
report PDFs of days before the date (their ``KeptReport`` rows, with the SHA-256, stay) and
evidence packets made before it. Each purge writes one audit entry naming every file it
removed with its SHA-256, so the chain says what went, when and by whose hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from kiosk import clock, db, ledger, reports
from kiosk.models import KeptReport

YEARS = 7
PACKET_NAME = re.compile(r"(\d{8})-\d{6}-[A-Za-z0-9._-]+\.zip")


class Refused(Exception):
    """The purge would remove something younger than the retention period."""


@dataclass
class Purge:
    """What a purge removed (or, as a dry run, would remove)."""

    before: dt.date
    files: list[tuple[str, str]] = field(default_factory=list)  # (file, SHA-256)
    done: bool = False


def latest_cutoff(today: dt.date) -> dt.date:
    """The latest date a purge may name: seven years before ``today`` (29 February counts
    from the 28th in a year without one)."""
    try:
        return today.replace(year=today.year - YEARS)
    except ValueError:
        return today.replace(year=today.year - YEARS, day=28)


def evidence_folder(settings: dict | None = None) -> Path:
    """Where evidence packets made on the manager's screen are kept."""
    return reports.folder(settings) / "evidence"


def _candidates(before: dt.date, settings: dict | None) -> list[tuple[Path, str]]:
    """(file, its name for the record) of every derived file older than ``before``."""
    found = []
    folder = reports.folder(settings)
    for row in KeptReport.select().where(KeptReport.day < before).order_by(KeptReport.id):
        path = folder / row.path
        if path.is_file():
            found.append((path, f"report {row.id} ({row.day.isoformat()}): {row.path}"))
    packets = evidence_folder(settings)
    if packets.is_dir():
        for path in sorted(packets.iterdir()):
            made = PACKET_NAME.fullmatch(path.name)
            if made and dt.datetime.strptime(made.group(1), "%Y%m%d").date() < before:
                found.append((path, f"evidence packet {path.name}"))
    return found


def purge(before: dt.date, actor=None, station: str = "", settings: dict | None = None,
          dry_run: bool = False) -> Purge:
    """Remove the derived files older than ``before`` (see the module's docstring).

    Raises ``Refused`` when ``before`` is later than seven years ago: then nothing at all is
    removed.
    """
    limit = latest_cutoff(clock.store_date())
    if before > limit:
        raise Refused(
            f"Records are kept for {YEARS} years: nothing from {limit.isoformat()} on may be "
            f"purged, and {before.isoformat()} is later than that. The latest date a purge "
            f"may name today is {limit.isoformat()}. Nothing was removed.")
    result = Purge(before)
    with db.connection():
        found = _candidates(before, settings)
        result.files = [(name, hashlib.sha256(path.read_bytes()).hexdigest())
                        for path, name in found]
        if dry_run:
            return result
        # The entry first: a file left behind by a crash is named as removed and can be
        # removed again; a file removed with no entry would be gone without a trace.
        with db.write():
            ledger.audit("retention.purge", f"before:{before.isoformat()}",
                         {"removed": [{"file": n, "sha256": h} for n, h in result.files]},
                         actor=actor, station=station)
        for path, _ in found:
            path.unlink(missing_ok=True)
        result.done = True
    return result

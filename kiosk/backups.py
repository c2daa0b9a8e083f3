"""Backing up the SQLite database while the kiosk runs, and putting a backup back.

A backup is ``VACUUM INTO``: one read transaction copies the database as it stood when the
backup began, so every step committed by then is in it, whole, and none that came later,
while the screens go on scanning. Never a file copy: a copy taken mid-commit, or without its
write-ahead log, can be corrupt.

A restore replaces the database only while nothing of the kiosk has it open. The server and
the syncer hold a shared lock on a file beside the database for as long as they run
(``in_use``); a restore takes that lock alone or refuses. It checks the backup (SQLite's
integrity check, then ``kiosk verify``'s checks of the audit chain and the stock ledger) on a
copy beside the database before anything is replaced, and the database it replaces is kept
beside it under another name, never deleted.

PostgreSQL has its own tools for this (``pg_dump``, ``pg_restore``; see the README).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path

from kiosk import audit_key, clock, db

NAME = "kiosk-%Y%m%d-%H%M%S.db"  # a backup's name in a folder of backups (store's clock)
COMPANIONS = ("-wal", "-shm")  # SQLite's files beside a database, which belong with it


class Refused(Exception):
    """The backup or the restore cannot go ahead; the message says why and what to do."""


def backup(target: Path, keep: int = 0) -> Path:
    """Back up the bound database to ``target`` (a file, or a folder to put a dated file in);
    in a folder, keep only the newest ``keep`` backups when ``keep`` is set. Returns the
    file written, which passed SQLite's integrity check."""
    target = target.absolute()
    folder = target if target.is_dir() else None
    if folder is not None:
        target = folder / clock.local(clock.now()).strftime(NAME)
    if target.exists():
        raise Refused(f"{target} already exists; name a new file or a folder.")
    # Written under another name first, so a backup cut short is never taken for a whole one.
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with db.connection():
        db.database.execute_sql("VACUUM INTO ?", (str(partial),))
    problem = _integrity(partial)
    if problem:
        raise Refused(f"The backup in {partial} failed SQLite's integrity check: {problem}")
    partial.rename(target)
    if folder is not None and keep > 0:
        for old in sorted(folder.glob("kiosk-*.db"))[:-keep]:
            old.unlink()
    return target


def _integrity(path: Path) -> str:
    """'' when SQLite finds the file whole, else what it found."""
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "" if rows == ["ok"] else "; ".join(rows[:5])


@contextmanager
def _held(database: Path, how: int, when_taken):
    """Hold the lock file beside ``database`` (``how``: shared or exclusive) while the block
    runs; if another holds it the other way, ``when_taken()`` first (it may raise), then
    wait for it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    # Readable by all: a restore run as root makes it, and the kiosk's own user must open it.
    fd = os.open(f"{database}-running", os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
        except BlockingIOError:
            when_taken()
            fcntl.flock(fd, how)
        yield
    finally:
        # Closed, not unlocked: the server's forked workers share its lock and keep it
        # until they are gone too.
        os.close(fd)


@contextmanager
def in_use(settings: dict):
    """Hold the database as in use while the block runs (the server, the syncer): a restore
    refuses meanwhile. Waits, saying so, while a restore is under way."""
    database = db.sqlite_path(settings["database"])
    if database is None:
        yield
        return

    def say_so():
        print(f"A restore is replacing {database}; starting when it is done.", flush=True)

    with _held(database, fcntl.LOCK_SH, say_so):
        yield


def restore(source: Path, settings: dict, verify) -> list[str]:
    """Put the backup ``source`` in place of the database ``settings`` name; returns what
    was done, in words. ``verify()`` returns the problems ``kiosk verify`` finds in the
    bound database. Raises ``Refused`` before replacing anything when the kiosk is running,
    the backup is damaged or its records do not verify."""
    database = db.sqlite_path(settings["database"])
    source = source.absolute()
    if database is None:
        raise Refused("This kiosk's database is PostgreSQL: restore it with pg_restore "
                      "(see 'Backup and restore' in the README).")
    if not source.is_file():
        raise Refused(f"No backup at {source}.")

    def refuse():
        raise Refused(f"The kiosk is running on {database} (its server or syncer): stop them "
                      "first (sudo systemctl stop kiosk-app kiosk-sync), then restore.")

    with _held(database, fcntl.LOCK_EX, refuse):
        staged = database.with_name(database.name + ".restoring")
        _remove_with_companions(staged)
        shutil.copyfile(source, staged)
        try:
            done = _check(staged, source, verify, settings.get("audit_key"))
            done += _replace(database, staged)
        finally:
            _remove_with_companions(staged)
        return done


def _check(staged: Path, source: Path, verify, key: str | None = None) -> list[str]:
    problem = _integrity(staged)
    if problem:
        raise Refused(f"{source} is damaged (SQLite's integrity check: {problem}); nothing was "
                      "replaced. Try an older backup.")
    try:
        with closing(sqlite3.connect(f"{staged.as_uri()}?mode=ro", uri=True)) as conn:
            versions = {v for (v,) in conn.execute("SELECT version FROM schema_migration")}
    except sqlite3.DatabaseError:
        raise Refused(f"{source} is not a kiosk database; nothing was replaced.") from None
    unknown = versions - {number for number, _ in db.migrations()}
    if unknown:
        raise Refused(f"{source} was made by a newer kiosk (migration {max(unknown)}); "
                      "upgrade this kiosk first. Nothing was replaced.")
    db.init(f"sqlite:///{staged}")
    audit_key.use(key)  # the store's own key checks it (the default: beside it, as the store's)
    try:
        with db.connection():
            problems = verify()
            pending = db.pending()
    finally:
        db.database.close_all()
    if problems:
        listed = "\n".join(f"- {p}" for p in problems[:20])
        raise Refused(f"{source} does not verify ({len(problems)} problem(s)); nothing was "
                      f"replaced:\n{listed}")
    done = [f"{source} is whole, and its audit chain and stock ledger verify."]
    if pending:
        done.append(f"It is {len(pending)} migration(s) behind this kiosk: kiosk db upgrade "
                    "(run by the service at every start) brings it up to date.")
    return done


def _replace(database: Path, staged: Path) -> list[str]:
    done = []
    owner = database if database.exists() else database.parent
    if database.exists():
        aside = database.with_name(f"{database.name}.replaced-"
                                   + clock.local(clock.now()).strftime("%Y%m%d-%H%M%S"))
        _settle(database)
        for suffix in ("", *COMPANIONS):
            if Path(f"{database}{suffix}").exists():
                os.rename(f"{database}{suffix}", f"{aside}{suffix}")
        done.append(f"The database it replaced is kept as {aside}.")
    os.rename(staged, database)
    if os.geteuid() == 0:  # run as root: the file stays the kiosk user's, as it was
        info = owner.stat()
        os.chown(database, info.st_uid, info.st_gid)
    _sync_folder(database.parent)
    done.append(f"Restored into {database}.")
    return done


def _settle(database: Path) -> None:
    """Copy the outgoing database's write-ahead log into it, so it is kept aside whole.

    The last connection to close removes the log; if it is still there afterwards, another
    program (the sqlite3 shell, say) has the database open, and the restore stops.
    """
    try:
        with closing(sqlite3.connect(database, timeout=1)) as conn:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.DatabaseError:
        return  # damaged, perhaps why it is being replaced: kept aside as it is, log and all
    if busy or Path(f"{database}-wal").exists():
        raise Refused(f"Another program has {database} open; close it, then restore. "
                      "Nothing was replaced.")


def _remove_with_companions(path: Path) -> None:
    for suffix in ("", *COMPANIONS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The database binding: one deferred peewee database, chosen by URL at start-up.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` so a signed step survives a
power cut, a busy timeout so threads queue instead of failing, and write transactions opened
``BEGIN IMMEDIATE`` so a reader that later writes cannot fail with SQLITE_BUSY mid-step.
Writers of every thread and process queue on one lock (``write``), steps that arrive
together share one commit (``together``: from the threads of one process through
``grouped``, from a whole server through its step writer), and the write-ahead log is copied
back beside the writers rather than inside a step's commit (``_checkpoints``). PostgreSQL is
accepted by URL; nothing here or in the models uses SQLite-only SQL.
"""

from __future__ import annotations

import fcntl
import importlib
import os
import pkgutil
import re
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: fsync the WAL at every commit (power-loss durability)
    "foreign_keys": 1,
    "cache_size": -32000,
    "busy_timeout": 10000,
    # Pages are read through a memory map: each pooled connection drops its own page cache
    # whenever another wrote, and re-reading through the map costs no copy.
    "mmap_size": 268435456,
    # No checkpoint inside a commit: it would run while the step's writer lock is held, and
    # copying 4 MB back into the database there made one scan in forty wait. A background
    # thread checkpoints instead (``_checkpoints``), beside the writers, not in their way.
    "wal_autocheckpoint": 0,
    # A statement that may have to be undone alone inside a transaction (a savepoint's) keeps
    # its undo record in a temporary file; on disk that was a file created and deleted at
    # every movement. In memory it costs no system calls, and a crash loses nothing by it:
    # an uncommitted transaction is discarded whole either way.
    "temp_store": 2,  # MEMORY
}


def connect_url(url: str) -> peewee.Database:
    """Build (not open) the database named by ``url``."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if path not in ("", "/:memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if path in ("", "/:memory:"):
            return peewee.SqliteDatabase(":memory:", pragmas=SQLITE_PRAGMAS, timeout=10)
        # Pooled: a request hands its connection back instead of closing it. Opening costs the
        # pragmas and a fresh read of the schema, and closing the last connection to a WAL
        # database checkpoints it; paid on every request, that was most of a scan's time.
        # A connection is only ever used by the one thread that has it checked out.
        return PooledSqliteDatabase(path, pragmas=SQLITE_PRAGMAS, check_same_thread=False,
                                    stale_timeout=300)
    if parsed.scheme in ("postgresql", "postgres"):
        schema = store_schema(url)
        # A chain's store lives in its own schema, and every connection of its server sees
        # only that schema: no query can reach another store's rows (see ``store_schema``).
        options = {"options": f"-c search_path={schema}"} if schema else {}
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            max_connections=32,
            stale_timeout=300,
            **options,
        )
    raise ValueError(f"unsupported database URL {url!r}")


SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def store_schema(url: str) -> str:
    """The PostgreSQL schema a chain's store keeps its records in (``?schema=`` in its
    database URL), or "" for a database of its own.

    Several stores (licences) share one PostgreSQL database, each in a schema of its own:
    its server's connections search that schema alone, so every record belongs to one store
    by where it is, not by a column every query must remember to filter on. Raises
    ValueError, in words, for a name PostgreSQL would need quoted.
    """
    values = parse_qs(urlparse(url).query).get("schema", [""])
    schema = values[-1]
    if schema and not SCHEMA_NAME.fullmatch(schema):
        raise ValueError(f"the schema {schema!r} must be lower-case letters, digits and _, "
                         "not starting with a digit (for example store_c10_0000123)")
    return schema


def _store_schema_made() -> None:
    """Create the bound store's schema on first use (a chain's new store)."""
    if is_sqlite():
        return
    schema = (database.obj.connect_params.get("options") or "").partition("search_path=")[2]
    # Asked first: a store's own role may own its schema yet have no right to create one.
    if schema and not database.execute_sql("SELECT 1 FROM pg_namespace WHERE nspname = "
                                           f"{database.param}", (schema,)).fetchone():
        database.execute_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")


def sqlite_path(url: str) -> Path | None:
    """The file an SQLite URL names, or None (in memory, or another database)."""
    parsed = urlparse(url)
    path = unquote(parsed.path)
    if parsed.scheme != "sqlite" or path in ("", "/:memory:"):
        return None
    return Path("/" + path.lstrip("/"))  # sqlite:////abs/path and sqlite:///abs/path alike


def init(url: str) -> peewee.Database:
    """Bind the shared proxy to the database at ``url``."""
    global _checkpointer
    _checkpointer = None  # the checkpoint thread of the database bound before ends
    previous = database.obj
    if previous is not None and hasattr(previous, "close_idle"):
        previous.close_idle()  # pooled connections to the database bound before
    real = connect_url(url)
    database.initialize(real)
    return real


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


# SQLite admits one writer at a time and makes the others poll, sleeping up to 100 ms between
# tries, so under a burst of scans a step could wait far longer than the work takes. Writers
# queue instead: threads of one process on a lock, and processes (the server's workers, the
# syncer, the CLI) on an flock of a file beside the database, which the kernel hands to the
# next waiter the moment it is released, and releases by itself if its holder dies.
_sqlite_writers = threading.RLock()
WRITE_WAIT_SECONDS = 10  # as SQLITE_PRAGMAS' busy_timeout
_writer_file: tuple[int, int] | None = None  # (pid, descriptor): an flock is per open file


def _sqlite_file() -> str | None:
    """The bound SQLite database's file, or None (in memory, or not SQLite)."""
    path = getattr(database.obj, "database", "") if is_sqlite() else ""
    return path if path and path != ":memory:" else None


def _writer_lock_fd() -> int | None:
    global _writer_file
    if _writer_file is None or _writer_file[0] != os.getpid():  # opened again after a fork
        path = _sqlite_file()
        if path is None:
            return None
        _writer_file = (os.getpid(), os.open(path + "-writer", os.O_RDWR | os.O_CREAT, 0o600))
    return _writer_file[1]


CHECKPOINT_SECONDS = 0.25
RESTART_FRAMES = 2048  # about 8 MB of log: then start it again from the beginning
_checkpointer: tuple[int, str] | None = None  # (process, database) the thread works for


def _checkpoints(path: str) -> None:
    """Copy the write-ahead log back into the database, beside the writers, and keep the log
    from growing.

    Left to SQLite, the commit that fills the log copies 4 MB back and syncs the database
    while the step's writer lock is still held: one scan in forty waited for it. Here a
    PASSIVE checkpoint does the copying four times a second without waiting for or blocking
    anyone. But under steady scanning some reader is always inside the log, so SQLite never
    starts it again from the beginning; it grew by 80 KB a scan, and every read and every
    sync grew slower with it. So once it passes ``RESTART_FRAMES`` the thread takes the
    writers' lock for the moment a RESTART needs (what is left to copy, the readers to
    finish), and the log starts again. The thread ends when another database is bound.
    """
    connection = sqlite3.connect(path, timeout=0.05, check_same_thread=False)
    try:
        while _checkpointer == (os.getpid(), path):
            time.sleep(CHECKPOINT_SECONDS)
            try:
                _busy, frames, _copied = connection.execute(
                    "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if frames > RESTART_FRAMES:
                    _restart_log(connection)
            except (sqlite3.Error, peewee.OperationalError):
                # Another process is checkpointing, the file is gone, or the writers' lock
                # stayed busy: next time. The thread must outlive all of these.
                pass
    finally:
        connection.close()


# The writers' lock is not fair: a thread that writes again at once can take it back before
# the checkpoint thread, waiting for its turn, ever gets it, and on a busy machine the log
# then grew for as long as the writes kept coming. So while a restart waits, this process's
# writers let it go first (at most ``RESTART_WAIT`` seconds).
_restart_turn = threading.Condition()
_restart_waiting = False
RESTART_WAIT = 1.0


def _restart_log(connection: sqlite3.Connection) -> None:
    global _restart_waiting
    with _restart_turn:
        _restart_waiting = True
    try:
        with _writers_locked():
            connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
    finally:
        with _restart_turn:
            _restart_waiting = False
            _restart_turn.notify_all()


def _let_restart_go_first() -> None:
    # Read without the lock first: this runs before every write, and a restart is rare. A
    # thread already inside a write holds the lock the restart needs, so it never waits.
    if _restart_waiting and not database.in_transaction():
        with _restart_turn:
            _restart_turn.wait_for(lambda: not _restart_waiting, timeout=RESTART_WAIT)


def _start_checkpoints() -> None:
    global _checkpointer
    path = _sqlite_file()
    if path is None or _checkpointer == (os.getpid(), path):
        return
    _checkpointer = (os.getpid(), path)
    threading.Thread(target=_checkpoints, args=(path,), daemon=True,
                     name="wal-checkpoint").start()


@contextmanager
def _writers_locked():
    """Hold the writers' queue: this process's threads, then every process's flock."""
    if not _sqlite_writers.acquire(timeout=WRITE_WAIT_SECONDS):
        raise peewee.OperationalError("database is locked")
    try:
        # The outermost write of this thread takes the processes' lock; a nested one is
        # already inside it.
        fd = None if database.in_transaction() else _writer_lock_fd()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        _sqlite_writers.release()


@contextmanager
def _sqlite_write():
    _start_checkpoints()
    _let_restart_go_first()
    with _writers_locked(), database.atomic("IMMEDIATE") as transaction:
        yield transaction


def write():
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, a plain transaction elsewhere."""
    if is_sqlite():
        return _sqlite_write()
    return database.atomic()


class _Job:
    __slots__ = ("work", "done", "value", "error")

    def __init__(self, work):
        self.work, self.done, self.value, self.error = work, False, None, None


_group = threading.Condition()
_queued: list[_Job] = []
_leading = False


def grouped(work):
    """Run ``work()`` inside a write transaction that other threads' work may share; return
    what it returns or raise what it raised.

    Group commit. On SQLite every commit waits for the disk (synchronous=FULL), and while one
    step waits no other can write. So when several screens scan at once, the first thread to
    arrive runs everything queued so far, each piece in its own savepoint, and commits them
    with one sync; the others wait for that commit and get their own results or exceptions.
    Nothing is answered before it is on disk, and a piece that raises undoes only itself.
    Elsewhere (PostgreSQL, with row locks) each piece simply has its own transaction.
    """
    if not is_sqlite():
        with write():
            return work()
    global _leading
    job = _Job(work)
    with _group:
        _queued.append(job)
        while _leading and not job.done:
            _group.wait()
        if not job.done:
            _leading = True
            batch = _queued[:]
            _queued.clear()
    if not job.done:
        try:
            for each, (value, error) in zip(batch, together([j.work for j in batch]), strict=True):
                each.value, each.error = value, error
        finally:
            with _group:
                _leading = False
                for each in batch:
                    each.done = True
                _group.notify_all()
    if job.error is not None:
        raise job.error
    return job.value


def together(works: list) -> list[tuple[object, BaseException | None]]:
    """Run each of ``works`` in its own savepoint of one write transaction, and commit once.

    Returns each piece's (value, error): a piece that raises undoes only itself. If the
    transaction fails to open or commit, every piece gets that error, since none was saved.
    """
    results: list[tuple[object, BaseException | None]] = []
    try:
        with write():
            for work in works:
                try:
                    with savepoint("grouped"):
                        results.append((work(), None))
                except Exception as exc:  # noqa: BLE001 (handed to its own caller)
                    results.append((None, exc))
    except BaseException as exc:  # the transaction failed: none of them was saved
        return [(None, exc)] * len(works)
    return results


@contextmanager
def savepoint(name: str = "step"):
    """A savepoint inside the current transaction: undone alone if the block raises.

    A fixed name, so the database reuses its prepared statements (SQLite and PostgreSQL both
    take the newest savepoint of a name); peewee's own names are new every time.
    """
    database.execute_sql(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        database.execute_sql(f"ROLLBACK TO SAVEPOINT {name}")
        database.execute_sql(f"RELEASE SAVEPOINT {name}")
        raise
    database.execute_sql(f"RELEASE SAVEPOINT {name}")


def locked(query):
    """Add ``FOR UPDATE`` where the backend has row locks (SQLite's IMMEDIATE serialises)."""
    return query if is_sqlite() else query.for_update()


@contextmanager
def connection():
    """Open a connection for the current thread if none is open; close it afterwards."""
    opened = database.connect(reuse_if_open=True)
    try:
        yield database
    finally:
        if opened and not database.in_transaction():
            database.close()


class SchemaMigration(peewee.Model):
    """One applied migration (its number and name)."""

    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField()
    applied_at = peewee.DateTimeField()

    class Meta:
        database = database
        table_name = "schema_migration"


def _migrations() -> list[tuple[int, str, object]]:
    from kiosk import migrations

    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        number, _, name = info.name.partition("_")
        if number.isdigit():
            module = importlib.import_module(f"kiosk.migrations.{info.name}")
            found.append((int(number), name, module))
    return sorted(found, key=lambda m: m[0])


def migrations() -> list[tuple[int, str]]:
    """Every migration this kiosk has (number, name), oldest first."""
    return [(number, name) for number, name, _ in _migrations()]


def up_to_date_at_rest() -> bool:
    """True when the bound SQLite database lies closed (no write-ahead log beside it) with
    every migration applied: told by reading it as an unchanging file, which creates and
    removes nothing in its folder. Opening it the usual way makes its log and shared-memory
    files and removes them again, so an install run twice, or a start that finds nothing to
    upgrade, would change the folder for nothing."""
    path = _sqlite_file()
    if path is None or not os.path.exists(path) or os.path.exists(path + "-wal"):
        return False
    try:
        with closing(sqlite3.connect(f"{Path(path).as_uri()}?immutable=1", uri=True)) as conn:
            done = {v for (v,) in conn.execute("SELECT version FROM schema_migration")}
    except sqlite3.DatabaseError:
        return False
    return {number for number, _ in migrations()} <= done


def pending() -> list[tuple[int, str]]:
    """Migrations not yet applied, oldest first."""
    _store_schema_made()
    database.create_tables([SchemaMigration], safe=True)
    done = {m.version for m in SchemaMigration.select(SchemaMigration.version)}
    return [(n, name) for n, name, _ in _migrations() if n not in done]


def upgrade(until: int | None = None) -> list[str]:
    """Apply every pending migration in order (those numbered up to ``until``, if given),
    each in its own transaction."""
    import datetime as dt

    applied = []
    with connection():
        _store_schema_made()
        database.create_tables([SchemaMigration], safe=True)
        done = {m.version for m in SchemaMigration.select(SchemaMigration.version)}
        for number, name, module in _migrations():
            if number in done or (until is not None and number > until):
                continue
            with database.atomic():
                module.up(database)
                SchemaMigration.create(version=number, name=name,
                                       applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
            applied.append(f"{number:04d}_{name}")
    return applied

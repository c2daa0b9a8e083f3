"""The database binding: one deferred peewee database, chosen by URL at start-up.

SQLite (the default) runs in WAL mode with ``synchronous=FULL`` so a signed step survives a
power cut, a busy timeout so threads queue instead of failing, and write transactions opened
``BEGIN IMMEDIATE`` so a reader that later writes cannot fail with SQLITE_BUSY mid-step.
PostgreSQL is accepted by URL; nothing here or in the models uses SQLite-only SQL.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL: fsync the WAL at every commit (power-loss durability)
    "foreign_keys": 1,
    "cache_size": -32000,
    "busy_timeout": 10000,
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
        return PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            max_connections=32,
            stale_timeout=300,
        )
    raise ValueError(f"unsupported database URL {url!r}")


def init(url: str) -> peewee.Database:
    """Bind the shared proxy to the database at ``url``."""
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
# in this process queue on a lock instead and each starts the moment the one before commits.
# Other processes (the syncer, the CLI) still meet SQLite's own busy timeout.
_sqlite_writers = threading.RLock()
WRITE_WAIT_SECONDS = 10  # as SQLITE_PRAGMAS' busy_timeout


@contextmanager
def _sqlite_write():
    if not _sqlite_writers.acquire(timeout=WRITE_WAIT_SECONDS):
        raise peewee.OperationalError("database is locked")
    try:
        with database.atomic("IMMEDIATE") as transaction:
            yield transaction
    finally:
        _sqlite_writers.release()


def write():
    """A write transaction: ``BEGIN IMMEDIATE`` on SQLite, a plain transaction elsewhere."""
    if is_sqlite():
        return _sqlite_write()
    return database.atomic()


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


def pending() -> list[tuple[int, str]]:
    """Migrations not yet applied, oldest first."""
    database.create_tables([SchemaMigration], safe=True)
    done = {m.version for m in SchemaMigration.select(SchemaMigration.version)}
    return [(n, name) for n, name, _ in _migrations() if n not in done]


def upgrade() -> list[str]:
    """Apply every pending migration in order, each in its own transaction."""
    import datetime as dt

    applied = []
    with connection():
        database.create_tables([SchemaMigration], safe=True)
        done = {m.version for m in SchemaMigration.select(SchemaMigration.version)}
        for number, name, module in _migrations():
            if number in done:
                continue
            with database.atomic():
                module.up(database)
                SchemaMigration.create(version=number, name=name,
                                       applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
            applied.append(f"{number:04d}_{name}")
    return applied

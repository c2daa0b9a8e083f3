"""Shared fixtures: a fresh migrated database per test (SQLite and PostgreSQL, one run of
the test each), a settable clock, the app with a logged-in test client, employee
factories, and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(ROOT / "var" / "escpos-cache"))
ARTIFACTS = ROOT / "test-artifacts"

from kiosk import audit_key, auth, clock, db  # noqa: E402
from kiosk.models import Employee  # noqa: E402

# Cheap PIN hashing in tests only: the real cost is measured, not paid 500 times.
auth.SCRYPT_N = 2**10


@pytest.fixture(autouse=True)
def _store_zone_restored():
    """An app built with another ``timezone`` sets the store's clock for the process; the
    next test starts from the default again."""
    yield
    clock.use_zone(clock.DEFAULT_ZONE)


@pytest.fixture
def fixed_clock():
    """A clock the test moves by hand: 9 am on the demo store's clock (Los Angeles), which
    is 17:00 in the records' UTC."""
    fake = clock.FixedClock(dt.datetime(2026, 11, 23, 17, 0))
    previous = clock.install(fake)
    yield fake
    clock.install(previous)


DATABASES = ["sqlite", "postgresql"]


def _bind_fresh(url: str) -> str:
    db.init(url)
    db.database.connect(reuse_if_open=True)
    return url


def _unbind() -> None:
    """Close this process's connections (pooled ones too) to the database bound now."""
    if db.database.obj is None:
        return
    if not db.database.is_closed():
        db.database.close()
    if hasattr(db.database.obj, "close_all"):
        db.database.obj.close_all()


@pytest.fixture(params=DATABASES)
def database(request, tmp_path):
    """A fresh migrated database bound for this test: once on SQLite (a file in the test's
    folder) and once on the real PostgreSQL server of the session, so every test of the
    store's records runs on both kinds the kiosk runs on. The test's name says which
    (``test_x[sqlite]``, ``test_x[postgresql]``)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kiosk.db'}"
        db.init(url)
        db.upgrade()
        yield _bind_fresh(url)
        _unbind()
        return
    _unbind()
    url = request.getfixturevalue("reused_postgres").reset()
    yield _bind_fresh(url)
    _unbind()


@pytest.fixture(autouse=True)
def _audit_key_of_the_test(request, tmp_path):
    """The test's own audit key and anchor log (in its folder), for the store the
    ``database`` fixture binds: the PostgreSQL test database is the same one for every test,
    and its anchors must not outlive the test that wrote them."""
    if "database" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("database")
    audit_key.use(tmp_path / "audit.key")
    yield


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path):
    """Where a test's own server keeps its records, once on each kind of database: the URL
    of a SQLite file not yet made in the test's folder, or of a new, empty PostgreSQL
    database. For tests that start ``kiosk serve`` or the ``kiosk`` command on it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kiosk.db'}"
    return request.getfixturevalue("new_postgres_database")()


@pytest.fixture(scope="module", params=DATABASES)
def module_empty_database(request, tmp_path_factory):
    """As ``empty_database``, for a server that a whole test module shares."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('records') / 'kiosk.db'}"
        return
    base = request.getfixturevalue("postgres_server")
    name = f"m{time.monotonic_ns()}"
    with closing(_admin(base)) as conn:
        conn.cursor().execute(f"CREATE DATABASE {name}")
    yield f"{base}/{name}"
    _drop(base, [name])


@pytest.fixture
def sqlite_database(tmp_path):
    """A fresh migrated SQLite database, for the tests of what only SQLite has: its file
    and write-ahead log (checkpoints, the writers' lock file beside it, the step writer
    and group commit that exist because SQLite has one writer at a time), a backup or
    crash of that file. PostgreSQL has none of these; its own drills use ``database``."""
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    db.init(url)
    db.upgrade()
    yield _bind_fresh(url)
    _unbind()


@pytest.fixture
def settings(tmp_path, database):
    """Settings for an app under test: temp database and spool, a test station."""
    return {"database": database, "secret_key": "test", "station": "test-1",
            "label_printer": f"file://{tmp_path / 'spool'}",
            "receipt_printer": f"file://{tmp_path / 'spool'}",
            "metrc_url": "http://127.0.0.1:9", "training": True}


@pytest.fixture
def make_employee(database):
    """Create an employee: make_employee("Ana", "1001", "1234", "receiver")."""

    def make(name, badge, pin="1234", roles="receiver", active=True):
        with db.write():
            return Employee.create(name=name, badge=badge, pin_hash=auth.hash_pin(pin),
                                   roles=roles, active=active, created_at=clock.now())

    return make


class KioskClient:
    """A Flask test client that behaves like the kiosk page: htmx headers and CSRF token."""

    def __init__(self, app):
        from kiosk.models import Station

        self.app = app
        self.http = app.test_client()
        # The screen is a registered station, as `kiosk stations add` leaves it.
        with db.write():
            Station.get_or_create(name=app.config["KIOSK"]["station"])
        self.http.get("/")

    def headers(self):
        cookie = self.http.get_cookie("kiosk_csrf")
        return {"HX-Request": "true", "X-CSRF-Token": cookie.value if cookie else ""}

    def get(self, url, **kw):
        return self.http.get(url, **kw)

    def post(self, url, data=None, htmx=True):
        headers = self.headers() if htmx else {"X-CSRF-Token": self.headers()["X-CSRF-Token"]}
        return self.http.post(url, data=data or {}, headers=headers)

    def login(self, badge, pin):
        self.post("/login/badge", {"value": badge})
        return self.post("/login/pin", {"badge": badge, "pin": pin})

    def step(self, run_id, step_id, **data):
        """Submit a step at the run's current revision (as the screen would)."""
        from kiosk.models import Run

        data.setdefault("rev", Run.get_by_id(run_id).rev)
        return self.post(f"/runs/{run_id}/steps/{step_id}", data)


@pytest.fixture
def app(settings):
    from kiosk import create_app

    return create_app(settings)


@pytest.fixture
def kiosk(app):
    """A browser-like client at the test station."""
    return KioskClient(app)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on loopback for this test session; yields a base URL."""
    import tempfile

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    assert bins, "PostgreSQL is not installed: `make test` installs Debian's postgresql"
    bin_dir = bins[-1]
    # Not under pytest's tmp dir: that is private to root and the server runs as postgres.
    home = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    data = home / "data"
    port = free_port()
    as_postgres = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust",
                    "-U", "kiosk", "--no-sync"], check=True, capture_output=True)
    log = data.parent / "pg.log"
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log),
                    "-o", f"-p {port} -k {data.parent} -c listen_addresses=127.0.0.1 "
                          "-c fsync=off", "-w", "start"], check=True, capture_output=True)
    base = f"postgresql://kiosk@127.0.0.1:{port}"
    yield base
    subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast",
                    "stop"], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def _admin(base: str):
    import psycopg2

    conn = psycopg2.connect(base + "/postgres")
    conn.autocommit = True
    return conn


@pytest.fixture
def new_postgres_database(postgres_server):
    """Makes fresh, empty PostgreSQL databases for one test (each call another); returns
    each one's URL. They are dropped after the test."""
    made = []

    def make() -> str:
        name = f"t{time.monotonic_ns()}"
        with closing(_admin(postgres_server)) as conn:
            conn.cursor().execute(f"CREATE DATABASE {name}")
        made.append(name)
        return f"{postgres_server}/{name}"

    yield make
    _drop(postgres_server, made)


def _drop(base: str, names: list[str]) -> None:
    if not names:
        return
    _unbind()
    with closing(_admin(base)) as conn:
        for name in names:
            # FORCE: a server process or thread of the test may still hold a connection.
            conn.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class ReusedPostgres:
    """One migrated PostgreSQL database for the session, put back as migrated before each
    test that asks for it.

    A copy of a migrated template (``CREATE DATABASE ... TEMPLATE``) took a second on this
    two-core machine and a ``TRUNCATE`` of every table a third; deleting the rows of tables
    that are nearly empty, putting back the few rows the migrations wrote, and restarting
    the sequences takes milliseconds. What the migrations wrote is kept in the schema
    ``test_seed`` of the same database.
    """

    def __init__(self, base: str, name: str = "kiosk_tests"):
        self.base, self.name = base, name
        self.url = f"{base}/{name}"
        with closing(_admin(base)) as conn:
            conn.cursor().execute(f"CREATE DATABASE {name}")
        db.init(self.url)
        db.upgrade()
        _unbind()
        import psycopg2

        self.conn = psycopg2.connect(self.url)
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            tables = sorted(name for (name,) in cur.fetchall())
            cur.execute("SELECT schemaname || '.' || sequencename, last_value "
                        "FROM pg_sequences WHERE schemaname = 'public'")
            sequences = cur.fetchall()
            cur.execute("CREATE SCHEMA test_seed")
            seeded = []
            for table in tables:
                cur.execute(f'SELECT EXISTS (SELECT 1 FROM public."{table}")')
                if cur.fetchone()[0]:
                    cur.execute(f'CREATE TABLE test_seed."{table}" AS TABLE public."{table}"')
                    seeded.append(table)
        statements = ["SET session_replication_role = replica"]  # no foreign-key checks
        statements += [f'DELETE FROM public."{table}"' for table in tables]
        statements += [f'INSERT INTO public."{t}" SELECT * FROM test_seed."{t}"' for t in seeded]
        statements += [f"SELECT setval('{seq}', {last or 1}, {'true' if last else 'false'})"
                       for seq, last in sequences]
        statements.append("SET session_replication_role = DEFAULT")
        self.reset_sql = ";\n".join(statements)

    def reset(self) -> str:
        """Put the database back as migrated; returns its URL."""
        with self.conn.cursor() as cur:
            # A server or thread a test left behind must not hold rows or locks over.
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))
            cur.execute(self.reset_sql)
        return self.url


@pytest.fixture(scope="session")
def reused_postgres(postgres_server):
    """The session's migrated PostgreSQL database (see ``ReusedPostgres``)."""
    reused = ReusedPostgres(postgres_server)
    yield reused
    reused.conn.close()


@pytest.fixture
def postgres_url(new_postgres_database):
    """A fresh, empty PostgreSQL database for one test."""
    return new_postgres_database()

"""Shared fixtures: a fresh migrated SQLite database per test, a settable clock, the app
with a logged-in test client, employee factories, and a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(ROOT / "var" / "escpos-cache"))
ARTIFACTS = ROOT / "test-artifacts"

from kiosk import auth, clock, db  # noqa: E402
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


@pytest.fixture
def database(tmp_path):
    """A migrated SQLite database in a temp folder, bound for this test."""
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    db.init(url)
    db.upgrade()
    db.database.connect(reuse_if_open=True)
    yield url
    if not db.database.is_closed():
        db.database.close()


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


@pytest.fixture
def new_postgres_database(postgres_server):
    """Makes fresh, empty PostgreSQL databases for one test (each call another); returns
    each one's URL."""
    import psycopg2

    def make() -> str:
        name = f"t{time.monotonic_ns()}"
        conn = psycopg2.connect(postgres_server + "/postgres")
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return f"{postgres_server}/{name}"

    return make


@pytest.fixture
def postgres_url(new_postgres_database):
    """A fresh, empty PostgreSQL database for one test."""
    return new_postgres_database()

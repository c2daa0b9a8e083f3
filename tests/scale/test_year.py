"""A year of records, reduced: `kiosk generate-year` builds it on SQLite and on PostgreSQL,
`kiosk verify` passes on it (and fails once one entry is edited), and the screens a person
opens every day, and a scan, work on it."""

from __future__ import annotations

import pytest

from kiosk import cli, create_app, db
from kiosk.demo import demo_tag
from kiosk.history import TAG_PREFIX
from kiosk.models import AuditEntry, Movement, Package, Run
from tests.conftest import KioskClient

MOVEMENTS = 5000


@pytest.fixture(params=["sqlite", "postgresql"])
def year_url(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'year.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    assert cli.main(["--database", url, "generate-year", "--movements", str(MOVEMENTS)]) == 0
    db.init(url)
    yield url
    db.database.close()


def test_the_year_holds_what_it_says_and_verifies(year_url, capsys):
    with db.connection():
        history = Movement.select().join(Package).where(Package.tag.startswith(TAG_PREFIX))
        assert history.count() == MOVEMENTS
        assert Run.select().where(Run.status == "completed").count() >= MOVEMENTS // 20
        assert AuditEntry.select().count() > MOVEMENTS
        # Every package of the year was sold down to nothing, and says so.
        assert not Package.select().where(Package.tag.startswith(TAG_PREFIX),
                                          Package.quantity != 0).exists()
    capsys.readouterr()
    assert cli.main(["--database", year_url, "verify"]) == 0
    assert "OK: the audit chain is intact" in capsys.readouterr().out


def test_an_edited_entry_of_the_year_is_found(year_url, capsys):
    with db.connection(), db.write():
        middle = AuditEntry.select().where(AuditEntry.action == "step").order_by(
            AuditEntry.seq).offset(2000).get()
        AuditEntry.update(station="elsewhere").where(AuditEntry.id == middle.id).execute()
    capsys.readouterr()
    assert cli.main(["--database", year_url, "verify"]) == 1
    assert f"Audit entry {middle.seq} (step) was altered" in capsys.readouterr().out


def test_screens_and_a_scan_on_the_year(year_url, tmp_path):
    app = create_app({"database": year_url, "secret_key": "test", "station": "vault-1",
                      "label_printer": f"file://{tmp_path / 'spool'}",
                      "receipt_printer": f"file://{tmp_path / 'spool'}",
                      "metrc_url": "http://127.0.0.1:9", "training": True})
    with db.connection():
        screen = KioskClient(app)
        assert "HX-Redirect" in screen.login("1006", "6789").headers  # Femi, a manager
        for url in ("/", "/manager", "/manager/runs", "/manager/sync", "/manager/printing",
                    "/manager/vault-log", "/manager/counts", "/manager/verify"):
            response = screen.get(url)
            assert response.status_code == 200, url
        assert "The audit chain is intact" in screen.get("/manager/verify").text
        # A scan on top of the year: new ids follow the year's on PostgreSQL too.
        started = screen.post("/runs", {"workflow": "move_package"})
        run_id = int(started.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[1])
        tag = demo_tag(3)
        place = Package.get(Package.tag == tag).location.code
        assert screen.step(run_id, "package", value=tag).status_code == 200
        target = "LOC-V-A1" if place != "LOC-V-A1" else "LOC-V-B2"
        assert screen.step(run_id, "destination", value=target).status_code == 200
        assert Package.get(Package.tag == tag).location.code == target
        newest = Movement.select().order_by(Movement.id.desc()).get()
        assert (newest.package.tag, newest.run_id) == (tag, run_id)
        # An emptied package of the year is refused in words, not moved.
        again = screen.post("/runs", {"workflow": "move_package"})
        second = int(again.headers["HX-Redirect"].rstrip("/").rsplit("/", 1)[1])
        old = f"{TAG_PREFIX}{1:015d}"
        answer = screen.step(second, "package", value=old)
        assert f"Package {old} is empty" in answer.text

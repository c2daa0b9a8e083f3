"""The report, its kept PDF, evidence packets and the retention rule on a real PostgreSQL
server (a chain's set-up): the same store day, the same figures, nothing SQLite-only."""

from __future__ import annotations

import pytest
from report_helpers import DAY, FIGURES, pdf_text, tag

from kiosk import db, evidence, evidence_check, reports, retention
from kiosk.models import KeptReport


@pytest.fixture
def database(postgres_url):
    """The store's records in a fresh PostgreSQL database instead of an SQLite file."""
    db.init(postgres_url)
    db.upgrade()
    db.database.connect(reuse_if_open=True)
    yield postgres_url
    if not db.database.is_closed():
        db.database.close()
    db.database.close_all()


@pytest.fixture
def settings(settings, tmp_path):
    # No SQLite file to keep the PDFs beside: a chain names the folder.
    return {**settings, "reports_folder": str(tmp_path / "kept")}


def test_the_days_report_packets_and_purge_on_postgres(store_day, app, tmp_path):
    settings = app.config["KIOSK"]
    report = reports.end_of_day(DAY, settings)
    assert dict(report.figures()) == FIGURES
    assert [r["item"] for r in report.velocity["fastest"]] == ["Blue Dream 3.5g Jar",
                                                               "Sour Gummies 10 pack"]
    kept = reports.keep_pdf(DAY, store_day.people.femi, settings)
    assert (tmp_path / "kept" / kept.path).is_file()
    assert "Units sold 9" in pdf_text((tmp_path / "kept" / kept.path).read_bytes())
    day = evidence.day_packet(DAY, tmp_path / "day.zip", store_day.people.femi, "", settings)
    assert evidence_check.check(day.path).intact
    package = evidence.package_packet(tag(2), tmp_path / "p.zip", None, "", settings)
    assert evidence_check.check(package.path).intact and package.records > 10
    with pytest.raises(retention.Refused):
        retention.purge(DAY, settings=settings)
    assert KeptReport.select().count() == 1

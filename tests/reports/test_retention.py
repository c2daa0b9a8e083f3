"""Retention: nothing younger than seven years is ever purged; older, a purge removes only
derived files, keeps every record and the whole audit chain, and says what it removed."""

from __future__ import annotations

import datetime as dt

import pytest
from report_helpers import DAY

from kiosk import cli, ledger, reports, retention
from kiosk.models import AuditEntry, KeptReport

OLD_DAY = dt.date(2019, 6, 1)  # more than seven years before DAY


@pytest.fixture
def kept_files(store_day, settings):
    """A report kept of a day long past and one of DAY, and an old evidence packet."""
    old = reports.keep_pdf(OLD_DAY, store_day.people.femi, settings)
    new = reports.keep_pdf(DAY, store_day.people.femi, settings)
    packets = retention.evidence_folder(settings)
    packets.mkdir(parents=True, exist_ok=True)
    (packets / "20190601-101500-day-2019-06-01.zip").write_bytes(b"an old packet")
    (packets / "20261123-101500-day-2026-11-23.zip").write_bytes(b"a new packet")
    folder = reports.folder(settings)
    return {"old": folder / old.path, "new": folder / new.path, "old_row": old,
            "old_packet": packets / "20190601-101500-day-2019-06-01.zip",
            "new_packet": packets / "20261123-101500-day-2026-11-23.zip"}


def everything_there(files) -> bool:
    return all(files[k].exists() for k in ("old", "new", "old_packet", "new_packet"))


def test_a_purge_of_anything_younger_than_seven_years_is_refused(kept_files, database,
                                                                 capsys):
    entries = AuditEntry.select().count()
    assert cli.main(["--database", database, "purge", "--before", "2020-01-01"]) == 1
    said = capsys.readouterr().err
    assert "Records are kept for 7 years" in said
    assert "The latest date a purge may name today is 2019-11-23. Nothing was removed." in said
    with pytest.raises(retention.Refused):
        retention.purge(DAY)
    assert everything_there(kept_files)
    assert AuditEntry.select().count() == entries


def test_an_older_purge_removes_only_derived_files_and_keeps_the_chain(kept_files, database,
                                                                       settings, capsys):
    records_before = KeptReport.select().count()
    assert cli.main(["--database", database, "purge", "--before", "2019-11-23",
                     "--dry-run"]) == 0
    assert "Would remove 2 file(s)" in capsys.readouterr().out
    assert everything_there(kept_files)

    assert cli.main(["--database", database, "purge", "--before", "2019-11-23"]) == 0
    said = capsys.readouterr().out
    assert "Removed 2 file(s) from before 2019-11-23" in said
    assert not kept_files["old"].exists() and not kept_files["old_packet"].exists()
    assert kept_files["new"].exists() and kept_files["new_packet"].exists()
    # The record that the report was kept, and its SHA-256, stay; so does the whole chain.
    assert KeptReport.select().count() == records_before
    row = KeptReport.get_by_id(kept_files["old_row"].id)
    assert reports.kept_state(row, settings) == "missing"
    assert reports.kept_state(KeptReport.get(KeptReport.day == DAY), settings) == "intact"
    entry = AuditEntry.select().where(AuditEntry.action == "retention.purge").get()
    assert [r["sha256"] for r in entry.detail["removed"]] == [
        kept_files["old_row"].sha256, retention.hashlib.sha256(b"an old packet").hexdigest()]
    assert entry.subject == "before:2019-11-23"
    assert ledger.verify_chain() == [] and ledger.verify_quantities() == []
    assert cli.main(["--database", database, "verify"]) == 0


def test_the_latest_date_counts_seven_years_back_from_the_stores_day():
    assert retention.latest_cutoff(dt.date(2026, 11, 23)) == dt.date(2019, 11, 23)
    assert retention.latest_cutoff(dt.date(2028, 2, 29)) == dt.date(2021, 2, 28)

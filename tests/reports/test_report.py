"""The end-of-day report: its figures from the day's records, its charts as real SVG, its
PDF read back by a PDF library, and the PDF kept as a record with its SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from report_helpers import DAY, FIGURES, MANIFEST, at, pdf_text, tag, visitor_into_vault

from kiosk import clock, db, ledger, report_queries, reports
from kiosk.models import AuditEntry, KeptReport, Package

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def report(store_day, app):
    return reports.end_of_day(DAY, app.config["KIOSK"])


def test_the_summary_gives_the_days_figures(report):
    assert dict(report.figures()) == FIGURES


def test_each_section_lists_the_days_records(report, store_day):
    assert [(r["manifest"], r["accepted"], r["rejected"], r["units_text"], r["by"])
            for r in report.receipts] == [(MANIFEST, 3, 1, "30", "Ana Reyes")]
    assert report.moves == [{"from": "Vault shelf A1", "to": "Sales floor", "moves": 2}]
    assert [(a["tag"], a["change"], a["reason"], a["by"]) for a in report.adjustments] == \
        [(tag(3), "-2", "Damage (Non-Recoverable)", "Femi Adeyemi")]
    assert [(q["tag"], q["kind"], q["reason"]) for q in report.quarantines] == \
        [(tag(4), "quarantine", "seal broken")]
    assert [(d["tag"], d["change"]) for d in report.destructions] == [(tag(6), "-453.6")]
    assert [(v["tag"], v["physical"], v["ledger"]) for v in report.variances_found] == \
        [(tag(3), "8", "10")]
    assert [(v["tag"], v["resolution"]) for v in report.variances_resolved] == \
        [(tag(5), "fixed elsewhere")]
    assert [c["title"] for c in report.counts] == ["Vault shelf A1"]
    # Oldest first: yesterday's Metrc message has waited 33 hours, past the 24-hour deadline.
    assert [(m["target"], m["about"], m["status"]) for m in report.waiting] == [
        ("metrc", tag(5), "pending"), ("metrc", tag(1), "pending"), ("pos", tag(1), "pending"),
        ("metrc", tag(2), "attention"), ("pos", tag(2), "pending")]
    assert report.waiting[0]["hours"] == 33.0 and len(report.late) == 1
    assert "not found at this facility" in report.waiting[3]["error"]
    assert [(e["item"], e["packages"], e["units_text"], e["days"]) for e in report.expiring] == \
        [("CBD Tincture 30ml", 1, "6 Each", 10)]
    assert [(v["first"], v["second"], v["purpose"], v["entered"], v["exited"], v["minutes"])
            for v in report.vault] == [("Ben Okafor", "Carla Nguyen", "Restock or pick",
                                        "10:00", "10:42", 42)]


def test_sales_velocity_ranks_the_week_and_the_slow_stock(report):
    fastest = report.velocity["fastest"]
    # Blue Dream: 8 sold that day and 4 three days before, 12 in the week: 1.7 a day.
    assert [(r["item"], r["day_text"], r["week_text"], r["per_day_text"]) for r in fastest] == \
        [("Blue Dream 3.5g Jar", "8", "12", "1.7"), ("Sour Gummies 10 pack", "1", "1", "0.1")]
    slowest = [(r["item"], r["week_text"]) for r in report.velocity["slowest"]]
    # In stock and not sold at all come first, the most stock first.
    assert slowest[:3] == [("Live Resin Cart 1g", "0"), ("CBD Tincture 30ml", "0"),
                           ("Sour Gummies 10 pack", "1")]
    assert ("Bulk Flower (grams)", "0") not in slowest  # destroyed: nothing left in stock


def bars(svg: str, across: bool = False) -> list[tuple[str, float]]:
    """Each bar of the chart's one series as drawn: its label and its value, checking that
    the drawn length is in proportion to the value (height, or width for ``across``)."""
    root = ET.fromstring(svg)
    drawn = [b for g in root.iter(f"{SVG}g") if (g.get("class") or "").split()[:2] ==
             ["series", "serie-0"] for b in g.iter(f"{SVG}g") if b.get("class") == "bar"]
    out, scale = [], None
    for bar in drawn:
        rect = bar.find(f"{SVG}rect")
        notes = {d.get("class"): d.text for d in bar.iter(f"{SVG}desc")}
        value = float(notes.get("value") or 0)
        length = float(rect.get("width" if across else "height") or 0)  # 0 is left out
        if value:
            scale = scale or length / value
            assert abs(length - value * scale) < 0.01 * length, "drawn in proportion"
        else:
            assert length == 0
        out.append((notes.get("x_label") or "", value))
    return out


def test_the_charts_are_svg_drawings_of_the_days_series(report):
    assert set(report.charts) == {"fastest", "slowest", "by_hour"}
    # Drawn bottom-up: the fastest seller is the last bar.
    assert bars(report.charts["fastest"], across=True) == [
        ("Sour Gummies 10 pack", 0.1), ("Blue Dream 3.5g Jar", 1.7)]
    # 10:00 to 14:00 on the store's clock: 3, 3, none, none, 3 units.
    assert bars(report.charts["by_hour"]) == [
        ("10:00", 3.0), ("11:00", 3.0), ("12:00", 0.0), ("13:00", 0.0), ("14:00", 3.0)]
    assert bars(report.charts["slowest"], across=True)[-3:] == [
        ("Sour Gummies 10 pack", 1.0), ("CBD Tincture 30ml", 0.0), ("Live Resin Cart 1g", 0.0)]


def test_the_pdf_opens_and_holds_the_days_figures(report):
    data = reports.pdf(report)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "End of day · Monday 23 November 2026 Demo Dispensary · Licence C10-0000001-LIC" in text
    assert "Summary " + " ".join(f"{label} {value}" for label, value in FIGURES.items()) \
        + " Reconciliation" in text
    # A day no one reconciled says so (the reconciled day: tests/reconciliation).
    assert ("Reconciliation Opening (Sun 22 Nov sales) not done Closing not done" in text
            and "No opening reconciliation was done this morning." in text)
    squeezed = "".join(text.split())  # a long cell wraps, and may break at a hyphen
    for words in (MANIFEST, "Ana Reyes", tag(3), "Damage (Non-Recoverable)", "seal broken",
                  "mould found", "Ben Okafor Carla Nguyen Restock or pick", "CBD Tincture 30ml",
                  "not found at this facility", "Fastest sellers: units a day, last 7 days",
                  "Blue Dream 3.5g Jar"):
        assert "".join(words.split()) in squeezed, words


def test_keep_pdf_keeps_the_file_its_sha256_and_an_audit_entry(store_day, settings):
    femi = store_day.people.femi
    kept = reports.keep_pdf(DAY, femi, settings, station="office-1", occasion="at close")
    path = reports.folder(settings) / kept.path
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == kept.sha256 and kept.size == len(data)
    row = KeptReport.get_by_id(kept.id)
    assert (row.day, row.generated_by.name, row.station, row.occasion) == \
        (DAY, "Femi Adeyemi", "office-1", "at close")
    entry = AuditEntry.select().where(AuditEntry.action == "report.keep").get()
    assert entry.detail["sha256"] == kept.sha256 and entry.actor_name == "Femi Adeyemi"
    assert "Units sold 9" in pdf_text(data)
    assert reports.kept_state(row, settings) == "intact"
    assert ledger.verify_chain() == []
    # The file is kept beside the database, under its year, and tells the day in its name.
    assert path.parent == reports.folder(settings) / "2026"
    assert path.name.startswith("2026-11-23-end-of-day-")
    # An altered or removed file is told apart from the one kept.
    path.write_bytes(data.replace(b"%%EOF", b"%%EOF\n% edited"))
    assert reports.kept_state(row, settings) == "altered"
    path.unlink()
    assert reports.kept_state(row, settings) == "missing"


def test_a_past_days_report_reads_the_day_as_it_ended(store_day, settings):
    before = reports.end_of_day(DAY - dt.timedelta(days=1), settings)
    figures = dict(before.figures())
    # Both of that day's messages were still waiting at its end (the POS's went next day).
    assert figures["Waiting for Metrc or the POS"] == "2"
    assert figures["Packages accepted"] == "8" and figures["Units received"] == "539.6"
    # The carts delivered on DAY were not yet on hand at the end of the day before.
    slow = {r["item"]: r["on_hand_text"] for r in before.velocity["slowest"]}
    assert slow["Live Resin Cart 1g"] == "10"
    after = {r["item"]: r["on_hand_text"] for r in
             reports.end_of_day(DAY, settings).velocity["slowest"]}
    assert after["Live Resin Cart 1g"] == "40"


def test_a_day_without_records_says_so_in_every_section(database, settings, fixed_clock):
    empty = reports.end_of_day(DAY, settings)
    assert empty.charts == {}
    html = reports.document_html(empty)
    for words in ("Nothing was received.", "Nothing was moved.", "No stock was adjusted.",
                  "Nothing was waiting", "Nobody entered the vault.",
                  "Nothing was sold in these 7 days."):
        assert words in html


def test_expiring_stock_is_one_row_an_item_from_its_soonest_package(store_day, app):
    """Two more tinctures expiring later that month, one on the floor: still one row, dated by
    the soonest, counting all three packages and what they hold; stock ended is left out."""
    tincture, places = store_day.items["tincture"], store_day.places
    with db.write():
        for n, days, where in ((21, 20, "LOC-FLOOR"), (22, 25, "LOC-V-A1"), (23, 5, "LOC-V-A1")):
            package = Package.create(tag=tag(n), item=tincture, unit="Each",
                                     created_at=clock.now(), received_at=clock.now(),
                                     expires_on=DAY + dt.timedelta(days=days))
            ledger.receive(package, Decimal(4), to_location=places[where], reason="restock")
        ledger.record(package, 0, "destroy", status="destroyed", reason="expired")
    rows = reports.end_of_day(DAY, app.config["KIOSK"]).expiring
    assert [(r["item"], r["expires"], r["days"], r["packages"], r["units_text"])
            for r in rows] == [("CBD Tincture 30ml", "2026-12-03", 10, 3, "14 Each")]
    assert rows[0]["where"] == "; ".join(sorted({places["LOC-FLOOR"].name,
                                                 places["LOC-V-A1"].name}))


def test_places_are_written_short_a_shelf_row_once():
    assert report_queries.places_text({"Vault shelf B4", "Sales floor", "Vault shelf A1",
                                       "Vault shelf A2", "Quarantine"}) == \
        "Quarantine; Sales floor; Vault shelf A1, A2, B4"
    assert report_queries.places_text({"Vault shelf A1"}) == "Vault shelf A1"


def test_the_vault_log_names_the_visitors_taken_in(store_day, app, kiosk, fixed_clock):
    """A contractor signed in and taken into the vault at five: the report's vault log names
    them beside the two staff who went in."""
    fixed_clock.current = at(DAY, 17)
    visitor_into_vault(kiosk)
    vault = reports.end_of_day(DAY, app.config["KIOSK"]).vault
    assert [(v["entered"], v["first"], v["second"], v["visitors"]) for v in vault] == [
        ("10:00", "Ben Okafor", "Carla Nguyen", ""),
        ("17:00", "Ben Okafor", "Femi Adeyemi", "Sam Ortiz (Bright Electric)")]

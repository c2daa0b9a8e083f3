"""The end-of-day report by touch in Chromium: from the manager's menu to the day's figures
and charts, an earlier day, a PDF kept and downloaded, and the day's evidence packet."""

from __future__ import annotations

import datetime as dt
import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from kiosk import clock, db, evidence_check
from kiosk.models import Package, PosSale

SALES = ((1, 2, 9, 10), (1, 1, 9, 40), (2, 3, 10, 5), (4, 1, 11, 30))  # package, units, h, m


def test_a_manager_opens_keeps_and_exports_the_days_report_by_touch(page, live_server, login,
                                                                    shoot, records, tmp_path):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    today = clock.store_date()
    with records():
        tags = [t for (t,) in Package.select(Package.tag).order_by(Package.id).limit(4).tuples()]
        with db.write():
            for n, (package, units, hh, mm) in enumerate(SALES, 1):
                sold = min(clock.from_local(dt.datetime.combine(today, dt.time(hh, mm))),
                           clock.now())
                PosSale.create(source="webhook", receipt=f"E2E-{n}", tag=tags[package - 1],
                               quantity=units, sold_at=sold, received_at=clock.now())

    login(page, "1006", "6789")
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("End-of-day report")).tap()
    report = page.locator("#day-report")
    expect(report).to_have_attribute("data-day", today.isoformat())
    figures = page.locator("#figures tr")
    expect(figures.filter(has_text="Units sold").locator("td")).to_have_text("7")
    expect(figures.filter(has_text="Sales lines").locator("td")).to_have_text("4")
    for chart in ("#chart-by-hour", "#chart-fastest", "#chart-slowest"):
        drawn = page.locator(f"{chart} svg g.series g.bar rect")
        assert drawn.count() >= 1
        box = page.locator(f"{chart} svg").bounding_box()
        assert box["width"] > 900 and box["height"] > 150  # drawn across the panel
    assert page.locator("#chart-fastest svg g.series g.bar").count() == len(
        {p for p, *_ in SALES})
    shoot(page, "report")

    earlier = today - dt.timedelta(days=1)
    page.get_by_role("link", name=re.compile(earlier.strftime("%a %d %b"))).tap()
    expect(report).to_have_attribute("data-day", earlier.isoformat())
    page.get_by_role("link", name="Today").tap()
    expect(report).to_have_attribute("data-day", today.isoformat())

    # While the PDF is made the screen says it is working: the request is held here until
    # the words have been seen, then let through.
    busy = page.locator("#report-busy")
    expect(busy).to_be_hidden()
    held = []
    page.route("**/keep", lambda route: held.append(route))
    page.get_by_role("button", name="Keep as PDF").tap()
    expect(busy).to_be_visible()
    expect(busy).to_contain_text("takes a few seconds")
    expect(page.get_by_role("button", name="Keep as PDF")).to_be_disabled()
    page.wait_for_timeout(100)  # nothing else happens while it waits
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/keep")
    expect(page.locator("#kept .feedback")).to_contain_text("Kept: the report of",
                                                            timeout=120_000)
    expect(busy).to_be_hidden()
    shoot(page, "kept")
    with page.expect_download() as pdf:
        page.locator("#kept-table a", has_text="PDF").first.tap()
    text = " ".join(" ".join((p.extract_text() or "").split())
                    for p in PdfReader(io.BytesIO(open(pdf.value.path(), "rb").read())).pages)
    assert "End of day" in text and "Units sold 7" in text

    page.get_by_role("button", name="Evidence packet of this day").tap()
    expect(page.locator("#packet-download")).to_be_visible(timeout=120_000)
    with page.expect_download() as packet:
        page.locator("#packet-download").tap()
    saved = tmp_path / "packet.zip"
    packet.value.save_as(saved)
    result = evidence_check.check(saved)
    assert result.intact, result.findings
    assert result.fingerprint in page.locator("#kept .packet").inner_text()
    assert not [p for p in problems if "Content Security Policy" in p], problems

"""A manager recalls a source package at the touchscreen: the notice's tag scanned, the screen
shows how many packages were made from it, where they are and how each matched; one tap holds
them all with their quarantine labels in one print job. The recall's own screen lists each
package with how it matched, and a package still on its shelf is brought into the cage from
there, one tap away, with the scanner."""

from __future__ import annotations

from onscreen import type_on_screen
from playwright.sync_api import expect

from kiosk import demo
from kiosk.models import Package, PackageOrigin, PrintJob, Recall

NOTICE = "Vendor notice R-7 bulk lot failed"


def test_a_manager_recalls_a_source_package_and_brings_one_into_the_cage(
        page, live_server, shoot, login, scan, start_run, records):
    source = demo.demo_source_tag(0, 0)
    with records():
        made = sorted(o.package.tag for o in PackageOrigin.select().where(
            PackageOrigin.kind == "source", PackageOrigin.value == source))
        assert len(made) >= 3
    how = f"made from source package {source} (on file)"
    login(page, "1006", "6789")
    start_run(page, "Recall")
    step = page.locator("#step")
    step.get_by_role("button", name="A source package tag").tap()
    expect(step.locator("h1")).to_contain_text("source package tag")
    scan(page, source)  # the tag's barcode on the notice
    expect(step.locator("h1")).to_contain_text("Who issued the recall")
    expect(step).to_contain_text(f"Matched: {how}")
    field = step.locator("input.text[name=value]")
    field.evaluate("el => el.blur()")
    field.tap()
    type_on_screen(page, NOTICE)
    expect(step.locator("h1")).to_contain_text("on hold now?")
    shoot(page, "found")
    step.get_by_role("button", name=f"Hold all {len(made)} packages now").tap()
    expect(page.locator(".feedback.ok")).to_contain_text(f"{len(made)} package(s) put on hold")

    with records():
        assert {p.status for p in Package.select().where(Package.tag.in_(made))} == \
            {"quarantined"}
        (job,) = PrintJob.select().where(PrintJob.layout == "quarantine_label")
        assert sorted(label["tag"] for label in job.data["labels"]) == made
        recall = Recall.get()

    page.goto(f"{live_server.url}/cage/recall/{recall.id}")
    expect(page.locator("#recall h1")).to_contain_text(f"0 of {len(made)} in the cage")
    expect(page.locator("#matched")).to_contain_text(f"Matched: {how}")
    expect(page.locator("#recalled tr[data-tag]")).to_have_count(len(made))
    row = page.locator(f"#recalled tr[data-tag='{made[0]}']")
    expect(row).to_contain_text(how)
    shoot(page, "recall-screen")
    row.locator("[data-offer=quarantine]").tap()
    expect(page.locator("#step[data-step=cage]")).to_have_count(1)
    page.wait_for_load_state("load")
    scan(page, "LOC-Q")
    expect(page.locator(".feedback.ok")).to_contain_text(f"{made[0]} is in")
    page.goto(f"{live_server.url}/cage/recall/{recall.id}")
    expect(page.locator("#recall h1")).to_contain_text(f"1 of {len(made)} in the cage")
    expect(page.locator(f"#recalled tr[data-tag='{made[0]}'] [data-offer]")).to_have_count(0)

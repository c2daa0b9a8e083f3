"""A runner quarantines three packages at the touchscreen with the scanner: a reason tapped
(one typed in full on the on-screen keyboard), all of each package, the cage's label. Each
quarantine label, as the print worker spooled it, is rendered by zpl-renderer-js and read
back by zxing-cpp to the exact tag, and the whole reason is printed inside the label. Then
the cage's screen lists them and a held package is refused by the move screen, which offers
the release one tap away."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import zxingcpp
from onscreen import type_on_screen
from playwright.sync_api import expect

from kiosk.demo import demo_tag
from kiosk.hardware import labels
from kiosk.hardware.zpl import dots_per_mm
from kiosk.models import Package, PrintJob

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printing"))
from zpl_renderer import ZplRenderer  # noqa: E402

LONG_REASON = "Lid cracked and the seal is torn and the jar smells of solvent"
CHOSEN = {1: "Damaged", 2: "Expired", 3: LONG_REASON}


def spooled(folder: Path, name: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (folder / name).exists():
            return (folder / name).read_text()
        time.sleep(0.1)
    raise AssertionError(f"{name} was never printed to {folder}")


def ink_columns(image, top: float, height: float, d: float) -> list[int]:
    pixels = image.load()
    rows = range(int(top * d), min(image.height, int((top + height) * d) + 1))
    return [x for x in range(image.width) if any(pixels[x, y] < 128 for y in rows)]


def test_a_runner_quarantines_three_packages_with_the_scanner(page, live_server, shoot, login,
                                                              scan, start_run, records):
    tags = {n: demo_tag(n) for n in CHOSEN}
    with records():
        assert {Package.get(Package.tag == t).status for t in tags.values()} == {"active"}
    login(page, "1004", "4567")
    start_run(page, "Quarantine packages")
    step = page.locator("#step")
    for n, reason in CHOSEN.items():
        scan(page, tags[n])
        expect(step.locator("h1")).to_have_text("Why does it come out of stock?")
        if n == 3:
            step.get_by_role("button", name="Other", exact=True).tap()
            field = step.locator("input.text[name=value]")
            field.evaluate("el => el.blur()")
            field.tap()
            type_on_screen(page, LONG_REASON)
        else:
            step.get_by_role("button", name=reason, exact=True).tap()
        expect(step.locator("h1")).to_have_text("Is all of it held, or only part?")
        step.get_by_role("button", name="All of it", exact=False).tap()
        expect(step.locator("h1")).to_contain_text("scan the cage's label")
        scan(page, "LOC-Q")
        expect(step.locator(".feedback.ok")).to_contain_text(f"{tags[n]} is on hold")
        shoot(page, f"held-{n}")
    expect(step).to_contain_text("3 packages held")

    with records():
        jobs = {j.data["tag"]: j for j in PrintJob.select().where(
            PrintJob.layout == "quarantine_label")}
        assert set(jobs) == set(tags.values())
    renderer = ZplRenderer()
    try:
        stock, d = labels.STOCKS["2x1"], dots_per_mm(203)  # the demo's labels
        for n, reason in CHOSEN.items():
            job = jobs[tags[n]]
            zpl = spooled(live_server.workdir / "spool", f"{job.id:08d}-quarantine_label.zpl")
            (image,) = renderer.render(zpl, stock.width, stock.height, 203)
            image.save(live_server.workdir / f"quarantine-{n}.png")
            assert [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)] == \
                [("Code128", tags[n])]
            # The whole reason, on rows that stay inside the label as the renderer drew them.
            label = labels.build("quarantine_label", job.data, "2x1", True)
            texts = [i for i in label.items if isinstance(i, labels.Text)]
            start = next(k for k, t in enumerate(texts) if t.text.startswith("Reason: "))
            rows = []
            for t in texts[start:]:
                if t.text.startswith(job.data["date"]):
                    break
                rows.append(t)
            assert " ".join(t.text for t in rows) == f"Reason: {reason}"
            for row in rows:
                assert f"^FD{row.text}^FS" in zpl
                ink = ink_columns(image, row.y, row.size, d)
                assert ink and max(ink) <= (row.x + row.w) * d + 1 < image.width - 1
            assert "Dev Patel" in zpl and job.data["batch"] in zpl
    finally:
        renderer.close()

    step.get_by_role("button", name="Done").tap()
    page.locator(".topbar .home").tap()
    tile = page.locator("#home-cage")
    expect(tile).to_contain_text("Quarantine cage: 3 on hold")
    tile.tap()
    expect(page.locator("#held tr[data-tag]")).to_have_count(3)
    expect(page.locator("#held")).to_contain_text(LONG_REASON)
    shoot(page, "cage")
    page.locator(".topbar .home").tap()

    start_run(page, "Move")
    scan(page, tags[1])
    expect(step.locator("[role=alert]")).to_contain_text("on hold in quarantine")
    offer = page.locator("[data-offer=release]")
    expect(offer).to_be_visible()
    shoot(page, "move-refused")
    offer.tap()
    expect(page.locator("#step[data-step]")).to_contain_text("Why may it be sold again?")

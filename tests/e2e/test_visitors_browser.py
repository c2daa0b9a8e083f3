"""The visitor log in a real browser: a visitor signed in by touch with an escort's badge and
PIN, their badge label as printed (rendered by zpl-renderer-js and read back by zxing-cpp),
signed out by scanning that badge at home; who is inside now; and the visitor closing would
wait for, resolved by a manager's signature."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import zxingcpp
from onscreen import type_on_screen
from playwright.sync_api import expect

from kiosk import visitors
from kiosk.hardware.labels import STOCKS
from kiosk.models import PrintJob, Visitor, VisitorExit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "printing"))
from zpl_renderer import ZplRenderer  # noqa: E402


def answer(page, words: str) -> None:
    """A text step: tap its box (the keyboard opens) and type."""
    field = page.locator("#step input.text[name=value]")
    field.evaluate("el => el.blur()")  # a box focused on arrival opens the keyboard on a tap
    field.tap()
    expect(page.locator("#keyboard")).to_be_visible()
    type_on_screen(page, words)


def sign_in_jane(page, keypad, scan) -> int:
    step = page.locator("#step")
    step.get_by_role("button", name="Receiving and the back rooms").tap()
    expect(step.locator("h1")).to_have_text("Type the visitor's full name, as on their ID.")
    answer(page, "Jane Doe")
    expect(step.locator("h1")).to_have_text("Type the visitor's company or agency.")
    answer(page, "Golden Coast")
    step.get_by_role("button", name="Delivering or collecting (driver)").tap()
    step.get_by_role("button", name="Driver licence").tap()
    answer(page, "4821")
    expect(step.locator("table.facts")).to_contain_text("Driver licence …4821")
    expect(step.locator("h2.signer")).to_contain_text("escort in receiving")
    return int(step.get_attribute("data-run"))


def spooled(folder: Path, name: str, timeout: float = 20) -> str:
    """The ZPL the print worker wrote to the spool folder for a job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = folder / name
        if path.exists():
            return path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{name} was never printed to {folder}")


def test_a_visitor_signed_in_wears_a_badge_that_signs_them_out(page, live_server, shoot,
                                                               login, keypad, scan,
                                                               start_run, records):
    login(page, "1001", "1234")
    start_run(page, "Sign a visitor in")
    shoot(page, "where")
    sign_in_jane(page, keypad, scan)
    shoot(page, "escort-signs")
    step = page.locator("#step")
    # A runner cannot escort in receiving; a receiver can. The badge is scanned.
    form = step.locator("form.signform")
    scan(page, "EMP-1004")
    keypad(page, "4567")
    form.get_by_role("button", name="Sign").tap()
    expect(step.locator("[role=alert]")).to_contain_text(
        "Dev Patel can't sign as escort in receiving")
    scan(page, "EMP-1002")
    expect(form.locator("[data-scan-field=badge]")).to_have_value("1002")
    keypad(page, "2345")
    form.get_by_role("button", name="Sign").tap()
    expect(step.locator(".feedback.ok")).to_contain_text(
        "Jane Doe (Golden Coast) is signed in, escorted by Ben Okafor. Print their badge.")
    expect(step.locator(".preview[data-layout=visitor_badge]")).to_be_visible()
    shoot(page, "badge-preview")
    step.get_by_role("button", name="Print", exact=True).tap()
    expect(step.locator(".feedback.ok")).to_contain_text("When they leave, scan the badge")
    with records():
        jane = Visitor.select().order_by(Visitor.id.desc()).get()
        job = PrintJob.get(PrintJob.layout == "visitor_badge")
        assert (jane.name, jane.company, jane.escort.name, jane.id_last4) == (
            "Jane Doe", "Golden Coast", "Ben Okafor", "4821")

    # The label as the printer gets it, rendered and read back to the badge's code.
    zpl = spooled(live_server.workdir / "spool", f"{job.id:08d}-visitor_badge.zpl")
    renderer = ZplRenderer()
    try:
        stock = STOCKS["2x1"]  # the demo's labels
        (image,) = renderer.render(zpl, stock.width, stock.height, 203)
    finally:
        renderer.close()
    image.save(live_server.workdir / "visitor-badge.png")
    read = [(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)]
    assert read == [("Code128", jane.code)]
    for words in ("VISITOR", "Jane Doe", "Golden Coast", "Escort: Ben Okafor"):
        assert words in zpl

    page.locator(".topbar .home").tap()
    tile = page.locator("#home-visitors .tile")
    expect(tile).to_contain_text("Visitors inside now: 1")
    shoot(page, "home-one-inside")
    tile.tap()
    expect(page.locator("#inside tr[data-visitor]")).to_have_count(1)
    expect(page.locator("#inside")).to_contain_text("Driver licence …4821")
    page.locator(".topbar .home").tap()
    expect(tile).to_be_visible()
    page.wait_for_load_state("load")  # the scanner script listens only once it has run

    scan(page, read[0][1])  # the visitor hands the badge back on the way out
    feedback = page.locator("#home-visitors .feedback.ok")
    expect(feedback).to_contain_text(re.compile(r"Jane Doe \(Golden Coast\) is signed out at "
                                                r"\d\d:\d\d, after \d+ min inside\."))
    expect(tile).to_contain_text("Visitors inside now: 0")
    shoot(page, "signed-out-by-scan")
    with records():
        left = VisitorExit.get(VisitorExit.visitor == jane.id)
        assert (left.visitor_id, left.how, left.by.name, left.station) == (
            jane.id, "scan", "Ana Reyes", "vault-1")
        assert visitors.inside_now() == []
    scan(page, read[0][1])  # again: said so, nothing more recorded
    expect(page.locator("#home-visitors .feedback.warn")).to_contain_text(
        "was already signed out")


def test_a_manager_resolves_a_visitor_who_left_without_signing_out(page, shoot, login, keypad,
                                                                  scan, start_run, records):
    login(page, "1002", "2345")
    start_run(page, "Sign a visitor in")
    sign_in_jane(page, keypad, scan)
    scan(page, "EMP-1002")
    keypad(page, "2345")
    page.locator("#step form.signform").get_by_role("button", name="Sign").tap()
    page.locator("#step details.skip summary").tap()
    page.locator("#step").get_by_role("button", name="Printer not working").tap()
    page.locator("#keyboard [data-kb=hide]").tap()
    page.locator("#step").get_by_role("button", name="Continue without printing").tap()
    expect(page.locator("#step .feedback.ok")).to_contain_text("is signed in with badge")
    with records():
        assert [v.name for v in visitors.inside_now()] == ["Jane Doe"]  # closing would wait

    page.get_by_role("button", name="Log out").tap()
    login(page, "1006", "6789")
    page.get_by_role("link", name="Manager screens").tap()
    page.get_by_role("link", name=re.compile("^Visitors")).tap()
    inside = page.locator("#visitors")
    expect(inside.locator("h1")).to_have_text("Visitors inside now: 1")
    inside.get_by_role("button", name="Resolve…").tap()
    form = page.locator("#resolve-form")
    expect(form.locator("h2")).to_have_text("Resolve Jane Doe (Golden Coast): a manager signs")
    form.get_by_role("button", name="Left without signing out").tap()
    page.locator("#keyboard [data-kb=hide]").tap()
    form.get_by_role("button", name="Type badge").tap()
    keypad(page, "1006")
    form.get_by_role("button", name="Type PIN").tap()
    keypad(page, "6789")
    shoot(page, "resolving")
    form.get_by_role("button", name="Resolve", exact=True).tap()
    expect(inside.locator(".feedback.ok")).to_contain_text(
        "Jane Doe (Golden Coast) is signed out: resolved by Femi Adeyemi (\"Left without "
        "signing out\").")
    expect(inside.locator("h1")).to_have_text("Visitors inside now: 0")
    shoot(page, "resolved")
    with records():
        assert visitors.inside_now() == []
        left = VisitorExit.select().order_by(VisitorExit.id.desc()).get()
        assert (left.how, left.printed_name, left.reason) == ("resolved", "Femi Adeyemi",
                                                              "Left without signing out")
    page.get_by_role("link", name="Visitor log by date").tap()
    expect(page.locator("#visitor-log")).to_contain_text("resolved by a manager, Femi Adeyemi")

"""The in-page keyboard in a real browser: on a kiosk with no keyboard of its own, a code that
will not scan is typed by tapping keys, a reason is tapped or typed, and every key is a
gloved finger's size."""

from __future__ import annotations

from playwright.sync_api import expect

from kiosk.demo import demo_tag
from kiosk.models import Package, Run, StepEvent

KEY_MM = 20
PX_PER_MM = 96 / 25.4


def tap_keys(page, text):
    for ch in text:
        page.locator(f'#keyboard [data-kb="{ch.upper()}"]').tap()


def test_a_tag_that_will_not_scan_is_typed_on_the_screen(page, shoot, login, start_run,
                                                         records):
    login(page, "1003", "3456")
    run_id = start_run(page, "Move packages")
    keyboard = page.locator("#keyboard")
    expect(keyboard).to_be_hidden()
    page.locator("#step details.manual summary").tap()
    page.locator("#step details.manual input[name=value]").tap()
    expect(keyboard).to_be_visible()
    for key in keyboard.locator("[data-kb]").all():
        box = key.bounding_box()
        assert box["width"] >= KEY_MM * PX_PER_MM and box["height"] >= KEY_MM * PX_PER_MM, box
    tag = demo_tag(9)
    tap_keys(page, tag)
    field = page.locator("#step details.manual input[name=value]")
    expect(field).to_have_value(tag)
    shoot(page, "tag-typed")
    page.locator('#keyboard [data-kb="enter"]').tap()
    expect(page.locator("#step .feedback.ok")).to_contain_text("now scan where it goes")
    expect(keyboard).to_be_hidden()

    with records():
        here = Package.get(Package.tag == tag).location.code
    destination = "LOC-V-A1" if here != "LOC-V-A1" else "LOC-V-A2"
    page.locator("#step details.manual summary").tap()
    page.locator("#step details.manual input[name=value]").tap()
    tap_keys(page, destination)
    page.locator('#keyboard [data-kb="enter"]').tap()
    expect(page.locator("#step .feedback.ok")).to_contain_text(f"Moved {tag[-6:]}")
    with records():
        typed = [(e.step_id, e.accepted, e.value.get("value"), e.value.get("source"))
                 for e in StepEvent.select().where(StepEvent.run == run_id)]
        assert typed == [("package", True, tag, "typed"),
                         ("destination", True, destination, "typed")]
        assert Package.get(Package.tag == tag).location.code == destination


def test_a_reason_is_tapped_or_typed(page, shoot, login, start_run, records):
    login(page, "1006", "6789")
    run_id = start_run(page, "Move packages")
    page.locator("#step details.cancel summary").tap()
    page.get_by_role("button", name="Started by mistake").tap()
    reason = page.locator("#step details.cancel input[name=reason]")
    expect(reason).to_have_value("Started by mistake")
    expect(page.locator("#keyboard")).to_be_visible()  # to change the words if need be
    # Typing carries on after the tapped words, in small letters after the first.
    page.locator('#keyboard [data-kb=","]').tap()
    page.locator('#keyboard [data-kb=" "]').tap()
    tap_keys(page, "wrong")
    page.locator('#keyboard [data-kb=" "]').tap()
    tap_keys(page, "run")
    expect(reason).to_have_value("Started by mistake, wrong run")
    page.locator('#keyboard [data-kb="back"]').tap()
    expect(reason).to_have_value("Started by mistake, wrong ru")
    tap_keys(page, "n")
    shoot(page, "reason-typed")
    page.locator('#keyboard [data-kb="hide"]').tap()
    expect(page.locator("#keyboard")).to_be_hidden()
    page.get_by_role("button", name="Cancel run").tap()
    expect(page.locator("main .tiles").first).to_be_visible()  # back home
    with records():
        run = Run.get_by_id(run_id)
        assert (run.status, run.cancel_reason) == ("cancelled", "Started by mistake, wrong run")


def test_a_manager_types_why_a_refused_message_is_closed(page, shoot, login, records,
                                                        live_server):
    from kiosk import clock, db
    from kiosk.models import OutboxMessage

    with records(), db.write():
        message = OutboxMessage.create(
            target="metrc", kind="package.location", external_key="keyboard-test-1",
            payload={"tag": demo_tag(11), "location_name": "Vault shelf A1"},
            ordering_key=demo_tag(11), status="attention", next_attempt_at=clock.now(),
            last_error="Package not found at this facility.", created_at=clock.now())
    login(page, "1006", "6789")
    page.goto(f"{live_server.url}/manager/sync")
    card = page.locator(f"#message-{message.id}")
    card.locator("input[name=why]").tap()
    expect(page.locator("#keyboard")).to_be_visible()
    tap_keys(page, "moved by hand")
    expect(card.locator("input[name=why]")).to_have_value("Moved by hand")
    shoot(page, "why-typed")
    page.locator('#keyboard [data-kb="hide"]').tap()
    card.get_by_role("button", name="Resolve without sending").tap()
    expect(card).to_have_count(0)
    with records():
        closed = OutboxMessage.get_by_id(message.id)
        assert (closed.status, closed.resolved_note) == ("resolved", "Moved by hand")

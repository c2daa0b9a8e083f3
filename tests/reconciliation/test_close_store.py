"""Closing reconciliation over HTTP: today's sales against a blind closing count, the
variances still open, and every message still waiting for Metrc explained (or delivered)
one by one: the signature is refused while one waits unexplained, and taken once each is."""

from __future__ import annotations

from decimal import Decimal

from recon_helpers import MANAGER, Manager, queue

from kiosk import clock
from kiosk.models import (
    AuditEntry,
    DayCheck,
    DayCount,
    DayDifference,
    OutboxMessage,
    PosInventory,
    WaitingNote,
)
from kiosk.sync import sales_pulls
from kiosk.sync.worker import Worker


def evening(fixed_clock, settings):
    """8 pm in the store, the day's sales and the POS's stock pulled from the training
    Dutchie."""
    fixed_clock.advance(hours=11)
    said = sales_pulls.pull_day(settings, clock.store_date())
    assert "new sale lines" in said and "stock of" in said


def count_all(manager: Manager, off_by: dict[int, Decimal] | None = None) -> list[DayCount]:
    lines = list(DayCount.select().order_by(DayCount.id))
    for number, line in enumerate(lines):
        manager.ok("count_scan", value=line.tag, source="scanner")
        manager.ok("count_units", value=str(line.expected + (off_by or {}).get(number, 0)))
        while manager.step == "difference":
            manager.ok("difference", value="explain")
            manager.ok("reason", value="miscount")
            manager.ok("note", value="Two jars were behind the counter for a customer.")
    return lines


def test_closing_is_refused_while_a_message_waits_unexplained(kiosk, settings, store,
                                                               fixed_clock):
    evening(fixed_clock, settings)
    first = queue(store["packages"][0]["tag"])
    manager = Manager(kiosk, "close_store", *MANAGER)
    screen = manager.screen()
    assert "Today's sales: count the best sellers." in screen and "sale lines" in screen
    manager.ok("sales")

    # The closing count: blind, the books' figure is the POS's own of this evening.
    lines = list(DayCount.select().order_by(DayCount.id))
    assert len(lines) == 3 and all(c.source.startswith("the POS's figure at 20:00")
                                   for c in lines)
    assert all(c.expected == PosInventory.get(PosInventory.tag == c.tag).quantity
               for c in lines)
    count_all(manager, off_by={1: Decimal(-2)})
    found = DayDifference.get(DayDifference.kind == "count")
    assert (found.counted, found.expected, found.settled) == (
        lines[1].expected - 2, lines[1].expected, "explained")

    assert manager.step == "investigations"
    manager.ok("investigations")

    # The waiting message, with how long it has waited against the state's deadline.
    assert manager.step == "waiting"
    screen = manager.screen()
    assert f"Location · package {first.payload['tag']} (Metrc)" in screen
    assert "of the 24 h deadline" in screen
    manager.ok("waiting", value="explain")
    manager.ok("wait_reason", value="outage")
    manager.ok("wait_note", value="Metrc is down since 6 pm; outage ticket 4411.")
    assert manager.step == "sign"

    # Another package moves before the signature: closing is refused, in words.
    second = queue(store["packages"][1]["tag"])
    answer = manager.do("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert answer["tone"] == "error"
    assert "1 message still waits unexplained" in answer["message"]
    assert DayCheck.get().status == "open"

    manager.ok("sign", value="__back__")
    assert manager.step == "waiting" and second.payload["tag"] in manager.screen()
    manager.ok("waiting", value="explain")
    manager.ok("wait_reason", value="by_hand")
    manager.ok("wait_note", value="Moved by hand in Metrc at 8:05 pm.")
    answer = manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert "is closed, signed by Femi Adeyemi" in answer["message"]

    check = DayCheck.get()
    assert (check.kind, check.status, check.day) == ("close", "signed", clock.store_date())
    notes = {n.message_id: n for n in WaitingNote.select()}
    assert set(notes) == {first.id, second.id}
    assert notes[first.id].reason.startswith("The state system is down")
    assert notes[first.id].by.badge == MANAGER[0]
    explained = [e.detail for e in AuditEntry.select().where(AuditEntry.action == "sync.explain")]
    assert sorted(e["note"] for e in explained) == sorted(n.note for n in notes.values())
    # Both messages still wait: explained is not delivered.
    assert {m.status for m in OutboxMessage.select()} == {"pending"}


def test_a_message_delivered_meanwhile_needs_no_explanation(kiosk, settings, store, metrc,
                                                            fixed_clock):
    evening(fixed_clock, settings)
    queue(store["packages"][2]["tag"])
    queue(store["packages"][3]["tag"], target="pos")  # Dutchie is read only: not waiting
    manager = Manager(kiosk, "close_store", *MANAGER)
    manager.ok("sales")
    count_all(manager)
    manager.ok("investigations")
    assert manager.step == "waiting"
    Worker(settings).drain()
    manager.ok("waiting", value="again")
    assert manager.step == "sign"
    assert "Not sent (the POS) 1 message: this store does not send to it" in manager.screen()
    manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert WaitingNote.select().count() == 0


def test_a_visitor_still_signed_in_blocks_closing(kiosk, settings, store, fixed_clock):
    from kiosk import visitors
    from kiosk.models import Run, Visitor

    evening(fixed_clock, settings)
    kiosk.login("1002", "2345")  # Ben signs a visitor in and escorts her
    kiosk.post("/runs", {"workflow": "visitor"})
    visit = Run.select().where(Run.workflow == "visitor").get()
    for step, value in (("area", "receiving"), ("name", "Jane Doe"),
                        ("company", "Golden Coast Distribution"), ("purpose", "delivery"),
                        ("id_kind", "driver_licence"), ("id_last4", "x821")):
        kiosk.step(visit.id, step, value=value)
    kiosk.step(visit.id, "escort_receiving", badge="1002", pin="2345")
    jane = Visitor.get()
    kiosk.post("/logout")

    manager = Manager(kiosk, "close_store", *MANAGER)
    manager.ok("sales")
    count_all(manager)
    manager.ok("investigations")
    assert manager.step == "sign"
    assert "Visitors inside Jane Doe (Golden Coast Distribution)" in manager.screen()
    answer = manager.do("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert answer["tone"] == "error"
    assert ("1 visitor is still signed in: Jane Doe (Golden Coast Distribution). Sign them out"
            in answer["message"])
    kiosk.post(f"/visitors/{jane.id}/sign-out")  # she leaves; the list signs her out
    assert visitors.inside_now() == []
    manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert DayCheck.get().status == "signed"

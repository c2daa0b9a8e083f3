"""Opening reconciliation over HTTP against the training Metrc and the training Dutchie:
yesterday's sales compared tag by tag, each seeded difference settled (corrected, explained
or escalated), the corrections delivered to Metrc once each and judged by its collection,
the spot count, and the opening manager's signature."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from recon_helpers import MANAGER, Manager, yesterday

from kiosk import clock, counts, db, receipt_fixes, variances
from kiosk import reconciliation as recon
from kiosk.models import Count, DayCheck, DayDifference, OutboxMessage, Signature, Variance
from kiosk.models.audit import AuditEntry
from kiosk.sync import sales_pulls, sandbox_sales
from kiosk.sync.metrc import MetrcClient
from kiosk.sync.worker import Worker


def pulled(settings) -> str:
    return sales_pulls.pull_day(settings, yesterday())


def settle_all(manager: Manager, how) -> dict[str, list[DayDifference]]:
    """Settle every difference the run shows, ``how(difference)`` choosing the answer;
    returns the differences by how they were settled."""
    done: dict[str, list[DayDifference]] = {}
    while manager.step == "difference":
        difference = recon.unsettled(manager.run.data["check"])
        answer = how(difference)
        html = manager.screen()
        assert difference.tag in html and recon.KIND_WORDS[difference.kind] in html
        if answer == "explain":
            manager.ok("difference", value="explain")
            assert manager.step == "reason"
            reason = "other" if difference.kind == "count" else "by_hand"
            manager.ok("reason", value=reason)
            manager.ok("note", value="Checked the register journal; keyed by hand at 9 pm.")
        else:
            manager.ok("difference", value=answer)
        done.setdefault(answer, []).append(DayDifference.get_by_id(difference.id))
    return done


def test_each_seeded_difference_is_found_and_settled(kiosk, settings, store, metrc,
                                                      fixed_clock):
    assert "receipts read" in pulled(settings)
    manager = Manager(kiosk, "open_store", *MANAGER)
    screen = manager.screen()
    assert "Yesterday's sales: the POS against Metrc." in screen
    assert f"{yesterday():%A %d %B %Y}" in screen and "voided" in screen

    manager.ok("figures", value="compare")
    found = list(DayDifference.select().order_by(DayDifference.id))
    kinds = Counter(d.kind for d in found)
    # The training day: a cart not reported, the voided cart still in Metrc, a return Metrc
    # never heard of, one line off by one, one receipt keyed in Metrc by hand.
    carts = [s for s in sandbox_sales.day_sales(store["packages"], yesterday())
             if not s["return_of"]]
    assert kinds == {"unreported": len(carts[sandbox_sales.UNREPORTED_CART]["lines"]),
                     "void": len(carts[sandbox_sales.VOID_CART]["lines"]), "return": 1,
                     "quantity": 1, "unsold": 1}
    assert all(d.item_name and d.item_name != "not in our records" for d in found)

    choices = {"unreported": "correct", "void": "correct", "return": "correct",
               "quantity": "explain", "unsold": "escalate"}
    settled = settle_all(manager, lambda d: choices[d.kind])
    assert {k: len(v) for k, v in settled.items()} == {
        "correct": kinds["unreported"] + kinds["void"] + 1, "explain": 1, "escalate": 1}
    explained = settled["explain"][0]
    assert (explained.settled, explained.reason) == ("explained", "Reported by hand in Metrc")
    assert explained.settled_by.badge == MANAGER[0] and explained.settled_at == clock.now()
    escalated = DayDifference.get_by_id(settled["escalate"][0].id)
    variance = Variance.get_by_id(escalated.detail["variance"])
    # The investigator (SOP §6) finds it waiting, with what the reconciliation saw.
    assert [v.id for v in variances.waiting(0)] == [variance.id]
    assert (variance.tag, variance.state, variance.physical) == (escalated.tag,
                                                                 "investigating", None)
    said = dict(variances.figures_facts(variance))
    assert said["Variance"].startswith("Reported to Metrc, not sold in the POS on")
    assert said["On the shelf (count)"] == "not counted"
    assert variance.count.title.startswith("Opening reconciliation, ")
    corrections = OutboxMessage.select().where(OutboxMessage.target == "metrc")
    assert Counter(m.kind for m in corrections) == {
        "sale.receipt": kinds["unreported"], "sale.receipt.update": kinds["void"],
        "sale.receipt.void": 1}

    # Today's spot count is scheduled for a counter (SOP §3), once.
    assert manager.step == "spot"
    assert "Who counts it" in manager.screen()
    manager.ok("spot")
    spot = Count.get(Count.scope == "spot")
    assert (spot.due_on, spot.spot_size, spot.status) == (clock.store_date(), 3, "scheduled")
    assert spot.id in [c.id for c in counts.due(clock.store_date())]

    assert manager.step == "sign"
    answer = manager.ok("sign", badge=MANAGER[0], pin=MANAGER[1])
    assert "reconciled, signed by Femi Adeyemi" in answer["message"]
    check = DayCheck.get()
    assert (check.kind, check.status, check.day) == ("open", "signed", yesterday())
    assert Signature.get(Signature.run == manager.run_id).meaning == "approved"
    assert AuditEntry.select().where(AuditEntry.action == "reconcile.sign").count() == 1
    again = Manager(kiosk, "open_store", *MANAGER).screen()
    assert "was reconciled already, signed by Femi Adeyemi" in again

    # The corrections reach Metrc, the new receipts exactly once although Metrc's answer to
    # the first was lost; each request matched Metrc's own collection (the sandbox refuses
    # any that does not).
    metrc.faults.drop_writes = 1
    worker = Worker(settings)
    worker.drain()
    fixed_clock.advance(minutes=10)
    worker.drain()
    assert {m.status for m in OutboxMessage.select().where(OutboxMessage.target == "metrc")} \
        == {"delivered"}
    assert metrc.refusals == []
    ours = [obj for path, obj, _ in metrc.world.applied if path == "/sales/v2/receipts"]
    keys = sorted(m.external_key for m in corrections if m.kind == "sale.receipt")
    assert sorted(o["ExternalReceiptNumber"] for o in ours if "Id" not in o) == keys
    assert ("GET", f"/sales/v2/receipts/external/{keys[0]}") in metrc.requests

    # Pulled again, Metrc now agrees with the POS except where a person said why not.
    fixed_clock.advance(minutes=1)
    pulled(settings)
    left = {d["tag"]: d["kind"] for d in recon.compare(yesterday())}
    assert left == {explained.tag: "quantity", settled["escalate"][0].tag: "unsold"}


def test_a_fresh_pull_is_asked_of_the_syncer(kiosk, settings, fixed_clock):
    manager = Manager(kiosk, "open_store", *MANAGER)
    # Nothing pulled yet: comparing is refused, in words.
    answer = manager.do("figures", value="compare")
    assert answer["tone"] == "error"
    assert "Metrc's receipts for" in answer["message"] and "not all in yet" in answer["message"]
    # Metrc's side alone is not enough either, with a POS the kiosk pulls from.
    sales_pulls.pull_receipts_of(MetrcClient.from_settings(settings), yesterday())
    answer = manager.do("figures", value="compare")
    assert answer["tone"] == "error" and "The POS's sales of" in answer["message"]
    fixed_clock.advance(seconds=30)
    manager.ok("figures", value="pull")
    assert "A fresh pull was asked for at" in manager.screen()
    assert "Check again" in manager.screen()
    # The syncer sees the request at its next look and pulls both sides from that day.
    worker = Worker(settings)
    fixed_clock.advance(seconds=5)
    worker.sales.pull_if_due()
    assert "Check again" not in manager.screen()
    fresh = recon.freshness(yesterday())
    assert fresh["metrc"]["covered"] and fresh["pos"]["covered"] and fresh["asked"] is None
    manager.ok("figures", value="compare")
    assert manager.step == "difference"


def test_two_fixes_of_one_receipt_build_on_each_other(kiosk, settings, metrc, fixed_clock):
    """A cart of several packages the POS voided, all still in Metrc: each fix takes one
    line off the receipt and the last voids it; none undoes another."""
    from kiosk.sync import pos

    pulled(settings)
    day = yesterday()
    receipt = next(r for r in recon.receipts(day) if len(r.lines) >= 2)
    cart = {line["tag"] for line in receipt.lines}
    for line in receipt.lines:
        pos.record_sale("csv", receipt.external_number, line["tag"], line["quantity"],
                        receipt.sold_at.isoformat() + "+00:00", kind="void")
    assert {d["kind"] for d in recon.compare(day) if d["tag"] in cart} == {"void"}
    manager = Manager(kiosk, "open_store", *MANAGER)
    manager.ok("figures", value="compare")
    plans = []
    while manager.step == "difference":
        difference = recon.unsettled(manager.run.data["check"])
        if difference.tag in cart:
            plans.append([op["op"] for op in receipt_fixes.plan(difference)])
            manager.ok("difference", value="correct")
        else:
            manager.ok("difference", value="escalate")
    assert plans == [["update"]] * (len(cart) - 1) + [["void"]]
    Worker(settings).drain()
    kept = next(r for r in metrc.world.receipts if r["Id"] == receipt.metrc_id)
    assert kept["ArchivedDate"] and metrc.refusals == []
    fixed_clock.advance(minutes=1)
    sales_pulls.pull_receipts_of(MetrcClient.from_settings(settings), day)  # Metrc's side
    assert not [d for d in recon.compare(day) if d["tag"] in cart]


def test_a_store_without_a_state_system_goes_straight_to_the_spot_count(kiosk, settings,
                                                                       fixed_clock):
    from kiosk import create_app

    client = type(kiosk)(create_app({**settings, "state_system": "none", "pos": "none"}))
    manager = Manager(client, "open_store", *MANAGER)
    manager.ok("figures", value="compare")
    assert manager.step == "spot" and DayDifference.select().count() == 0
    assert DayCheck.get().figures["compared_with_metrc"] is False


def test_quantities_are_compared_exactly(database, fixed_clock, make_employee):
    """Grams to the milligram: 3.5 g sold and 3.500 g reported agree; 3.4 g does not."""
    from kiosk.models import MetrcReceipt
    from kiosk.sync import pos

    day = clock.store_date() - dt.timedelta(days=1)
    at = clock.store_day_bounds(day, day)[0] + dt.timedelta(hours=20)
    pos.record_sale("csv", "A-1", "1A4060300000000000000001", "3.5", at.isoformat() + "+00:00",
                    unit="Grams")
    pos.record_sale("csv", "A-2", "1A4060300000000000000002", "3.5", at.isoformat() + "+00:00",
                    unit="Grams")
    with db.write():
        for number, (tag, sold) in enumerate((("1A4060300000000000000001", "3.500"),
                                              ("1A4060300000000000000002", "3.4")), 1):
            MetrcReceipt.create(metrc_id=number, external_number=f"A-{number}",
                                sold_local=clock.local(at).isoformat(), sold_at=at,
                                sold_on=day, lines=[{"tag": tag, "quantity": sold,
                                                     "unit": "Grams", "amount": "30"}],
                                pulled_at=clock.now())
    found = recon.compare(day)
    assert [(d["tag"][-1], d["kind"], d["pos"], d["metrc"]) for d in found] == [
        ("2", "quantity", Decimal("3.5"), Decimal("3.4"))]

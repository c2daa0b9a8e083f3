"""The pick workflow (SOP §4) as a runner works it: which package the kiosk chooses (FEFO
before FIFO), what it refuses and why, partial picks, a POS cancellation mid-pick, and the
hand-off that moves the stock and tells Metrc and the POS."""

from __future__ import annotations

from kiosk import clock, db, picks
from kiosk.models import Movement, OutboxMessage, Package, PrintJob, Run, StepEvent
from kiosk.models.picks import PickedPackage, PickEvent, PickLine, PickRequest

from .conftest import screen_text, tag


def test_fifo_the_kiosk_shows_the_oldest_jar_with_its_shelf_tag_end_and_received_date(
        store, order, runner):
    request = order("S-1", [("Blue Dream 3.5g Jar", 1)])
    runner.claim(request)
    screen = runner.screen()
    old = store.packages.jar_old
    assert f"Shelf Vault shelf A2 Tag ends …{old.tag[-6:]}" in screen
    assert f"Received {clock.local(old.received_at):%Y-%m-%d}" in screen
    tone, screen = runner.send(old.tag)
    assert tone == "ok" and "Everything is taken" in screen
    assert PickRequest.get_by_id(request.id).status == "picked"


def test_fefo_comes_before_fifo_the_soonest_to_expire_is_chosen_though_it_is_newer(
        store, order, runner):
    request = order("S-2", [("Watermelon Gummies", 5)])
    runner.claim(request)
    soon = store.packages.gummies_soon
    assert f"Tag ends …{soon.tag[-6:]}" in runner.screen()
    assert f"Expires {soon.expires_on.isoformat()}" in runner.screen()
    # The older package expires later: it is "newer" in pick order and needs a reason.
    tone, screen = runner.send(store.packages.gummies_later.tag)
    assert tone == "error" and "Not taken" in screen
    tone, _ = runner.send(soon.tag)
    assert tone == "ok"


def test_a_newer_package_is_refused_without_a_reason_and_taken_with_one_kept_on_record(
        store, order, runner):
    request = order("S-3", [("Blue Dream 3.5g Jar", 1)])
    runner.claim(request)
    new, old = store.packages.jar_new, store.packages.jar_old
    tone, screen = runner.send(new.tag)
    assert tone == "error"
    assert (f"Not taken: …{new.tag[-6:]} is not the one to take first. Take …{old.tag[-6:]} "
            f"from Vault shelf A2") in screen
    # The screen now offers the reasons, each a button that sends the same tag again.
    assert f"Why take …{new.tag[-6:]} instead of …{old.tag[-6:]}?" in screen
    assert "The first one is damaged" in screen
    assert not PickedPackage.select().exists()
    tone, screen = runner.send(new.tag, reason="The first one is damaged", source="tapped")
    assert tone == "ok", screen
    taken = PickedPackage.get()
    assert (taken.package_id, taken.reason) == (new.id, "The first one is damaged")
    event = StepEvent.select().where(StepEvent.run == runner.run_id,
                                     StepEvent.accepted == True).get()  # noqa: E712
    assert event.value["reason"] == "The first one is damaged"


def test_a_package_on_hold_can_never_be_picked_not_even_with_a_reason(store, order, runner):
    request = order("S-4", [("Watermelon Gummies", 5)])
    runner.claim(request)
    held = store.packages.gummies_held
    for extra in ({}, {"reason": "The customer asked for this one"}):
        tone, screen = runner.send(held.tag, **extra)
        assert tone == "error"
        assert f"Package …{held.tag[-6:]} is on hold: it can never be picked." in screen
    # It is never offered either, though it expires first of all.
    assert f"…{held.tag[-6:]}" not in runner.screen().split("This request")[0]
    assert not PickedPackage.select().exists()


def test_another_item_and_a_package_not_in_the_vault_are_refused_in_words(store, order, runner):
    request = order("S-5", [("Watermelon Gummies", 5)])
    runner.claim(request)
    tone, screen = runner.send(store.packages.wax.tag)
    assert tone == "error"
    assert ("That is Bulk Wax, which this request does not ask for. It needs Watermelon "
            "Gummies.") in screen
    order("S-6", [("Blue Dream 3.5g Jar", 1)])
    tone, screen = runner.send(store.packages.jar_floor.tag)
    assert tone == "error" and "Blue Dream 3.5g Jar, which this request does not ask for" in screen
    tone, screen = runner.send("1A4060300999999999999999")
    assert "is not a package in this store's stock" in screen


def test_a_partial_pick_says_what_is_missing_and_finishes_short_with_a_reason(
        store, order, runner):
    request = order("S-7", [("Watermelon Gummies", 25), ("Blue Dream 3.5g Jar", 1)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    tone, screen = runner.send(store.packages.gummies_later.tag)
    assert tone == "ok"
    screen = runner.screen()
    assert ("No more Watermelon Gummies can be taken from the vault: 5 missing. Press Finish "
            "short to say why.") in screen
    runner.send(store.packages.jar_old.tag)
    assert runner.run.current_step == "take"  # the gummies line is still open
    runner.send("__finish__")
    assert runner.run.current_step == "short"
    assert "Watermelon Gummies: 5 missing" in runner.screen()
    tone, _ = runner.send("stock")
    assert tone == "ok" and runner.run.current_step == "handoff"
    line = PickLine.get(PickLine.request == request.id, PickLine.number == 1)
    assert line.short_reason == "Not enough in the vault"
    tone, screen = runner.send("LOC-FLOOR")
    assert tone == "ok" and "3 packages handed off to Sales floor" in screen
    assert PickRequest.get_by_id(request.id).status == "handed_off"


def test_finishing_short_with_nothing_taken_closes_the_request_unfilled(store, order, runner):
    request = order("S-8", [("Bulk Wax", 1000), ("Nonexistent Tincture", 1)])
    assert ("1 × Nonexistent Tincture ! not in this store's catalogue"
            in screen_text(runner.kiosk.get("/picks").data.decode()))
    runner.claim(request)
    runner.send("__finish__")
    tone, screen = runner.send("missing")
    assert tone == "ok" and "Nothing was picked" in screen
    assert runner.run.status == "completed"
    closed = PickRequest.get_by_id(request.id)
    assert (closed.status, closed.close_reason) == (
        "unfilled", "Nothing could be picked: Can't find them on the shelf.")


def test_a_pos_cancellation_mid_pick_stops_the_run_and_says_what_to_put_back(
        store, order, runner, pos_post):
    request = order("W-9", [("Watermelon Gummies", 15)], kind="online")
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    response = pos_post("/api/pos/pick-requests/cancel", {"id": "W-9", "reason": "customer"})
    assert response.get_json() == {"ok": True, "result": "request W-9 withdrawn"}
    run = runner.run
    assert run.status == "cancelled"
    assert run.cancel_reason == ("The POS cancelled this order: customer. Put back: "
                                 f"…{tag(1)[-6:]} to Vault shelf A1.")
    tone, screen = runner.send(store.packages.gummies_later.tag)
    assert tone == "error" and "This run is cancelled" in screen  # nothing was saved: red
    assert "Put back: …" in screen
    assert PickRequest.get_by_id(request.id).status == "cancelled"
    assert "W-9" not in runner.kiosk.get("/picks").data.decode()
    assert not Movement.select().where(Movement.kind == "pick").exists()
    assert PickedPackage.get().withdrawn_at is not None
    # A second cancellation, or one for an order never sent, is answered plainly.
    again = pos_post("/api/pos/pick-requests/cancel", {"id": "W-9"})
    assert again.get_json()["result"] == "request W-9 was already cancelled"
    assert pos_post("/api/pos/pick-requests/cancel", {"id": "nope"}).status_code == 404


def test_the_hand_off_moves_every_package_and_tells_metrc_and_the_pos_in_one_step(
        store, order, runner):
    request = order("S-10", [("Watermelon Gummies", 12)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    runner.send(store.packages.gummies_later.tag)
    assert runner.run.current_step == "handoff"
    tone, screen = runner.send("LOC-PICKUP")
    assert tone == "error" and "That is not Sales floor. Scan the Sales floor label." in screen
    tone, screen = runner.send("1004")  # the runner's own badge
    assert tone == "error" and "the person taking it scans their own badge" in screen
    tone, screen = runner.send("EMP-1001")  # Ana, the budtender
    assert tone == "ok" and "2 packages handed off to Ana Reyes" in screen
    done = PickRequest.get_by_id(request.id)
    assert done.status == "handed_off" and done.handed_to_id == store.people.ana.id
    assert done.requested_at <= done.claimed_at <= done.picked_at <= done.handed_off_at
    handoff = StepEvent.get(StepEvent.run == runner.run_id, StepEvent.step_id == "handoff",
                            StepEvent.accepted == True)  # noqa: E712
    moves = list(Movement.select().where(Movement.kind == "pick"))
    assert {m.package_id for m in moves} == {store.packages.gummies_soon.id,
                                             store.packages.gummies_later.id}
    assert all(m.step_event_id == handoff.id and m.quantity == 0 for m in moves)
    assert all(Package.get_by_id(m.package_id).location.code == "LOC-FLOOR" for m in moves)
    messages = {(m.target, m.kind, m.payload["tag"]) for m in OutboxMessage.select().where(
        OutboxMessage.step_event_id == handoff.id)}
    assert messages == {(t, k, p.tag) for t, k in (("metrc", "package.location"),
                                                   ("pos", "stock.moved"))
                        for p in (store.packages.gummies_soon, store.packages.gummies_later)}
    assert [e.kind for e in PickEvent.select().where(PickEvent.request == request.id)
            .order_by(PickEvent.id)] == ["requested", "claimed", "picked", "handed_off"]
    assert runner.run.status == "completed"


def test_an_online_order_prints_its_ticket_on_arrival_and_bag_labels_when_picked(
        store, order, runner):
    request = order("W-11", [("Blue Dream 3.5g Jar", 1)], kind="online", customer="Jo Peña")
    ticket = PrintJob.get(PrintJob.layout == "pick_ticket")
    assert ticket.device == "receipt" and ticket.data["order"] == "W-11"
    assert ticket.data["lines"][0]["tag"] == store.packages.jar_old.tag
    assert ticket.data["lines"][0]["where"] == "Vault shelf A2"
    runner.claim(request)
    runner.send(store.packages.jar_old.tag)
    assert runner.run.current_step == "bag_label"
    tone, _ = runner.send("print")
    assert tone == "ok"
    label = PrintJob.get(PrintJob.layout == "pick_label")
    assert (label.device, label.data["order"], label.data["tag"], label.data["customer"]) == (
        "label", "W-11", store.packages.jar_old.tag, "Jo Peña")
    tone, screen = runner.send("LOC-PICKUP")  # online orders go to the pickup shelf
    assert tone == "ok", screen
    assert Package.get_by_id(store.packages.jar_old.id).location.code == "LOC-PICKUP"


def test_a_package_put_on_hold_mid_pick_is_withdrawn_and_never_handed_off(
        store, order, runner):
    request = order("S-12", [("Watermelon Gummies", 12)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    runner.send(store.packages.gummies_later.tag)
    # Quarantine (another procedure) holds one of them and withdraws its pick.
    with db.write():
        Package.update(status="quarantined").where(
            Package.id == store.packages.gummies_soon.id).execute()
        assert picks.withdraw_package(tag(1), "recalled", store.people.femi) == 1
    assert PickRequest.get_by_id(request.id).status == "claimed"
    assert runner.run.current_step == "handoff"
    assert (f"…{tag(1)[-6:]} was withdrawn: recalled. Set it aside; it will not be handed off."
            in runner.screen())
    tone, screen = runner.send("LOC-FLOOR")
    assert tone == "ok" and "1 package handed off" in screen
    assert PickLine.get(PickLine.request == request.id).short_reason.startswith(
        "A package taken was put on hold or withdrawn")
    assert Package.get_by_id(store.packages.gummies_soon.id).location.code == "LOC-V-A1"
    assert not OutboxMessage.select().where(OutboxMessage.ordering_key == tag(1)).exists()


def test_the_pick_cannot_be_started_from_the_home_screen(store, runner):
    assert 'name="workflow" value="pick"' not in runner.kiosk.get("/").data.decode()
    assert runner.kiosk.post("/runs", {"workflow": "pick"}).status_code == 404
    assert not Run.select().exists()

"""The sales floor asks the vault for stock: several items, quantities, a priority; and what
the form refuses."""

from __future__ import annotations

from kiosk.models.picks import PickLine, PickRequest

from .conftest import Picker, screen_text


def floor(new_client) -> Picker:
    return Picker(new_client(), "1001", "1234", station="floor-1")  # Ana, a budtender


def test_a_floor_screen_puts_the_restock_tile_first_and_a_vault_screen_the_queue(
        store, new_client, runner):
    ana = floor(new_client)
    home = screen_text(ana.kiosk.get("/").data.decode())
    assert home.index("Ask the vault for stock") < home.index("Start")
    assert "Pick queue" not in home  # a budtender does not pick
    vault_home = screen_text(runner.kiosk.get("/").data.decode())
    assert vault_home.index("Pick queue") < vault_home.index("Ask the vault for stock")


def test_items_are_added_counted_and_sent_as_one_request_with_a_priority(store, new_client):
    ana = floor(new_client)
    page = screen_text(ana.kiosk.get("/picks/new").data.decode())
    assert "+ Watermelon Gummies · Edible · 20 units in the vault" in page  # not the held one
    assert "Bulk Wax · Concentrate · 250 g in the vault" in page
    gummies, wax = store.items.gummies.id, store.items.wax.id
    added = ana.kiosk.post("/picks/new", {"op": "add", "item": gummies})
    assert f'name="q{gummies}"' in added.data.decode()
    added = ana.kiosk.post("/picks/new", {"op": "add", "item": wax, f"q{gummies}": "12"})
    assert f'name="q{wax}"' in added.data.decode() and 'value="12"' in added.data.decode()
    sent = ana.kiosk.post("/picks/new", {f"q{gummies}": "12", f"q{wax}": "125.5",
                                         "urgent": "1", "note": "Front case empty",
                                         "op": "send"})
    assert '"tone": "ok"' in sent.headers["HX-Trigger"]
    request = PickRequest.get()
    assert "Sent to the vault as " + request.external_id in screen_text(sent.data.decode())
    assert (request.kind, request.origin, request.priority, request.station, request.note) == (
        "restock", "floor", 1, "floor-1", "Front case empty")
    assert request.requested_by_id == store.people.ana.id
    assert [(line.item_id, str(line.quantity.normalize())) for line in PickLine.select()
            .order_by(PickLine.number)] == [(gummies, "12"), (wax, "125.5")]
    assert "waiting in the queue" in screen_text(ana.kiosk.get("/picks/new").data.decode())
    queue = screen_text(ana.kiosk.get("/picks").data.decode())
    assert f"URGENT Restock {request.external_id}" in queue
    assert "From Ana Reyes at floor-1" in queue


def test_the_form_refuses_what_cannot_be_asked_for_in_words(store, new_client):
    ana = floor(new_client)
    gummies = store.items.gummies.id
    for fields, words in (
            ({}, "Add at least one item first."),
            ({f"q{gummies}": ""},
             "Watermelon Gummies: Enter a whole number of units from 1 to 99,999."),
            ({f"q{gummies}": "-3"}, "A count of -3 is not possible here"),
            ({f"q{gummies}": "1e9"}, "A count of 1e9 is not possible here"),
            ({f"q{gummies}": "2.5"}, "Watermelon Gummies: A count of 2.5 is not possible here"),
            ({f"q{gummies}": "abc"}, "A count of abc is not possible here"),
            ({f"q{gummies}": "1", "note": "ring me\x00"}, "hidden control character")):
        answer = ana.kiosk.post("/picks/new", {**fields, "op": "send"})
        assert words in screen_text(answer.data.decode()), fields
        assert '"tone": "error"' in answer.headers["HX-Trigger"]
    assert "not in the catalogue" in screen_text(
        ana.kiosk.post("/picks/new", {"op": "add", "item": "99999"}).data.decode())
    assert ana.kiosk.post("/picks/new", {"op": "explode"}).status_code == 400
    # An item that is not in the catalogue is dropped from the lines, never stored.
    ana.kiosk.post("/picks/new", {"q99999": "1", f"q{gummies}": "1", "op": "send"})
    assert [line.item_id for line in PickLine.select()] == [gummies]
    assert not PickRequest.select().where(PickRequest.status != "open").exists()


def test_asking_needs_a_login(store, new_client):
    visitor = new_client()
    assert "ended=1" in visitor.post("/picks/new", {"op": "send"}).headers["HX-Redirect"]
    assert not PickRequest.select().exists()

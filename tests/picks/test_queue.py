"""The pick queue: requests in from the POS and the floor, the queue's order and version, the
cheap "changed?" answer, claims, claims that lapse or end, and the manager's view."""

from __future__ import annotations

import re

import pytest

from kiosk import db, picks
from kiosk.models import Run
from kiosk.models.picks import PickEvent, PickLine, PickRequest

from .conftest import screen_text


def version_of(html: str) -> str:
    return re.search(r'data-version="([^"]+)"', html).group(1)


def test_the_webhook_takes_only_signed_requests_and_keeps_what_it_cannot_match(
        store, pos_post):
    body = {"id": "S-1", "lines": [{"item": "watermelon gummies", "quantity": 2},
                                   {"item": "850012000013", "quantity": "1"},
                                   {"tag": store.packages.jar_new.tag, "quantity": 1},
                                   {"item": "Moon Rocks", "quantity": 3}]}
    assert pos_post("/api/pos/pick-requests", body, secret="wrong").status_code == 401
    assert pos_post("/api/pos/pick-requests", body, secret="").status_code == 401
    assert not PickRequest.select().exists()
    assert pos_post("/api/pos/pick-requests", body).get_json() == {"ok": True, "new": True}
    assert pos_post("/api/pos/pick-requests", body).get_json() == {"ok": True, "new": False}
    request = PickRequest.get()
    lines = list(PickLine.select().where(PickLine.request == request.id).order_by(PickLine.number))
    assert [(line.item_id, line.name, line.tag) for line in lines] == [
        (store.items.gummies.id, "Watermelon Gummies", ""),  # by name, any case
        (store.items.gummies.id, "Watermelon Gummies", ""),  # by its UPC
        (store.items.jar.id, "Blue Dream 3.5g Jar", store.packages.jar_new.tag),  # by tag
        (None, "Moon Rocks", "")]  # kept, and shown as not in the catalogue
    assert (request.kind, request.priority, request.origin) == ("sale", 1, "pos")
    assert request.destination_id == store.places["LOC-FLOOR"].id
    assert [e.kind for e in PickEvent.select()] == ["requested"]


@pytest.mark.parametrize("body, words", [
    ({"lines": [{"item": "x", "quantity": 1}]}, "'id' is a required property"),
    ({"id": "A", "lines": []}, "1 to 50 lines"),
    ({"id": "A", "lines": [{"item": "x", "quantity": 1}] * 51}, "1 to 50 lines"),
    ({"id": "A", "lines": [{"item": "x", "quantity": 0}]},
     "line 1: the quantity '0' is not possible"),
    ({"id": "A", "lines": [{"item": "x", "quantity": "lots"}]},
     "the quantity 'lots' is not possible"),
    ({"id": "A", "lines": [{"item": "x", "quantity": 1e9}]}, "from 1 to 99,999"),
    ({"id": "A", "lines": [{"quantity": 1}]}, "must be a line with a tag or an item"),
    ({"id": "A", "lines": ["x"]}, "line 1 must be a line"),
    ({"id": "A", "kind": "teleport", "lines": [{"item": "x", "quantity": 1}]},
     "kind must be sale, online or restock"),
    ({"id": "A", "priority": "asap", "lines": [{"item": "x", "quantity": 1}]}, "normal or urgent"),
    ({"id": "A", "requested_at": "yesterday", "lines": [{"item": "x", "quantity": 1}]},
     "is not a date and time"),
])
def test_a_bad_pick_request_is_refused_with_words_and_nothing_stored(store, pos_post, body,
                                                                     words):
    response = pos_post("/api/pos/pick-requests", body)
    assert response.status_code == 400 and words in response.get_json()["error"]
    assert not PickRequest.select().exists()


def test_the_queue_shows_urgent_then_oldest_with_ages_items_and_who_asked(
        store, order, runner, fixed_clock):
    order("W-1", [("Watermelon Gummies", 2)], kind="online")
    fixed_clock.advance(minutes=3)
    order("R-1", [("Bulk Wax", 500)], kind="restock")
    fixed_clock.advance(minutes=1)
    order("S-1", [("Blue Dream 3.5g Jar", 1)])  # a sale: urgent by default
    fixed_clock.advance(minutes=2)
    screen = screen_text(runner.kiosk.get("/picks").data.decode())
    assert screen.index("S-1") < screen.index("W-1") < screen.index("R-1")
    assert "URGENT Sale S-1 2 min" in screen
    assert "Online order W-1 6 min · over the 5 min target 2 × Watermelon Gummies" in screen
    assert "Restock R-1 3 min 500 g Bulk Wax From POS" in screen


def unchanged(answer) -> bool:
    """The answer "nothing changed": empty, and htmx is told to leave the screen alone."""
    return (answer.status_code == 200 and answer.data == b""
            and answer.headers["HX-Reswap"] == "none")


def test_an_unchanged_queue_answers_before_the_app_with_nothing_and_a_change_sends_the_queue(
        store, order, new_client):
    client = new_client()
    version = version_of(client.get("/picks").data.decode())
    answer = client.get(f"/picks/live?since={version}")
    assert unchanged(answer)
    assert "Set-Cookie" not in answer.headers  # answered before Flask: no session, no CSRF
    order("W-2", [("Watermelon Gummies", 2)])
    changed = client.get(f"/picks/live?since={version}")
    assert changed.status_code == 200 and "W-2" in changed.data.decode()
    assert version_of(changed.data.decode()) != version
    assert client.get("/picks/live").status_code == 200  # no version: the whole queue


def test_two_runners_one_request_one_claim_and_the_other_is_told_who(
        store, order, runner, second_runner, fixed_clock):
    request = order("S-3", [("Blue Dream 3.5g Jar", 1)])
    assert "HX-Redirect" in runner.claim(request).headers
    lost = second_runner.claim(request)
    assert "HX-Redirect" not in lost.headers
    assert "Dev Patel claimed Sale S-3 at 09:00:00. Choose another request." in screen_text(
        lost.data.decode())
    assert '"tone": "error"' in lost.headers["HX-Trigger"]
    assert PickEvent.select().where(PickEvent.kind == "claimed").count() == 1
    # A double tap by the one who has it just carries on with the same run.
    again = runner.kiosk.post(f"/picks/{request.id}/claim")
    assert again.headers["HX-Redirect"] == f"/runs/{runner.run_id}"
    assert Run.select().count() == 1
    # One claim at a time per runner.
    other = order("S-4", [("Watermelon Gummies", 1)])
    busy = runner.kiosk.post(f"/picks/{other.id}/claim")
    assert "You are still picking Sale S-3" in screen_text(busy.data.decode())


def test_claiming_needs_a_runner_and_a_request_that_exists(store, order, new_client):
    request = order("S-5", [("Blue Dream 3.5g Jar", 1)])
    budtender = new_client()
    budtender.login("1001", "1234")
    assert budtender.post(f"/picks/{request.id}/claim").status_code == 403
    visitor = new_client()
    assert "ended=1" in visitor.post(f"/picks/{request.id}/claim").headers["HX-Redirect"]
    manager = new_client()
    manager.login("1006", "6789")
    assert manager.post("/picks/999/claim").status_code == 404
    assert PickRequest.get_by_id(request.id).status == "open"


def test_an_idle_claim_goes_back_to_the_queue_visibly_and_its_run_stops(
        store, order, runner, second_runner, fixed_clock):
    request = order("S-6", [("Watermelon Gummies", 15)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    client = second_runner.kiosk
    version = version_of(client.get("/picks").data.decode())
    fixed_clock.advance(minutes=9)
    assert unchanged(client.get(f"/picks/live?since={version}"))  # not yet
    fixed_clock.advance(minutes=2)
    answer = client.get(f"/picks/live?since={version}")
    assert answer.status_code == 200
    screen = screen_text(answer.data.decode())
    assert ("Back in the queue at 09:11: Dev Patel's claim lapsed after 10 idle minutes."
            in screen)
    back = PickRequest.get_by_id(request.id)
    assert (back.status, back.claimed_by_id, back.run_id) == ("open", None, None)
    assert runner.run.status == "cancelled"
    assert "Put back: …000001 to Vault shelf A1." in runner.run.cancel_reason
    tone, screen = runner.send(store.packages.gummies_later.tag)
    assert tone == "error" and "lapsed" in screen  # nothing saved: red, as any stale screen
    # Anyone can take it now, and it starts from nothing taken.
    assert "HX-Redirect" in second_runner.claim(back).headers
    assert "Tag ends …000001" in second_runner.screen()


def test_a_pick_cancelled_by_its_runner_goes_back_to_the_queue_at_once(store, order, runner):
    request = order("S-7", [("Watermelon Gummies", 5)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    answer = runner.kiosk.post(f"/runs/{runner.run_id}/cancel", {"reason": "Started by mistake"})
    assert "Put back: …000001 to Vault shelf A1." in screen_text(answer.data.decode())
    back = PickRequest.get_by_id(request.id)
    assert (back.status, back.claimed_by_id) == ("open", None)
    assert PickEvent.select().where(PickEvent.kind == "released").count() == 1
    screen = screen_text(runner.kiosk.get("/picks").data.decode())
    assert "Dev Patel stopped picking it (Started by mistake)." in screen


def test_the_manager_view_shows_times_against_the_target_and_a_chart(
        store, order, runner, new_client, fixed_clock):
    done = (("Blue Dream 3.5g Jar", store.packages.jar_old, 3),
            ("Watermelon Gummies", store.packages.gummies_soon, 7),
            ("Bulk Wax", store.packages.wax, 4))
    for number, (item, package, minutes) in enumerate(done, 1):
        runner.claim(order(f"S-{number}", [(item, 1)]))
        fixed_clock.advance(minutes=minutes)
        runner.send(package.tag)
        assert runner.send("LOC-FLOOR")[0] == "ok"
    order("W-9", [("Watermelon Gummies", 1)], kind="online")
    fixed_clock.advance(minutes=6)
    assert runner.kiosk.get("/picks/manager").status_code == 403
    manager = new_client()
    manager.login("1006", "6789")
    assert "/picks/manager" in manager.get("/manager").data.decode()  # a tile in the menu
    html = manager.get("/picks/manager").data.decode()
    screen = screen_text(html)
    assert "Handed off today 3" in screen
    assert "Median, request to hand-off 4.0 min 90th percentile 6.4 min" in screen
    assert "Online order W-9 6 min · over the 5 min target" in screen
    # One bar for the hour they were handed off in (09:00 on the store's clock), over target.
    assert '<svg class="chart"' in html and html.count('class="bar') == 1
    assert "09:00: 4.0 min" in html and "3 done" in html


def test_a_thousand_open_requests_render_in_urgency_then_age_order(store, new_client,
                                                                   fixed_clock):
    with db.write():
        for n in range(1000):
            picks._new_request(f"B-{n}", [picks.Line(store.items.jar, "Blue Dream 3.5g Jar", "",
                                                     picks.Decimal(1), "Each")],
                               kind="sale", raw_lines=[], priority=n % 7 == 0, origin="pos",
                               requested_at=fixed_clock.now())
            fixed_clock.advance(seconds=1)
    html = new_client().get("/picks/live").data.decode()
    shown = re.findall(r"(?:Sale) (B-\d+)", screen_text(html))
    urgent = [f"B-{n}" for n in range(1000) if n % 7 == 0]
    assert shown[:len(urgent)] == urgent
    assert len(shown) == 1000


def test_another_procedure_adds_a_task_of_its_own_kind_that_starts_its_own_workflow(
        store, runner):
    """Quarantine's "pick back this recalled package from the floor", say: it shows in the
    queue under its own name, and claiming it starts the workflow it names."""
    with db.write():
        task = picks.add_task("pick_back", "Pick back", [{"tag": store.packages.jar_floor.tag,
                                                          "quantity": 1}],
                              workflow="move_package", key="recall-1", priority=1,
                              note="Recall R-7", actor=store.people.femi, station="office")
        again = picks.add_task("pick_back", "Pick back", [], workflow="move_package",
                               key="recall-1")
    assert again.id == task.id  # asked twice: the first
    screen = screen_text(runner.kiosk.get("/picks").data.decode())
    assert "URGENT Pick back recall-1" in screen and "Recall R-7" in screen
    runner.claim(task)
    assert runner.run.workflow == "move_package" and runner.run.data["request"] == task.id

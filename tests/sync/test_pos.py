"""The POS link: signed webhooks out, signed webhooks in, and a sales report imported as CSV."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kiosk.models.sync import PickRequest, PosSale
from kiosk.sync import outbox, pauses, pos
from kiosk.sync.worker import Worker

SECRET = "pos-shared-secret"
TAG = "1A4060300003779000000011"


class FakePos:
    """A POS webhook receiver on loopback that checks our signature like a real one would."""

    def __init__(self):
        self.events, self.status = [], 200
        self.server = make_server("127.0.0.1", 0, self)
        self.url = f"http://127.0.0.1:{self.server.server_port}/kiosk-events"
        threading.Thread(target=self.server.serve_forever, args=(0.05,),
                         daemon=True).start()

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        problem = pos.verify(SECRET, request.headers.get(pos.SIGNATURE_HEADER), body)
        if problem:
            return Response(problem, 401)(environ, start_response)
        if self.status != 200:
            return Response("nope", self.status)(environ, start_response)
        self.events.append((request.headers["Idempotency-Key"], json.loads(body)))
        return Response("{}", 200)(environ, start_response)


@pytest.fixture
def fake_pos():
    receiver = FakePos()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def test_stock_events_reach_the_pos_signed_and_once(sync_settings, fake_pos, message, reload,
                                                    fixed_clock):
    settings = {**sync_settings, "state_system": "none", "pos": f"webhook+{fake_pos.url}",
                "pos_secret": SECRET}
    moved = message("stock.moved", {"tag": TAG, "location": "Sales Floor"}, target="pos")
    held = message("stock.hold", {"tag": TAG, "reason": "failed microbials"}, target="pos")
    odd = message("stock.teleported", {"tag": "1A4060300003779000000012"}, target="pos")
    Worker(settings).drain()
    assert [(key, e["event"], e["data"]) for key, e in fake_pos.events] == [
        (moved.external_key, "stock.moved", {"tag": TAG, "location": "Sales Floor"}),
        (held.external_key, "stock.hold", {"tag": TAG, "reason": "failed microbials"})]
    assert reload(moved).status == reload(held).status == "delivered"
    assert reload(odd).status == "attention"
    assert "does not know how to send 'stock.teleported'" in reload(odd).last_error


def test_a_pos_that_is_down_or_refuses_is_visible(sync_settings, fake_pos, message, reload,
                                                  fixed_clock):
    settings = {**sync_settings, "state_system": "none", "pos_secret": SECRET,
                "pos": "webhook+http://127.0.0.1:9/closed"}
    m = message("stock.release", {"tag": TAG}, target="pos")
    Worker(settings).drain()
    assert reload(m).status == "pending"
    assert reload(m).last_error == "The POS could not be reached (connection refused)."
    fake_pos.status = 422
    fixed_clock.advance(minutes=10)
    Worker({**settings, "pos": f"webhook+{fake_pos.url}"}).drain()
    assert reload(m).status == "attention"
    assert reload(m).last_error == "The POS refused this (422): nope"


def test_a_pos_that_was_down_gets_its_messages_once_it_answers_and_never_holds_back_metrc(
        sync_settings, sandbox, fake_pos, message, reload, fixed_clock):
    settings = {**sync_settings, "pos": f"webhook+{fake_pos.url}", "pos_secret": SECRET}
    moved = message("stock.moved", {"tag": TAG, "location": "Sales Floor"}, target="pos")
    metrc_move = message("package.location", {"tag": TAG, "location_name": "Vault A2"})
    fake_pos.status = 503
    worker = Worker(settings)
    for _ in range(4):  # down: failures in a row, each pause brief
        worker.drain()
        state = outbox.health("pos")["pause"]
        fixed_clock.current = pauses.until(state)
    assert pauses.probing(state) and reload(moved).status == "pending"
    assert reload(metrc_move).status == "delivered", "Metrc does not wait for the POS"
    fake_pos.status = 200
    worker.drain()  # the POS has no cheap read: its next message is the probe
    assert reload(moved).status == "delivered"
    assert [key for key, _ in fake_pos.events] == [moved.external_key]
    assert outbox.health("pos")["ok"] is True


def test_signatures_are_checked_for_freshness_and_content():
    body = b'{"receipt":"R1"}'
    now = time.time()
    good = pos.sign(SECRET, body, int(now))
    assert pos.verify(SECRET, good, body, now) is None
    assert pos.verify(SECRET, None, body, now) == "the request is not signed"
    assert "stale" in pos.verify(SECRET, pos.sign(SECRET, body, int(now) - 301), body, now)
    assert pos.verify(SECRET, good, b'{"receipt":"R2"}', now) == "the signature does not match"
    assert pos.verify("other", good, body, now) == "the signature does not match"
    assert "no POS secret" in pos.verify("", good, body, now)


def test_a_sales_report_imports_once_and_reports_bad_rows(database, fixed_clock):
    report = ("Receipt Number,Package Tag,Qty,Sale Date,Total\n"
              f"R-1001,{TAG},2,2026-11-23T10:15:00,70.00\n"
              "R-1001,1A4060300003779000000012,1,2026-11-23T10:15:00,25.00\n"
              "R-1002,NOT-A-TAG,1,2026-11-23T11:00:00,25.00\n"
              f"R-1003,{TAG},one,2026-11-23T11:30:00,35.00\n")
    assert pos.import_sales_csv(report) == (2, 0, [
        "Row 4: 'NOT-A-TAG' is not a 24-character package tag.",
        "Row 5: quantity 'one' is not possible: it must be a whole number of units from 1 "
        "to 99,999."])
    assert pos.import_sales_csv(report)[:2] == (0, 2), "re-importing adds nothing"
    sale = PosSale.get(PosSale.receipt == "R-1001", PosSale.tag == TAG)
    assert (sale.quantity, sale.amount, sale.source) == (Decimal("2"), Decimal("70"), "csv")
    assert pos.import_sales_csv("When,What\n1,2\n")[2] == [
        "The report has no column for receipt, tag, quantity, sold_at."]


@pytest.fixture
def settings(settings):
    return {**settings, "pos_secret": SECRET}


def _post(client, path, payload, secret=SECRET, at=None, tamper=False):
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[pos.SIGNATURE_HEADER] = pos.sign(secret, body, at)
    if tamper:
        body = body.replace(b"1", b"2")
    return client.post(path, data=body, headers=headers)


def test_the_inbound_webhook_takes_only_fresh_signed_requests(app, fixed_clock):
    client = app.test_client()
    sale = {"receipt": "R-2001", "sold_at": "2026-11-23T12:00:00Z",
            "lines": [{"tag": TAG, "quantity": 1, "unit": "Each", "amount": 35}]}
    assert _post(client, "/api/pos/sales", sale, secret=None).status_code == 401
    assert _post(client, "/api/pos/sales", sale, secret="wrong").status_code == 401
    stale = _post(client, "/api/pos/sales", sale, at=int(time.time()) - 3600)
    assert stale.status_code == 401 and "stale" in stale.get_json()["error"]
    assert _post(client, "/api/pos/sales", sale, tamper=True).status_code == 401
    assert PosSale.select().count() == 0
    ok = _post(client, "/api/pos/sales", sale)
    assert ok.status_code == 200 and ok.get_json() == {"ok": True, "new": 1}
    assert _post(client, "/api/pos/sales", sale).get_json() == {"ok": True, "new": 0}
    assert PosSale.get().sold_at.isoformat() == "2026-11-23T12:00:00"
    pick = {"id": "PICK-77", "lines": [{"item": "Blue Dream 3.5g Jar", "quantity": 6}],
            "note": "online order"}
    assert _post(client, "/api/pos/pick-requests", pick).get_json() == {"ok": True, "new": True}
    assert [p.external_id for p in pos.WebhookPos("x", SECRET).pick_requests()] == ["PICK-77"]
    bad = _post(client, "/api/pos/sales", {"receipt": "R-3", "lines": [{"tag": "short"}]})
    assert bad.status_code == 400
    assert PickRequest.select().count() == 1

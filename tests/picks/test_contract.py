"""The messages a hand-off leaves in the outbox, sent as the syncer sends them, judged against
Metrc's own Postman collection (as tests/sync/test_contract.py judges every other call)."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

from sync.test_contract import _client

from kiosk.models import OutboxMessage
from kiosk.sync import contract
from kiosk.sync.delivery import WRITES
from kiosk.sync.pos import POS_KINDS


def test_a_hand_off_tells_metrc_the_package_locations_in_calls_metrc_documents(
        store, order, runner):
    request = order("S-90", [("Watermelon Gummies", 12)])
    runner.claim(request)
    runner.send(store.packages.gummies_soon.tag)
    runner.send(store.packages.gummies_later.tag)
    assert runner.send("LOC-FLOOR")[0] == "ok"
    messages = list(OutboxMessage.select().where(OutboxMessage.run_id == runner.run_id))
    to_metrc = [m for m in messages if m.target == "metrc"]
    assert {m.kind for m in to_metrc} == {"package.location"}
    assert {m.kind for m in messages if m.target == "pos"} <= set(POS_KINDS)
    client, recorder = _client()
    build, method, _ = WRITES["package.location"]
    getattr(client, method)([build(m) for m in to_metrc])
    problems = []
    for sent in recorder.sent:
        url = urlsplit(sent.url)
        problems += contract.check(sent.method, url.path, dict(parse_qsl(url.query)),
                                   json.loads(sent.body), True)
    assert problems == []
    body = json.loads(recorder.sent[0].body)
    assert {(b["Label"], b["Location"]) for b in body} == {
        (store.packages.gummies_soon.tag, "Sales floor"),
        (store.packages.gummies_later.tag, "Sales floor")}
    assert all(b["MoveDate"] == "2026-11-23" for b in body)  # the store's date

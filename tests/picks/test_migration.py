"""A store that kept pick requests before the queue existed: after the upgrade each of its JSON
lines is a line row, matched to the store's items as the webhook matches them now."""

from __future__ import annotations

import json

from kiosk import db
from kiosk.models.picks import PickLine, PickRequest


def test_older_pick_requests_get_their_lines_and_the_queues_columns(empty_database):
    db.init(empty_database)
    db.upgrade(until=119)
    with db.connection():
        run = db.database.execute_sql
        run("INSERT INTO item (name, brand, category, gtin, unit) VALUES "
            "('Blue Dream 3.5g Jar', '', 'Flower', '00850012000013', 'Each'), "
            "('Bulk Wax', '', 'Concentrate', NULL, 'Grams')")
        run("INSERT INTO package (tag, item_id, batch, quantity, unit, status, created_at) "
            "VALUES ('1A4060300000000000000007', 2, '', 250, 'Grams', 'active', "
            "'2026-11-01 10:00:00')")
        lines = [{"item": "blue dream 3.5g jar", "quantity": 2},
                 {"tag": "1A4060300000000000000007", "quantity": "125.5"},
                 {"item": "850012000013", "quantity": "lots"}, {"item": "Moon Rocks"}]
        run("INSERT INTO pick_request (external_id, lines, note, requested_at, received_at, "
            "status) VALUES (%s, %s, '', '2026-11-20 10:00:00', '2026-11-20 10:00:01', 'open')"
            .replace("%s", db.database.param),
            ("OLD-1", json.dumps(lines)))
    assert db.upgrade(until=120) == ["0120_pick_queue"]
    with db.connection():
        request = PickRequest.get()
        assert (request.kind, request.workflow, request.priority, request.queue_note) == (
            "sale", "pick", 0, "")
        rows = [(line.number, line.item_id, line.name, line.tag, str(line.quantity.normalize()),
                 line.unit) for line in PickLine.select().order_by(PickLine.number)]
    assert rows == [(1, 1, "Blue Dream 3.5g Jar", "", "2", "Each"),
                    (2, 2, "Bulk Wax", "1A4060300000000000000007", "125.5", "Grams"),
                    (3, 1, "Blue Dream 3.5g Jar", "", "1", "Each"),
                    (4, None, "Moon Rocks", "", "1", "Each")]

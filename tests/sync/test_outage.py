"""A 72-hour Metrc outage (simulated with the settable clock) while thousands of events pile
up; then Metrc comes back and everything is delivered exactly once, in order per package."""

from __future__ import annotations

import random

from kiosk.models import OutboxMessage
from kiosk.sync import outbox
from kiosk.sync.worker import Worker

PACKAGES = [f"1A4060300000000077{n:06d}" for n in range(40)]
PLACES = ["Vault A1", "Vault A2", "Sales Floor", "Quarantine"]


def _event(rng, n):
    tag = rng.choice(PACKAGES)
    kind = rng.choice(["package.adjust", "package.location", "package.note"])
    if kind == "package.adjust":
        return kind, {"tag": tag, "quantity": -1, "unit": "Each", "reason": "Drying",
                      "note": f"event {n}"}
    if kind == "package.location":
        return kind, {"tag": tag, "location_name": PLACES[n % len(PLACES)]}
    return kind, {"tag": tag, "note": f"event {n}"}


def test_a_72_hour_outage_is_delivered_exactly_once_in_order(sync_settings, sandbox, message,
                                                             fixed_clock, by_package):
    sandbox.world.adopt(PLACES, [{"tag": t, "quantity": 100000, "unit": "Each",
                                  "location": "Vault A1"} for t in PACKAGES])
    rng = random.Random(5)
    worker = Worker(sync_settings)
    sandbox.stop()
    warnings = {}
    n = 0
    for hour in range(72):
        for _ in range(42):
            kind, payload = _event(rng, n)
            message(kind, payload)
            n += 1
        worker.pull_if_due()
        worker.drain()
        fixed_clock.advance(hours=1)
        warnings[hour] = outbox.summary(24)["warning"]
    assert n == 3024
    assert OutboxMessage.select().where(OutboxMessage.status == "delivered").count() == 0
    health = outbox.health("metrc")
    assert health["ok"] is False and "could not be reached" in health["last_error"]
    assert health["down_since"].startswith("2026-11-23T17:00")  # kept in UTC
    assert warnings[16] is None and warnings[18] == "near" and warnings[24] == "past"
    assert OutboxMessage.select().where(OutboxMessage.status == "attention").count() == 0

    sandbox.start()
    fixed_clock.advance(minutes=10)
    worker.drain()
    worker.pull_if_due()

    messages = list(OutboxMessage.select().order_by(OutboxMessage.id))
    assert {m.status for m in messages} == {"delivered"}
    assert outbox.summary(24)["warning"] is None
    sent, expected = by_package(messages)
    assert sum(len(v) for v in sent.values()) == n, "each event exactly once"
    for tag in PACKAGES:
        assert sent[tag] == expected[tag], f"order for {tag}"
    adjustments = sum(1 for m in messages if m.kind == "package.adjust")
    assert len(sandbox.world.adjustments) == adjustments
    assert outbox.health("metrc")["ok"] is True

"""The outbox: what the state system and the POS must be told, written in the step's transaction."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, JSONField

OUTBOX_STATUSES = ("pending", "sending", "delivered", "attention", "resolved")


class OutboxMessage(BaseModel):
    """One fact to deliver to one target (metrc, biotrack, pos).

    ``kind`` names the fact (``package.location``, ``package.note``, ``package.adjust``,
    ``stock.received`` ...) and ``payload`` its data in our own words; the syncer turns it
    into the target's request. ``ordering_key`` (usually the package tag) keeps messages
    about one package in order. ``external_key`` is unique and doubles as the idempotency
    / look-up key where the target offers one.
    """

    target = peewee.CharField(index=True)
    kind = peewee.CharField()
    payload = JSONField(default=dict)
    external_key = peewee.CharField(unique=True)
    ordering_key = peewee.CharField(default="", index=True)
    status = peewee.CharField(default="pending", index=True)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(index=True)
    last_error = peewee.TextField(default="")
    created_at = peewee.DateTimeField()
    delivered_at = peewee.DateTimeField(null=True)
    claimed_by = peewee.CharField(null=True)
    claimed_at = peewee.DateTimeField(null=True)
    run_id = peewee.IntegerField(null=True)  # read with the row, never searched (0030)
    step_event_id = peewee.IntegerField(null=True)
    resolved_by_id = peewee.IntegerField(null=True)
    resolved_note = peewee.TextField(default="")

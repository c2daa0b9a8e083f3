"""The syncer's own records: target health, live workers, read-back differences and POS sales.

Pick requests from the POS live with the pick queue (``kiosk.models.picks``).
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, DecimalField, JSONField, QuantityField
from kiosk.models.picks import PickRequest  # noqa: F401  (still importable where it was)


class SyncState(BaseModel):
    """Small named facts the syncer keeps between runs and shows the manager.

    Keys: ``health:<target>`` (last success, last error, down since, paused until) and
    ``pull:transfers`` (the end of the last window pulled).
    """

    key = peewee.CharField(unique=True)
    value = JSONField(default=dict)
    updated_at = peewee.DateTimeField()


class SyncWorker(BaseModel):
    """A running sync worker, so the others know at once when it has died (``liveness``).

    ``process_mark`` tells this process from a later one that reuses its pid (on Linux, the
    process's start time in clock ticks).
    """

    worker_id = peewee.CharField(unique=True)
    host = peewee.CharField()
    pid = peewee.IntegerField()
    process_mark = peewee.CharField(default="")
    started_at = peewee.DateTimeField()
    beat_at = peewee.DateTimeField()


class Discrepancy(BaseModel):
    """A difference between what we recorded at receiving and what Metrc shows afterwards.

    It stays on the manager screen until a person resolves it (who, when and why kept here
    and in the audit chain).
    """

    manifest_number = peewee.CharField(index=True)
    tag = peewee.CharField(default="")
    field = peewee.CharField()  # "state" | "received quantity" | "missing"
    ours = peewee.CharField(default="")
    theirs = peewee.CharField(default="")
    message_id = peewee.IntegerField(null=True)
    detected_at = peewee.DateTimeField()
    resolved_at = peewee.DateTimeField(null=True)
    resolved_by_id = peewee.IntegerField(null=True)
    resolved_note = peewee.TextField(default="")


class PosSale(BaseModel):
    """One sold line reported by the POS (webhook, imported sales report, or pulled from
    Dutchie). A return is its own line (its own receipt number) of units brought back; a
    voided sale keeps its quantity and says ``void``: neither counts as sold."""

    source = peewee.CharField()  # webhook | csv | dutchie | demo
    kind = peewee.CharField(default="sale")  # sale | return | void
    receipt = peewee.CharField()
    tag = peewee.CharField(index=True)
    quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    amount = DecimalField(max_digits=12, decimal_places=2, null=True)
    sold_at = peewee.DateTimeField(index=True)
    received_at = peewee.DateTimeField()

    class Meta:
        indexes = ((("receipt", "tag"), True),)

"""The hash-linked audit chain: every entry carries the hash of the one before it."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, JSONField


class AuditEntry(BaseModel):
    """One audited action. ``hash`` covers every field plus ``prev_hash``."""

    seq = peewee.IntegerField(unique=True)
    at = peewee.DateTimeField()
    actor_id = peewee.IntegerField(null=True)
    actor_name = peewee.CharField(default="")
    station = peewee.CharField(default="")
    action = peewee.CharField()
    subject = peewee.CharField(default="")
    detail = JSONField(default=dict)
    prev_hash = peewee.CharField()
    hash = peewee.CharField()


class ChainHead(BaseModel):
    """The single row that holds the newest entry; locking it orders concurrent appends."""

    seq = peewee.IntegerField(default=0)
    hash = peewee.CharField(default="0" * 64)

"""The pick queue: requests for stock from the vault, their lines, the packages taken for them,
and the events that move a request through the queue.

A request comes from the POS (a sale or an online order), from the sales floor (a restock), or
from another procedure (a task of its own kind). It waits in the queue until a runner claims
it, is picked package by package, and is handed off at the sales floor or into the online
order's bag. Every change the queue screens must show is a ``PickEvent``; the newest event's
id is the queue's version, which the screens poll.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField, QuantityField
from kiosk.models.people import Employee
from kiosk.models.stock import Item, Package

# open: waiting in the queue; claimed: a runner is picking it; picked: everything is taken
# and waits for the hand-off; handed_off: done; cancelled: withdrawn by the POS or a manager;
# unfilled: finished short with nothing to hand off.
REQUEST_STATUSES = ("open", "claimed", "picked", "handed_off", "cancelled", "unfilled")
UNFINISHED = ("open", "claimed", "picked")
IN_HAND = ("claimed", "picked")  # a runner holds the claim


class PickRequest(BaseModel):
    """One request for stock from the vault, and its times: requested, claimed, picked,
    handed off (or closed, with the reason).

    The columns added for the queue hold people and places as plain ids, read with the row
    and never searched, so an older database gains them with a plain ALTER TABLE.
    """

    external_id = peewee.CharField(unique=True)  # the POS's order id, or one of ours
    lines = JSONField(default=list)  # as the sender wrote them, kept for the record
    note = peewee.TextField(default="")
    requested_at = peewee.DateTimeField()
    received_at = peewee.DateTimeField()
    status = peewee.CharField(default="open", index=True)
    kind = peewee.CharField(default="sale")  # sale | online | restock | another procedure's
    workflow = peewee.CharField(default="pick")  # what claiming it starts
    origin = peewee.CharField(default="pos")  # pos | floor | the procedure that asked
    priority = peewee.IntegerField(default=0)  # 0 normal, 1 urgent
    customer = peewee.CharField(default="")  # online orders: the name on the bag
    destination_id = peewee.IntegerField(null=True)  # a Location
    requested_by_id = peewee.IntegerField(null=True)  # an Employee (floor requests)
    station = peewee.CharField(default="")  # where it was asked for
    claimed_by_id = peewee.IntegerField(null=True)
    claimed_at = peewee.DateTimeField(null=True)
    run_id = peewee.IntegerField(null=True)  # the claim's run
    active_at = peewee.DateTimeField(null=True)  # the claim's last sign of life
    picked_at = peewee.DateTimeField(null=True)
    handed_off_at = peewee.DateTimeField(null=True)
    handed_to_id = peewee.IntegerField(null=True)  # the budtender whose badge took it
    closed_at = peewee.DateTimeField(null=True)
    close_reason = peewee.TextField(default="")
    queue_note = peewee.TextField(default="")  # shown on its queue row (why it came back)


class PickLine(BaseModel):
    """One item and quantity a request asks for. ``tag`` is set when the sender named the
    package (a POS that allocated one); ``item`` is None when the sender named something
    this store does not stock, which the runner can only finish short."""

    request = ForeignKey(PickRequest, backref="line_rows")
    number = peewee.IntegerField()
    item = ForeignKey(Item, null=True, backref="+", index=False)
    name = peewee.CharField()  # the item's name, or what the sender called it
    tag = peewee.CharField(default="")
    quantity = QuantityField()
    unit = peewee.CharField(default="Each")
    short_reason = peewee.TextField(default="")

    class Meta:
        indexes = ((("request", "number"), True),)


class PickedPackage(BaseModel):
    """A package taken for a line. It stays where it is in the ledger until the hand-off
    moves it; meanwhile no other request is offered it. ``reason`` says why the runner took
    it instead of the kiosk's choice. A withdrawn pick (claim lapsed, run cancelled, package
    put on hold) is kept with when and why."""

    request = ForeignKey(PickRequest, backref="picked")
    line = ForeignKey(PickLine, backref="picked", index=False)
    package = ForeignKey(Package, backref="+")
    quantity = QuantityField()
    reason = peewee.TextField(default="")
    run_id = peewee.IntegerField()
    step_event_id = peewee.IntegerField(null=True)
    actor = ForeignKey(Employee, backref="+", index=False)
    at = peewee.DateTimeField()
    withdrawn_at = peewee.DateTimeField(null=True)
    withdraw_reason = peewee.TextField(default="")
    movement_id = peewee.IntegerField(null=True)  # the hand-off's movement


class PickEvent(BaseModel):
    """What happened to a request that the queue screens show: requested, claimed,
    released, picked, handed_off, cancelled, unfilled. Never updated."""

    request = ForeignKey(PickRequest, backref="events")
    kind = peewee.CharField()
    at = peewee.DateTimeField()
    actor_id = peewee.IntegerField(null=True)
    actor_name = peewee.CharField(default="")
    station = peewee.CharField(default="")
    detail = JSONField(default=dict)

"""Workflow runs, their append-only step events, and the signatures given in them."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField
from kiosk.models.people import Employee

RUN_STATUSES = ("active", "completed", "cancelled")


class Run(BaseModel):
    """One walk through one workflow, pinned to the workflow's version.

    ``rev`` goes up by one at every submission the engine takes; a screen that posts an
    older ``rev`` (a stale tab, a double tap) is refused, which is how nothing is done twice.
    """

    workflow = peewee.CharField(index=True)
    version = peewee.IntegerField()
    status = peewee.CharField(default="active", index=True)
    current_step = peewee.CharField()
    rev = peewee.IntegerField(default=0)
    operator = ForeignKey(Employee, backref="runs")
    station = peewee.CharField()  # searched with status: (station, status) below (0130)
    started_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    finished_at = peewee.DateTimeField(null=True)
    data = JSONField(default=dict)
    cancel_reason = peewee.TextField(null=True)
    cancelled_by = ForeignKey(Employee, null=True, backref="+")

    class Meta:
        indexes = ((("station", "status"), False),)


class StepEvent(BaseModel):
    """What was submitted at a step, by whom, and whether it was taken. Never updated."""

    # No index of its own on run, actor or supersedes: (run, rev) below serves the run, the
    # others are never searched, and every step writes one row here (see migration 0030).
    run = ForeignKey(Run, backref="events", index=False)
    rev = peewee.IntegerField()
    step_id = peewee.CharField()
    kind = peewee.CharField()
    value = JSONField(null=True)
    accepted = peewee.BooleanField()
    message = peewee.TextField(default="")
    actor = ForeignKey(Employee, backref="+", index=False)
    station = peewee.CharField()
    supersedes = ForeignKey("self", null=True, backref="superseded_by", index=False)
    at = peewee.DateTimeField()

    class Meta:
        indexes = ((("run", "rev"), False),)


class Signature(BaseModel):
    """An electronic signature: printed name, role, time, meaning, bound to a record hash."""

    run = ForeignKey(Run, backref="signatures")
    step_event = ForeignKey(StepEvent, backref="signatures")
    step_id = peewee.CharField()
    employee = ForeignKey(Employee, backref="signatures")
    printed_name = peewee.CharField()
    role = peewee.CharField()
    meaning = peewee.CharField()  # performed | witnessed | approved
    record_hash = peewee.CharField()
    auth_method = peewee.CharField(default="badge+pin")
    station = peewee.CharField()
    at = peewee.DateTimeField()

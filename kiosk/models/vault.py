"""The vault access log: who went in, with whom, why, when, and when they came out."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey
from kiosk.models.people import Employee
from kiosk.models.runs import Run


class VaultVisit(BaseModel):
    """One two-person vault entry and its exit."""

    run = ForeignKey(Run, unique=True, backref="+")
    purpose = peewee.CharField()
    station = peewee.CharField()
    first_person = ForeignKey(Employee, backref="+")
    second_person = ForeignKey(Employee, backref="+")
    entered_at = peewee.DateTimeField(index=True)
    exited_at = peewee.DateTimeField(null=True)

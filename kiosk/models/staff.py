"""Changes to the people who work here, made by a manager on the screen and signed.

An ``Employee`` row holds a person as they are now; every change a manager makes to it
(added, roles or language changed, PIN reset, deactivated) is a ``StaffChange`` row, never
edited: what it was and what it became, and the manager's signature (badge + PIN at that
moment, printed name, meaning, time) over a hash of exactly that.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey, JSONField
from kiosk.models.people import Employee, LoginAttempt

STAFF_ACTIONS = ("add", "details", "reset_pin", "deactivate")


class StaffChange(BaseModel):
    """One signed change to one person's record."""

    employee = ForeignKey(Employee, backref="+")
    action = peewee.CharField()  # from STAFF_ACTIONS
    before = JSONField(default=dict)  # never a PIN or its hash
    after = JSONField(default=dict)
    reason = peewee.TextField(default="")
    signed_by = ForeignKey(Employee, backref="+")
    printed_name = peewee.CharField()
    role = peewee.CharField()  # manager | admin: the authority the signer used
    meaning = peewee.CharField(default="approved")
    attempt = ForeignKey(LoginAttempt, backref="+")  # the signer's badge + PIN
    change_hash = peewee.CharField()
    station = peewee.CharField()
    at = peewee.DateTimeField(index=True)

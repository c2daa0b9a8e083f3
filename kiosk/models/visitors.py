"""The visitor log of the limited-access areas (4 CCR §15042 and like rules): who came in,
from which company, why, which ID was checked, who escorted them, when they came and left.

Kept at least seven years and never edited or deleted: a sign-in is one ``Visitor`` row, a
sign-out is a ``VisitorExit`` row pointing at it (one at most), and a visitor taken into
the vault is a ``VaultVisitor`` row pointing at that vault entry.
"""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey
from kiosk.models.people import Employee, LoginAttempt
from kiosk.models.runs import Run, Signature
from kiosk.models.vault import VaultVisit

CODE_PREFIX = "VIS-"  # the visitor badge's barcode: VIS- and the record number (VIS-000123)


class Visitor(BaseModel):
    """One visit: signed in by an escort's badge + PIN (``escort_signature``) in a run of
    the ``visitor`` workflow. Of the ID document only its kind and last four characters are
    kept, never a picture or the whole number."""

    run = ForeignKey(Run, unique=True, backref="+")
    name = peewee.CharField()
    company = peewee.CharField()
    purpose = peewee.CharField()
    id_kind = peewee.CharField()
    id_last4 = peewee.CharField()
    area = peewee.CharField()  # vault | receiving: where the escort took them
    escort = ForeignKey(Employee, backref="+")
    escort_signature = ForeignKey(Signature, backref="+")
    station = peewee.CharField()
    entered_at = peewee.DateTimeField(index=True)
    valid_until = peewee.DateTimeField()  # the badge's last minute (the store's day's end)

    @property
    def code(self) -> str:
        """What the visitor badge's barcode says."""
        return f"{CODE_PREFIX}{self.id:06d}"


class VisitorExit(BaseModel):
    """A visitor signed out: by a scan of their badge, from the list, or resolved by a
    manager who signs (badge + PIN at that moment) with a reason, when the visitor left
    without signing out. ``by`` recorded it; a resolution also keeps its signature."""

    visitor = ForeignKey(Visitor, unique=True, backref="+")
    how = peewee.CharField()  # scan | list | resolved | cancelled
    by = ForeignKey(Employee, backref="+")
    reason = peewee.TextField(default="")
    attempt = ForeignKey(LoginAttempt, null=True, backref="+")  # a resolution's badge + PIN
    printed_name = peewee.CharField(default="")
    meaning = peewee.CharField(default="")
    record_hash = peewee.CharField(default="")  # what the manager signed, hashed
    station = peewee.CharField()
    at = peewee.DateTimeField(index=True)


class VaultVisitor(BaseModel):
    """A visitor who went into the vault with a two-person vault entry."""

    vault_visit = ForeignKey(VaultVisit, backref="+")
    visitor = ForeignKey(Visitor, backref="+")
    at = peewee.DateTimeField()

    class Meta:
        indexes = ((("vault_visit", "visitor"), True),)

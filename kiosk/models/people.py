"""People and screens: employees, stations, login sessions, login attempts and unlocks."""

from __future__ import annotations

import peewee

from kiosk.models.base import BaseModel, ForeignKey

ROLES = ("receiver", "vault", "runner", "counter", "manager", "admin")
LANGUAGES = ("en", "es")  # the languages a person may read the kiosk in


class Employee(BaseModel):
    """A person who can log in and sign. The PIN is stored only as a slow hash.

    A badge number belongs to one active person at a time (a unique index over the active
    ones, below): a deactivated person's number may be given to someone new.
    ``must_set_pin``: a manager reset the PIN (or just added the person); they choose one
    at their next login and cannot sign before.
    """

    name = peewee.CharField()
    badge = peewee.CharField(index=True)
    pin_hash = peewee.CharField()
    roles = peewee.CharField(default="")  # comma-separated, from ROLES
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField()
    must_set_pin = peewee.BooleanField(default=False)
    language = peewee.CharField(default="en")  # from LANGUAGES

    @classmethod
    def holder(cls, badge: str):
        """The person this badge number belongs to: the active one, else the latest who
        had it (so a refusal can name them), or None."""
        return (cls.select().where(cls.badge == badge)
                .order_by(cls.active.desc(), cls.id.desc()).first())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)

    def has_any(self, roles) -> bool:
        """True if this person holds at least one of ``roles`` (an admin holds every role)."""
        mine = self.role_set
        return "admin" in mine or bool(mine & set(roles))


# A badge number belongs to one active person at a time (migration 0081).
Employee.add_index(Employee.index(Employee.badge, unique=True, where=peewee.SQL("active"),
                                  name="employee_badge_active"))


class Station(BaseModel):
    """A kiosk screen (receiving-1, vault-1)."""

    name = peewee.CharField(unique=True)
    kind = peewee.CharField(default="receiving")


class LoginSession(BaseModel):
    """A server-side session; the browser holds only its random token."""

    token = peewee.CharField(unique=True)
    employee = ForeignKey(Employee, backref="sessions")
    station = peewee.CharField()
    created_at = peewee.DateTimeField()
    last_seen = peewee.DateTimeField()
    ended_at = peewee.DateTimeField(null=True)
    end_reason = peewee.CharField(null=True)


class LoginAttempt(BaseModel):
    """Every badge/PIN attempt, good or bad, for lockout and for the security log."""

    badge = peewee.CharField(index=True)
    employee = ForeignKey(Employee, null=True, backref="attempts")
    ok = peewee.BooleanField()
    reason = peewee.CharField(default="")
    purpose = peewee.CharField(default="login")  # login | signature | unlock | station
    station = peewee.CharField()
    at = peewee.DateTimeField(index=True)

    class Meta:
        # The lockout asks for "this badge's attempts since then" (migration 0040).
        indexes = ((("badge", "at"), False),)


class BadgeUnlock(BaseModel):
    """A manager lifted a badge's lockout: the wrong PINs judged before it no longer count.

    ``attempt`` is the manager's own badge + PIN, checked at that moment (a signature); its
    id tells which attempts came before.
    """

    badge = peewee.CharField(index=True)
    employee = ForeignKey(Employee, backref="unlocks")  # whose badge was locked
    unlocked_by = ForeignKey(Employee, backref="unlocks_given")
    attempt = ForeignKey(LoginAttempt)
    station = peewee.CharField()
    at = peewee.DateTimeField()

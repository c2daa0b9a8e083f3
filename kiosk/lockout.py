"""One lockout per badge: wrong PINs at login, at signatures and at a manager's unlock all
count towards it, and a manager can lift it.

A badge is locked once ``Policy.failures`` wrong PINs fall within ``Policy.lock_seconds``
of each other, and stays locked for ``lock_seconds`` after the last of them. Counting starts
again after a right PIN or a manager's unlock. Everything is read from the records
(``LoginAttempt``, ``BadgeUnlock``), so a restart changes nothing. ``auth.authenticate``
asks ``locked_until`` inside the write transaction that records the attempt, so the answer
cannot be raced.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from peewee import fn

from kiosk import clock, ledger
from kiosk.models import BadgeUnlock, Employee, LoginAttempt
from kiosk.words import _, n_

WRONG = "wrong pin"  # LoginAttempt.reason of a guess that counts
# What a person was doing when a PIN was asked for (LoginAttempt.purpose), in words.
PURPOSE_WORDS = {"login": _("logging in"), "signature": _("a signature"),
                 "unlock": _("an unlock"), "station": _("registering a screen"),
                 "staff": _("a staff change"), "visitor": _("resolving a visitor"),
                 "new_pin": _("choosing a PIN")}
LOCKED = "locked"  # LoginAttempt.reason of an attempt refused unheard: it does not count


def locked_until(badge: str, policy) -> dt.datetime | None:
    """When this badge's lockout ends, if it is locked now.

    "Since the last right PIN or unlock" is told by record ids, not times: attempts are
    written one at a time, in the order they were judged, whatever the clock says.
    """
    since = clock.now() - dt.timedelta(seconds=policy.lock_seconds)
    last_ok = (LoginAttempt.select(fn.MAX(LoginAttempt.id))
               .where(LoginAttempt.badge == badge, LoginAttempt.at > since,
                      LoginAttempt.ok == True).scalar())  # noqa: E712
    last_unlock = (BadgeUnlock.select(fn.MAX(BadgeUnlock.attempt))
                   .where(BadgeUnlock.badge == badge, BadgeUnlock.at > since).scalar())
    after = max(last_ok or 0, last_unlock or 0)
    failures = list(LoginAttempt.select(LoginAttempt.at)
                    .where(LoginAttempt.badge == badge, LoginAttempt.at > since,
                           LoginAttempt.reason == WRONG, LoginAttempt.id > after)
                    .order_by(LoginAttempt.id.desc()).limit(policy.failures))
    if len(failures) < policy.failures:
        return None
    return failures[0].at + dt.timedelta(seconds=policy.lock_seconds)


def minutes_left(until: dt.datetime) -> int:
    """Whole minutes until ``until``, rounded up (a lock never says "0 minutes")."""
    return max(1, math.ceil((until - clock.now()).total_seconds() / 60))


def locked_message(badge: str, until: dt.datetime, policy) -> str:
    """The one way a locked badge is described, wherever it is refused."""
    minutes = minutes_left(until)
    return n_("Badge {badge} is locked after {failures} wrong PINs. Try again in {count} "
              "minute, or ask a manager to unlock it.",
              "Badge {badge} is locked after {failures} wrong PINs. Try again in {count} "
              "minutes, or ask a manager to unlock it.", minutes, badge=badge,
              failures=policy.failures)


@dataclass(frozen=True)
class LockedBadge:
    badge: str
    employee: Employee
    until: dt.datetime


def locked_badges(policy) -> list[LockedBadge]:
    """Every badge locked right now, the one whose lock ends last first."""
    since = clock.now() - dt.timedelta(seconds=policy.lock_seconds)
    badges = [b for (b,) in LoginAttempt.select(LoginAttempt.badge).distinct()
              .where(LoginAttempt.reason == WRONG, LoginAttempt.at > since).tuples()]
    found = []
    for badge in badges:
        until = locked_until(badge, policy)
        employee = Employee.holder(badge)
        if until is not None and employee is not None:
            found.append(LockedBadge(badge, employee, until))
    return sorted(found, key=lambda lock: lock.until, reverse=True)


def recent_refusals(limit: int = 20, employee: Employee | None = None) -> list[LoginAttempt]:
    """The newest wrong-PIN and locked-badge attempts, newest first, with their people
    (only ``employee``'s when given)."""
    query = (LoginAttempt.select(LoginAttempt, Employee)
             .join(Employee, on=(LoginAttempt.employee == Employee.id))
             .where(LoginAttempt.reason.in_((WRONG, LOCKED))))
    if employee is not None:
        query = query.where(LoginAttempt.employee == employee.id)
    return list(query.order_by(LoginAttempt.id.desc()).limit(limit))


def unlock(badge: str, manager: Employee, attempt_id: int, station: str) -> BadgeUnlock:
    """Lift ``badge``'s lockout on ``manager``'s signature (``attempt_id``: their badge and
    PIN, just checked). Runs in the caller's write transaction; raises ValueError with the
    words for the screen when it may not."""
    employee = Employee.holder(badge)
    if employee is None:
        raise ValueError(_("Badge {badge} is not known here.", badge=badge))
    if not manager.has_any(("manager",)):
        raise ValueError(_("{name} can't unlock badges: it needs a manager.",
                           name=manager.name))
    if employee.id == manager.id:
        raise ValueError(_("{name} can't unlock their own badge: another manager must do it.",
                           name=manager.name))
    row = BadgeUnlock.create(badge=badge, employee=employee, unlocked_by=manager,
                             attempt=attempt_id, station=station, at=clock.now())
    ledger.audit("badge.unlocked", f"employee:{employee.id}",
                 {"badge": badge, "unlock": row.id, "attempt": attempt_id},
                 actor=manager, station=station)
    return row

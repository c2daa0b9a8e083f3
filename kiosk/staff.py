"""Managing the people who work here from the manager's screen, and a person choosing their
own PIN after a manager reset it.

Every change is a ``StaffChange``: what it was, what it became, and the signature of the
manager who made it (badge + PIN at that moment), bound to a hash of exactly that. The
rules, whoever is logged in:

- Only a manager signs (an admin holds every role). Nobody changes their own record, not
  even an admin: another manager does, logged in as themselves.
- Only an admin makes someone an admin, takes it away, or changes an admin's record (a
  manager who could reset an admin's PIN could choose it at the admin's next login).
- A badge number belongs to one active person at a time.
- A reset PIN (and a new person's) works no more: the person chooses one at their next
  login, within ``PIN_RESET_HOURS``; after that a manager resets it again.

Functions that write run inside the caller's write transaction, as ``ledger`` does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from kiosk import auth, clock, engine, ledger, limits, lockout
from kiosk.db import locked
from kiosk.models import (
    LANGUAGES,
    ROLES,
    Employee,
    LoginAttempt,
    LoginSession,
    StaffChange,
    dumps,
)
from kiosk.words import _, joined

NAME_MAX = limits.NAME  # a person's name, in characters
REASON_MAX = limits.REASON  # why someone is deactivated
PIN_DIGITS = (4, 8)  # a PIN is 4 to 8 digits, as `kiosk users` has always asked
PIN_RESET_HOURS = 24
NO_PIN = "no-pin"  # the pin_hash of someone who must choose a PIN: it matches no PIN
MANAGERS = ("manager",)
ROLE_WORDS = {"receiver": _("Receiver"), "vault": _("Vault"), "runner": _("Runner"),
              "counter": _("Counter"), "manager": _("Manager"), "admin": _("Admin")}
LANGUAGE_WORDS = {"en": "English", "es": "Español"}  # each in its own language, never translated
ACTION_WORDS = {"add": _("Added"), "details": _("Roles or language changed"),
                "reset_pin": _("PIN reset"), "deactivate": _("Deactivated")}
# A changed record's fields, as a person's page names them (``staff/_person.html``).
FIELD_WORDS = {"roles": _("roles"), "language": _("language"), "active": _("active")}
YES_NO = {True: _("yes"), False: _("no")}


def value_words(field: str, value):
    """A changed record's value as a person's page shows it, in the reader's language: the
    roles' names, the language's own name, yes or no; a name or badge as it is."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return YES_NO[value]
    if field == "roles":
        return joined([engine.ROLE_WORDS.get(r, r) for r in str(value).split(",") if r], ", ")
    if field == "language":
        return LANGUAGE_WORDS.get(value, value)
    return value


@dataclass(frozen=True)
class Details:
    """A person as a manager typed them, checked."""

    name: str
    badge: str
    roles: tuple[str, ...]
    language: str


def checked_name(name) -> str:
    """A person's name: words with a letter in them, at most NAME_MAX characters."""
    name = " ".join(str(name).split())
    if not name:
        raise ValueError(_("Type the person's name."))
    if len(name) > NAME_MAX:
        raise ValueError(_("The name is too long: at most {count} characters, please.",
                           count=NAME_MAX))
    if not name.isprintable() or not any(ch.isalpha() for ch in name):
        raise ValueError(_("Type the name in letters, as the person writes it."))
    return name


def checked_badge(badge) -> str:
    """A badge number: 3 to 10 digits (EMP- in front, as a scan gives it, is fine)."""
    number = auth.badge_number(str(badge)[:40])
    if number is None:
        raise ValueError(_("A badge number is 3 to 10 digits: type the number on the badge."))
    return number


def checked_roles(roles) -> tuple[str, ...]:
    """Roles from ROLES (in that order), at least one."""
    chosen = set(roles)
    unknown = chosen - set(ROLES)
    if unknown:
        raise ValueError(_("Choose roles from the buttons only."))
    if not chosen:
        raise ValueError(_("Choose at least one role."))
    return tuple(r for r in ROLES if r in chosen)


def checked_language(language) -> str:
    if language not in LANGUAGES:
        raise ValueError(_("Choose English or Español."))
    return language


def details(name, badge, roles, language) -> Details:
    """The details of a new person, checked; ValueError with the words for the screen."""
    return Details(checked_name(name), checked_badge(badge), checked_roles(roles),
                   checked_language(language))


def badge_holder(badge: str) -> Employee | None:
    """The active person with this badge number, if any."""
    return (Employee.select().where(Employee.badge == badge, Employee.active == True)  # noqa: E712
            .first())


def badge_taken(badge: str, holder: Employee):
    """Why a badge number can't be given: someone active has it."""
    return _("Badge {badge} already belongs to {name}. Badge numbers are unique among active "
             "people: use another number, or deactivate {name} first.", badge=badge,
             name=holder.name)


def refusal(signer: Employee, logged_in: Employee, subject: Employee | None,
            before: tuple[str, ...], after: tuple[str, ...]):
    """Why ``signer`` (with ``logged_in`` at the screen) may not make this change, or "".

    ``before`` and ``after`` are the subject's roles (``before`` is empty for a new person).
    """
    if not signer.has_any(MANAGERS):
        return _("{name} can't change staff records: it needs a manager.", name=signer.name)
    if subject is not None and subject.id in (signer.id, logged_in.id):
        return _("{name} can't change their own record, roles included: another manager must "
                 "do it, logged in as themselves.", name=subject.name)
    if subject is not None and not subject.active:
        return _("{name} is no longer active; nothing can be changed.", name=subject.name)
    admin = "admin" in signer.role_set
    if "admin" in after and "admin" not in before and not admin:
        return _("Only an admin can make someone an admin, and {name} is not one.",
                 name=signer.name)
    if "admin" in before and not admin:
        return _("{name} is an admin: only another admin can change their record, and "
                 "{signer} is not one.", name=subject.name, signer=signer.name)
    return ""


def change_hash(employee_id: int, action: str, before: dict, after: dict, reason: str,
                signer: Employee, at: dt.datetime) -> str:
    """What a manager signs: the person, the change, the signer and the moment."""
    body = dumps({"employee": employee_id, "action": action, "before": before, "after": after,
                  "reason": reason, "signed_by": signer.id, "printed_name": signer.name,
                  "meaning": "approved", "at": at})
    return hashlib.sha256(body.encode()).hexdigest()


def intact(change: StaffChange) -> bool:
    """True if the change record still hashes to what its signer signed."""
    return change.change_hash == change_hash(
        change.employee_id, change.action, change.before, change.after, change.reason,
        Employee.get_by_id(change.signed_by_id), change.at)


def _signed(employee: Employee, action: str, before: dict, after: dict, signer: Employee,
            attempt_id: int, station: str, reason: str = "") -> StaffChange:
    now = clock.now()
    row = StaffChange.create(
        employee=employee, action=action, before=before, after=after, reason=reason,
        signed_by=signer, printed_name=signer.name,
        role="admin" if "admin" in signer.role_set else "manager", meaning="approved",
        attempt=attempt_id, change_hash=change_hash(employee.id, action, before, after,
                                                    reason, signer, now),
        station=station, at=now)
    ledger.audit(f"staff.{action}", f"employee:{employee.id}",
                 {"change": row.id, "before": before, "after": after, "reason": reason,
                  "attempt": attempt_id, "hash": row.change_hash}, actor=signer,
                 station=station)
    return row


def _facts(employee: Employee) -> dict:
    return {"name": employee.name, "badge": employee.badge, "roles": employee.roles,
            "language": employee.language}


def add(new: Details, signer: Employee, logged_in: Employee, attempt_id: int,
        station: str) -> Employee:
    """Add a person; they choose their PIN at their first login. ValueError in words."""
    refused = refusal(signer, logged_in, None, (), new.roles)
    if refused:
        raise ValueError(refused)
    holder = badge_holder(new.badge)
    if holder is not None:
        raise ValueError(badge_taken(new.badge, holder))
    employee = Employee.create(name=new.name, badge=new.badge, pin_hash=NO_PIN,
                               roles=",".join(new.roles), active=True, must_set_pin=True,
                               language=new.language, created_at=clock.now())
    _signed(employee, "add", {}, {**_facts(employee), "active": True}, signer, attempt_id,
            station)
    return employee


def _locked_person(employee_id: int) -> Employee:
    found = locked(Employee.select().where(Employee.id == employee_id)).first()
    if found is None:
        raise ValueError(_("That person is not in the records."))
    return found


def change_details(employee_id: int, roles, language, signer: Employee, logged_in: Employee,
                   attempt_id: int, station: str) -> Employee:
    """Change a person's roles and language. ValueError in words."""
    employee = _locked_person(employee_id)
    roles, language = checked_roles(roles), checked_language(language)
    refused = refusal(signer, logged_in, employee, tuple(employee.role_set), roles)
    if refused:
        raise ValueError(refused)
    before = {"roles": employee.roles, "language": employee.language}
    after = {"roles": ",".join(roles), "language": language}
    if before == after:
        raise ValueError(_("Nothing was changed: {name} already has these roles and this "
                           "language.", name=employee.name))
    Employee.update(roles=after["roles"], language=language).where(
        Employee.id == employee.id).execute()
    _signed(employee, "details", before, after, signer, attempt_id, station)
    return Employee.get_by_id(employee.id)


def _end_sessions(employee: Employee, reason: str) -> None:
    """A reset or deactivated person is logged out everywhere at once."""
    (LoginSession.update(ended_at=clock.now(), end_reason=reason)
     .where(LoginSession.employee == employee.id, LoginSession.ended_at.is_null()).execute())


def reset_pin(employee_id: int, signer: Employee, logged_in: Employee, attempt_id: int,
              station: str) -> Employee:
    """The person's PIN works no more; they choose a new one at their next login."""
    employee = _locked_person(employee_id)
    refused = refusal(signer, logged_in, employee, tuple(employee.role_set),
                      tuple(employee.role_set))
    if refused:
        raise ValueError(refused)
    Employee.update(pin_hash=NO_PIN, must_set_pin=True).where(
        Employee.id == employee.id).execute()
    _end_sessions(employee, "pin reset")
    _signed(employee, "reset_pin", {"must_set_pin": employee.must_set_pin},
            {"must_set_pin": True}, signer, attempt_id, station)
    return Employee.get_by_id(employee.id)


def deactivate(employee_id: int, reason, signer: Employee, logged_in: Employee,
               attempt_id: int, station: str) -> Employee:
    """The person can no longer log in or sign; their badge number may be given again."""
    employee = _locked_person(employee_id)
    reason = " ".join(str(reason).split())
    if not reason:
        raise ValueError(_("Say why {name} is deactivated.", name=employee.name))
    if len(reason) > REASON_MAX or not reason.isprintable():
        raise ValueError(_("The reason must be plain words, at most {count} characters.",
                           count=REASON_MAX))
    refused = refusal(signer, logged_in, employee, tuple(employee.role_set),
                      tuple(employee.role_set))
    if refused:
        raise ValueError(refused)
    Employee.update(active=False).where(Employee.id == employee.id).execute()
    _end_sessions(employee, "deactivated")
    _signed(employee, "deactivate", {"active": True}, {"active": False}, signer, attempt_id,
            station, reason)
    return Employee.get_by_id(employee.id)


def pin_problem(pin: str, again: str, badge: str) -> str:
    """Why this PIN will not do (in words), or ""."""
    low, high = PIN_DIGITS
    if not (pin.isascii() and pin.isdigit() and low <= len(pin) <= high):
        return _("Choose a PIN of {low} to {high} digits.", low=low, high=high)
    if pin != again:
        return _("The two PINs are not the same. Type the new PIN twice.")
    digits = [int(d) for d in pin]
    steps = {b - a for a, b in zip(digits, digits[1:], strict=False)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        return _("{pin} is too easy to guess: not one digit repeated, nor digits in a row.",
                 pin=pin)
    if pin == badge:
        return _("Your PIN can't be your badge number.")
    return ""


def reset_since(employee: Employee) -> dt.datetime | None:
    """When the person was last added or had their PIN reset."""
    change = (StaffChange.select(StaffChange.at)
              .where(StaffChange.employee == employee.id,
                     StaffChange.action.in_(("add", "reset_pin")))
              .order_by(StaffChange.id.desc()).first())
    return change.at if change is not None else None


def pin_deadline(employee: Employee) -> dt.datetime | None:
    """Until when a person without a PIN may choose one (None if they need not)."""
    since = reset_since(employee) if employee.must_set_pin else None
    return since + dt.timedelta(hours=PIN_RESET_HOURS) if since is not None else None


def choose_pin(badge: str, pin_hash: str, station: str, policy: auth.Policy) -> Employee:
    """The person with ``badge`` chooses their PIN (already checked by ``pin_problem`` and
    hashed, outside this transaction). ValueError in words when they may not."""
    employee = locked(Employee.select().where(Employee.badge == badge)
                      .order_by(Employee.active.desc(), Employee.id.desc())).first()
    if employee is None or not employee.active:
        raise ValueError(_("Badge {badge} is not an active badge here. Ask a manager.",
                           badge=badge))
    if not employee.must_set_pin:
        raise ValueError(_("{name} has a PIN already. Log in with it.", name=employee.name))
    until = lockout.locked_until(badge, policy)
    if until is not None:
        raise ValueError(lockout.locked_message(badge, until, policy))
    deadline = pin_deadline(employee)
    if deadline is None or clock.now() > deadline:
        ledger.audit("pin.expired", f"employee:{employee.id}", {"badge": badge},
                     actor=employee, station=station)
        raise ValueError(_("The time to choose a PIN for badge {badge} ran out ({hours} hours "
                           "after the reset). Ask a manager to reset it again.", badge=badge,
                           hours=PIN_RESET_HOURS))
    Employee.update(pin_hash=pin_hash, must_set_pin=False).where(
        Employee.id == employee.id).execute()
    row = LoginAttempt.create(badge=badge, employee=employee, ok=True, reason="",
                              purpose="new_pin", station=station, at=clock.now())
    ledger.audit("pin.set", f"employee:{employee.id}", {"attempt": row.id, "badge": badge},
                 actor=employee, station=station)
    return Employee.get_by_id(employee.id)


def people() -> list[Employee]:
    """Everyone, the active first, by name."""
    return list(Employee.select().order_by(Employee.active.desc(), Employee.name, Employee.id))


def history(employee: Employee) -> list[StaffChange]:
    """The signed changes to one person, newest first."""
    return list(StaffChange.select().where(StaffChange.employee == employee.id)
                .order_by(StaffChange.id.desc()))

"""Badge + PIN: PIN hashing, attempts and the lockout, server-side sessions, roles.

Used for logging in, for signatures, and whenever a manager approves something on a screen;
a signature always checks badge and PIN at that moment and never trusts whoever is logged in.

Every attempt goes through ``attempt``. The slow hash runs first, outside any write
transaction (``check_ahead``); then one write transaction of its own decides the lockout,
records the attempt and audits it (``authenticate``), and only then is the answer known. So
an attempt is never part of a step that a refusal undoes, and no answer is given for an
attempt that was not kept. Two attempts at one badge are never judged against the same
count: the badge's row is locked first (SQLite's BEGIN IMMEDIATE already holds the whole
database), so the sixth guess always sees the first five.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from kiosk import clock, ledger, limits, scans
from kiosk.db import locked, write
from kiosk.lockout import WRONG, locked_message, locked_until
from kiosk.models import Employee, LoginAttempt, LoginSession
from kiosk.words import _

# scrypt at n=2**14 costs ~16 MB and tens of milliseconds per try: cheap for a person,
# ruinous for anyone trying all 10,000 four-digit PINs against a stolen database.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
NOT_A_BADGE = _("That is not a badge. Scan a badge or type a badge number.")
NOT_A_PIN = _("That is not a PIN: a PIN is a few digits. Clear it and type it again.")
NO_PIN = "no pin"  # LoginAttempt.reason: the person must choose a PIN first (not counted)


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of ``pin`` in a self-describing string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """True if ``pin`` matches the stored hash (constant-time comparison)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        trial = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                               p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(trial.hex(), digest)


@dataclass(frozen=True)
class Policy:
    """The knobs that come from settings."""

    failures: int = 5
    lock_seconds: int = 300
    idle_seconds: int = 90
    warning_seconds: int = 20


@dataclass(frozen=True)
class PinCheck:
    """A PIN already checked against a stored hash, outside any write transaction."""

    badge: str
    pin_hash: str
    matches: bool


def check_ahead(badge: str, pin: str, policy: Policy = Policy()) -> PinCheck | None:
    """Run the slow PIN hash before the write transaction that records the attempt.

    The hash takes tens of milliseconds on purpose; inside the transaction it would hold the
    writers' lock, and every other screen's scan, for all that time. ``authenticate`` uses
    this answer only if the badge's stored hash is still the one checked here; the lockout
    and the record of the attempt stay inside the transaction. A badge locked already is
    not hashed at all: the transaction will refuse it unheard, and a guesser hammering a
    locked badge costs the server no hashing.
    """
    employee = Employee.holder(badge) if badge and pin else None
    if (employee is None or not employee.active or employee.must_set_pin
            or locked_until(badge, policy) is not None):
        return None
    return PinCheck(employee.badge, employee.pin_hash, check_pin(pin, employee.pin_hash))


@dataclass(frozen=True)
class AuthResult:
    """The answer to one attempt. ``name`` is the badge holder's, whenever the badge is
    known, so a screen can keep greeting them after a refusal."""

    employee: Employee | None
    message: str = ""
    name: str = ""
    locked: bool = False  # refused because the badge is locked, now or by this attempt
    needs_pin: bool = False  # a known badge and no PIN: ask for it; nothing was recorded
    no_pin: bool = False  # the person has no PIN yet (reset or new): they must choose one
    attempt_id: int | None = None  # the LoginAttempt that recorded it

    @property
    def ok(self) -> bool:
        return self.employee is not None


def badge_number(raw: str) -> str | None:
    """The badge number in what was scanned or typed (``EMP-1002`` or ``1002``), or None."""
    match = scans.BADGE_RE.match(raw.strip().upper())
    return match.group(1) if match and raw.isascii() else None


def _plausible(badge: str) -> bool:
    """Could a badge be this? (Not too long, nothing hidden in it.)"""
    return len(badge) <= limits.BADGE and badge.isprintable()


def find_badge(badge: str) -> tuple[Employee | None, str]:
    """The active employee with this badge, or a message saying why not."""
    badge = badge.strip()
    if not badge:
        return None, _("Scan your badge or type your badge number.")
    employee = Employee.holder(badge) if _plausible(badge) else None
    if employee is None:
        return None, _("Badge {badge} is not known here. Check the number or ask a manager.",
                       badge=limits.excerpt(badge, limits.BADGE))
    if not employee.active:
        return None, _("Badge {badge} ({name}) is no longer active. Ask a manager.",
                       badge=badge, name=employee.name)
    return employee, ""


def attempt(badge: str, pin: str, *, station: str, purpose: str = "login",
            policy: Policy = Policy()) -> AuthResult:
    """Check badge + PIN as one recorded attempt, in a write transaction of its own (see the
    module docstring). ``purpose``: login, signature, unlock, station.

    What is not an attempt is answered without a record: something that is not a badge
    number at all, something that is not a PIN (too long for one, or hidden characters),
    and a known badge with no PIN (``needs_pin``: ask for it).
    """
    number = badge_number(badge)
    if number is None:
        return AuthResult(None, NOT_A_BADGE)
    if len(pin) > limits.PIN or not pin.isprintable():
        return AuthResult(None, NOT_A_PIN)
    if not pin.strip():
        holder = Employee.holder(number)
        if holder is not None and holder.active and not holder.must_set_pin:
            return AuthResult(None, "", name=holder.name, needs_pin=True)
    ahead = check_ahead(number, pin, policy)
    with write():
        return authenticate(number, pin, station=station, purpose=purpose, policy=policy,
                            ahead=ahead)


def authenticate(badge: str, pin: str, *, station: str, purpose: str = "login",
                 policy: Policy = Policy(), ahead: PinCheck | None = None) -> AuthResult:
    """Check badge + PIN, record the attempt, lock the badge after repeated failures.

    Must run inside a write transaction that nothing undoes after it (``attempt`` opens
    one). Every attempt is recorded and gets an audit entry naming its record. ``ahead`` is
    the PIN checked beforehand by ``check_ahead`` (see there).
    """
    badge = badge.strip()
    employee = None
    if _plausible(badge):  # PostgreSQL refuses a NUL in a query: no badge holds one anyway
        employee = locked(Employee.select().where(Employee.badge == badge)
                          .order_by(Employee.active.desc(), Employee.id.desc())).first()
    now = clock.now()
    if employee is None or not employee.active:
        _nobody, message = find_badge(badge)
        # Anyone can type here: the records keep a short, escaped excerpt, never the input
        # (``attempt`` lets only a badge number through; this holds for any other caller).
        shown = limits.excerpt(badge, limits.BADGE)
        row = LoginAttempt.create(badge=shown, employee=employee, ok=False,
                                  reason="unknown or inactive", purpose=purpose,
                                  station=station, at=now)
        ledger.audit(f"{purpose}.refused", f"badge:{shown}",
                     {"attempt": row.id, "reason": message}, station=station)
        return AuthResult(None, message, attempt_id=row.id)
    subject, name = f"employee:{employee.id}", employee.name
    until = locked_until(badge, policy)
    if until is not None:
        row = _record(badge, employee, False, "locked", purpose, station, now)
        ledger.audit(f"{purpose}.locked", subject, {"attempt": row.id, "badge": badge},
                     actor=employee, station=station)
        return AuthResult(None, locked_message(badge, until, policy), name=name, locked=True,
                          attempt_id=row.id)
    if employee.must_set_pin:
        # A reset PIN is no PIN: nothing to guess, so the attempt is kept but not counted.
        row = _record(badge, employee, False, NO_PIN, purpose, station, now)
        ledger.audit(f"{purpose}.no_pin", subject, {"attempt": row.id, "badge": badge},
                     actor=employee, station=station)
        return AuthResult(None, _("{name} has no PIN yet. Log in with badge {badge} to choose "
                                  "one, then try again.", name=name, badge=badge),
                          name=name, no_pin=True,
                          attempt_id=row.id)
    if ahead is not None and (ahead.badge, ahead.pin_hash) == (badge, employee.pin_hash):
        matches = ahead.matches
    else:
        matches = check_pin(pin, employee.pin_hash)
    if not matches:
        row = _record(badge, employee, False, WRONG, purpose, station, now)
        ledger.audit(f"{purpose}.wrong_pin", subject, {"attempt": row.id, "badge": badge},
                     actor=employee, station=station)
        until = locked_until(badge, policy)
        if until is not None:
            ledger.audit("badge.locked", subject,
                         {"badge": badge, "attempt": row.id, "minutes": policy.lock_seconds // 60},
                         actor=employee, station=station)
            return AuthResult(None, _("Wrong PIN. {locked}",
                                      locked=locked_message(badge, until, policy)),
                              name=name, locked=True, attempt_id=row.id)
        return AuthResult(None, _("Wrong PIN. Try again."), name=name, attempt_id=row.id)
    row = _record(badge, employee, True, "", purpose, station, now)
    ledger.audit(f"{purpose}.pin_ok", subject, {"attempt": row.id, "badge": badge},
                 actor=employee, station=station)
    return AuthResult(employee, name=name, attempt_id=row.id)


def _record(badge, employee, ok, reason, purpose, station, at) -> LoginAttempt:
    return LoginAttempt.create(badge=badge, employee=employee, ok=ok, reason=reason,
                               purpose=purpose, station=station, at=at)


def start_session(employee: Employee, station: str) -> LoginSession:
    """A fresh session for ``employee``; whoever was logged in at this station is logged out."""
    now = clock.now()
    (LoginSession.update(ended_at=now, end_reason="another login")
     .where(LoginSession.station == station, LoginSession.ended_at.is_null()).execute())
    session = LoginSession.create(token=secrets.token_urlsafe(32), employee=employee,
                                  station=station, created_at=now, last_seen=now)
    ledger.audit("login", f"employee:{employee.id}", {}, actor=employee, station=station)
    return session


def current_session(token: str | None, policy: Policy = Policy()) -> LoginSession | None:
    """The live session for ``token``; None if unknown, ended, or idle past the lock time."""
    if not token or len(token) > limits.SESSION_TOKEN or not token.isprintable():
        return None
    session = LoginSession.one_with("employee", token=token, ended_at=None)
    if session is None:
        return None
    idle = (clock.now() - session.last_seen).total_seconds()
    if idle > policy.idle_seconds + policy.warning_seconds or not session.employee.active:
        return None
    return session


def touch_due(session: LoginSession) -> bool:
    """True when ``touch`` would write; callers open a write transaction only then."""
    return (clock.now() - session.last_seen).total_seconds() >= 5


def touch(session: LoginSession) -> None:
    """Record activity; skipped when recent, so a burst of scans is not a burst of writes."""
    if touch_due(session):
        now = clock.now()
        LoginSession.update(last_seen=now).where(LoginSession.id == session.id).execute()
        session.last_seen = now


def end_session(session: LoginSession, reason: str) -> None:
    """Log out (reason: logout, idle, another login)."""
    LoginSession.update(ended_at=clock.now(), end_reason=reason).where(
        LoginSession.id == session.id, LoginSession.ended_at.is_null()).execute()
    ledger.audit("logout", f"employee:{session.employee_id}", {"reason": reason},
                 actor=session.employee, station=session.station)

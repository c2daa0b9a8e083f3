"""Badge + PIN: PIN hashing, authentication with lockout, server-side sessions, roles.

Used both for logging in and for signatures; a signature always checks badge and PIN at
that moment and never trusts whoever is logged in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from kiosk import clock, ledger, limits
from kiosk.models import Employee, LoginAttempt, LoginSession

# scrypt at n=2**14 costs ~16 MB and tens of milliseconds per try: cheap for a person,
# ruinous for anyone trying all 10,000 four-digit PINs against a stolen database.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


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
class PinCheck:
    """A PIN already checked against a stored hash, outside any write transaction."""

    badge: str
    pin_hash: str
    matches: bool


def check_ahead(badge: str, pin: str) -> PinCheck | None:
    """Run the slow PIN hash before the write transaction that records the attempt.

    The hash takes tens of milliseconds on purpose; inside the transaction it would hold the
    writers' lock, and every other screen's scan, for all that time. ``authenticate`` uses
    this answer only if the badge's stored hash is still the one checked here; the lockout
    and the record of the attempt stay inside the transaction, exactly as before.
    """
    employee = Employee.one(badge=badge.strip()) if badge.strip() and pin else None
    if employee is None or not employee.active:
        return None
    return PinCheck(employee.badge, employee.pin_hash, check_pin(pin, employee.pin_hash))


@dataclass(frozen=True)
class Policy:
    """The knobs that come from settings."""

    failures: int = 5
    lock_seconds: int = 300
    idle_seconds: int = 90
    warning_seconds: int = 20


@dataclass(frozen=True)
class AuthResult:
    employee: Employee | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.employee is not None


def find_badge(badge: str) -> tuple[Employee | None, str]:
    """The active employee with this badge, or a message saying why not."""
    badge = badge.strip()
    if not badge:
        return None, "Scan your badge or type your badge number."
    employee = Employee.get_or_none(Employee.badge == badge)
    if employee is None:
        return None, (f"Badge {limits.excerpt(badge, limits.BADGE)} is not known here. Check "
                      "the number or ask a manager.")
    if not employee.active:
        return None, f"Badge {badge} ({employee.name}) is no longer active. Ask a manager."
    return employee, ""


def locked_until(badge: str, policy: Policy) -> dt.datetime | None:
    """When this badge's lockout ends, if it is locked now."""
    now = clock.now()
    window_start = now - dt.timedelta(seconds=policy.lock_seconds)
    last_ok = (LoginAttempt.select(LoginAttempt.at)
               .where(LoginAttempt.badge == badge, LoginAttempt.ok == True)  # noqa: E712
               .order_by(LoginAttempt.at.desc()).limit(1).scalar())
    since = max(window_start, last_ok) if last_ok else window_start
    failures = list(LoginAttempt.select(LoginAttempt.at)
                    .where(LoginAttempt.badge == badge, LoginAttempt.ok == False,  # noqa: E712
                           LoginAttempt.reason != "locked", LoginAttempt.at > since)
                    .order_by(LoginAttempt.at.desc()).limit(policy.failures))
    if len(failures) < policy.failures:
        return None
    return failures[0].at + dt.timedelta(seconds=policy.lock_seconds)


def authenticate(badge: str, pin: str, *, station: str, purpose: str = "login",
                 policy: Policy = Policy(), ahead: PinCheck | None = None) -> AuthResult:
    """Check badge + PIN, record the attempt, lock the badge after repeated failures.

    Must run inside a write transaction (it records the attempt and audits it). ``ahead`` is
    the PIN checked beforehand by ``check_ahead`` (see there).
    """
    badge = badge.strip()
    employee, message = find_badge(badge)
    if employee is None:
        # Anyone can type here: the records keep a short, escaped excerpt, never the input.
        shown = limits.excerpt(badge, limits.BADGE)
        LoginAttempt.create(badge=shown, ok=False, reason="unknown or inactive",
                            purpose=purpose, station=station, at=clock.now())
        ledger.audit(f"{purpose}.refused", f"badge:{shown}", {"reason": message},
                     station=station)
        return AuthResult(None, message)
    until = locked_until(badge, policy)
    if until is not None:
        LoginAttempt.create(badge=badge, employee=employee, ok=False, reason="locked",
                            purpose=purpose, station=station, at=clock.now())
        minutes = max(1, round((until - clock.now()).total_seconds() / 60))
        return AuthResult(None, f"Badge {badge} is locked after {policy.failures} wrong PINs. "
                                f"Try again in {minutes} minute{'s' if minutes != 1 else ''} "
                                "or ask a manager.")
    if ahead is not None and (ahead.badge, ahead.pin_hash) == (badge, employee.pin_hash):
        matches = ahead.matches
    else:
        matches = check_pin(pin, employee.pin_hash)
    if not matches:
        LoginAttempt.create(badge=badge, employee=employee, ok=False, reason="wrong pin",
                            purpose=purpose, station=station, at=clock.now())
        ledger.audit(f"{purpose}.wrong_pin", f"employee:{employee.id}", {"badge": badge},
                     actor=employee, station=station)
        if locked_until(badge, policy) is not None:
            ledger.audit("badge.locked", f"employee:{employee.id}",
                         {"badge": badge, "minutes": policy.lock_seconds // 60},
                         actor=employee, station=station)
            return AuthResult(None, f"Wrong PIN. Badge {badge} is now locked for "
                                    f"{policy.lock_seconds // 60} minutes.")
        return AuthResult(None, "Wrong PIN. Try again.")
    LoginAttempt.create(badge=badge, employee=employee, ok=True, purpose=purpose,
                        station=station, at=clock.now())
    return AuthResult(employee)


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

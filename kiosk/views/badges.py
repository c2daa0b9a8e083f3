"""The manager's locked-badges screen: who is locked out and until when, the newest wrong
PINs, and an unlock signed with the manager's own badge + PIN.

URLs (a manager must be logged in):
``/manager/badges``                  the screen (endpoint badges.screen)
``/manager/badges/<badge>/unlock``   GET the signing form for one badge, POST to unlock it
"""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template, request

from kiosk import auth, db, lockout
from kiosk.views.home import feedback, login_required, policy, station

bp = Blueprint("badges", __name__, url_prefix="/manager/badges")

MANAGERS = ("manager",)


def _screen(template: str, notice: str = "", tone: str = "ok", **extra):
    response = make_response(render_template(
        template, locks=lockout.locked_badges(policy()), refusals=lockout.recent_refusals(),
        purposes=lockout.PURPOSE_WORDS,
        minutes_left=lockout.minutes_left, notice=notice, tone=tone, **extra))
    return feedback(response, tone, notice) if notice else response


@bp.get("")
@login_required(roles=MANAGERS)
def screen():
    """Locked badges, each with its time left and an Unlock button; the newest refusals."""
    return _screen("badges/screen.html")


def _locked(badge: str) -> lockout.LockedBadge | None:
    """The lock on ``badge`` (404 for what is no badge number), or None once it is lifted."""
    number = auth.badge_number(badge)
    if number is None:
        abort(404)
    return next((lock for lock in lockout.locked_badges(policy()) if lock.badge == number),
                None)


def _not_locked(badge: str):
    """Another manager unlocked it meanwhile, or its time ran out: show the list as it is."""
    response = _screen("badges/_body.html", f"Badge {badge} is not locked any more.", "warn")
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#badges", "outerHTML"
    return response


def _own(lock: lockout.LockedBadge) -> str:
    if lock.employee.id == g.employee.id:
        return (f"{g.employee.name} can't unlock their own badge: another manager must do "
                "it, logged in as themselves.")
    return ""


@bp.get("/<badge>/unlock")
@login_required(roles=MANAGERS)
def unlock_form(badge: str):
    """The signing form for unlocking one badge (swapped into the screen)."""
    lock = _locked(badge)
    if lock is None:
        return _not_locked(badge)
    return render_template("badges/_unlock.html", lock=lock, message=_own(lock), tone="error")


@bp.post("/<badge>/unlock")
@login_required(roles=MANAGERS)
def unlock(badge: str):
    """Unlock on a manager's badge + PIN, given now; the unlock and the signature are kept."""
    lock = _locked(badge)
    if lock is None:
        return _not_locked(badge)
    refused = _own(lock)
    if refused:
        return _form(lock, refused)
    result = auth.attempt(request.form.get("badge", ""), request.form.get("pin", ""),
                          station=station(), purpose="unlock", policy=policy())
    if result.needs_pin:
        return _form(lock, "Type your PIN on the keypad, then press Unlock.", "warn")
    if not result.ok:
        return _form(lock, result.message)
    try:
        with db.write():
            lockout.unlock(lock.badge, result.employee, result.attempt_id, station())
    except ValueError as exc:
        return _form(lock, str(exc))
    response = _screen("badges/_body.html",
                       f"Badge {lock.badge} ({lock.employee.name}) is unlocked. "
                       f"{result.employee.name} signed for it.")
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#badges", "outerHTML"
    return response


def _form(lock: lockout.LockedBadge, message: str, tone: str = "error"):
    response = make_response(render_template("badges/_unlock.html", lock=lock,
                                             message=message, tone=tone))
    return feedback(response, tone, message)

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
from kiosk.words import _

bp = Blueprint("badges", __name__, url_prefix="/manager/badges")

MANAGERS = ("manager",)
# What a person was doing when a PIN was asked for (the screens say it in their language).
PURPOSE_WORDS = lockout.PURPOSE_WORDS


def _screen(template: str, notice: str = "", tone: str = "ok", **extra):
    response = make_response(render_template(
        template, locks=lockout.locked_badges(policy()), refusals=lockout.recent_refusals(),
        purposes=PURPOSE_WORDS,
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
    response = _screen("badges/_body.html",
                       _("Badge {badge} is not locked any more.", badge=badge), "warn")
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#badges", "outerHTML"
    return response


def _own(lock: lockout.LockedBadge):
    if lock.employee.id == g.employee.id:
        return _("{name} can't unlock their own badge: another manager must do it, logged in "
                 "as themselves.", name=g.employee.name)
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
        return _form(lock, _("Type your PIN on the keypad, then press {what}.", what=_("Unlock")),
                     "warn")
    if not result.ok:
        return _form(lock, result.message)
    try:
        with db.write():
            lockout.unlock(lock.badge, result.employee, result.attempt_id, station())
    except ValueError as exc:
        return _form(lock, exc.args[0] if exc.args else str(exc))
    response = _screen("badges/_body.html",
                       _("Badge {badge} ({name}) is unlocked. {signer} signed for it.",
                         badge=lock.badge, name=lock.employee.name,
                         signer=result.employee.name))
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#badges", "outerHTML"
    return response


def _form(lock: lockout.LockedBadge, message: str, tone: str = "error"):
    response = make_response(render_template("badges/_unlock.html", lock=lock,
                                             message=message, tone=tone))
    return feedback(response, tone, message)

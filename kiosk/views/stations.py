"""Registering a screen as one of the store's stations, on the screen itself.

A screen whose name the store does not know (from ``?station=``, its cookie or the
``station`` setting) is served nothing but the page that asks a manager to register it
(``home._unregistered``, whose form posts here). The manager signs with badge + PIN, once:
from then on the screen is that station. The name must be a station name (``STATION_RE``)
before it is written anywhere, so nothing longer or stranger ever reaches the records or
the audit chain.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request, url_for

from kiosk import auth, db, ledger
from kiosk.models import Station
from kiosk.views.home import STATION_COOKIE, STATION_KINDS, STATION_RE, feedback, go, policy
from kiosk.words import _

bp = Blueprint("stations", __name__)

def _form(name: str, message: str, tone: str = "error"):
    response = make_response(render_template("stations/_register.html", name=name, valid=True,
                                             kinds=STATION_KINDS, message=message, tone=tone))
    return feedback(response, tone, message)


@bp.post("/stations/register")
def register():
    """A manager's badge + PIN registers the name this screen gave as a station."""
    name, kind = request.form.get("name", ""), request.form.get("kind", "")
    if not STATION_RE.fullmatch(name) or kind not in STATION_KINDS:
        return _form("", _("That is not a station this screen can be registered as. Press "
                           "Home and try again."))
    result = auth.attempt(request.form.get("badge", ""), request.form.get("pin", ""),
                          station=name, purpose="station", policy=policy())
    if result.needs_pin:
        return _form(name, _("Type your PIN on the keypad, then press {what}.",
                             what=_("Register")), "warn")
    if not result.ok:
        return _form(name, result.message)
    manager = result.employee
    if not manager.has_any(("manager",)):
        return _form(name, _("{name} can't register screens: it needs a manager.",
                             name=manager.name))
    with db.write():
        _station, made = Station.get_or_create(name=name, defaults={"kind": kind})
        if made:
            ledger.audit("station.register", f"station:{name}",
                         {"kind": kind, "attempt": result.attempt_id}, actor=manager,
                         station=name)
    response = go(url_for("home.index"))
    response.set_cookie(STATION_COOKIE, name, max_age=10 * 365 * 86400, httponly=True,
                        samesite="Strict")
    return response

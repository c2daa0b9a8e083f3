"""Login (badge, then PIN), logout, the idle lock, and the home screen.

Sessions live on the server (``LoginSession``); the browser holds a random token in an
HttpOnly cookie. Every POST also carries a CSRF token that base.html puts on htmx requests.

One server serves every screen in the store, so each screen says which station it is: its
browser opens ``/?station=vault-1`` once (the browser unit's start URL) and keeps the name in
a cookie. A screen that never said falls back to the ``station`` setting. Only registered
stations are served (``Station``: ``kiosk stations add``, or a manager on the screen itself,
``views/stations``), and a session works only at the station where it was made.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.sessions import SessionInterface

from kiosk import auth, clock, db, limits, lockout, scans, workflows
from kiosk.models import Employee, LoginSession, Run, Station
from kiosk.words import _

bp = Blueprint("home", __name__)

SESSION_COOKIE = "kiosk_session"
CSRF_COOKIE = "kiosk_csrf"
RESUME_COOKIE = "kiosk_resume"
STATION_COOKIE = "kiosk_station"
LANGUAGE_COOKIE = "kiosk_language"  # the lock screen's choice (views/language)
STATION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
STATION_KINDS = {"receiving": _("a receiving screen"), "vault": _("a vault screen"),
                 "floor": _("a sales-floor screen")}
CSRF_EXEMPT_BLUEPRINTS = {"api"}  # machine-to-machine webhooks: signed with HMAC instead
NO_STATION = {"static", "home.healthz"}  # served to anything, outside any station
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
     "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
    ("Cache-Control", "no-store"),  # last: static files keep their own
)


def settings() -> dict:
    return current_app.config["KIOSK"]


def station() -> str:
    """The station (screen) this request comes from ("" on a screen not registered)."""
    name = g.get("station")
    return settings()["station"] if name is None else name


def _registered(name: str, known: set[str]) -> bool:
    """True if ``name`` is one of the store's stations. Stations are never removed, so a
    name once found is remembered in ``known`` (the app's): no query per request."""
    if name in known:
        return True
    if not STATION_RE.fullmatch(name) or Station.one(name=name) is None:
        return False
    known.add(name)
    return True


def _station_of_request(req, known: set[str]) -> tuple[str, bool, str]:
    """This screen's station, whether ``?station=`` just set it, and the name it gave that
    the store does not know ("" when it is known).

    The name comes from ``?station=`` (then kept in a cookie), else that cookie, else the
    ``station`` setting; whichever it is must be a registered station.
    """
    # A scan's POST has no query string: skip parsing an empty one on every request.
    wanted = req.args.get("station", "") if req.query_string else ""
    if wanted:
        return (wanted, True, "") if _registered(wanted, known) else ("", False, wanted)
    kept = req.cookies.get(STATION_COOKIE) or settings()["station"]
    return (kept, False, "") if _registered(kept, known) else ("", False, kept)


def _csrf_ok(req) -> bool:
    """The header carries this screen's CSRF cookie. A request without the cookie is
    refused too: a form posted from another site carries neither, and they must not pass
    as equal."""
    kept = req.cookies.get(CSRF_COOKIE, "")
    sent = req.headers.get("X-CSRF-Token", "")
    return bool(kept) and hmac.compare_digest(sent.encode("utf-8", "surrogatepass"),
                                              kept.encode("utf-8", "surrogatepass"))


def _unregistered():
    """Any screen of a station the store does not know: ask a manager to register it."""
    if request.method == "POST":
        if request.htmx:  # refused, and the screen goes to the page that asks for a manager
            response = go(url_for("home.index"))
            response.status_code = 403
            return response
        return render_template("message.html", title=_("Screen not registered"),
                               message=_("This screen is not one of the store's stations; "
                                         "nothing was saved.")), 403
    # A name that is no station name is shown cut and printable only, and cannot be
    # registered (views/stations).
    name = g.unknown_station
    return render_template("stations/register.html", kinds=STATION_KINDS, message="",
                           name="".join(c for c in name[:40] if c.isprintable()),
                           valid=bool(STATION_RE.fullmatch(name)))


def policy() -> auth.Policy:
    s = settings()
    return auth.Policy(failures=s["lockout_failures"], lock_seconds=s["lockout_seconds"],
                       idle_seconds=s["idle_seconds"], warning_seconds=s["idle_warning_seconds"])


def feedback(response, tone: str, message: str = ""):
    """Attach the scan/tap feedback cue (sound + colour) that kiosk.js plays."""
    from json import dumps

    from kiosk.views.language import say

    message = say(message)
    response.headers["HX-Trigger"] = dumps({"kiosk:feedback": {"tone": tone,
                                                                "message": message}})
    return response


def go(url: str):
    """Navigate: HX-Redirect for htmx requests, a plain redirect otherwise."""
    if request.htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)


def login_required(roles: tuple[str, ...] = ()):
    """Only for a logged-in person holding one of ``roles`` (any role when empty)."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            if g.employee is None:
                return go(url_for("home.index", ended=1))
            if roles and not g.employee.has_any(roles):
                return render_template("message.html", title=_("Not allowed"),
                                       message=_("{name} can't open this screen. Ask a manager.",
                                                 name=g.employee.name)), 403
            return view(*args, **kwargs)

        return inner

    return wrap


class _NoCookieSession(SessionInterface):
    """Logins live in the database (``auth``), never in Flask's signed cookie. Flask still
    built a signer and read that cookie on every request; this gives it a null session
    instead, which also refuses any attempt to store something in it."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        pass


def init_app(app: Flask) -> None:
    """Session loading, CSRF, security headers and friendly errors for every request."""
    app.session_interface = _NoCookieSession()

    known_stations: set[str] = app.extensions.setdefault("kiosk_stations", set())

    @app.before_request
    def load_session():
        # The request and g themselves, read once: each use of Flask's proxies looks the
        # context up again, and this runs before every scan.
        req, here = request._get_current_object(), g._get_current_object()
        here.csrf = req.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        if req.blueprint in CSRF_EXEMPT_BLUEPRINTS or req.endpoint in NO_STATION:
            here.session = here.employee = None
            return None
        if req.method == "POST" and not _csrf_ok(req):
            here.session = here.employee = None
            return render_template("message.html", title=_("Screen out of date"),
                                   message=_("This screen was out of date. Press Home "
                                             "and try again; nothing was saved.")), 400
        here.station, here.new_station, here.unknown_station = _station_of_request(
            req, known_stations)
        if here.unknown_station:
            here.session = here.employee = None
            return None if req.endpoint == "stations.register" else _unregistered()
        session = auth.current_session(req.cookies.get(SESSION_COOKIE), policy())
        # A session belongs to the screen it was made at: its cookie is no login elsewhere.
        if session is not None and session.station != here.station:
            session = None
        here.session, here.employee = session, session.employee if session else None
        # Only when there is something to write: an empty write transaction still queues
        # behind every other writer, and this runs before every request.
        if session is not None and auth.touch_due(session):
            with db.write():
                auth.touch(session)

    @app.after_request
    def headers(response):
        if request.cookies.get(CSRF_COOKIE) != g.get("csrf") and g.get("csrf"):
            response.set_cookie(CSRF_COOKIE, g.csrf, httponly=True, samesite="Strict")
        if g.get("new_station"):
            response.set_cookie(STATION_COOKIE, g.station, max_age=10 * 365 * 86400,
                                httponly=True, samesite="Strict")
        # A view's own header of the same name wins. One pass over what the response has:
        # werkzeug's setdefault searches the list (and raises inside) once per header.
        have = {name.lower() for name, _ in response.headers}
        wanted = SECURITY_HEADERS if request.endpoint != "static" else SECURITY_HEADERS[:-1]
        response.headers.extend([(name, value) for name, value in wanted
                                 if name.lower() not in have])
        return response

    @app.errorhandler(500)
    def server_error(exc):
        # The step's transaction was rolled back, so nothing half-done was saved.
        return render_template("message.html", title=_("Something went wrong"),
                               message=_("The kiosk hit an error and saved nothing from that "
                                         "action. Try again; if it happens again, get a "
                                         "manager.")), 500

    @app.errorhandler(413)
    def too_large(exc):
        return render_template("message.html", title=_("Too much to take"),
                               message=_("That was far more than a screen sends, so nothing "
                                         "was saved. Press Home and try again.")), 413

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("message.html", title=_("Not found"),
                               message=_("That screen does not exist. Press Home.")), 404

    @app.context_processor
    def inject():
        return {"kiosk": settings(), "station": station() or _("unregistered screen"),
                "employee": g.get("employee"), "csrf_token": g.get("csrf", "")}


@bp.get("/healthz")
def healthz():
    """Liveness for systemd and the browser unit: the database answers."""
    db.database.execute_sql("SELECT 1")
    return {"ok": True}


@bp.get("/")
def index():
    """Home for a logged-in person; the lock screen (badge + PIN) otherwise."""
    if g.employee is None:
        ended = request.args.get("ended")
        message = _("Your session ended. Log in again to carry on.") if ended else ""
        open_runs = (Run.select().where(Run.station == station(),
                                        Run.status == "active").order_by(Run.updated_at.desc()))
        return render_template("lock.html", message=message, open_runs=list(open_runs),
                               workflows=workflows)
    mine = workflows.visible_to(g.employee)
    keys = [w.key for w in mine]
    runs = list(Run.select().where(Run.station == station(),
                                   Run.status == "active", Run.workflow.in_(keys))
                .order_by(Run.updated_at.desc()))
    return render_template("home.html", workflows=mine, runs=runs, registry=workflows)


@bp.post("/login/badge")
def login_badge():
    """First half of login: who are you? (badge scan or keypad)."""
    raw = request.form.get("value", "")
    try:
        badge = scans.parse(raw, ("badge",)).value
    except scans.ScanError:
        visitor = any(s.kind == "visitor" for s in scans.recognised(raw[:100]))
        return feedback(make_response(render_template(
            "_login.html", stage="badge",
            message=_("That is a visitor badge. Log in first, then scan it to sign the "
                      "visitor out.") if visitor else
                    _("That is not a badge. Scan your badge or type your badge number."))),
            "error")
    employee, message = auth.find_badge(badge)
    if employee is None:
        auth.attempt(badge, "", station=station(), policy=policy())  # recorded, not counted
        return feedback(make_response(render_template("_login.html", stage="badge",
                                                      message=message)), "error")
    until = auth.locked_until(badge, policy())
    if until is not None:
        return feedback(make_response(render_template(
            "_login.html", stage="badge",
            message=lockout.locked_message(badge, until, policy()))), "error")
    if employee.must_set_pin:
        return new_pin_stage(employee)
    return feedback(make_response(render_template("_login.html", stage="pin", badge=badge,
                                                  name=employee.name)), "ok")


def new_pin_stage(employee: Employee, message: str = "", tone: str = "error"):
    """The login stage where someone without a PIN (new, or reset by a manager) chooses
    one; it posts to ``staff.new_pin``."""
    response = make_response(render_template("staff/_new_pin.html", badge=employee.badge,
                                             name=employee.name, message=message, tone=tone))
    return feedback(response, tone if message else "ok", message)


@bp.post("/login/pin")
def login_pin():
    """Second half of login: the PIN. A new session token every time."""
    badge, pin = request.form.get("badge", ""), request.form.get("pin", "")
    result = auth.attempt(badge, pin, station=station(), policy=policy())
    if result.no_pin:  # reset meanwhile: choose a new one
        return new_pin_stage(Employee.holder(auth.badge_number(badge)))
    if not result.ok:
        # A known badge stays at the PIN stage, greeted by name, unless it is locked.
        stage = "pin" if result.name and not result.locked else "badge"
        message = (_("Type your PIN on the keypad, then press Log in.") if result.needs_pin
                   else result.message)
        response = make_response(render_template(
            "_login.html", stage=stage, badge=auth.badge_number(badge) or "", name=result.name,
            message=message, tone="warn" if result.needs_pin else "error"))
        return feedback(response, "warn" if result.needs_pin else "error")
    with db.write():
        session = auth.start_session(result.employee, station())
    target = url_for("home.index")
    resume = limits.record_id(request.cookies.get(RESUME_COOKIE, ""))
    if resume is not None:
        run = Run.get_or_none(Run.id == resume, Run.status == "active")
        workflow = workflows.get(run.workflow) if run else None
        if workflow and result.employee.has_any(workflow.roles):
            target = url_for("runs.show", run_id=run.id)
    response = go(target)
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="Strict")
    response.delete_cookie(RESUME_COOKIE)
    return response


@bp.post("/logout")
def logout():
    """Log out; after an idle lock, remember the open run so the next login resumes it."""
    reason = request.form.get("reason", "logout")
    # A screen locked after a long idle spell may find its session already expired; it is
    # still ended here, so the record says when and why this person was logged out.
    session = g.session or (LoginSession.select(LoginSession, Employee).join(Employee).where(
        LoginSession.token == request.cookies.get(SESSION_COOKIE, ""),
        LoginSession.station == station(), LoginSession.ended_at.is_null()).first())
    if session is not None:
        with db.write():
            auth.end_session(session, "idle" if reason == "idle" else "logout")
    response = go(url_for("home.index"))
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(LANGUAGE_COOKIE)  # the next person first sees the store's language
    resume = limits.record_id(request.form.get("resume", ""))
    if reason == "idle" and resume is not None:
        response.set_cookie(RESUME_COOKIE, str(resume), httponly=True, samesite="Strict")
    return response


@bp.post("/session/ping")
def ping():
    """'I'm here' on the idle warning: renew the session now.

    The before_request hook renews at most every few seconds; a deliberate "I'm here" always
    counts, so the full idle time starts again from this moment.
    """
    if g.session is None:
        return go(url_for("home.index", ended=1))
    with db.write():
        LoginSession.update(last_seen=clock.now()).where(LoginSession.id == g.session.id).execute()
    return {"ok": True, "idle_seconds": settings()["idle_seconds"]}

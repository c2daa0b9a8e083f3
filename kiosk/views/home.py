"""Login (badge, then PIN), logout, the idle lock, and the home screen.

Sessions live on the server (``LoginSession``); the browser holds a random token in an
HttpOnly cookie. Every POST also carries a CSRF token that base.html puts on htmx requests.

One server serves every screen in the store, so each screen says which station it is: its
browser opens ``/?station=vault-1`` once (the browser unit's start URL) and keeps the name in
a cookie. A screen that never said falls back to the ``station`` setting.
"""

from __future__ import annotations

import functools
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

from kiosk import auth, clock, db, limits, scans, workflows
from kiosk.models import Employee, LoginSession, Run, Station

bp = Blueprint("home", __name__)

SESSION_COOKIE = "kiosk_session"
CSRF_COOKIE = "kiosk_csrf"
RESUME_COOKIE = "kiosk_resume"
STATION_COOKIE = "kiosk_station"
STATION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
CSRF_EXEMPT_BLUEPRINTS = {"api"}  # machine-to-machine webhooks: signed with HMAC instead
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
    """The station (screen) this request comes from."""
    return g.get("station") or settings()["station"]


def _station_of_request() -> tuple[str, bool]:
    """This screen's station name, and whether it was just set by ``?station=``.

    A name from the URL must be a station the store knows, so a typo cannot invent one; the
    cookie it leaves is trusted as it stands, which costs no query per request.
    """
    # A scan's POST has no query string: skip parsing an empty one on every request.
    wanted = request.args.get("station", "") if request.query_string else ""
    if wanted and STATION_RE.fullmatch(wanted) and request.endpoint != "static":
        if Station.get_or_none(Station.name == wanted) is not None:
            return wanted, True
    kept = request.cookies.get(STATION_COOKIE, "")
    return (kept if STATION_RE.fullmatch(kept) else settings()["station"]), False


def policy() -> auth.Policy:
    s = settings()
    return auth.Policy(failures=s["lockout_failures"], lock_seconds=s["lockout_seconds"],
                       idle_seconds=s["idle_seconds"], warning_seconds=s["idle_warning_seconds"])


def feedback(response, tone: str, message: str = ""):
    """Attach the scan/tap feedback cue (sound + colour) that kiosk.js plays."""
    from json import dumps

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
                return render_template("message.html", title="Not allowed",
                                       message=f"{g.employee.name} can't open this screen. "
                                               "Ask a manager."), 403
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

    @app.before_request
    def load_session():
        g.station, g.new_station = _station_of_request()
        g.session = auth.current_session(request.cookies.get(SESSION_COOKIE), policy())
        g.employee = g.session.employee if g.session else None
        g.csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        if request.method == "POST" and request.blueprint not in CSRF_EXEMPT_BLUEPRINTS:
            # As bytes: compare_digest refuses str with characters beyond ASCII (a 500).
            if not secrets.compare_digest(request.headers.get("X-CSRF-Token", "").encode(),
                                          request.cookies.get(CSRF_COOKIE, "").encode()):
                return render_template("message.html", title="Screen out of date",
                                       message="This screen was out of date. Press Home "
                                               "and try again; nothing was saved."), 400
        # Only when there is something to write: an empty write transaction still queues
        # behind every other writer, and this runs before every request.
        if (g.session is not None and request.endpoint not in ("static", "home.healthz")
                and auth.touch_due(g.session)):
            with db.write():
                auth.touch(g.session)

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
        return render_template("message.html", title="Something went wrong",
                               message="The kiosk hit an error and saved nothing from that "
                                       "action. Try again; if it happens again, get a "
                                       "manager."), 500

    @app.errorhandler(413)
    def too_large(exc):
        return render_template("message.html", title="Too much to take",
                               message="That was far more than a screen sends, so nothing "
                                       "was saved. Press Home and try again."), 413

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("message.html", title="Not found",
                               message="That screen does not exist. Press Home."), 404

    @app.context_processor
    def inject():
        return {"kiosk": settings(), "station": station(), "employee": g.get("employee"),
                "csrf_token": g.get("csrf", "")}


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
        message = "Your session ended. Log in again to carry on." if ended else ""
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
        return feedback(make_response(render_template(
            "_login.html", stage="badge",
            message="That is not a badge. Scan your badge or type your badge number.")),
            "error")
    employee, message = auth.find_badge(badge)
    if employee is None:
        with db.write():
            auth.authenticate(badge, "", station=station(), policy=policy())
        return feedback(make_response(render_template("_login.html", stage="badge",
                                                      message=message)), "error")
    until = auth.locked_until(badge, policy())
    if until is not None:
        return feedback(make_response(render_template(
            "_login.html", stage="badge",
            message=f"Badge {badge} is locked after too many wrong PINs. Try again later or "
                    "ask a manager.")), "error")
    return feedback(make_response(render_template("_login.html", stage="pin", badge=badge,
                                                  name=employee.name)), "ok")


@bp.post("/login/pin")
def login_pin():
    """Second half of login: the PIN. A new session token every time."""
    # Both are checked before anything is looked up or recorded: anyone can post here.
    try:
        badge = scans.parse(request.form.get("badge", ""), ("badge",)).value
    except scans.ScanError:
        return feedback(make_response(render_template(
            "_login.html", stage="badge", message="Scan your badge again, then type your "
                                                  "PIN.")), "error")
    try:
        pin = limits.text(request.form.get("pin", ""), limits.PIN, "The PIN")
    except ValueError as exc:
        return feedback(make_response(render_template(
            "_login.html", stage="pin", badge=badge, name="", message=str(exc))), "error")
    ahead = auth.check_ahead(badge, pin)
    with db.write():
        result = auth.authenticate(badge, pin, station=station(), policy=policy(),
                                   ahead=ahead)
        if not result.ok:
            locked = "locked" in result.message
            response = make_response(render_template(
                "_login.html", stage="badge" if locked else "pin", badge=badge,
                name="", message=result.message))
            return feedback(response, "error")
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
        LoginSession.ended_at.is_null()).first())
    if session is not None:
        with db.write():
            auth.end_session(session, "idle" if reason == "idle" else "logout")
    response = go(url_for("home.index"))
    response.delete_cookie(SESSION_COOKIE)
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

"""Visitors inside now, signing them out, and the visitor log by date.

Signing a visitor in is a workflow (``workflows/visitor.py``); these are the screens around
it. Anyone logged in signs a visitor out: by scanning the visitor badge at home or on the
list, or with the list's button. A manager resolves a visitor who left without signing out,
with a reason, signed with the manager's badge + PIN at that moment.

URLs (someone must be logged in; resolving and the log need a manager):
``/visitors``                        who is inside now (endpoint visitors.inside)
``/visitors/scan``                   POST a scanned visitor badge (home and the list)
``/visitors/<id>/sign-out``          POST: sign one out from the list
``/visitors/<id>/resolve``           GET the signing form, POST to resolve
``/visitors/log``                    the log by date
"""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template, request

from kiosk import auth, clock, db, scans, visitors, workflows
from kiosk.views.home import feedback, login_required, policy, station
from kiosk.views.manager import _day  # one reading of a log's date filter
from kiosk.words import _

bp = Blueprint("visitors", __name__, url_prefix="/visitors")

MANAGERS = ("manager",)
REASONS = (_("Left without signing out"), _("Badge not handed back"),
           _("Signed out on paper"))


@bp.record_once
def _count_for_home(state):
    # The home screen shows how many are inside; a template global keeps home's view as is.
    state.app.jinja_env.globals["visitors_inside"] = visitors.inside_count


def _list(notice: str = "", tone: str = "ok"):
    """The list of visitors inside, in place of the whole list (whatever asked for it)."""
    response = make_response(render_template(
        "visitors/_inside.html", people=visitors.inside_now(), notice=notice, tone=tone,
        expired=visitors.expired, areas=visitors.AREAS))
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#visitors", "outerHTML"
    return feedback(response, tone, notice) if notice else response


@bp.get("")
@login_required()
def inside():
    """Who is inside now, with a Sign out button each (and Resolve for a manager)."""
    return render_template("visitors/inside.html", people=visitors.inside_now(),
                           notice="", tone="ok", expired=visitors.expired,
                           areas=visitors.AREAS, sign_in=workflows.get("visitor"))


def _read_scan(raw: str):
    """The visit a scanned code names, or the words saying why it names none."""
    raw = raw[:100]
    try:
        return scans.parse(raw, ("visitor",)).value, ""
    except scans.ScanError:
        found = scans.recognised(raw) if raw.strip() else []
        what = scans.describe(found[0]) if found else _("not a visitor badge")
        shown = "".join(c for c in raw.strip()[:40] if c.isprintable())
        return None, _("That was {what} ({shown}). Here a scan signs a visitor out; to scan "
                       "anything else, start a procedure first.", what=what, shown=shown)


@bp.post("/scan")
@login_required()
def scan():
    """A visitor badge scanned at home or on the list: that visitor is signed out now."""
    number, refusal = _read_scan(request.form.get("value", ""))
    if number is None:
        outcome = visitors.SignOut(refusal, "error")
    else:
        with db.write():
            outcome = visitors.sign_out(number, g.employee, station(), "scan")
    if request.args.get("on") == "list":
        return _list(outcome.message, outcome.tone)
    response = make_response(render_template("visitors/_home.html", message=outcome.message,
                                             tone=outcome.tone))
    return feedback(response, outcome.tone, outcome.message)


@bp.post("/<int:visitor_id>/sign-out")
@login_required()
def sign_out(visitor_id: int):
    """Sign a visitor out from the list (the visitor is leaving now)."""
    with db.write():
        outcome = visitors.sign_out(visitor_id, g.employee, station(), "list")
    return _list(outcome.message, outcome.tone)


def _visitor(visitor_id: int):
    visitor = visitors.find(visitor_id)
    if visitor is None:
        abort(404)
    return visitor


@bp.get("/<int:visitor_id>/resolve")
@login_required(roles=MANAGERS)
def resolve_form(visitor_id: int):
    """The form a manager signs to resolve a visitor who left without signing out."""
    visitor = _visitor(visitor_id)
    if visitors.exit_of(visitor.id) is not None:
        return _list(_("{who} is signed out already.", who=visitors.who(visitor)), "warn")
    return render_template("visitors/_resolve.html", visitor=visitor, reasons=REASONS,
                           message="", tone="error", reason="")


@bp.post("/<int:visitor_id>/resolve")
@login_required(roles=MANAGERS)
def resolve(visitor_id: int):
    """Resolve on a manager's badge + PIN, given now, with a reason."""
    visitor = _visitor(visitor_id)
    reason = request.form.get("reason", "")[:visitors.REASON_MAX + 1]

    def again(message: str, tone: str = "error"):
        response = make_response(render_template(
            "visitors/_resolve.html", visitor=visitor, reasons=REASONS, message=message,
            tone=tone, reason=" ".join(reason.split())))
        return feedback(response, tone, message)

    if not " ".join(reason.split()):
        return again(_("Say why the visitor was not signed out in person: tap a reason or "
                       "type one."))
    result = auth.attempt(request.form.get("badge", "")[:40], request.form.get("pin", "")[:16],
                          station=station(), purpose="visitor", policy=policy())
    if result.needs_pin:
        return again(_("Type your PIN on the keypad, then press {what}.", what=_("Resolve")),
                     "warn")
    if not result.ok:
        return again(result.message)
    try:
        with db.write():
            outcome = visitors.resolve(visitor.id, result.employee, result.attempt_id, reason,
                                       station())
    except ValueError as exc:
        return again(exc.args[0] if exc.args else str(exc))
    return _list(outcome.message, outcome.tone)


@bp.get("/log")
@login_required(roles=MANAGERS)
def log():
    """Every visit by date: who, from where, why, ID checked, escort, in, out, how long."""
    today = clock.store_date()
    notices = []
    start = _day(request.args.get("from"), today, notices)
    end = _day(request.args.get("to"), start, notices)
    if end < start:
        start, end = end, start
    since, until = clock.store_day_bounds(start, end)
    return render_template("visitors/log.html", rows=visitors.log(since, until), start=start,
                           end=end, how=visitors.HOW, areas=visitors.AREAS, notices=notices)

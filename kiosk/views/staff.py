"""Staff on the manager's screen: the people, adding one, changing roles or language,
resetting a PIN, deactivating; and the screen where a person chooses a new PIN at login.

Every change is signed by a manager's badge + PIN given at that moment (``auth.attempt``,
purpose "staff"), whoever is logged in; the rules are in ``kiosk/staff.py``.

URLs (a manager must be logged in, except /login/new-pin):
``/manager/staff``                         everyone (endpoint staff.people)
``/manager/staff/new``                     GET the form; POST (signed) adds the person
``/manager/staff/new/check``               POST the details: the signing form, or the form again
``/manager/staff/<id>``                    one person: facts, wrong PINs, signed changes
``/manager/staff/<id>/<action>``           GET the signing form, POST the change
                                           (action: details, reset-pin, deactivate)
``/login/new-pin``                         POST: a person chooses their PIN after a reset
"""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template, request, url_for

from kiosk import auth, db, engine, lockout, staff
from kiosk.lockout import PURPOSE_WORDS
from kiosk.models import ROLES, Employee
from kiosk.views.home import (
    SESSION_COOKIE,
    feedback,
    go,
    login_required,
    new_pin_stage,
    policy,
    station,
)
from kiosk.words import _

bp = Blueprint("staff", __name__)

MANAGERS = ("manager",)
ACTIONS = {"details": _("Change roles or language"), "reset-pin": _("Reset PIN"),
           "deactivate": _("Deactivate")}
DEACTIVATE_REASONS = (_("Left the company"), _("Badge lost or stolen"), _("Added by mistake"))
DONE = {"added": lambda name, hours: _("{name} is added. At their first login they scan their "
                                       "badge and choose their own PIN, within {hours} hours.",
                                       name=name, hours=hours)}


def _said(exc: ValueError):
    """A refusal's words as they were raised (a phrase stays one, to be said translated)."""
    return exc.args[0] if exc.args else str(exc)


def _words() -> dict:
    return {"role_words": staff.ROLE_WORDS, "language_words": staff.LANGUAGE_WORDS,
            "roles": ROLES, "action_words": staff.ACTION_WORDS,
            "field_words": staff.FIELD_WORDS, "signer_words": engine.ROLE_WORDS,
            "value_words": staff.value_words}


@bp.get("/manager/staff")
@login_required(roles=MANAGERS)
def people():
    """Everyone who works here, active first; each opens their page."""
    locks = {lock.badge: lock for lock in lockout.locked_badges(policy())}
    return render_template("staff/people.html", people=staff.people(), locks=locks, **_words())


def _person(employee_id: int) -> Employee:
    """The person, or 404 (also for a number no record can have)."""
    employee = Employee.one(id=employee_id) if 0 < employee_id < 2**63 else None
    if employee is None:
        abort(404)
    return employee


def _person_context(employee: Employee, notice: str = "", tone: str = "ok") -> dict:
    lock = next((lock for lock in lockout.locked_badges(policy())
                 if lock.badge == employee.badge and lock.employee.id == employee.id), None)
    return {"person": employee, "lock": lock, "history": staff.history(employee),
            "refusals": lockout.recent_refusals(10, employee), "notice": notice, "tone": tone,
            "purposes": PURPOSE_WORDS,
            "actions": ACTIONS, "minutes_left": lockout.minutes_left,
            "pin_deadline": staff.pin_deadline(employee),
            **_words()}


@bp.get("/manager/staff/<int:employee_id>")
@login_required(roles=MANAGERS)
def person(employee_id: int):
    """One person: who they are, their status, their latest wrong PINs, their changes."""
    employee = _person(employee_id)
    done = DONE.get(request.args.get("done", ""))
    notice = done(employee.name, staff.PIN_RESET_HOURS) if done else ""
    return render_template("staff/person.html", **_person_context(employee, notice))


def _signer(what: str):
    """The manager's badge + PIN from the form, judged now: (employee, attempt id, refusal
    words, tone)."""
    result = auth.attempt(request.form.get("badge", "")[:40], request.form.get("pin", "")[:16],
                          station=station(), purpose="staff", policy=policy())
    if result.needs_pin:
        return None, None, _("Type your PIN on the keypad, then press {what}.", what=what), \
            "warn"
    if not result.ok:
        return None, None, result.message, "error"
    return result.employee, result.attempt_id, "", "ok"


def _new_details(form) -> dict:
    """The new person's details as typed, kept to show the form again."""
    return {"name": form.get("name", "")[:staff.NAME_MAX + 1],
            "new_badge": form.get("new_badge", "")[:40],
            "roles": [r for r in form.getlist("roles") if r in ROLES],
            "language": form.get("language", "en")}


def _new_form(values: dict, message: str = "", tone: str = "error"):
    response = make_response(render_template("staff/_new.html", values=values, message=message,
                                             tone=tone, stage="details", **_words()))
    return feedback(response, tone, message) if message else response


@bp.get("/manager/staff/new")
@login_required(roles=MANAGERS)
def new_form():
    """The form to add a person: name, badge, roles, language."""
    return render_template("staff/new.html", values={"name": "", "new_badge": "", "roles": [],
                                                     "language": "en"},
                           message="", tone="error", stage="details", **_words())


@bp.post("/manager/staff/new/check")
@login_required(roles=MANAGERS)
def new_check():
    """The details, checked: the signing form with what will be added, or the form again."""
    values = _new_details(request.form)
    if request.form.get("back"):
        return _new_form(values)
    try:
        new = staff.details(values["name"], values["new_badge"], values["roles"],
                            values["language"])
    except ValueError as exc:
        return _new_form(values, _said(exc))
    holder = staff.badge_holder(new.badge)
    if holder is not None:
        return _new_form(values, staff.badge_taken(new.badge, holder))
    return render_template("staff/_new.html", values=values, new=new, message="", tone="ok",
                           stage="sign", **_words())


@bp.post("/manager/staff/new")
@login_required(roles=MANAGERS)
def add():
    """Add the person on a manager's signature, given now."""
    values = _new_details(request.form)
    try:
        new = staff.details(values["name"], values["new_badge"], values["roles"],
                            values["language"])
    except ValueError as exc:
        return _new_form(values, _said(exc))

    def again(message: str, tone: str = "error"):
        response = make_response(render_template("staff/_new.html", values=values, new=new,
                                                 message=message, tone=tone, stage="sign",
                                                 **_words()))
        return feedback(response, tone, message)

    signer, attempt_id, refused, tone = _signer(_("Sign and add"))
    if signer is None:
        return again(refused, tone)
    try:
        with db.write():
            employee = staff.add(new, signer, g.employee, attempt_id, station())
    except ValueError as exc:
        return again(_said(exc))
    return go(url_for("staff.person", employee_id=employee.id, done="added"))


# The submit button of each change's form (``staff/_change.html``), as the PIN prompt names it.
BUTTONS = {"details": _("Sign the change"), "reset-pin": _("Reset PIN"),
           "deactivate": _("Deactivate")}


def _action(action: str) -> str:
    if action not in ACTIONS:
        abort(404)
    return action


@bp.get("/manager/staff/<int:employee_id>/<action>")
@login_required(roles=MANAGERS)
def change_form(employee_id: int, action: str):
    """The signing form for one change (swapped into the person's page)."""
    employee, action = _person(employee_id), _action(action)
    return render_template("staff/_change.html", person=employee, action=action,
                           reasons=DEACTIVATE_REASONS, message="", tone="error",
                           checked=employee.role_set, language=employee.language, reason="",
                           hours=staff.PIN_RESET_HOURS, **_words())


@bp.post("/manager/staff/<int:employee_id>/<action>")
@login_required(roles=MANAGERS)
def change(employee_id: int, action: str):
    """Make one change on a manager's signature, given now."""
    employee, action = _person(employee_id), _action(action)
    roles = request.form.getlist("roles")[:len(ROLES) + 1]
    language = request.form.get("language", employee.language)[:8]
    reason = request.form.get("reason", "")[:staff.REASON_MAX + 1]

    def again(message: str, tone: str = "error"):
        response = make_response(render_template(
            "staff/_change.html", person=employee, action=action, reasons=DEACTIVATE_REASONS,
            message=message, tone=tone, checked=set(roles), language=language,
            reason=" ".join(reason.split()), hours=staff.PIN_RESET_HOURS, **_words()))
        return feedback(response, tone, message)

    signer, attempt_id, refused, tone = _signer(BUTTONS[action])
    if signer is None:
        return again(refused, tone)
    try:
        with db.write():
            if action == "details":
                changed = staff.change_details(employee.id, roles, language, signer,
                                               g.employee, attempt_id, station())
                notice = _("{name}'s roles and language are changed. {signer} signed for "
                           "it.", name=changed.name, signer=signer.name)
            elif action == "reset-pin":
                changed = staff.reset_pin(employee.id, signer, g.employee, attempt_id,
                                          station())
                notice = _("{name}'s PIN is reset: it works no more. At their next login "
                           "they scan their badge and choose a new one, within {hours} hours. "
                           "{signer} signed for it.", name=changed.name,
                           hours=staff.PIN_RESET_HOURS, signer=signer.name)
            else:
                changed = staff.deactivate(employee.id, reason, signer, g.employee,
                                           attempt_id, station())
                notice = _("{name} is deactivated: they can no longer log in or sign, and "
                           "badge {badge} may be given to someone else. {signer} signed for "
                           "it.", name=changed.name, badge=changed.badge, signer=signer.name)
    except ValueError as exc:
        return again(_said(exc))
    response = make_response(render_template("staff/_person.html",
                                             **_person_context(changed, notice)))
    response.headers["HX-Retarget"], response.headers["HX-Reswap"] = "#person", "outerHTML"
    return feedback(response, "ok", notice)


@bp.post("/login/new-pin")
def new_pin():
    """A person whose PIN was reset (or who is new) chooses one, and is logged in."""
    badge = auth.badge_number(request.form.get("badge", "")[:40])
    employee = Employee.holder(badge) if badge else None
    if employee is None or not employee.active or not employee.must_set_pin:
        return go(url_for("home.index"))  # a stale screen: start the login again
    pin, again = request.form.get("pin", "")[:16], request.form.get("again", "")[:16]
    problem = staff.pin_problem(pin, again, badge)
    if problem:
        return new_pin_stage(employee, problem)
    pin_hash = auth.hash_pin(pin)  # slow on purpose: outside the write transaction
    try:
        with db.write():
            chosen = staff.choose_pin(badge, pin_hash, station(), policy())
            session = auth.start_session(chosen, station())
    except ValueError as exc:
        return new_pin_stage(employee, exc.args[0] if exc.args else str(exc))
    response = go(url_for("home.index"))
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="Strict")
    return response

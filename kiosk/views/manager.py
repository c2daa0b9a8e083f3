"""Manager screens: the menu, the vault access log, open runs (with a manager's cancel) and
the integrity check."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_datetime, format_time
from flask import Blueprint, abort, current_app, g, render_template, request
from peewee import JOIN

from kiosk import clock, engine, ledger, limits, visitors, words, workflows
from kiosk.models import Employee, Run, VaultVisit
from kiosk.views import language
from kiosk.views.home import login_required, station
from kiosk.words import Known, _

bp = Blueprint("manager", __name__, url_prefix="/manager")


@bp.get("")
@login_required(roles=("manager",))
def index():
    """The manager's menu."""
    return render_template("manager/index.html")


def _day(text: str | None, default: dt.date, notices: list) -> dt.date:
    """The date asked for, or ``default`` with a notice when it is not one the log can hold
    (year 1 or 9999 has no store day to work out)."""
    try:
        day = dt.date.fromisoformat(text) if text else default
    except ValueError:
        day = None
    if day is None or not limits.plausible_day(day):
        notices.append(_("{text} is not a date between {first} and {last}; showing {day} "
                         "instead.", text=limits.excerpt(text, 20),
                         first=language.store_day(limits.FIRST_DAY),
                         last=language.store_day(limits.LAST_DAY),
                         day=language.store_day(default)))
        return default
    return day


@bp.get("/vault-log")
@login_required(roles=("manager",))
def vault_log():
    """Who went into the vault, with whom, when, why, and for how long; by date."""
    today = clock.store_date()  # the manager asks by the store's days, not UTC's
    notices = []
    start = _day(request.args.get("from"), today, notices)
    end = _day(request.args.get("to"), start, notices)
    if end < start:
        start, end = end, start
    since, until = clock.store_day_bounds(start, end)
    First, Second = Employee.alias(), Employee.alias()
    visits = (VaultVisit.select(VaultVisit, First, Second)
              .join(First, on=(VaultVisit.first_person == First.id))
              .switch(VaultVisit)
              .join(Second, JOIN.INNER, on=(VaultVisit.second_person == Second.id))
              .where(VaultVisit.entered_at >= since, VaultVisit.entered_at < until)
              .order_by(VaultVisit.entered_at.desc()))
    now = clock.now()
    visits = list(visits)
    guests = visitors.in_vault_visits(v.id for v in visits)
    rows = []
    for visit in visits:
        until = visit.exited_at or now
        minutes = int((until - visit.entered_at).total_seconds() // 60)
        rows.append({"visit": visit, "first": visit.first_person, "second": visit.second_person,
                     "minutes": minutes, "inside": visit.exited_at is None,
                     "visitors": [visitors.who(g) for g in guests.get(visit.id, [])]})
    return render_template("manager/vault_log.html", rows=rows, start=start, end=end,
                           notices=notices)


def _when(at: dt.datetime) -> str:
    """A time on the store's clock, with the day when it is not today."""
    local = clock.local(at)
    today = local.date() == clock.store_date()
    said = language.current()
    if said != words.DEFAULT:  # the language's own way: "14:05", "sáb 5 dic 14:05"
        return (format_time(local, "HH:mm", locale=said) if today
                else format_datetime(local, "EEE d MMM HH:mm", locale=said))
    return f"{local:%H:%M}" if today else f"{local:%a %d %b %H:%M}"


def _open_run(run: Run) -> dict:
    """What a manager needs to know about an open run, in words."""
    workflow = workflows.get(run.workflow)
    row = {"run": run, "title": run.workflow, "summary": "", "now": run.current_step,
           "since": _when(run.started_at), "last": _when(run.updated_at or run.started_at)}
    if workflow is None:
        return row
    row["title"] = workflow.title
    if run.version != workflow.version:  # its steps are the old version's: say so, no more
        row["now"] = _("{step}, started on version {version}; this kiosk has version "
                       "{current}. Cancel it with a reason.", step=run.current_step,
                       version=run.version, current=workflow.version)
        return row
    number, of = engine.position(workflow, run)
    row.update(now=_("{prompt} (step {number} of {of})",
                     prompt=workflow.step(run.current_step).prompt, number=number, of=of),
               summary=workflow.summary(run) if workflow.summary else "")
    return row


def _runs_page(notice: str = "", tone: str = "ok"):
    open_runs = (Run.select(Run, Employee).join(Employee, on=(Run.operator == Employee.id))
                 .where(Run.status == "active").order_by(Run.started_at))
    template = "manager/_runs.html" if request.headers.get("HX-Request") else "manager/runs.html"
    return render_template(template, rows=[_open_run(r) for r in open_runs], notice=notice,
                           tone=tone)


@bp.get("/runs")
@login_required(roles=("manager",))
def runs():
    """Every open run in the store, oldest first: the procedure, where it is and what it has
    done, who started it, at which screen and since when."""
    return _runs_page()


@bp.post("/runs/<int:run_id>/cancel")
@login_required(roles=("manager",))
def cancel_run(run_id: int):
    """A manager stops someone's run, with a reason (kept with the run and audited)."""
    run = Run.get_or_none(Run.id == run_id)
    if run is None:
        abort(404)
    workflow = workflows.get(run.workflow)
    try:  # the workflow's own undo (a delivery's stock) goes with the cancel
        run = engine.cancel(run_id, g.employee, station(), request.form.get("reason", ""),
                            workflow, current_app.config["KIOSK"])
    except (ValueError, PermissionError) as exc:
        return _runs_page(exc.args[0] if exc.args else str(exc), "error")
    title = workflow.title if workflow else run.workflow
    done = _("{title} (run {run}) is cancelled: {reason}.", title=title, run=str(run.id),
             reason=Known(run.cancel_reason))
    note = run.data.get("_cancel_note")
    return _runs_page(words.joined([done, words.recalled(note)]) if note else done,
                      "warn" if note else "ok")


@bp.get("/verify")
@login_required(roles=("manager",))
def verify():
    """The same checks as `kiosk verify`: the audit chain and every package's quantity."""
    problems = ledger.verify_chain() + ledger.verify_quantities()
    return render_template("manager/verify.html", problems=problems)

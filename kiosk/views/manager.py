"""Manager screens: the menu, the vault access log, open runs and the integrity check."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from peewee import JOIN

from kiosk import clock, ledger, limits, visitors
from kiosk.models import Employee, Run, VaultVisit
from kiosk.views.home import login_required

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
        notices.append(f"{limits.excerpt(text, 20)} is not a date between "
                       f"{limits.FIRST_DAY.isoformat()} and {limits.LAST_DAY.isoformat()}; "
                       f"showing {default.isoformat()} instead.")
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


@bp.get("/runs")
@login_required(roles=("manager",))
def runs():
    """Every open run in the store, oldest first, with who started it and where."""
    open_runs = list(Run.select().where(Run.status == "active").order_by(Run.started_at))
    return render_template("manager/runs.html", runs=open_runs)


@bp.get("/verify")
@login_required(roles=("manager",))
def verify():
    """The same checks as `kiosk verify`: the audit chain and every package's quantity."""
    problems = ledger.verify_chain() + ledger.verify_quantities()
    return render_template("manager/verify.html", problems=problems)

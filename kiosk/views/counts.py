"""Cycle counts and variances on screen, besides the workflows' own steps.

The counter's home screen shows the counts due as tiles (one tap starts or resumes one). The
manager's screen schedules counts (a place, a category, or a spot count the kiosk picks) and
lists counts scheduled, in progress and closed, open variances with their age, size and
state, variances flagged for incident follow-up, and the packages whose ledger, POS and Metrc
figures disagree; one tap opens any of them. Expected quantities appear only on manager
screens, never on a counter's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.dates import format_date
from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from kiosk import clock, counts, db, engine, figures, ledger, limits, variances, words, workflows
from kiosk.models import Count, CountLine, Employee, Location, Run, Signature, Variance
from kiosk.views import language
from kiosk.views.home import go, login_required, station
from kiosk.words import _, n_
from kiosk.workflows import cycle_count, variance_investigation

bp = Blueprint("counts", __name__)

MANAGERS = ("manager",)
DAYS_AHEAD = 14
SPOT_SIZES = (5, 10, 20, 50)


def _settings() -> dict:
    return current_app.config["KIOSK"]


def day_words(day: dt.date) -> str:
    """'Mon Nov 23' in English, as it always read; 'lun 23 nov' in Spanish."""
    said = language.current()
    if said == words.DEFAULT:
        return f"{day:%a %b %d}"
    return format_date(day, "EEE d MMM", locale=said)


def figure(value) -> str:
    """A package's figure (731, 453.6) as the screen's language writes it; '-' when unknown."""
    if value is None:
        return "-"
    exact = Decimal(str(value)).normalize()
    said = language.current()
    return f"{exact:f}" if said == words.DEFAULT else words.number(exact, said)


# A count's state as the record keeps it.

def how_words(how: str | None):
    """How a package was counted, as its line keeps it in English ('keypad', 'scale 453.6 g',
    'typed weight (reason)')."""
    if not how:
        return ""
    if how == "keypad":
        return _("keypad")
    if how.startswith("scale "):
        return _("scale {reading}", reading=how[len("scale "):])
    if how.startswith("typed weight (") and how.endswith(")"):
        return _("typed weight ({reason})", reason=how[len("typed weight ("):-1])
    return how


# The print step's words for the count slip (``language`` names each layout it previews).
language.LAYOUT_WORDS.setdefault("count_slip", _("count slip"))
language.COUNTED_LAYOUTS.setdefault(
    "count_slip", lambda n: n_("{count} count slip", "{count} count slips", n))


@bp.app_context_processor
def count_words():
    """What the count screens say of a count's records in the screen's language."""
    return {"count_title": counts.title_words, "count_day": day_words,
            "count_states": counts.STATUS_WORDS, "variance_states": variances.STATE_WORDS,
            "recount_words": variances.RECOUNT_WORDS,
            "resolution_words": variances.RESOLUTION_WORDS, "kind_words": counts.KIND_WORDS,
            "how_words": how_words, "place_words": counts.place_words, "figure": figure}


@bp.app_context_processor
def due_tiles():
    """``counts_due()`` for the home screen: (count, the run counting it or None, when it
    was due) for counts due today or earlier, for people who count."""

    def counts_due():
        employee = g.get("employee")
        if employee is None or not employee.has_any(cycle_count.COUNT_ROLES):
            return []
        today = clock.store_date()
        return [(c, counts.active_run(c),
                 _("today") if c.due_on == today else _("since {day}",
                                                          day=day_words(c.due_on)))
                for c in counts.due(today)]

    return {"counts_due": counts_due}


def _start(workflow, step_id: str, value: str):
    """Start a run and answer its first step with ``value`` (a tile's tap)."""
    settings = _settings()
    run = engine.start(workflow, g.employee, station(), settings)
    engine.submit(run.id, step_id, run.rev, {"value": value, "source": "tapped"}, g.employee,
                  station(), settings, workflows)
    return go(url_for("runs.show", run_id=run.id))


@bp.post("/counts/<int:count_id>/start")
@login_required(roles=cycle_count.COUNT_ROLES)
def start(count_id: int):
    """Start the count (or open the run already counting it)."""
    found = Count.get_or_none(Count.id == count_id)
    if found is None or found.status in ("closed", "cancelled"):
        abort(404)
    running = counts.active_run(found)
    if running is not None:
        return go(url_for("runs.show", run_id=running.id))
    return _start(cycle_count.WORKFLOW, "which", f"count:{found.id}")


@bp.post("/variances/<int:variance_id>/investigate")
@login_required(roles=variance_investigation.INVESTIGATOR_ROLES)
def investigate(variance_id: int):
    """Start the investigation of a variance (or open the one in progress)."""
    found = Variance.get_or_none(Variance.id == variance_id)
    if found is None or found.state != "investigating":
        abort(404)
    running = variances.investigator(found)
    if running is not None:
        return go(url_for("runs.show", run_id=running.id))
    return _start(variance_investigation.WORKFLOW, "variance", f"variance:{found.id}")


def _days() -> list[tuple[str, str]]:
    today = clock.store_date()
    names = {0: _("Today"), 1: _("Tomorrow")}
    return [((today + dt.timedelta(days=n)).isoformat(),
             names.get(n) or day_words(today + dt.timedelta(days=n))) for n in range(DAYS_AHEAD)]


def _screen(notice: str = "", tone: str = "ok", status: int = 200):
    now = clock.now()
    listed = list(Count.select().where(Count.status != "cancelled")
                  .order_by(Count.due_on.desc(nulls="LAST"), Count.id.desc()).limit(200))
    runs = {r.id: r for r in Run.select().where(Run.id.in_(
        [c.run_id for c in listed if c.run_id] or [0]))}
    progress = {c.id: counts.tally(c.id) for c in listed if c.status in ("counting", "recount")}
    flagged = list(Variance.select().where(Variance.incident == True,  # noqa: E712
                                           Variance.follow_up_at.is_null()).order_by(Variance.id))
    open_ones = variances.open_variances()
    return render_template(
        "counts/manager.html", notice=notice, tone=tone,
        scheduled=[c for c in listed if c.status == "scheduled"],
        counting=[c for c in listed if c.status in ("counting", "recount")],
        closed=[c for c in listed if c.status == "closed"][:20], runs=runs, progress=progress,
        open_variances=open_ones, investigators={v.id: variances.investigator(v)
                                                 for v in open_ones},
        flagged=flagged, size=variances.size, age=lambda v: variances.age(v, now),
        places=counts.count_places(), categories=counts.categories(), days=_days(),
        spot_sizes=SPOT_SIZES), status


@bp.get("/manager/counts")
@login_required(roles=MANAGERS)
def manager():
    """Counts scheduled, in progress and closed; open variances; the scheduling forms."""
    return _screen()


@bp.post("/manager/counts")
@login_required(roles=MANAGERS)
def schedule():
    """Schedule a count of a place, a category, or a spot count of N packages."""
    form = request.form
    try:
        due_on = dt.date.fromisoformat(form.get("due_on", ""))
    except ValueError:
        return _screen(_("Choose the day the count is due."), "error", 400)
    if not clock.store_date() <= due_on < clock.store_date() + dt.timedelta(days=DAYS_AHEAD):
        return _screen(_("A count can be scheduled for today and the next {days} days.",
                         days=DAYS_AHEAD - 1), "error", 400)
    scope = form.get("scope", "")
    try:
        with db.write():
            made = counts.schedule(
                scope, due_on=due_on, by=g.employee,
                location=Location.get_or_none(Location.code == form.get("location", "")),
                category=form.get("category", ""),
                spot_size=limits.record_id(form.get("spot_size", "")))
            ledger.audit("count.schedule", f"count:{made.id}",
                         {"title": made.title, "due_on": due_on.isoformat()},
                         actor=g.employee, station=station())
    except ValueError as exc:
        return _screen(engine.words_of(exc), "error", 400)
    return _screen(_("Scheduled: {title}, due {day}.", title=counts.title_words(made),
                     day=day_words(due_on)))


@bp.post("/manager/counts/<int:count_id>/cancel")
@login_required(roles=MANAGERS)
def cancel(count_id: int):
    """Take a count off the schedule before anyone has started it; the reason is kept."""
    found = Count.get_or_none(Count.id == count_id)
    try:
        reason = limits.text(request.form.get("why") or "", limits.REASON, "The reason")
    except ValueError as exc:
        return _screen(engine.words_of(exc), "error", 400)
    if found is None or found.status != "scheduled":
        return _screen(_("Only a count nobody has started can be taken off the schedule."),
                       "error", 400)
    if not reason:
        return _screen(_("Say why the count is cancelled."), "error", 400)
    with db.write():
        Count.update(status="cancelled", note=reason).where(Count.id == found.id).execute()
        ledger.audit("count.cancel", f"count:{found.id}", {"why": reason}, actor=g.employee,
                     station=station())
    return _screen(_("{title} is off the schedule.", title=counts.title_words(found)))


@bp.get("/manager/counts/<int:count_id>")
@login_required(roles=MANAGERS)
def count_detail(count_id: int):
    """One count: every package with its four figures, the variances, and the signatures."""
    found = Count.get_or_none(Count.id == count_id)
    if found is None:
        abort(404)
    lines = list(CountLine.select().where(CountLine.count == found.id)
                 .order_by(CountLine.expected.desc(), CountLine.tag))
    tags = [ln.tag for ln in lines]
    people = {e.id: e.name for e in Employee.select()}
    signatures = (list(Signature.select().where(Signature.run == found.run_id)
                       .order_by(Signature.id)) if found.run_id else [])
    return render_template("counts/count.html", count=found, lines=lines, people=people,
                           pos=figures.pos_figures(tags), metrc=figures.metrc_figures(tags),
                           found=list(Variance.select().where(Variance.count == found.id)
                                      .order_by(Variance.tag)),
                           run=Run.get_or_none(Run.id == found.run_id) if found.run_id else None,
                           tally=counts.tally(found.id), signatures=signatures,
                           size=variances.size)


@bp.get("/manager/variances/<int:variance_id>")
@login_required(roles=MANAGERS)
def variance_detail(variance_id: int):
    """One variance: its figures, its package's whole history, what was found and done."""
    found = Variance.get_or_none(Variance.id == variance_id)
    if found is None:
        abort(404)
    return _variance_page(found)


def _variance_page(found: Variance, notice: str = "", tone: str = "ok", status: int = 200):
    return render_template("counts/variance.html", v=found, facts=variances.figures_facts(found),
                           history=variances.timeline(found.tag), size=variances.size(found),
                           running=variances.investigator(found), causes=variances.CAUSES,
                           follow_up_by=Employee.get_or_none(Employee.id == found.follow_up_by_id),
                           notice=notice, tone=tone), status


@bp.post("/manager/variances/<int:variance_id>/follow-up")
@login_required(roles=MANAGERS)
def follow_up(variance_id: int):
    """The manager's incident follow-up for a theft-suspected variance is done (with what)."""
    found = Variance.get_or_none(Variance.id == variance_id)
    if found is None or not found.incident:
        abort(404)
    try:
        note = limits.text(request.form.get("why") or "", limits.REASON, "The follow-up")
    except ValueError as exc:
        return _variance_page(found, engine.words_of(exc), "error", 400)
    if not note:
        return _variance_page(found, _("Say what the follow-up was (report filed, police "
                                       "called, staff interviewed…)."), "error", 400)
    with db.write():
        Variance.update(follow_up_by=g.employee, follow_up_at=clock.now(),
                        follow_up_note=note).where(Variance.id == found.id).execute()
        ledger.audit("variance.follow_up", f"variance:{found.id}", {"note": note},
                     actor=g.employee, station=station())
    return _variance_page(Variance.get_by_id(found.id), _("Follow-up recorded."))


@bp.get("/manager/figures")
@login_required(roles=MANAGERS)
def disagreements():
    """Every package in stock whose ledger, POS and Metrc figures disagree, largest first."""
    rows, total, compared = figures.disagreements()
    return render_template("counts/figures.html", rows=rows, total=total, compared=compared)

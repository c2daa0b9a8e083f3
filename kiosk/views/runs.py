"""The HTTP face of the engine: start a run, show its current step, take a step, cancel."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl

from flask import Blueprint, abort, current_app, g, make_response, render_template, request, url_for

from kiosk import engine, limits, workflows
from kiosk.models import PrintJob, Run, Signature
from kiosk.views import language
from kiosk.views.home import feedback, go, login_required, station
from kiosk.views.scale import reading_for
from kiosk.words import Known, Phrase, _, recalled

bp = Blueprint("runs", __name__, url_prefix="/runs")

# scan_id: the scanner's own name for one scan, so a scan sent again after a lost answer is
# known for the one already taken (engine._replayed).
FIELDS = ("value", "reason", "badge", "pin", "source", "note", "scan_id")
POSTED = (*FIELDS, "rev")  # what a step's form sends


def _answer() -> dict:
    """The answer a screen posted, as {field: first value}.

    A scan's body is a few short urlencoded fields. werkzeug's general form parser (its
    streams, limits and multipart support) took 55 µs to read them, 2 % of a scan's
    instructions; read directly, they take 12 µs. Anything else is left to werkzeug. Either
    way a body over ``limits.FORM_BODY`` is refused before it is read, and the engine checks
    each field (``limits.answer``).
    """
    length = request.content_length
    if length and length > limits.FORM_BODY:
        abort(413)
    if not length or request.mimetype != "application/x-www-form-urlencoded":
        form = request.form
        return {k: form[k] for k in POSTED if k in form}
    answer: dict = {}
    body = request.get_data(cache=True).decode("utf-8", "replace")
    for key, value in parse_qsl(body, keep_blank_values=True):
        if key in POSTED:
            answer.setdefault(key, value)
    return answer


def may_see(employee, run: Run) -> bool:
    """Whether this person may see the run: its page, and all made from it (its print
    jobs and their previews). Those who may work on its procedure may (every procedure
    lets a manager); a run whose procedure is gone, only a manager."""
    workflow = workflows.get(run.workflow)
    return employee.has_any(workflow.roles if workflow is not None else ("manager",))


def _load(run_id: int):
    """The run and its procedure, or 404, also for someone who may not see it: the same
    answer as for a run that does not exist, so nobody learns which runs do."""
    run = Run.get_or_none(Run.id == run_id)
    if run is None:
        abort(404)
    workflow = workflows.get(run.workflow)
    if workflow is None or not may_see(g.employee, run):
        abort(404)
    return run, workflow


class Cue(NamedTuple):
    """How the screen answers an outcome: the colour (and kiosk.js's tone), icon and words."""

    colour: str
    icon: str
    lead: str
    role: str  # for screen readers: an error interrupts, the rest is polite


# Green only for what went right; amber for a step taken that recorded a problem; red for
# anything refused, a stale screen's answer included: none of it was saved.
CUES = {"ok": Cue("ok", "✔", _("Accepted."), "status"),
        "done": Cue("ok", "✔", _("Done."), "status"),
        "warn": Cue("warn", "!", _("Recorded."), "status"),
        "error": Cue("error", "✖", _("Not accepted."), "alert"),
        "stale": Cue("error", "✖", _("Nothing saved."), "alert")}


class Show(NamedTuple):
    """What a step shows besides its prompt (``step.show`` returns some of these as a dict).

    Every key is always there, so the template reads plain attributes; on a dict, Jinja would
    find a missing "items" as the dict's own ``items`` method and draw an empty list.
    """

    progress: str | None = None
    big: str | None = None
    warnings: tuple | list = ()
    facts: tuple | list = ()
    table: dict | None = None
    items: dict | None = None
    choices: dict | None = None
    reasons: dict | None = None  # the same scan sent again with a reason (pick: a newer package)
    # Procedures the words name, to start in one tap: {workflow, label, tag} each.
    offers: tuple | list = ()


def step_context(run: Run, workflow, outcome: engine.Outcome | None = None) -> dict:
    """Everything the step templates need, computed once here."""
    step = workflow.step(run.current_step) if run.status == "active" else None
    quiet = outcome is None or not outcome.message or (outcome.tone == "ok"
                                                         and outcome.message == "Done.")
    ctx = {"run": run, "workflow": workflow, "step": step, "outcome": outcome,
           "cue": None if quiet else CUES[outcome.tone], "show": Show(), "signed": [],
           "pending": [], "previews": [], "url": ""}
    if step is None:
        ctx["signatures"] = list(Signature.select().where(Signature.run == run.id)
                                 .order_by(Signature.id))
        ctx["printed"] = PrintJob.select().where(PrintJob.run_id == run.id).exists()
        return ctx
    ctx["url"], ctx["cancel_url"] = _step_urls(request.script_root, run.id, step.id)
    ctx["position"] = engine.position(workflow, run)
    if step.show is not None:
        ctx["show"] = Show(**step.show(run))
    if step.kind == "sign_off":
        ids = run.data.get("_sign", {}).get(step.id, [])
        ctx["signed"] = list(Signature.select().where(Signature.run == run.id,
                                                      Signature.step_id == step.id)
                             .order_by(Signature.id.desc()).limit(len(ids)))[::-1] if ids else []
        ctx["pending"] = engine.pending_signers(run, step)
    if step.kind == "print" and step.jobs is not None:
        jobs = step.jobs(run)
        ctx["previews"] = _previews(jobs)
        ctx["print_counts"] = Counter(j["layout"].replace("_", " ") for j in jobs)
    return ctx


@lru_cache(maxsize=1024)
def _step_urls(root: str, run_id: int, step_id: str) -> tuple[str, str]:
    """A step's answer and cancel URLs, built once per run, step and mount point (``root``
    is in the key because the URLs start with it): building them at every scan was 2.5 % of
    its instructions."""
    return (url_for("runs.submit_step", run_id=run_id, step_id=step_id),
            url_for("runs.cancel", run_id=run_id))


PREVIEWS_SHOWN = 4  # a 500-package delivery must not draw 500 labels on the screen


def _previews(jobs: list[dict]) -> list[dict]:
    """What the jobs will look like (one of each layout first), drawn from the same layout
    definition as the printer's bytes."""
    from kiosk.hardware import preview

    settings = current_app.config["KIOSK"]
    seen, first_of_each, rest = set(), [], []
    for job in jobs:
        (rest if job["layout"] in seen else first_of_each).append(job)
        seen.add(job["layout"])
    chosen = (first_of_each + rest)[:PREVIEWS_SHOWN]
    # Drawn in the language of the person about to print: the one who reads this screen.
    said = language.current()
    return [{"layout": j["layout"],
             "html": preview.render_html(j["layout"], j["data"], settings, language=said)}
            for j in chosen]


def _title(workflow):
    """A procedure's name as a phrase (one its module gives in English: ``Known``)."""
    return workflow.title if isinstance(workflow.title, Phrase) else Known(workflow.title)


@bp.post("")
@login_required()
def start():
    """Start a run of the chosen workflow at this station."""
    workflow = workflows.get(request.form.get("workflow", ""))
    if workflow is None or not workflow.menu:  # a pick starts from its claim, not from here
        abort(404)
    if not g.employee.has_any(workflow.roles):
        return feedback(make_response(render_template(
            "message.html", title=_("Not allowed"),
            message=_("{name} can't start {title}.", name=g.employee.name,
                      title=_title(workflow)))), "error")
    run = engine.start(workflow, g.employee, station(), current_app.config["KIOSK"])
    return go(url_for("runs.show", run_id=run.id))


@bp.get("/<int:run_id>")
@login_required()
def show(run_id: int):
    """The run's page: its current step (the same fragment htmx swaps in)."""
    run, workflow = _load(run_id)
    context = step_context(run, workflow)
    if request.htmx:
        return render_template("_step.html", **context)
    return render_template("run.html", **context)


@bp.post("/<int:run_id>/steps/<step_id>")
@login_required()
def submit_step(run_id: int, step_id: str):
    """Take one answer for one step; return the next step fragment and the feedback cue."""
    raw = _answer()
    reading_for(raw)  # "Take reading": the scale is read here, never sent by the screen
    try:
        rev = int(raw.pop("rev", "-1"))
    except ValueError:
        rev = -1
    # The engine reads the run inside the step's transaction; reading it here first too
    # would be a second query on every scan.
    try:
        outcome = engine.submit(run_id, step_id, rev, raw, g.employee, station(),
                                current_app.config["KIOSK"], workflows)
    except engine.NoSuchRun:
        abort(404)
    workflow = workflows.get(outcome.run.workflow)
    # The engine takes no step from someone who may not work on the run; nor is its
    # screen theirs to see.
    if not outcome.accepted and workflow is not None and not g.employee.has_any(workflow.roles):
        abort(404)
    if workflow is None:
        return feedback(make_response(render_template(
            "message.html", title=_("Procedure removed"), message=outcome.message)), "error")
    # outcome.run is the run as the step's transaction left it; no need to read it again.
    response = make_response(render_template("_step.html",
                                             **step_context(outcome.run, workflow, outcome)))
    return feedback(response, CUES[outcome.tone].colour, outcome.message)


@bp.post("/<int:run_id>/cancel")
@login_required()
def cancel(run_id: int):
    """Cancel with a reason (the person who started it, or a manager)."""
    run, workflow = _load(run_id)
    try:
        cancelled = engine.cancel(run.id, g.employee, station(), request.form.get("reason", ""),
                                  workflow, current_app.config["KIOSK"])
    except (ValueError, PermissionError) as exc:
        said = engine.words_of(exc)  # a phrase stays one: said in the screen's language
        response = make_response(render_template("_step.html", **step_context(
            run, workflow, engine.Outcome(False, said, "error", run))))
        return feedback(response, "error", said)
    if cancelled.data.get("_cancel_note"):
        # What the cancel undid, or what is left for a person to do: read it before going home.
        response = make_response(render_template("_step.html",
                                                 **step_context(cancelled, workflow)))
        return feedback(response, "warn", recalled(cancelled.data["_cancel_note"]))
    return go(url_for("home.index"))

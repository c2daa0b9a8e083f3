"""The quarantine cage on screen: everything on hold as a list, one package's whole timeline,
a manager's decision on what happens next, and starting a procedure with a package already
scanned (the button a refusal offers, or the cage's own buttons)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, make_response, render_template, request, url_for

from kiosk import db, engine, holds, ledger, recalls, words, workflows
from kiosk.manifests import quantity_text
from kiosk.models import Package, PackageHold, Recall
from kiosk.timeline import package_timeline
from kiosk.views.home import feedback, login_required, station
from kiosk.views.runs import step_context
from kiosk.words import Known, _

bp = Blueprint("holds", __name__, url_prefix="/cage")

CAGE_ROLES = ("runner", "vault", "receiver", "counter", "manager")
# The ways out of the cage a package's page offers, as (workflow key, button words).
WAYS_OUT = (("release", _("Release it")), ("return_to_vendor", _("Return to vendor")),
            ("destroy", _("Destroy it")))


ROLE_WORDS = {"runner": _("a runner"), "vault": _("vault staff"), "receiver": _("a receiver"),
              "manager": _("a manager"), "counter": _("a counter"), "admin": _("an admin")}


def may_start(key: str) -> bool:
    """The person logged in may start this procedure (a refusal's way out is a button)."""
    found = workflows.get(key)
    person = getattr(g, "employee", None)
    return found is not None and person is not None and person.has_any(found.roles)


def who_starts(key: str):
    """Who may start the procedure, in words: "done by vault staff or a manager"."""
    found = workflows.get(key)
    if found is None:
        return _("ask a manager")
    named = [ROLE_WORDS.get(r, r) for r in found.roles]
    listed = (_("{some} or {last}", some=words.joined(named[:-1], ", "), last=named[-1])
              if len(named) > 1 else named[0])
    return _("done by {listed}; call one", listed=listed)


@bp.record_once
def _count_for_home(state):
    # The home screen shows how many are on hold; a template global keeps home's view as is.
    state.app.jinja_env.globals["cage_count"] = holds.held_count
    state.app.jinja_env.globals["cage_roles"] = CAGE_ROLES
    state.app.jinja_env.globals["may_start"] = may_start
    state.app.jinja_env.globals["who_starts"] = who_starts


@bp.get("")
@login_required(roles=CAGE_ROLES)
def cage():
    """Everything on hold, oldest first: what, why, since when, by whom, what next, age."""
    return render_template("holds/cage.html", rows=holds.cage_rows(),
                           recalls=recalls.open_recalls())


@bp.get("/recall/<int:recall_id>")
@login_required(roles=CAGE_ROLES)
def recall(recall_id: int):
    """A recall's progress: each package, where it was found, where it is now."""
    found = Recall.get_or_none(Recall.id == recall_id)
    if found is None:
        abort(404)
    rows = recalls.progress(found)
    matched: dict[str, int] = {}
    for row in rows:
        if row["matched"]:
            matched[row["matched"]] = matched.get(row["matched"], 0) + 1
    return render_template("holds/recall.html", recall=found, rows=rows,
                           inside=sum(1 for r in rows if r["in_cage"]),
                           matched=sorted(matched.items()))


def ways_out(package: Package, held: list) -> tuple[list[tuple[str, str]], str]:
    """The procedures that can take this package out of the cage as it is now, and what the
    others cannot do (a package held where it stands must come in first; a held part cannot
    go back to its vendor on its own)."""
    whole = next((h for h in held if h.whole), None)
    if whole is not None and not holds.in_cage(package):
        return ([("quarantine", _("Bring it into the cage")), ("release", _("Release it"))],
                _("It is on hold where it stands: bring it into the cage before it can be "
                  "returned or destroyed."))
    if whole is None and held:
        return ([("release", _("Release the held units")),
                 ("destroy", _("Destroy the held units")),
                 ("quarantine", _("Quarantine the rest of it"))],
                _("Only part of this package is held. Metrc sends a whole package on a "
                  "transfer and cannot split one, so the held part cannot go back to the vendor "
                  "alone: to return it, quarantine the rest of it too."))
    return list(WAYS_OUT), ""


def _package_page(package: Package, notice: str = "", tone: str = "ok", status: int = 200):
    held = holds.open_holds(package)
    ways, why = ways_out(package, held)
    ways = [(key, label) for key, label in ways if may_start(key)]
    return render_template("holds/package.html", package=package, held=held,
                           history=package_timeline(package.tag), ways=ways, ways_note=why,
                           next_words=holds.NEXT_WORDS, age=holds.age, amount=quantity_text,
                           notice=notice, tone=tone), status


@bp.get("/package/<tag>")
@login_required(roles=CAGE_ROLES)
def package(tag: str):
    """One package's whole timeline, its holds, and the ways out of the cage."""
    found = Package.one(tag=tag[:24])
    if found is None:
        abort(404)
    return _package_page(found)


@bp.post("/hold/<int:hold_id>/next")
@login_required(roles=("manager",))
def set_next(hold_id: int):
    """A manager decides what happens next to a held package."""
    held = PackageHold.get_or_none(PackageHold.id == hold_id)
    if held is None:
        abort(404)
    package = Package.one(id=held.package_id)
    choice = request.form.get("next", "")
    if choice not in holds.NEXT_WORDS:
        return _package_page(package, _("Choose one of the buttons."), "error", 400)
    if held.status != "held":
        return _package_page(package, _("This hold is already ended ({status}).",
                                        status=Known(held.status)), "error")
    with db.write():
        holds.set_next(held, choice)
        ledger.audit("hold.next", f"package:{held.tag}",
                     {"hold": held.id, "from": held.next_step, "to": choice},
                     actor=g.employee, station=station())
    return _package_page(package, _("Next: {next}.", next=holds.NEXT_WORDS[choice]))


@bp.post("/start")
@login_required()
def start():
    """Start a procedure; with a package tag, the tag is its first scan, as if scanned."""
    workflow = workflows.get(request.form.get("workflow", ""))
    if workflow is None:
        abort(404)
    if not g.employee.has_any(workflow.roles):
        return feedback(make_response(render_template(
            "message.html", title=_("Not allowed"),
            message=_("{name} can't start {title}: it needs a {roles}. Ask a manager.",
                      name=g.employee.name, title=workflow.title,
                      roles=engine.role_list(workflow.roles)))), "error")
    settings = current_app.config["KIOSK"]
    run = engine.start(workflow, g.employee, station(), settings)
    first, outcome = workflow.step(run.current_step), None
    tag = request.form.get("tag", "").strip()[:24]
    if tag and first.kind == "scan":
        outcome = engine.submit(run.id, first.id, run.rev, {"value": tag, "source": "typed"},
                                g.employee, station(), settings, workflows)
        run = outcome.run
    response = make_response(render_template("run.html", **step_context(run, workflow, outcome)))
    response.headers["HX-Push-Url"] = url_for("runs.show", run_id=run.id)
    tone = "ok" if outcome is None else ("error" if not outcome.accepted else "ok")
    return feedback(response, tone, outcome.message if outcome else "")


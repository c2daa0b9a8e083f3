"""Print screens: the manager's list of print jobs, a job's preview, Retry / Reprint /
Cancel, a run's jobs as they print, and a package's label page with a Reprint button.

URLs (all need a logged-in person; listing and cancelling need a manager):
``/manager/printing``                      print jobs and their state (endpoint printing.jobs)
``/manager/printing/<id>``                 one job: preview, state, buttons
``/manager/printing/<id>/retry|reprint|cancel``  POST, answer with the job's row
``/manager/printing/runs/<run_id>``        fragment: a run's jobs, refreshing while they print
``/packages/<tag>/label``                  GET the label preview, POST to print it again
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request

from kiosk import clock, db, ledger, scans
from kiosk.hardware import preview, queue
from kiosk.hardware.labels import package_label_data
from kiosk.models import Employee, Package, PrintJob, Run
from kiosk.views import language
from kiosk.views.home import login_required, station
from kiosk.views.runs import may_see
from kiosk.words import _

bp = Blueprint("printing", __name__)

MANAGERS = ("manager",)
FILTERS = {
    "problems": ("failed", "queued", "sending"),
    "failed": ("failed",),
    "printed": ("printed",),
    "all": (),
}

# A job's status in a list of its reprints (``printing/job.html``).
STATUS_WORDS = {"queued": _("queued"), "sending": _("sending"), "printed": _("printed"),
                "failed": _("failed"), "cancelled": _("cancelled")}


def _settings() -> dict:
    return current_app.config["KIOSK"]


def _clock(at) -> str:
    """A time of day on the store's clock, as the screen's language writes it."""
    return language.store_time(at, "%H:%M:%S")


def state_words(job: PrintJob):
    """A job's state as a person would say it."""
    if job.status == "printed":
        return _("Printed {time}", time=_clock(job.printed_at)) if job.printed_at \
            else _("Printed")
    if job.status == "sending":
        return _("Printing now")
    if job.status == "cancelled":
        return _("Cancelled")
    if job.status == "failed":
        if job.next_attempt_at:
            return _("Not printed yet; trying again at {time}",
                     time=_clock(job.next_attempt_at))
        return _("Not printed; waiting for you to press Retry")
    return _("Waiting to print")


def _names(jobs) -> dict[int, str]:
    ids = {j.requested_by_id for j in jobs if j.requested_by_id}
    if not ids:
        return {}
    return {e.id: e.name for e in Employee.select(Employee.id, Employee.name)
            .where(Employee.id.in_(list(ids)))}


def _row(job: PrintJob):
    return render_template("printing/_job_row.html", job=job, state=state_words(job),
                           names=_names([job]), now=clock.now())


@bp.get("/manager/printing")
@login_required(roles=MANAGERS)
def jobs():
    """Print jobs, newest first: what, where, state, the last problem in words."""
    shown = request.args.get("show", "problems")
    statuses = FILTERS.get(shown, FILTERS["problems"])
    query = PrintJob.select().order_by(PrintJob.id.desc()).limit(200)
    if statuses:
        query = query.where(PrintJob.status.in_(list(statuses)))
    rows = list(query)
    counts = {s: PrintJob.select().where(PrintJob.status == s).count()
              for s in ("queued", "sending", "failed")}
    return render_template("printing/jobs.html", jobs=rows, states={j.id: state_words(j)
                           for j in rows}, names=_names(rows), shown=shown, filters=FILTERS,
                           counts=counts, settings=_settings())


def _run_or_404(run_id: int) -> None:
    """404 unless this person may see the run (``runs.may_see``). A manager sees every
    run's jobs, as the print jobs screen lists them all."""
    if g.employee.has_any(MANAGERS):
        return
    run = Run.get_or_none(Run.id == run_id)
    if run is None or not may_see(g.employee, run):
        abort(404)


def _job_or_404(job_id: int) -> PrintJob:
    """The job, or 404 if it is missing or made by a run this person may not see. A job of
    no run (a package's label) shows what the package's label page shows anyone."""
    job = PrintJob.get_or_none(PrintJob.id == job_id)
    if job is None:
        abort(404)
    if job.run_id is not None:
        _run_or_404(job.run_id)
    return job


@bp.get("/manager/printing/<int:job_id>")
@login_required()
def job(job_id: int):
    """One job: what it prints (preview), its state and its history."""
    item = _job_or_404(job_id)
    reprints = list(PrintJob.select().where(PrintJob.reprint_of == item.id)
                    .order_by(PrintJob.id))
    return render_template("printing/job.html", job=item, state=state_words(item),
                           preview=preview.job_html(item, _settings()), reprints=reprints,
                           names=_names([item, *reprints]), job_status_words=STATUS_WORDS)


@bp.post("/manager/printing/<int:job_id>/retry")
@login_required()
def retry(job_id: int):
    """Try a waiting or failed job again now."""
    _job_or_404(job_id)
    with db.write():
        item = queue.retry(job_id)
        ledger.audit("print.retry", f"print_job:{job_id}", {"layout": item.layout},
                     actor=g.employee, station=station())
    return _row(item)


@bp.post("/manager/printing/<int:job_id>/reprint")
@login_required()
def reprint(job_id: int):
    """Print the same label or slip again, as a new job linked to the first."""
    _job_or_404(job_id)
    with db.write():
        new = queue.reprint(job_id, _settings(), requested_by_id=g.employee.id)
        ledger.audit("print.reprint", f"print_job:{job_id}",
                     {"new_job": new.id, "layout": new.layout}, actor=g.employee,
                     station=station())
    return _row(new)


@bp.post("/manager/printing/<int:job_id>/cancel")
@login_required(roles=MANAGERS)
def cancel(job_id: int):
    """Stop a job that has not printed; it stays in the list as cancelled."""
    _job_or_404(job_id)
    with db.write():
        item = queue.cancel(job_id)
        ledger.audit("print.cancel", f"print_job:{job_id}", {"layout": item.layout},
                     actor=g.employee, station=station())
    return _row(item)


@bp.get("/manager/printing/<int:job_id>/row")
@login_required()
def row(job_id: int):
    """A job's row again (polled while it is waiting or printing)."""
    return _row(_job_or_404(job_id))


@bp.get("/manager/printing/runs/<int:run_id>")
@login_required()
def run_jobs(run_id: int):
    """A run's print jobs with previews; refreshes itself while any is still on its way."""
    _run_or_404(run_id)
    items = list(PrintJob.select().where(PrintJob.run_id == run_id).order_by(PrintJob.id))
    pending = any(j.status in ("queued", "sending") for j in items)
    return render_template("printing/_run_jobs.html", run_id=run_id, jobs=items,
                           states={j.id: state_words(j) for j in items},
                           previews={j.id: preview.job_html(j, _settings()) for j in items},
                           pending=pending, names=_names(items), now=clock.now())


def _package_or_404(tag: str) -> Package:
    tag = tag.strip().upper()
    if not scans.TAG_RE.match(tag):  # not a tag at all: nothing to look up
        abort(404)
    package = Package.get_or_none(Package.tag == tag)
    if package is None:
        abort(404)
    return package


@bp.get("/packages/<tag>/label")
@login_required()
def package_label(tag: str):
    """The package's label as it will print, with a button to print it again."""
    package = _package_or_404(tag)
    data = package_label_data(package)
    earlier = list(PrintJob.select().where(PrintJob.layout == "package_label")
                   .order_by(PrintJob.id.desc()).limit(200))
    earlier = [j for j in earlier if (j.data or {}).get("tag") == package.tag][:10]
    return render_template("printing/package_label.html", package=package,
                           preview=preview.render_html("package_label", data, _settings()),
                           earlier=earlier, states={j.id: state_words(j) for j in earlier},
                           names=_names(earlier), now=clock.now())


@bp.post("/packages/<tag>/label")
@login_required()
def print_package_label(tag: str):
    """Queue the package's label (from its current record) and show its row."""
    package = _package_or_404(tag)
    with db.write():
        new = queue.request("label", "package_label", package_label_data(package), _settings(),
                            requested_by_id=g.employee.id)
        ledger.audit("print.package_label", f"package:{package.tag}", {"job": new.id},
                     actor=g.employee, station=station())
    return _row(new)

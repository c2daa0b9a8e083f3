"""The end-of-day report on the manager's screen, its kept PDFs, its slip, and evidence packets.

``/manager/reports?day=YYYY-MM-DD``      the day's report (today by default), with its charts
``/manager/reports/<day>/keep``          POST: keep the report as a PDF (a record for 7 years)
``/manager/reports/<day>/kept``          the kept PDFs of the day (the panel, asked again while
                                         the PDF at close is being made)
``/manager/reports/kept/<id>.pdf``       a kept PDF, as it was made
``/manager/reports/<day>/slip``          POST: print the summary slip on the receipt printer
``/manager/reports/<day>/evidence``      POST: make the day's evidence packet
``/manager/reports/<day>/evidence/package``  POST (a tag, typed or scanned): make a
                                         package's evidence packet
``/manager/reports/evidence/<name>``     a packet made here, to download

Making a PDF or a packet writes records (the kept row, audit entries), so it is a POST; what
it made is then fetched with a GET that changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from flask import Blueprint, abort, current_app, g, render_template, request, send_file

from kiosk import anchors, clock, closing_pdf, db, evidence, ledger, reports, retention, scans
from kiosk import reconciliation as recon
from kiosk.hardware import queue
from kiosk.models import Employee, KeptReport
from kiosk.views import language
from kiosk.views.home import login_required, station
from kiosk.words import _

bp = Blueprint("reports", __name__, url_prefix="/manager/reports")

MANAGERS = ("manager",)
STATE_WORDS = {"intact": _("intact"), "altered": _("ALTERED since it was made"),
               "missing": _("file no longer in the reports folder")}
# Why a PDF was kept, as its row keeps it.
OCCASION_WORDS = {"on demand": _("on demand"), "at close": _("at close"),
                  "evidence packet": _("evidence packet")}


def _settings() -> dict:
    return current_app.config["KIOSK"]


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else clock.store_date()
    except ValueError:
        return None


def _kept(day: dt.date, notice: str = "", tone: str = "ok", packet=None) -> dict:
    """What the kept-PDFs panel shows (``reports/_kept.html``)."""
    rows = reports.kept(day)
    people = dict(Employee.select(Employee.id, Employee.name)
                  .where(Employee.id.in_([r.generated_by_id for r in rows if r.generated_by_id]))
                  .tuples()) if rows else {}
    states = {r.id: reports.kept_state(r, _settings()) for r in rows}
    return {"day": day, "kept": rows, "people": people, "states": states,
            "words": STATE_WORDS, "notice": notice, "tone": tone, "packet": packet,
            "at_close": closing_pdf.state(day), "occasion_words": OCCASION_WORDS}


def _kept_list(day: dt.date, notice: str = "", tone: str = "ok", packet=None):
    return render_template("reports/_kept.html", **_kept(day, notice, tone, packet))


@bp.get("")
@login_required(roles=MANAGERS)
def day():
    """The day's report, and what can be done with it."""
    today = clock.store_date()
    chosen = _day(request.args.get("day"))
    notice = ""
    if chosen is None:
        chosen, notice = today, _("That is not a date; here is today's report.")
    elif chosen > today:
        chosen, notice = today, _("That day has not come yet; here is today's report.")
    report = reports.end_of_day(chosen, _settings(), language.current())
    return render_template("reports/day.html", report=report, today=today,
                           earlier=chosen - dt.timedelta(days=1),
                           later=chosen + dt.timedelta(days=1) if chosen < today else None,
                           page_notice=notice, day_words=recon.day_words, **_kept(chosen))


@bp.get("/<day_text>/kept")
@login_required(roles=MANAGERS)
def kept_panel(day_text: str):
    """The kept-PDFs panel alone: the screen asks again every few seconds while the PDF of
    the day's closing is being made, so "kept, SHA-256 …" appears without a touch."""
    return _kept_list(_posted_day(day_text))


def _posted_day(text: str) -> dt.date:
    chosen = _day(text)
    if chosen is None or chosen > clock.store_date():
        abort(404)
    return chosen


@bp.post("/<day_text>/keep")
@login_required(roles=MANAGERS)
def keep(day_text: str):
    """Keep the day's report as a PDF, with its SHA-256, who and when."""
    chosen = _posted_day(day_text)
    row = reports.keep_pdf(chosen, g.employee, _settings(), station())
    return _kept_list(chosen, _("Kept: the report of {day} as a PDF, SHA-256 {sha256}…, a "
                                "record for {years} years.", day=recon.date_words(chosen),
                                sha256=row.sha256[:16], years=retention.YEARS))


@bp.get("/kept/<int:report_id>.pdf")
@login_required(roles=MANAGERS)
def kept_pdf(report_id: int):
    """A kept PDF as it is in the reports folder (the list says if it is still intact)."""
    row = KeptReport.get_or_none(KeptReport.id == report_id)
    if row is None:
        abort(404)
    path = reports.folder(_settings()) / row.path
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=path.name)


@bp.post("/<day_text>/slip")
@login_required(roles=MANAGERS)
def slip(day_text: str):
    """Print the summary slip of the day's report on the receipt printer."""
    chosen = _posted_day(day_text)
    report = reports.end_of_day(chosen, _settings())
    latest = next(iter(reports.kept(chosen)), None)
    data = reports.slip(report, latest)
    # The audit chain's head on paper, out of the database's reach (kiosk.anchors).
    data["chain_seq"], data["chain_hash"] = anchors.head()
    anchors.write_quietly()
    with db.write():
        job = queue.request("receipt", "day_summary", data, _settings(),
                            requested_by_id=g.employee.id)
        ledger.audit("print.day_summary", f"day:{chosen.isoformat()}", {"job": job.id},
                     actor=g.employee, station=station())
    return _kept_list(chosen, _("The summary slip of {day} is printing (print job {job}).",
                                day=recon.date_words(chosen), job=str(job.id)))


def _packet_name(kind: str, subject: str) -> str:
    made = clock.local(clock.now())
    return f"{made:%Y%m%d-%H%M%S}-{kind}-{subject}.zip"


@bp.post("/<day_text>/evidence")
@login_required(roles=MANAGERS)
def day_evidence(day_text: str):
    """Make the day's evidence packet and offer it for download."""
    chosen = _posted_day(day_text)
    out = retention.evidence_folder(_settings()) / _packet_name("day", chosen.isoformat())
    packet = evidence.day_packet(chosen, out, g.employee, station(), _settings())
    return _kept_list(chosen, _("The evidence packet of {day} is ready.",
                                day=recon.date_words(chosen)), packet=packet)


@bp.post("/<day_text>/evidence/package")
@login_required(roles=MANAGERS)
def package_evidence(day_text: str):
    """Make one package's evidence packet (its tag typed, or scanned: the scanner posts
    here while this screen is open)."""
    chosen = _posted_day(day_text)
    typed = request.form.get("value", "")
    try:
        tag = scans.parse(typed, ("package_tag",)).value
    except scans.ScanError:
        shown = "".join(c for c in typed.strip()[:40] if c.isprintable())
        said = (_("{typed} is not a package tag: a tag is 24 letters and digits, as on the "
                  "package's label. Scan it or type it again.", typed=shown) if shown else
                _("Nothing is not a package tag: a tag is 24 letters and digits, as on the "
                  "package's label. Scan it or type it again."))
        return _kept_list(chosen, said, "error")
    out = retention.evidence_folder(_settings()) / _packet_name("package", tag)
    try:
        packet = evidence.package_packet(tag, out, g.employee, station(), _settings())
    except LookupError as exc:
        return _kept_list(chosen, _("{problem} Check the tag on the package's label.",
                                    problem=exc.args[0]), "error")
    return _kept_list(chosen, _("The evidence packet of package {tag} is ready.", tag=tag),
                      packet=packet)


@bp.get("/evidence/<name>")
@login_required(roles=MANAGERS)
def packet_file(name: str):
    """A packet made on this screen, to download."""
    if not retention.PACKET_NAME.fullmatch(name) or not re.fullmatch(r"[\w.-]+", name):
        abort(404)
    path = retention.evidence_folder(_settings()) / name
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)

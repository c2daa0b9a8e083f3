"""The end-of-day report (SOP §7.3): one store day's figures, its charts, its PDF, its slip.

``end_of_day(day)`` gathers the report (``report_queries`` asks, ``report_charts`` draws);
the manager's screen shows it as HTML and ``pdf`` lays out the very same HTML as a PDF with
WeasyPrint. ``keep_pdf(day, actor)`` keeps that PDF as a record for seven years: the file in
the reports folder, a ``KeptReport`` row with its SHA-256, day, who and when, and an audit
entry, so the file can later be proved to be the one made. ``slip`` is the short summary the
receipt printer prints.

``keep_pdf`` runs in its own transaction and never inside a step's: a PDF takes seconds to
lay out, and no step may hold the write lock that long. The one kept at close is queued by
the closing manager's signature and made by the syncer (``kiosk/closing_pdf.py``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlparse

from markupsafe import Markup

from kiosk import clock, config, db, ledger, report_charts, report_reconciliation, words
from kiosk import reconciliation as recon
from kiosk import report_queries as q
from kiosk.manifests import quantity_text
from kiosk.models import KeptReport
from kiosk.words import _

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Report:
    """One store day's report, ready to show: rows of text and the figures behind them."""

    day: dt.date
    store_name: str
    license: str
    generated_at: dt.datetime  # naive UTC
    receipts: list = field(default_factory=list)
    moves: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    variances_found: list = field(default_factory=list)
    variances_resolved: list = field(default_factory=list)
    adjustments: list = field(default_factory=list)
    quarantines: list = field(default_factory=list)
    destructions: list = field(default_factory=list)
    waiting: list = field(default_factory=list)
    deadline_hours: int = 24
    sales: dict = field(default_factory=dict)
    velocity: dict = field(default_factory=dict)
    expiring: list = field(default_factory=list)
    vault: list = field(default_factory=list)
    charts: dict = field(default_factory=dict)  # name -> SVG markup (absent: nothing to draw)
    reconciliation: dict = field(default_factory=dict)  # ``report_reconciliation.of_day``

    @property
    def generated_text(self) -> str:
        return f"{clock.local(self.generated_at):%Y-%m-%d %H:%M}"

    @property
    def generated_words(self):
        """When it was made, on the store's clock, in the reader's language."""
        return recon.stamp_words(self.generated_at)

    @property
    def day_text(self):
        return recon.day_words(self.day, long=True)

    @property
    def day_words(self):
        return recon.date_words(self.day)

    @property
    def first_words(self):
        return recon.date_words(self.velocity["first"])

    @property
    def late(self) -> list:
        """Waiting messages past the state's deadline."""
        return [m for m in self.waiting if m["hours"] >= self.deadline_hours]

    def figures(self) -> list[tuple[str, str]]:
        """The headline figures, in the order the report and the slip give them."""
        accepted = sum(r["accepted"] for r in self.receipts)
        rejected = sum(r["rejected"] for r in self.receipts)
        units = sum((r["units"] for r in self.receipts), Decimal(0))
        adjusted = sum((a["quantity"] for a in self.adjustments), Decimal(0))
        attention = sum(1 for m in self.waiting if m["status"] == "attention")
        return [
            (_("Deliveries received"), str(len(self.receipts))),
            (_("Packages accepted"), str(accepted)),
            (_("Packages rejected"), str(rejected)),
            (_("Units received"), _figure(quantity_text(units))),
            (_("Moves"), str(sum(m["moves"] for m in self.moves))),
            (_("Counts"), str(len(self.counts))),
            (_("Variances found"), str(len(self.variances_found))),
            (_("Variances resolved"), str(len(self.variances_resolved))),
            (_("Adjustments"), _("{count} ({change} units)", count=len(self.adjustments),
                                 change=_figure(_signed(adjusted)))
             if self.adjustments else "0"),
            (_("Quarantined"),
             str(sum(1 for r in self.quarantines if r["kind"] in q.QUARANTINE))),
            (_("Released from quarantine"),
             str(sum(1 for r in self.quarantines if r["kind"] in q.RELEASE))),
            (_("Destroyed"), str(len(self.destructions))),
            (_("Waiting for Metrc or the POS"), str(len(self.waiting))),
            (_("Needing attention"), str(attention)),
            (_("Waiting over {hours} h", hours=self.deadline_hours), str(len(self.late))),
            (_("Sales lines"), str(self.sales.get("lines", 0))),
            (_("Sales receipts"), str(self.sales.get("receipts", 0))),
            (_("Units sold"), _figure(quantity_text(self.sales.get("units", 0)))),
            (_("Packages expiring within 30 days"),
             str(sum(r["packages"] for r in self.expiring))),
            (_("Vault entries"), str(len(self.vault))),
        ]


def _figure(text: str):
    """A figure as English writes it ('453.6'), said the reader's way ('453,6')."""
    try:
        return _("{number}", number=words.Number(Decimal(text), text))
    except ArithmeticError:
        return text


def _signed(value: Decimal) -> str:
    text = quantity_text(value)
    return text if value <= 0 else f"+{text}"


def end_of_day(day: dt.date, settings: dict | None = None,
               language: str = words.DEFAULT) -> Report:
    """The report of the store's ``day`` from the records as they stand now (its charts
    drawn with their words in ``language``; the rest is said where it is shown)."""
    settings = settings if settings is not None else config.load()
    now = clock.now()
    since, until = clock.store_day_bounds(day, day)
    with db.connection():
        names = q.places()
        velocity = q.velocity(day, until)
        hours = q.sales_by_hour(since, until)
        report = Report(
            day=day, store_name=str(settings.get("store_name", "")),
            license=str(settings.get("license", "")), generated_at=now,
            receipts=q.receipts(since, until), moves=q.moves(since, until, names),
            counts=q.counts(day, since, until),
            variances_found=q.variances_found(since, until),
            variances_resolved=q.variances_resolved(since, until),
            adjustments=q.stock_changes(("adjust",), since, until),
            quarantines=q.stock_changes(q.QUARANTINE + q.RELEASE, since, until),
            destructions=q.stock_changes(q.DESTRUCTION, since, until),
            waiting=q.waiting(since, until, now),
            deadline_hours=int(settings.get("sync_deadline_hours", 24)),
            sales=q.sales_totals(since, until), velocity=velocity,
            expiring=q.expiring(day, until, names), vault=q.vault_visits(since, until, now),
            reconciliation=report_reconciliation.of_day(day))
    for name, svg in (("fastest", report_charts.fastest(velocity["fastest"], language)),
                      ("slowest", report_charts.slowest(velocity["slowest"], language)),
                      ("by_hour", report_charts.by_hour(hours, language))):
        if svg:
            report.charts[name] = Markup(svg)
    return report


# -- the PDF ---------------------------------------------------------------------------------
def _environment(language: str):
    """Jinja for the PDF: the same templates the screen uses, outside any Flask app (the
    closing workflow and the CLI have none), their words in ``language``: the templates'
    ``_()`` from the catalogue, and phrases said as the screen says them."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    def said(value):
        return words.say(value, language) if isinstance(value, words.Phrase) else value

    made = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                       extensions=["jinja2.ext.i18n"], finalize=said)
    made.install_gettext_translations(words.catalogue(language), newstyle=True)
    made.filters.update(say=said, known=lambda text: words.known(str(text), language)
                        if text and not isinstance(text, words.Phrase) else said(text))
    made.globals.update(language=language)
    return made


def language_of(settings: dict | None) -> str:
    """The store's language (the ``language`` setting): what a kept report is written in."""
    wanted = str((settings or {}).get("language") or words.DEFAULT)
    return wanted if wanted in words.LANGUAGES else words.DEFAULT


def document_html(report: Report, language: str = words.DEFAULT) -> str:
    """The report as a standalone HTML document for print (what the PDF is laid out from),
    in ``language``."""
    return _environment(language).get_template("reports/document.html").render(report=report)


def pdf(report: Report, language: str = words.DEFAULT) -> bytes:
    """The report as a PDF, laid out by WeasyPrint from ``document_html``."""
    import weasyprint  # slow to import: only where a PDF is made

    return weasyprint.HTML(string=document_html(report, language),
                           base_url=str(TEMPLATES)).write_pdf()


def folder(settings: dict | None = None) -> Path:
    """Where kept reports go: the ``reports_folder`` setting, or ``reports/`` beside an SQLite
    database (in ``KIOSK_HOME`` for PostgreSQL)."""
    settings = settings if settings is not None else config.load()
    if settings.get("reports_folder"):
        return Path(settings["reports_folder"])
    parsed = urlparse(str(settings.get("database", "")))
    path = unquote(parsed.path) if parsed.scheme == "sqlite" else ""
    base = Path(path).resolve().parent if path not in ("", "/:memory:") else config.DEFAULT_DATA
    return base / "reports"


def _write(path: Path, data: bytes) -> None:
    """Write the file whole or not at all: a temporary name, synced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    with open(part, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(part, 0o640)
    os.replace(part, path)


def keep_pdf(day: dt.date, actor=None, settings: dict | None = None, station: str = "",
             occasion: str = "on demand", name: str = "end-of-day",
             along: Callable[[KeptReport], None] | None = None) -> KeptReport:
    """Make the day's report as a PDF and keep it: the file, its row and an audit entry.

    ``actor`` is the employee who asked (None: the kiosk itself). ``name`` goes into the
    file's name after the day; ``along(kept)`` runs in the transaction that keeps the row (it
    may raise to keep nothing). The PDF is a record of the store, so it is written in the
    store's language (the ``language`` setting), whoever asks for it. Runs its own
    transaction; never call it inside a step's (see the module's docstring).
    """
    settings = settings if settings is not None else config.load()
    language = language_of(settings)
    report = end_of_day(day, settings, language)
    data = pdf(report, language)
    digest = hashlib.sha256(data).hexdigest()
    stamp = clock.local(report.generated_at)
    relative = Path(f"{day:%Y}") / f"{day.isoformat()}-{name}-{stamp:%H%M%S}-{digest[:12]}.pdf"
    target = folder(settings) / relative
    _write(target, data)
    try:
        with db.connection(), db.write():
            kept = KeptReport.create(
                kind="end_of_day", day=day, sha256=digest, size=len(data), path=str(relative),
                generated_by=actor, generated_at=report.generated_at, station=station,
                occasion=occasion)
            ledger.audit("report.keep", f"report:{kept.id}",
                         {"day": day.isoformat(), "sha256": digest, "size": len(data),
                          "file": str(relative), "occasion": occasion},
                         actor=actor, station=station)
            if along is not None:
                along(kept)
    except BaseException:
        target.unlink(missing_ok=True)  # no row names it: it was never kept
        raise
    return kept


def kept(day: dt.date) -> list[KeptReport]:
    """The reports kept for ``day``, newest first."""
    return list(KeptReport.select().where(KeptReport.day == day)
                .order_by(KeptReport.id.desc()))


def kept_state(row: KeptReport, settings: dict | None = None) -> str:
    """Whether a kept PDF is still the file it was: "intact", "altered" or "missing"."""
    path = folder(settings) / row.path
    if not path.is_file():
        return "missing"
    return "intact" if hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256 else "altered"


# -- the slip --------------------------------------------------------------------------------
def slip(report: Report, kept_row: KeptReport | None = None) -> dict:
    """The summary slip's data (``slips.day_summary``): headline figures, the three fastest
    sellers, the oldest waiting message, the day's opening and closing reconciliation in a
    line each, and the kept PDF's fingerprint when there is one."""
    data = {"date": report.day.isoformat(), "generated": report.generated_text,
            "lines": [list(pair) for pair in report.figures()],
            "fastest": [[r["item"], r["per_day_text"]] for r in report.velocity["fastest"][:3]]}
    # The same lines as phrases (``words.keep``), so the slip is printed in the language of
    # whoever asks for it; the English above is what the job's record reads.
    data["said"] = {"lines": [[words.keep(w) for w in pair] for pair in report.figures()]}
    if report.waiting:
        oldest = report.waiting[0]
        said = _("{kind} {about} ({hours} h)", kind=oldest["kind_text"],
                 about=oldest["about_text"], hours=oldest["hours_text"])
        data["oldest_waiting"] = str(said)
        data["said"]["oldest_waiting"] = words.keep(said)
    if report.reconciliation:
        lines = report.reconciliation["lines"]
        data["reconciliation"] = [list(pair) for pair in lines]
        data["said"]["reconciliation"] = [[words.keep(w) for w in pair] for pair in lines]
    if kept_row is not None:
        data["sha256"] = kept_row.sha256
    return data

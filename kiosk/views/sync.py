"""The manager's sync screen: what is waiting for Metrc and the POS, and what needs a person.

Shows pending messages and the oldest one's age against the state's deadline, the health of
each target, why each waiting message waits (``sync.waiting``), every message Metrc or the POS
refused (with the error in plain words), and every difference the read-back found. Retry and
resolve record who and why in the audit chain.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request

from kiosk import limits
from kiosk.models import OutboxMessage
from kiosk.models.sync import Discrepancy
from kiosk.sync import outbox, pulls, readback, waiting
from kiosk.views.home import login_required, station
from kiosk.words import _, n_

bp = Blueprint("sync", __name__)

# Where a message goes, as the screen says it ("… · to the POS · message 12").
TO_WORDS = {"metrc": _("to Metrc"), "pos": _("to the POS")}


def _age(delta):
    if delta is None:
        return _("nothing waiting")
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min", minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return n_("{count} day {hours} h", "{count} days {hours} h", hours // 24, hours=hours % 24)


def _page(notice: str = "", tone: str = "ok"):
    settings = current_app.config["KIOSK"]
    off = waiting.switched_off(settings)
    summary = outbox.summary(int(settings.get("sync_deadline_hours", 24)), off=tuple(off))
    attention = list(OutboxMessage.select().where(OutboxMessage.status == "attention")
                     .order_by(OutboxMessage.id).limit(200))
    queued = list(OutboxMessage.select()
                  .where(OutboxMessage.status.in_(("pending", "sending")),
                         OutboxMessage.target.not_in(tuple(off) or ("",)))
                  .order_by(OutboxMessage.id).limit(50))
    reasons = waiting.Reasons(settings, attention + queued)
    differences = list(Discrepancy.select().where(Discrepancy.resolved_at.is_null())
                       .order_by(Discrepancy.id))
    template = "sync/_body.html" if request.headers.get("HX-Request") else "sync/screen.html"
    return render_template(template, summary=summary, age=_age(summary["oldest_age"]),
                           deadline_hours=int(summary["deadline"].total_seconds() // 3600),
                           attention=attention, waiting=queued, why=reasons.why,
                           describe=waiting.describe, differences=differences,
                           difference=readback.describe, notice=notice, tone=tone,
                           last_pull=pulls.last_pull(), off=off, names=waiting.NAMES,
                           health=waiting.target_health, to_words=TO_WORDS)


@bp.get("/manager/sync")
@login_required(roles=("manager",))
def screen():
    """The sync screen."""
    return _page()


def _said(exc: ValueError):
    """A refusal's words as they were raised (a phrase stays one, to be said translated)."""
    return exc.args[0] if exc.args else str(exc)


def _why() -> str:
    """The manager's reason; ValueError in words when it is too long or not plain text."""
    return limits.text(request.form.get("why") or "", limits.REASON, _("The reason"))


@bp.post("/manager/sync/messages/<int:message_id>/retry")
@login_required(roles=("manager",))
def retry(message_id: int):
    """Send a parked message again."""
    try:
        outbox.retry(message_id, g.employee, _why() or "retry after fixing the cause",
                     station=station())
    except (ValueError, OutboxMessage.DoesNotExist) as exc:
        return _page(_said(exc) if isinstance(exc, ValueError) else _("No such message."),
                     "error")
    return _page(_("The message is queued again."))


@bp.post("/manager/sync/messages/<int:message_id>/resolve")
@login_required(roles=("manager",))
def resolve(message_id: int):
    """Close a parked message without sending it; the reason is required."""
    try:
        outbox.resolve(message_id, g.employee, _why(),
                       station=station())
    except (ValueError, OutboxMessage.DoesNotExist) as exc:
        return _page(_said(exc) if isinstance(exc, ValueError) else _("No such message."),
                     "error")
    return _page(_("Resolved; your name and reason are recorded."))


@bp.post("/manager/sync/differences/<int:difference_id>/resolve")
@login_required(roles=("manager",))
def resolve_difference(difference_id: int):
    """Explain a read-back difference; the reason is required."""
    try:
        readback.resolve(difference_id, g.employee, _why(),
                         station=station())
    except (ValueError, Discrepancy.DoesNotExist) as exc:
        return _page(_said(exc) if isinstance(exc, ValueError) else _("No such difference."),
                     "error")
    return _page(_("Resolved; your name and reason are recorded."))


@bp.post("/sync/pull")
@login_required(roles=("receiver", "manager"))
def pull():
    """Pull manifests from Metrc now (the receiving screen's button too)."""
    sentence = pulls.pull_now(current_app.config["KIOSK"])
    if request.headers.get("HX-Request") and request.form.get("fragment") == "sentence":
        return render_template("sync/_sentence.html", sentence=sentence)
    return _page(sentence, "error" if sentence.startswith("Metrc did not") else "ok")

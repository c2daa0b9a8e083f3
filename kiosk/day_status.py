"""What the manager's reconciliation screen shows for one store day: the day's sales on both
sides and how fresh they are, the opening reconciliation of those sales (signed the next
morning) with each difference and how it was settled, the closing reconciliation of the day
itself with its count and the messages explained (and the day's report PDF it kept), and
how the figures stand right now.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock, closing_pdf, day_close
from kiosk import reconciliation as recon
from kiosk.models import Count, Employee, OutboxMessage, Variance
from kiosk.models.reconciliation import DayCheck, DayCount, DayDifference, WaitingNote
from kiosk.words import Phrase, _

STATE_WORDS = day_close.STATE_WORDS  # a message's status in words


def latest(day: dt.date, kind: str) -> DayCheck | None:
    """The day's check of this kind: the signed one, else the latest started."""
    checks = list(DayCheck.select().where(DayCheck.day == day, DayCheck.kind == kind)
                  .order_by(DayCheck.id))
    signed = [c for c in checks if c.status == "signed"]
    return (signed or checks or [None])[-1]


def _differences(check: DayCheck) -> list[dict]:
    found = list(DayDifference.select().where(DayDifference.check == check.id)
                 .order_by(DayDifference.id))
    keys = [k for d in found for k in d.messages or []]
    sent = {m.external_key: m for m in OutboxMessage.select().where(
        OutboxMessage.external_key.in_(keys or [""]))}
    ids = [d.detail["variance"] for d in found if "variance" in d.detail]
    variances = {v.id: v for v in Variance.select().where(Variance.id.in_(ids or [0]))}
    names = {e.id: e.name for e in Employee.select(Employee.id, Employee.name)}
    return [{"difference": d, "what": recon.KIND_WORDS[d.kind], "figures": figures(d),
             "sent": [_("{kind}: {state}", kind=sent[k].kind,
                        state=STATE_WORDS.get(sent[k].status, sent[k].status))
                      for k in d.messages or [] if k in sent],
             "variance": variances.get(d.detail.get("variance")),
             "by": names.get(d.settled_by_id, "")} for d in found]


def figures(difference: DayDifference) -> Phrase:
    unit = difference.unit
    if difference.kind == "count":
        return _("counted {counted}, books {expected}",
                 counted=recon.amount_text(difference.counted, unit),
                 expected=recon.amount_text(difference.expected, unit))
    return _("POS {pos}, Metrc {metrc}", pos=recon.amount_text(difference.pos, unit),
             metrc=recon.amount_text(difference.metrc, unit))


def day(day: dt.date, now: dt.datetime | None = None) -> dict:
    """Everything the screen shows for the store's ``day``."""
    now = now or clock.now()
    opening, closing = latest(day, "open"), latest(day, "close")
    spot = list(Count.select().where(Count.scope == "spot",
                                     Count.due_on == day + dt.timedelta(days=1)))
    status = {"day": day, "figures": recon.day_figures(day),
              "fresh": recon.freshness(day, now), "opening": opening, "closing": closing,
              "spot": spot, "now": recon.compare(day)}
    status["pos_words"] = recon.sales_words(status["figures"])
    status["metrc_words"] = recon.receipt_words(status["figures"])
    status["opening_rows"] = _differences(opening) if opening else []
    status["closing_rows"] = _differences(closing) if closing else []
    status["counted"] = list(DayCount.select().where(DayCount.check == closing.id)
                             .order_by(DayCount.id)) if closing else []
    status["pdf"] = closing_pdf.state(day)
    status["notes"] = []
    if closing is not None:
        for note in WaitingNote.select().where(WaitingNote.check == closing.id).order_by(
                WaitingNote.id):
            message = OutboxMessage.get_or_none(OutboxMessage.id == note.message_id)
            status["notes"].append({"note": note, "message": message, "state": STATE_WORDS.get(
                message.status, message.status) if message else _("gone"),
                "what": day_close.describe(message) if message else ""})
    return status

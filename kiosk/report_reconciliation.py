"""The day's reconciliation as the end-of-day report gives it (SOP §7.2, §7.3).

The report of a store day is what happened that day, so it takes the two checks signed on
it: this morning's opening reconciliation (of the day before's sales: each difference and
how it was settled, explained, corrected or escalated, by whom) and this evening's closing
reconciliation (its count, the differences the count found, every message still waiting at
close with the closing manager's word on it), and who signed each. The manager's screen of
a day's reconciliation (``day_status``) shows the other view: one day's *sales*, opened the
next morning.

Rows are plain dicts of what a person reads, like ``report_queries``'.
"""

from __future__ import annotations

import datetime as dt

from kiosk import day_close, day_status
from kiosk import reconciliation as recon
from kiosk.models import Employee, OutboxMessage, Variance
from kiosk.models.reconciliation import DayCheck, DayCount, DayDifference, WaitingNote
from kiosk.variances import STATE_WORDS as VARIANCE_STATE_WORDS
from kiosk.words import Known, Phrase, _, joined, n_

KINDS = {"open": _("Opening"), "close": _("Closing")}


def _when(at: dt.datetime | None):
    return recon.day_time_words(at)


def _amount(value, unit: str):
    return recon.amount_text(value, unit) if value is not None else ""


def _state(check: DayCheck | None, names: dict[int, str]) -> Phrase:
    if check is None:
        return _("not done")
    if check.status == "signed":
        return _("signed by {name} at {when}", name=names.get(check.signed_by_id, "?"),
                 when=_when(check.signed_at))
    if check.status == "cancelled":
        return _("cancelled (started by {name})", name=names.get(check.started_by_id, "?"))
    return _("not signed: in progress, started by {name} at {when}",
             name=names.get(check.started_by_id, "?"), when=_when(check.started_at))


def _settled(difference: DayDifference, variances: dict[int, Variance]) -> Phrase:
    how = difference.settled
    if not how:
        return _("not settled")
    if how == "explained":
        if difference.note:
            return _("Explained: {reason}. {note}", reason=Known(difference.reason),
                     note=difference.note)
        return _("Explained: {reason}", reason=Known(difference.reason))
    if how == "corrected":
        sent = len(difference.messages or [])
        said = (_("Corrected: {how}", how=Known(difference.reason)) if difference.reason
                else _("Corrected"))
        if not sent:
            return said
        return _("{corrected} ({messages})", corrected=said, messages=n_(
            "{count} message to Metrc", "{count} messages to Metrc", sent))
    variance = variances.get(difference.detail.get("variance"))
    if variance is None:
        return _("Escalated")
    return _("Escalated: variance {number}, {state}", number=str(variance.id),
             state=VARIANCE_STATE_WORDS.get(variance.state, variance.state))


def _differences(check: DayCheck | None, names: dict[int, str]) -> list[dict]:
    if check is None:
        return []
    found = list(DayDifference.select().where(DayDifference.check == check.id)
                 .order_by(DayDifference.id))
    ids = [d.detail["variance"] for d in found if "variance" in d.detail]
    variances = {v.id: v for v in Variance.select().where(Variance.id.in_(ids))} if ids else {}
    return [{"tag": d.tag, "item": d.item_name, "what": recon.KIND_WORDS[d.kind],
             "figures": day_status.figures(d), "settled": _settled(d, variances),
             "how": d.settled,
             "by": (_("{name}, {when}", name=names.get(d.settled_by_id, "?"),
                      when=_when(d.settled_at)) if d.settled_by_id else "")} for d in found]


def _counted(check: DayCheck | None, names: dict[int, str]) -> list[dict]:
    if check is None:
        return []
    return [{"tag": c.tag, "item": c.item_name, "place": c.place,
             "books": _amount(c.expected, c.unit),
             "counted": _amount(c.counted, c.unit) if c.counted is not None
             else _("not counted"),
             "by": names.get(c.counted_by_id, "") if c.counted_by_id else ""}
            for c in DayCount.select().where(DayCount.check == check.id).order_by(DayCount.id)]


def _notes(check: DayCheck | None, names: dict[int, str]) -> list[dict]:
    if check is None:
        return []
    notes = list(WaitingNote.select().where(WaitingNote.check == check.id)
                 .order_by(WaitingNote.id))
    ids = [n.message_id for n in notes]
    messages = {m.id: m for m in OutboxMessage.select().where(OutboxMessage.id.in_(ids))
                } if ids else {}
    rows = []
    for note in notes:
        message = messages.get(note.message_id)
        rows.append({"message": day_close.describe(message) if message
                     else _("message {number}", number=str(note.message_id)),
                     "queued": _when(message.created_at) if message else "",
                     "reason": Known(note.reason), "note": note.note,
                     "by": _("{name}, {when}", name=names.get(note.by_id, "?"),
                             when=_when(note.at)),
                     "now": day_status.STATE_WORDS.get(message.status, message.status)
                     if message else _("gone")})
    return rows


def _tally(rows: list[dict]) -> Phrase:
    if not rows:
        return _("no differences")
    ways = {}
    for row in rows:
        ways[row["how"]] = ways.get(row["how"], 0) + 1
    said = [_("{count} {how}", count=n, how=recon.SETTLED_WORDS.get(how, how))
            for how, n in sorted(ways.items(), key=lambda w: str(recon.SETTLED_WORDS.get(
                w[0], w[0])))]
    return _("{differences}: {ways}", differences=n_(
        "{count} difference", "{count} differences", len(rows)), ways=joined(said, ", "))


def of_day(day: dt.date) -> dict:
    """The opening signed on ``day`` (of the day before's sales) and the day's closing."""
    opening, closing = day_status.latest(day - dt.timedelta(days=1), "open"), \
        day_status.latest(day, "close")
    names = dict(Employee.select(Employee.id, Employee.name).tuples())
    found = {"opening": opening, "closing": closing,
             "sales_day": day - dt.timedelta(days=1),
             "sales_words": recon.day_words(day - dt.timedelta(days=1)),
             "opening_state": _state(opening, names), "closing_state": _state(closing, names),
             "opening_rows": _differences(opening, names),
             "closing_rows": _differences(closing, names),
             "counted": _counted(closing, names), "notes": _notes(closing, names)}
    off = sum(1 for r in found["closing_rows"] if r["what"] == recon.KIND_WORDS["count"])
    opened = (_("{state}; {tally}", state=found["opening_state"],
                tally=_tally(found["opening_rows"])) if opening else found["opening_state"])
    closed = (_("{state}; {counted} counted, {off} off the books; {notes} explained",
                state=found["closing_state"], counted=len(found["counted"]), off=off,
                notes=n_("{count} waiting message", "{count} waiting messages",
                         len(found["notes"])))
              if closing else found["closing_state"])
    found["lines"] = [(_("Opening ({day} sales)", day=recon.day_words(found["sales_day"])),
                       opened),
                      (KINDS["close"], closed)]
    return found

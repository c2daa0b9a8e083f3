"""The questions opening reconciliation asks, so ``workflows/open_store.py`` reads as SOP §7.

A store day's sales on both sides, package tag by package tag: what the POS sold (its lines
in ``PosSale``, returns taken off, voids left out) against what Metrc's receipts say was
sold (``MetrcReceipt``, as the syncer last pulled them). Every tag whose figures differ is a
``DayDifference`` of one kind: sold in the POS but not reported, reported but not sold,
quantities that differ, a void or a return Metrc never heard of. Each is settled by a
manager: explained (a reason and a note), corrected (the receipts Metrc should hold, sent
through the outbox: a new receipt, a receipt fixed, or one voided; ``receipt_fixes``), or
escalated to an
investigation (a ``Variance`` for SOP §6). Also: how fresh each side's figures are, and
the day's best sellers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from peewee import fn

from kiosk import clock, figures
from kiosk.models import Count, CountLine, Item, MetrcReceipt, Package, Variance
from kiosk.models.reconciliation import DayCheck, DayDifference
from kiosk.models.sync import PosSale, SyncState
from kiosk.words import UNIT_WORDS, Number, Phrase, _, n_

# SyncState rows the syncer keeps (``kiosk/sync/sales_pulls.py``) and this module reads.
RECEIPTS_KEY = "pull:receipts"
POS_SALES_KEY = "pull:pos_sales"
ASKED_KEY = "pull:sales:asked"
STALE = dt.timedelta(minutes=30)
KIND_WORDS = {"unreported": _("Sold in the POS, not reported to Metrc"),
              "unsold": _("Reported to Metrc, not sold in the POS"),
              "quantity": _("Quantities differ"),
              "void": _("Voided in the POS, still in Metrc"),
              "return": _("Returned in the POS, not in Metrc"),
              "count": _("Counted differs from the books")}
# How a difference was settled, as a check keeps it.
SETTLED_WORDS = {"corrected": _("corrected"), "explained": _("explained"),
                 "escalated": _("escalated"), "": _("not settled")}
CHUNK = 500
ESCALATED = "reconciliation"  # the scope of a count holding a reconciliation's escalations


def q(value) -> Decimal:
    return Decimal(str(value or 0))


def amount_text(value: Decimal, unit: str = "Each") -> str:
    """'3', '3.5 g', '2 Ounces': the number in the reader's language, and the unit."""
    text = f"{q(value).normalize():f}"
    number = Number(q(value).normalize(), text)
    if unit == "Each":
        return _("{number}", number=number)
    return _("{number} {unit}", number=number,
             unit=UNIT_WORDS["g"] if unit == "Grams" else UNIT_WORDS.get(unit, unit))


# Days and times in workflows' and records' words, said in the reader's language: the
# English is what ``%a %d %b`` and ``%A %d %B %Y`` have always written.
WEEKDAYS = (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"),
            _("Saturday"), _("Sunday"))
SHORT_WEEKDAYS = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
MONTHS = (_("January"), _("February"), _("March"), _("April"), _("May"), _("June"),
          _("July"), _("August"), _("September"), _("October"), _("November"),
          _("December"))
SHORT_MONTHS = (_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"),
                _("Aug"), _("Sep"), _("Oct"), _("Nov"), _("Dec"))


def day_words(day: dt.date, long: bool = False) -> Phrase:
    """'Mon 23 Nov', or with ``long`` 'Monday 23 November 2026'."""
    if long:
        return _("{weekday} {day} {month} {year}", weekday=WEEKDAYS[day.weekday()],
                 day=day.strftime("%d"), month=MONTHS[day.month - 1], year=str(day.year))
    return _("{weekday} {day} {month}", weekday=SHORT_WEEKDAYS[day.weekday()],
             day=day.strftime("%d"), month=SHORT_MONTHS[day.month - 1])


def date_words(day: dt.date | str) -> Phrase | str:
    """A date in figures: '2026-11-23' in English, '23/11/2026' in Spanish."""
    if not day:
        return ""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day[:10])
    return _("{year}-{month}-{day}", year=str(day.year), month=day.strftime("%m"),
             day=day.strftime("%d"))


def stamp_words(at: dt.datetime | None) -> Phrase | str:
    """A record's time (naive UTC) on the store's clock, in figures: '2026-11-23 14:05'."""
    if not at:
        return ""
    wall = clock.local(at)
    return _("{date} {time}", date=date_words(wall.date()), time=wall.strftime("%H:%M"))


def when_words(at: dt.datetime | None) -> Phrase:
    """A record's time (naive UTC) on the store's clock: '14:05 on Mon 23 Nov'."""
    if not at:
        return _("never")
    wall = clock.local(at)
    return _("{time} on {day}", time=wall.strftime("%H:%M"), day=day_words(wall.date()))


def day_time_words(at: dt.datetime | None) -> Phrase | str:
    """A record's time on the store's clock: 'Mon 23 Nov 14:05'."""
    if not at:
        return ""
    wall = clock.local(at)
    return _("{day} {time}", day=day_words(wall.date()), time=wall.strftime("%H:%M"))


# -- what each side says ----------------------------------------------------------------------
def _stamp(key: str) -> dict:
    row = SyncState.get_or_none(SyncState.key == key)
    return dict(row.value) if row else {}


def _at(text) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def freshness(day: dt.date, now: dt.datetime | None = None) -> dict:
    """How far each side's figures for ``day`` can be trusted: ``metrc`` and ``pos`` each
    ``{"covered", "at", "error", "stale"}`` (covered: a pull read the whole day), ``asked``
    (a pull a person asked for and the syncer has not yet made)."""
    now = now or clock.now()
    start, end = clock.store_day_bounds(day, day)
    found = {}
    for side, key in (("metrc", RECEIPTS_KEY), ("pos", POS_SALES_KEY)):
        stamp = _stamp(key)
        since, upto, at = _at(stamp.get("since")), _at(stamp.get("end")), _at(stamp.get("at"))
        covered = bool(since and upto and since <= start and upto >= min(end, now))
        found[side] = {"covered": covered, "at": at, "error": stamp.get("error") or "",
                       "stale": at is None or now - at > STALE, "pulled": bool(stamp)}
    asked = _stamp(ASKED_KEY)
    asked_at = _at(asked.get("at"))
    pulled = [s["at"] for s in found.values() if s["at"]]
    found["asked"] = asked_at if asked_at and (not pulled or max(pulled) < asked_at) else None
    return found


def ask_for_pull(day: dt.date, actor_name: str, now: dt.datetime) -> None:
    """Ask the syncer to pull both sides now, from ``day``'s start (call inside a write):
    a workflow cannot call out itself; the syncer looks for this every few seconds."""
    value = {"at": now.isoformat(), "day": day.isoformat(), "by": actor_name}
    if not SyncState.update(value=value, updated_at=now).where(
            SyncState.key == ASKED_KEY).execute():
        SyncState.create(key=ASKED_KEY, value=value, updated_at=now)


def _bounds(day: dt.date):
    start, end = clock.store_day_bounds(day, day)
    return (PosSale.sold_at >= start) & (PosSale.sold_at < end)


def pos_lines(day: dt.date) -> list[tuple]:
    """The POS's lines of ``day``: (tag, kind, quantity, unit, receipt, sold_at), as rows
    (a day's thousands of lines are read as tuples, not records: ten times quicker)."""
    return list(PosSale.select(PosSale.tag, PosSale.kind, PosSale.quantity, PosSale.unit,
                               PosSale.receipt, PosSale.sold_at)
                .where(_bounds(day)).order_by(PosSale.sold_at).tuples())


def receipts(day: dt.date) -> list[MetrcReceipt]:
    """Metrc's receipts of ``day`` (voided ones included: they sell nothing)."""
    return list(MetrcReceipt.select().where(MetrcReceipt.sold_on == day)
                .order_by(MetrcReceipt.sold_at))


def standing(receipt: MetrcReceipt) -> list[dict]:
    """The receipt's lines once the fixes we sent land (as pulled, when none was sent)."""
    if receipt.archived:
        return []
    return receipt.corrected if receipt.corrected is not None else receipt.lines


def _kind(pos: Decimal, metrc: Decimal, voided: bool, returned: bool) -> str:
    if metrc == 0:
        return "unreported"
    if pos < metrc and voided:
        return "void"
    if pos < metrc and returned:
        return "return"
    return "unsold" if pos <= 0 else "quantity"


def compare(day: dt.date) -> list[dict]:
    """Every package whose POS and Metrc figures for ``day`` differ, by tag: ``tag, kind,
    pos, metrc, unit, detail`` (the POS lines and Metrc receipts behind the figures)."""
    pos, metrc = defaultdict(Decimal), defaultdict(Decimal)
    detail = defaultdict(lambda: {"pos": [], "metrc": []})
    flags = defaultdict(set)
    units = {}
    for tag, kind, quantity, unit, receipt, sold_at in pos_lines(day):
        quantity = q(quantity)
        if kind == "sale":
            pos[tag] += quantity
        elif kind == "return":
            pos[tag] -= quantity
        flags[tag].add(kind)
        units.setdefault(tag, unit)
        detail[tag]["pos"].append([receipt, kind, str(quantity), sold_at])
    held = (MetrcReceipt.select(MetrcReceipt.metrc_id, MetrcReceipt.external_number,
                                MetrcReceipt.archived, MetrcReceipt.lines,
                                MetrcReceipt.corrected)
            .where(MetrcReceipt.sold_on == day).order_by(MetrcReceipt.sold_at).tuples())
    for metrc_id, number, archived, lines, corrected in held:
        for line in [] if archived else corrected if corrected is not None else lines:
            metrc[line["tag"]] += q(line["quantity"])
            units.setdefault(line["tag"], line.get("unit") or "Each")
        for line in lines:
            detail[line["tag"]]["metrc"].append([metrc_id, number, line["quantity"],
                                                 bool(archived)])
    found = []
    for tag in sorted(set(pos) | set(metrc)):
        if pos[tag] == metrc[tag]:
            continue
        for line in detail[tag]["pos"]:  # the store's clock, only where it is shown
            line[3] = f"{clock.local(line[3]):%H:%M}"
        found.append({"tag": tag, "pos": pos[tag], "metrc": metrc[tag],
                      "unit": units.get(tag, "Each"), "detail": detail[tag],
                      "kind": _kind(pos[tag], metrc[tag], "void" in flags[tag],
                                    "return" in flags[tag])})
    return found


def item_names(tags) -> dict[str, str]:
    tags, names = sorted(set(tags)), {}
    for start in range(0, len(tags), CHUNK):
        names.update(Package.select(Package.tag, Item.name).join(Item)
                     .where(Package.tag.in_(tags[start:start + CHUNK])).tuples())
    return names


def day_figures(day: dt.date) -> dict:
    """What the comparison stands on, for the screen and the record."""
    kinds = dict(PosSale.select(PosSale.kind, fn.COUNT(PosSale.id)).where(_bounds(day))
                 .group_by(PosSale.kind).tuples())
    held = dict(MetrcReceipt.select(MetrcReceipt.archived, fn.COUNT(MetrcReceipt.id))
                .where(MetrcReceipt.sold_on == day).group_by(MetrcReceipt.archived).tuples())
    voided = sum(n for archived, n in held.items() if archived)
    return {"pos_lines": sum(kinds.values()), "pos_voids": kinds.get("void", 0),
            "pos_returns": kinds.get("return", 0),
            "metrc_receipts": sum(held.values()) - voided, "metrc_voided": voided}


def sales_words(seen: dict) -> Phrase:
    """The POS's side of ``day_figures`` in words: 76 sale lines (3 voided, 1 return)."""
    return _("{lines} ({voids} voided, {returns})",
             lines=n_("{count} sale line", "{count} sale lines", seen["pos_lines"]),
             voids=seen["pos_voids"],
             returns=n_("{count} return", "{count} returns", seen["pos_returns"]))


def receipt_words(seen: dict) -> Phrase:
    return _("{receipts} ({voided} voided)",
             receipts=n_("{count} receipt", "{count} receipts", seen["metrc_receipts"]),
             voided=seen["metrc_voided"])


# -- a check and its differences ------------------------------------------------------------
def begin(run_id: int, kind: str, day: dt.date, actor, now: dt.datetime) -> DayCheck:
    """This run reconciles ``day`` (call inside a write)."""
    return DayCheck.create(day=day, kind=kind, run_id=run_id, started_by=actor,
                           started_at=now, figures={})


def signed_check(day: dt.date, kind: str) -> DayCheck | None:
    """The day's signed check of this kind, if there is one (the latest)."""
    return (DayCheck.select().where(DayCheck.day == day, DayCheck.kind == kind,
                                    DayCheck.status == "signed")
            .order_by(DayCheck.id.desc()).first())


def check_of(run) -> DayCheck:
    return DayCheck.get(DayCheck.run_id == run.id)


def keep_differences(check: DayCheck, found: list[dict], now: dt.datetime) -> int:
    """Record the comparison's differences on the check (call inside a write)."""
    names = item_names(d["tag"] for d in found)
    for start in range(0, len(found), 100):
        DayDifference.insert_many([
            {"check": check.id, "day": check.day, "tag": d["tag"], "kind": d["kind"],
             "item_name": names.get(d["tag"], "not in our records"), "unit": d["unit"],
             "pos": d["pos"], "metrc": d["metrc"], "detail": d["detail"], "found_at": now,
             "messages": []}
            for d in found[start:start + 100]]).execute()
    return len(found)


def unsettled(check_id: int) -> DayDifference | None:
    """The next difference no one has settled yet, in the order they were found."""
    return (DayDifference.select().where(DayDifference.check == check_id,
                                         DayDifference.settled == "")
            .order_by(DayDifference.id).first())


def tally(check_id: int) -> tuple[int, int]:
    """(settled, found) for the check."""
    rows = list(DayDifference.select(DayDifference.settled)
                .where(DayDifference.check == check_id).tuples())
    return sum(1 for (s,) in rows if s), len(rows)


def settle(difference: DayDifference, how: str, actor, now: dt.datetime, reason: str = "",
           note: str = "", messages: list[str] | None = None) -> None:
    """Write down how a difference was settled (call inside a write)."""
    DayDifference.update(settled=how, reason=reason, note=note, settled_by=actor,
                         settled_at=now, messages=messages or []).where(
        DayDifference.id == difference.id).execute()


def words(difference: DayDifference) -> Phrase:
    """The difference in one sentence (the investigator reads it with the variance)."""
    unit = difference.unit
    if difference.kind == "count":
        figures_said = _("counted {counted}, the books said {expected}",
                         counted=amount_text(difference.counted, unit),
                         expected=amount_text(difference.expected, unit))
    else:
        figures_said = _("the POS sold {pos}, Metrc's receipts say {metrc}",
                         pos=amount_text(difference.pos, unit),
                         metrc=amount_text(difference.metrc, unit))
    return _("{what} on {day}: {figures}", what=KIND_WORDS[difference.kind],
             day=day_words(difference.day), figures=figures_said)


def escalate(difference: DayDifference, actor, now: dt.datetime) -> Variance:
    """Send a difference to investigation: a ``Variance`` the variance investigation
    (SOP §6) takes up, under a closed count of the day's reconciliation, with the package's
    four figures as they stand (call inside a write)."""
    check = DayCheck.get_by_id(difference.check_id)
    title = (f"{'Opening' if check.kind == 'open' else 'Closing'} reconciliation, "
             f"{check.day:%a %d %b %Y}")
    count = Count.get_or_none(Count.scope == ESCALATED, Count.title == title)
    if count is None:
        count = Count.create(title=title, scope=ESCALATED, due_on=check.day, status="closed",
                             scheduled_by=actor, created_at=now, started_at=now,
                             finished_at=now, closed_at=now,
                             note="Differences a reconciliation sent to investigation.")
    package = Package.one(tag=difference.tag)
    ledger = package.quantity if package is not None else None
    line = CountLine.get_or_none(CountLine.count == count.id, CountLine.tag == difference.tag)
    if line is None:
        line = CountLine.create(
            count=count.id, tag=difference.tag, package=package, item_name=difference.item_name,
            unit=difference.unit, expected=True, ledger=ledger, counted=difference.counted,
            records_place=words(difference)[:250])
    variance = Variance.create(
        count=count.id, line=line.id, tag=difference.tag, package=package,
        item_name=difference.item_name, unit=difference.unit, kind="quantity",
        physical=difference.counted, ledger=ledger,
        pos=figures.pos_figures([difference.tag]).get(difference.tag),
        metrc=figures.metrc_figures([difference.tag]).get(difference.tag),
        state="investigating", recount="confirmed", found_at=now)
    DayDifference.update(detail={**difference.detail, "variance": variance.id}).where(
        DayDifference.id == difference.id).execute()
    return variance


# -- what sold --------------------------------------------------------------------------------
def best_sellers(day: dt.date, size: int) -> list[str]:
    """The tags that sold the most units on ``day`` (net of returns), most first, among the
    packages the store holds in stock."""
    net = defaultdict(Decimal)
    for tag, kind, quantity, *_rest in pos_lines(day):
        if kind != "void":
            net[tag] += q(quantity) * (-1 if kind == "return" else 1)
    stocked = set()
    tags = sorted(net)
    for start in range(0, len(tags), CHUNK):
        stocked.update(t for (t,) in Package.select(Package.tag).where(
            Package.tag.in_(tags[start:start + CHUNK]), Package.status == "active").tuples())
    ranked = sorted((t for t in net if t in stocked and net[t] > 0),
                    key=lambda t: (-net[t], t))
    return ranked[:size]

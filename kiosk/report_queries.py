"""The questions the end-of-day report asks of one store day's records (SOP §7.3).

Each function takes the day's bounds in the records' naive UTC (``clock.store_day_bounds``)
and answers from the records as they stand: what happened that day (receipts, moves, counts,
variances, adjustments, quarantines, destructions, vault visits, sales), and what stood at
the day's end (messages still waiting for Metrc or the POS, stock on hand and what of it
expires within 30 days). "At the day's end" is read from the ledger up to that moment, so a
report of a past day says what that day's close saw, not what the shelves hold now.

Rows are plain dicts of what a person reads (times already on the store's clock); figures
that tests and the slip need stay numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from peewee import JOIN, fn

from kiosk import clock, day_close, visitors
from kiosk.counts import STATUS_WORDS as COUNT_STATUS_WORDS
from kiosk.manifests import quantity_text
from kiosk.models import (
    Employee,
    Item,
    Location,
    Movement,
    OutboxMessage,
    Package,
    PosSale,
    Transfer,
    VaultVisit,
)
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.reconciliation import date_words, stamp_words
from kiosk.variances import STATE_WORDS as VARIANCE_STATE_WORDS
from kiosk.words import Known, Number, _

RECEIVING = ("receipt", "reject")
# Quarantine and destruction: receiving's quarantine moves today, the holds and destructions
# of SOP §5 once they record theirs under these kinds.
QUARANTINE = ("quarantine",)
RELEASE = ("release",)
DESTRUCTION = ("destroy", "destruction")
ENDED = ("empty", "rejected", "returned", "destroyed", "not_received")  # stock no more
OPEN_MESSAGES = ("pending", "sending", "attention")
EXPIRY_DAYS = 30
VELOCITY_DAYS = 7  # sales velocity: units a day over the week ending with the report's day
RANKED = 10  # items in the fastest and the slowest lists
MANIFEST = re.compile(r"manifest (\S+)")
# Codes the records keep, in the words the report gives them (a code not here: as it is).
VARIANCE_KIND_WORDS = {"missing": _("not found"), "extra": _("not expected here"),
                       "quantity": _("quantity differs")}
RESOLUTION_WORDS = {"adjusted": _("adjusted"), "fixed elsewhere": _("fixed elsewhere"),
                    "cleared by recount": _("cleared by recount"),
                    "cleared": _("cleared by recount"), "confirmed": _("confirmed by recount")}
CHANGE_WORDS = {"quarantine": _("quarantined"), "release": _("released"),
                "destroy": _("destroyed"), "destruction": _("destroyed"),
                "adjust": _("adjusted")}


def _words(table: dict, code):
    return table.get(code, code)


def _figure(text: str):
    """A figure as English writes it ('1.7'), said the reader's way ('1,7')."""
    try:
        return _("{number}", number=Number(Decimal(text), text))
    except ArithmeticError:
        return text


def _time(at: dt.datetime | None, fmt: str = "%H:%M") -> str:
    return clock.local(at).strftime(fmt) if at else ""


def _dec(value) -> Decimal:
    return Decimal(str(value or 0))


def _names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(Employee.select(Employee.id, Employee.name).where(Employee.id.in_(ids)).tuples())


def places() -> dict[int, str]:
    """Every location's name by id (a store has tens)."""
    return dict(Location.select(Location.id, Location.name).tuples())


def _movements(kinds: tuple, since: dt.datetime, until: dt.datetime):
    return (Movement.select(Movement, Package, Item).join(Package).join(Item)
            .where(Movement.kind.in_(kinds), Movement.at >= since, Movement.at < until)
            .order_by(Movement.at, Movement.id))


def receipts(since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Deliveries taken in that day, one row per manifest (or per source without one):
    packages accepted and rejected, units received net of changed verdicts, who, when."""
    rows = list(Movement.select(Movement.run_id, Movement.kind, Movement.quantity,
                                Movement.reason, Movement.at, Movement.actor)
                .where(Movement.at >= since, Movement.at < until,
                       (Movement.kind.in_(RECEIVING))
                       | ((Movement.kind == "correction") & Movement.run_id.in_(
                           Movement.select(Movement.run_id).where(
                               Movement.kind.in_(RECEIVING), Movement.at >= since,
                               Movement.at < until))))
                .order_by(Movement.id).tuples())
    runs = {r[0] for r in rows if r[0]}
    manifests = dict(Transfer.select(Transfer.run_id, Transfer.manifest_number)
                     .where(Transfer.run_id.in_(runs)).tuples()) if runs else {}
    shippers = dict(Transfer.select(Transfer.manifest_number, Transfer.shipper_name)
                    .where(Transfer.run_id.in_(runs)).tuples()) if runs else {}
    names = _names(r[5] for r in rows)
    grouped: dict[str, dict] = {}
    for run_id, kind, quantity, reason, at, actor in rows:
        found = MANIFEST.search(reason or "")
        manifest = manifests.get(run_id) or (found.group(1) if found else "")
        key = manifest or reason or kind
        row = grouped.setdefault(key, {
            "manifest": manifest, "source": shippers.get(manifest, "") or
            ("" if manifest else (reason or "").capitalize()),
            "accepted": 0, "rejected": 0, "units": Decimal(0), "people": [], "first": at,
            "last": at})
        if kind == "receipt":
            row["accepted"] += 1
        elif kind == "reject":
            row["rejected"] += 1
        row["units"] += _dec(quantity)
        row["last"] = at
        if names.get(actor) and names[actor] not in row["people"]:
            row["people"].append(names[actor])
    for row in grouped.values():
        row["units_text"] = quantity_text(row["units"])
        row["when"] = _time(row["first"]) + ("" if row["first"] == row["last"]
                                             else f"-{_time(row['last'])}")
        row["by"] = ", ".join(row["people"])
    return list(grouped.values())


def moves(since: dt.datetime, until: dt.datetime, names: dict[int, str]) -> list[dict]:
    """Moves that day, by route (from where to where), busiest first."""
    routes = (Movement.select(Movement.from_location, Movement.to_location,
                              fn.COUNT(Movement.id).alias("n"))
              .where(Movement.kind == "move", Movement.at >= since, Movement.at < until)
              .group_by(Movement.from_location, Movement.to_location).tuples())
    rows = [{"from": names.get(a, "-"), "to": names.get(b, "-"), "moves": n}
            for a, b, n in routes]
    return sorted(rows, key=lambda r: (-r["moves"], r["from"], r["to"]))


def stock_changes(kinds: tuple, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Movements of ``kinds`` that day, each with its package, reason, who and when."""
    rows = list(_movements(kinds, since, until))
    names = _names(m.actor_id for m in rows)
    return [{"tag": m.package.tag, "item": m.package.item.name, "kind": m.kind,
             "kind_text": _words(CHANGE_WORDS, m.kind),
             "change": quantity_text(m.quantity) if m.quantity else "",
             "quantity": _dec(m.quantity), "reason": m.reason, "note": m.note,
             "by": names.get(m.actor_id, ""), "when": _time(m.at)} for m in rows]


def counts(day: dt.date, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Counts due, started, finished or closed that day, with how far each got."""
    def within(field):
        return (field >= since) & (field < until)

    found = list(Count.select().where(within(Count.started_at) | within(Count.finished_at)
                                      | within(Count.closed_at) | (Count.due_on == day))
                 .order_by(Count.id))
    ids = [c.id for c in found]
    counted = dict(CountLine.select(CountLine.count, fn.COUNT(CountLine.id))
                   .where(CountLine.count.in_(ids), CountLine.counted.is_null(False))
                   .group_by(CountLine.count).tuples()) if ids else {}
    variances = dict(Variance.select(Variance.count, fn.COUNT(Variance.id))
                     .where(Variance.count.in_(ids))
                     .group_by(Variance.count).tuples()) if ids else {}
    return [{"title": Known(c.title), "status": c.status,
             "status_text": _words(COUNT_STATUS_WORDS, c.status), "expected": c.expected,
             "counted": counted.get(c.id, 0), "variances": variances.get(c.id, 0),
             "closed": _time(c.closed_at)} for c in found]


def variances_found(since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Variances counts found that day, with the four figures they were found with."""
    return [{"tag": v.tag, "item": v.item_name, "kind": v.kind,
             "kind_text": _words(VARIANCE_KIND_WORDS, v.kind),
             "physical": quantity_text(v.physical), "ledger": quantity_text(v.ledger),
             "pos": quantity_text(v.pos), "metrc": quantity_text(v.metrc), "state": v.state,
             "state_text": _words(VARIANCE_STATE_WORDS, v.state),
             "when": _time(v.found_at)}
            for v in Variance.select().where(Variance.found_at >= since,
                                             Variance.found_at < until).order_by(Variance.id)]


def variances_resolved(since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Variances closed that day, and how each was resolved."""
    return [{"tag": v.tag, "item": v.item_name, "resolution": v.resolution or v.recount,
             "resolution_text": _words(RESOLUTION_WORDS, v.resolution or v.recount),
             "adjustment": quantity_text(v.adjustment) if v.adjustment is not None else "",
             "reason": v.adjustment_reason or v.cause, "incident": v.incident,
             "when": _time(v.closed_at)}
            for v in Variance.select().where(Variance.closed_at >= since,
                                             Variance.closed_at < until).order_by(Variance.id)]


def waiting(since: dt.datetime, until: dt.datetime, now: dt.datetime) -> list[dict]:
    """Messages for Metrc or the POS still undelivered at the day's end (for today: now),
    oldest first, with how long each has waited."""
    end = min(until, now)
    rows = (OutboxMessage.select()
            .where(OutboxMessage.created_at < end,
                   OutboxMessage.status.in_(OPEN_MESSAGES)
                   | ((OutboxMessage.status == "delivered")
                      & (OutboxMessage.delivered_at >= end)))
            .order_by(OutboxMessage.created_at, OutboxMessage.id))
    found = []
    for m in rows:
        status = m.status if m.status in OPEN_MESSAGES else "pending"
        hours = round((end - m.created_at).total_seconds() / 3600, 1)
        found.append({"id": m.id, "target": m.target,
                      "target_text": _words(day_close.TARGET_WORDS, m.target),
                      "kind": m.kind, "about": m.ordering_key,
                      "kind_text": day_close.KIND_WORDS.get(m.kind, Known(m.kind)),
                      "about_text": _about(m),
                      "created": _time(m.created_at, "%Y-%m-%d %H:%M"),
                      "created_text": stamp_words(m.created_at),
                      "hours": hours,  # and as the reader writes it: "33.0", "33,0"
                      "hours_text": _("{number}", number=Number(hours, f"{hours:.1f}", 1)),
                      "status": status, "status_text": _words(day_close.STATE_WORDS, status),
                      "error": m.last_error})
    return found


def _about(message: OutboxMessage):
    """A package by its tag alone (the column says what the message is); a manifest or a
    receipt by name, since its number alone could be either."""
    if message.kind in ("transfer.received", "transfer.returned", "sale.receipt"):
        return day_close.subject(message)
    return message.ordering_key


def on_hand_at(until: dt.datetime) -> dict[int, Decimal]:
    """Each item's stock on the ledger at ``until`` (the sum of its packages' movements)."""
    return {item: _dec(total) for item, total in
            (Movement.select(Package.item, fn.SUM(Movement.quantity))
             .join(Package).where(Movement.at < until)
             .group_by(Package.item).tuples())}


def sold(since: dt.datetime, until: dt.datetime) -> dict[int, Decimal]:
    """Units the POS reported sold per item between ``since`` and ``until``."""
    return {item: _dec(total) for item, total in
            (PosSale.select(Package.item, fn.SUM(PosSale.quantity))
             .join(Package, on=(Package.tag == PosSale.tag))
             .where(PosSale.sold_at >= since, PosSale.sold_at < until)
             .group_by(Package.item).tuples())}


def velocity(day: dt.date, until: dt.datetime) -> dict:
    """Sales velocity over the ``VELOCITY_DAYS`` ending with ``day``: the fastest items (most
    units a day) and the slowest (in stock at the day's end, fewest sold)."""
    first = day - dt.timedelta(days=VELOCITY_DAYS - 1)
    week_since, _ = clock.store_day_bounds(first, day)
    day_since, _ = clock.store_day_bounds(day, day)
    week, today, stock = sold(week_since, until), sold(day_since, until), on_hand_at(until)
    items = dict(Item.select(Item.id, Item.name).tuples())
    units = dict(Item.select(Item.id, Item.unit).tuples())

    def row(item_id):
        return {"item": items.get(item_id, "?"), "unit": units.get(item_id, ""),
                "week": week.get(item_id, Decimal(0)), "day": today.get(item_id, Decimal(0)),
                "per_day": week.get(item_id, Decimal(0)) / VELOCITY_DAYS,
                "on_hand": stock.get(item_id, Decimal(0))}

    fastest = sorted((row(i) for i, n in week.items() if n > 0),
                     key=lambda r: (-r["week"], r["item"]))[:RANKED]
    slowest = sorted((row(i) for i, n in stock.items() if n > 0),
                     key=lambda r: (r["week"], -r["on_hand"], r["item"]))[:RANKED]
    for r in fastest + slowest:
        r.update(week_text=_figure(quantity_text(r["week"])),
                 day_text=_figure(quantity_text(r["day"])),
                 per_day_text=_figure(f"{r['per_day']:.1f}"),
                 on_hand_text=_figure(quantity_text(r["on_hand"])))
    return {"fastest": fastest, "slowest": slowest, "first": first}


def sales_by_hour(since: dt.datetime, until: dt.datetime) -> dict[int, Decimal]:
    """Units sold in each hour of the store's clock that day (hours with none left out)."""
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for at, quantity in (PosSale.select(PosSale.sold_at, PosSale.quantity)
                         .where(PosSale.sold_at >= since, PosSale.sold_at < until).tuples()):
        hours[clock.local(at).hour] += _dec(quantity)
    return dict(hours)


def sales_totals(since: dt.datetime, until: dt.datetime) -> dict:
    """The day's sales lines, receipts and units as the POS reported them."""
    lines, tickets, units = (PosSale.select(fn.COUNT(PosSale.id),
                                            fn.COUNT(PosSale.receipt.distinct()),
                                            fn.SUM(PosSale.quantity))
                             .where(PosSale.sold_at >= since, PosSale.sold_at < until)
                             .tuples().get())
    return {"lines": lines, "receipts": tickets, "units": _dec(units)}


def expiring(day: dt.date, until: dt.datetime, names: dict[int, str]) -> list[dict]:
    """Stock on hand at the day's end that expires within ``EXPIRY_DAYS`` of the day, one row
    per item (its soonest date first), with how many packages, how much and where.

    One row an item, not one a date: in a store of 10,000 packages a row a date and item ran
    to some 800 rows and 20 pages of the PDF, which took longer to lay out than the report's
    five seconds; what a manager acts on is which items to sell or pull first, and the soonest
    package of each is what the pick queue hands out first anyway (FIFO, expiry first)."""
    last = day + dt.timedelta(days=EXPIRY_DAYS)
    candidates = (Package.select(Package.id)
                  .where(Package.expires_on >= day, Package.expires_on <= last,
                         Package.status.not_in(ENDED)))
    held: dict[int, Decimal] = defaultdict(Decimal)
    place: dict[int, int] = {}
    for package_id, quantity, to_location in (
            Movement.select(Movement.package, Movement.quantity, Movement.to_location)
            .where(Movement.package.in_(candidates), Movement.at < until)
            .order_by(Movement.id).tuples()):
        held[package_id] += _dec(quantity)
        place[package_id] = to_location
    if not held:
        return []
    grouped: dict[tuple, dict] = {}
    for package_id, expires_on, item, unit in (
            Package.select(Package.id, Package.expires_on, Item.name, Package.unit)
            .join(Item).where(Package.id.in_(candidates)).tuples()):
        if held.get(package_id, 0) <= 0:
            continue
        row = grouped.setdefault((item, unit), {
            "expires": expires_on, "item": item, "unit": unit, "packages": 0,
            "units": Decimal(0), "where": set()})
        row["expires"] = min(row["expires"], expires_on)
        row["packages"] += 1
        row["units"] += held[package_id]
        row["where"].add(names.get(place.get(package_id), "-"))
    rows = sorted(grouped.values(), key=lambda r: (r["expires"], r["item"]))
    for row in rows:
        row["days"] = (row["expires"] - day).days
        row["expires"] = date_words(row["expires"])
        row["units_text"] = Known(quantity_text(row["units"], row["unit"]))
        row["where"] = places_text(row["where"])
    return rows


def places_text(names) -> str:
    """Places in short: shelves of one row written once ("Vault shelf A1, A2, B4"), other
    places in full, groups apart by semicolons. Half the words of a store's busy rows, and
    the PDF lays out every word of every line."""
    groups: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for name in sorted(names):
        head, _, code = name.rpartition(" ")
        if head and any(c.isdigit() for c in code):
            groups[head, True].append(code)
        else:
            groups[name, False] = []
    return "; ".join(f"{key} {', '.join(codes)}" if shelf else key
                     for (key, shelf), codes in sorted(groups.items()))


def vault_visits(since: dt.datetime, until: dt.datetime, now: dt.datetime) -> list[dict]:
    """The day's vault entries: who, with whom, the visitors they took in, why, in and out,
    how long, which screen."""
    First, Second = Employee.alias(), Employee.alias()
    visits = (VaultVisit.select(VaultVisit, First.name.alias("first_name"),
                                Second.name.alias("second_name"))
              .join(First, JOIN.LEFT_OUTER, on=(VaultVisit.first_person == First.id))
              .switch(VaultVisit)
              .join(Second, JOIN.LEFT_OUTER, on=(VaultVisit.second_person == Second.id))
              .where(VaultVisit.entered_at >= since, VaultVisit.entered_at < until)
              .order_by(VaultVisit.entered_at).objects())
    visits = list(visits)
    guests = visitors.in_vault_visits(v.id for v in visits)
    return [{"entered": _time(v.entered_at), "first": v.first_name, "second": v.second_name,
             "visitors": ", ".join(visitors.who(g) for g in guests.get(v.id, [])),
             "purpose": Known(v.purpose),
             "exited": _time(v.exited_at) if v.exited_at else _("still inside"),
             "minutes": int(((v.exited_at or now) - v.entered_at).total_seconds() // 60),
             "station": v.station} for v in visits]

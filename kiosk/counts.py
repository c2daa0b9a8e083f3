"""The questions a cycle count asks, so ``workflows/cycle_count.py`` reads as SOP §3.

Scheduling (a location, a category, or a spot count of packages the kiosk picks), what a
count expects (its scope, fixed when counting begins), each package's line as it is counted
and recounted, and finishing an area: the four figures of every package (``figures``) and a
``Variance`` wherever they disagree. Expected quantities are kept on the lines for that
comparison; nothing here hands them to a screen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from peewee import JOIN, fn

from kiosk import clock, figures
from kiosk.manifests import quantity_text
from kiosk.models import Employee, Item, Location, Package, Run
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.models.sync import PosSale
from kiosk.words import Known, Number, _, keep, n_

SPOT_DAYS = 30  # a spot count takes every package not counted for this long
SPOT_MAX = 200
SHOWN_TAGS = 12  # tags listed on a screen; the rest are counted
COUNTED_PLACES = ("vault", "sales_floor")  # where a category or spot count looks
# Exact factors to grams (1 oz = 28.349523125 g): weights are converted, never rounded first.
GRAMS = {"g": Decimal(1), "kg": Decimal(1000), "mg": Decimal("0.001"),
         "oz": Decimal("28.349523125"), "lb": Decimal("453.59237")}
PACKAGE_UNITS = {"Grams": "g", "Kilograms": "kg", "Milligrams": "mg", "Ounces": "oz",
                 "Pounds": "lb"}
KIND_WORDS = {"missing": _("not found"), "extra": _("not expected here"),
              "quantity": _("quantity differs")}
# What a count's lines keep in English, said again in the reader's language (``Known``).
AREA_WORDS = {"this area": _("this area"), "this count": _("this count")}
PLACE_WORDS = (_("not in this store's records"), _("in no place"))
MONTHS = (_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"), _("Aug"),
          _("Sep"), _("Oct"), _("Nov"), _("Dec"))

# A count's status as the record keeps it, in words.
STATUS_WORDS = {"scheduled": _("scheduled"), "counting": _("counting"), "recount": _("recount"),
                "closed": _("closed"), "cancelled": _("cancelled")}


def day_words(day: dt.date):
    """'Nov 23' (English, as it always read), in the reader's language where it is shown."""
    return _("{month} {day}", month=MONTHS[day.month - 1],
             day=Number(day.day, f"{day.day:02d}"))


def title_words(count: Count):
    """A count's title (kept in English on the record) in the reader's language: a place's
    name as it is, 'All Flower', 'Spot count of 20 packages'."""
    if count.scope == "category":
        return _("All {category}", category=count.category)
    if count.scope == "spot" and count.spot_size:
        return n_("Spot count of {count} package", "Spot count of {count} packages",
                  count.spot_size)
    return count.title


def place_words(place: str):
    """Where the records put a package found where it was not expected (kept in English)."""
    if place.startswith("on "):
        return _("on {place}", place=place[3:])
    return Known(place)


def weighed(unit: str) -> bool:
    """A package in this unit is counted on the scale (a weight), not by the unit."""
    return unit in PACKAGE_UNITS


def in_package_unit(value: Decimal, scale_unit: str, package_unit: str) -> Decimal | None:
    """A weight as the scale gave it, in the package's unit (None if it cannot be)."""
    if scale_unit not in GRAMS or package_unit not in PACKAGE_UNITS:
        return None
    return value * GRAMS[scale_unit] / GRAMS[PACKAGE_UNITS[package_unit]]


# -- scheduling ------------------------------------------------------------------------------
def categories() -> list[str]:
    """The categories of the items the store has in stock, for scheduling and ad hoc counts."""
    return [c for (c,) in (Item.select(Item.category).distinct()
                           .join(Package).where(Package.status.in_(figures.IN_STOCK))
                           .order_by(Item.category).tuples())]


def count_places() -> list[Location]:
    """The places a count can be of: active vault shelves and the sales floor."""
    return list(Location.select().where(Location.active == True,  # noqa: E712
                                        Location.kind.in_(COUNTED_PLACES))
                .order_by(Location.kind.desc(), Location.code))


def schedule(scope: str, *, due_on: dt.date | None, by: Employee | None,
             location: Location | None = None, category: str = "",
             spot_size: int | None = None, note: str = "") -> Count:
    """A new count (call inside a write). Raises ValueError in words for a bad scope."""
    if scope == "location":
        if location is None or not location.active:
            raise ValueError(_("Choose a place to count."))
        title = location.name
    elif scope == "category":
        if category not in categories():
            raise ValueError(_("Choose a category the store has in stock."))
        title = f"All {category}"
    elif scope == "spot":
        if not spot_size or not 1 <= spot_size <= SPOT_MAX:
            raise ValueError(_("A spot count takes 1 to {most} packages.", most=SPOT_MAX))
        title = f"Spot count of {spot_size} packages"
    else:
        raise ValueError(_("Choose a place, a category or a spot count."))
    return Count.create(title=title, scope=scope, location=location, category=category,
                        spot_size=spot_size, due_on=due_on, scheduled_by=by,
                        created_at=clock.now(), note=note)


def due(today: dt.date) -> list[Count]:
    """Counts due today or earlier and not closed, oldest first (the home screen's tiles)."""
    return list(Count.select().where(Count.status.in_(("scheduled", "counting", "recount")),
                                     Count.due_on <= today)
                .order_by(Count.due_on, Count.id))


def stage(count: Count) -> str:
    """Where a count stands: "product" (counting), "recount", or "sign" (finished, nothing to
    recount): the step a run taking it up starts at."""
    if count.status == "recount":
        return "recount"
    return "sign" if count.finished_at is not None else "product"


def active_run(count: Count) -> Run | None:
    """The run counting it now, if one is in progress."""
    if count.run_id is None:
        return None
    return Run.get_or_none(Run.id == count.run_id, Run.status == "active")


# -- what a count expects --------------------------------------------------------------------
def _stock():
    return (Package.select(Package.id, Package.tag, Item.name, Package.unit)
            .join(Item).switch(Package).join(Location)
            .where(Package.status.in_(figures.IN_STOCK), Package.quantity > 0))


def spot_pick(size: int, now: dt.datetime) -> list[int]:
    """The packages a spot count takes: half the spots for the best sellers by value (then
    by units) over the last 30 days, the rest for packages not counted in 30 days (never
    counted first, then the longest ago); what is left fills from the best sellers."""
    since = now - dt.timedelta(days=SPOT_DAYS)
    stock = {pid: tag for pid, tag, *_ in _stock().where(Location.kind.in_(COUNTED_PLACES))
             .tuples()}
    sold = {tag: (amount or 0, quantity or 0) for tag, quantity, amount in
            PosSale.select(PosSale.tag, fn.SUM(PosSale.quantity), fn.SUM(PosSale.amount))
            .where(PosSale.sold_at >= since).group_by(PosSale.tag).tuples()}
    last = dict(CountLine.select(CountLine.package, fn.MAX(CountLine.counted_at))
                .where(CountLine.package.is_null(False)).group_by(CountLine.package).tuples())
    sellers = sorted((pid for pid, tag in stock.items() if tag in sold),
                     key=lambda pid: (-Decimal(str(sold[stock[pid]][0])),
                                      -Decimal(str(sold[stock[pid]][1])), stock[pid]))
    stale = sorted((pid for pid in stock if last.get(pid) is None or last[pid] < since),
                   key=lambda pid: (last.get(pid) is not None, last.get(pid) or now, stock[pid]))
    picked: list[int] = []
    for pid in sellers[:(size + 1) // 2] + stale + sellers + sorted(stock, key=stock.get):
        if len(picked) == size:
            break
        if pid not in picked:
            picked.append(pid)
    return picked


def _expected(count: Count, now: dt.datetime) -> list[tuple]:
    """(package id, tag, item name, unit) of every package the count expects."""
    query = _stock()
    if count.scope == "location":
        query = query.where(Package.location == count.location_id)
    elif count.scope == "category":
        query = query.where(Item.category == count.category,
                            Location.kind.in_(COUNTED_PLACES))
    else:
        query = query.where(Package.id.in_(spot_pick(count.spot_size, now) or [0]))
    return list(query.order_by(Package.tag).tuples())


def begin(count: Count, run_id: int, now: dt.datetime) -> Count:
    """This run counts it: on the first start, fix what it expects (call inside a write).
    A count whose earlier run was cancelled carries on with the lines it has."""
    values = {"run_id": run_id}
    if count.status == "scheduled":
        rows = [{"count": count.id, "package": pid, "tag": tag, "item_name": item,
                 "unit": unit, "expected": True} for pid, tag, item, unit in
                _expected(count, now)]
        for start in range(0, len(rows), 100):
            CountLine.insert_many(rows[start:start + 100]).execute()
        values.update(status="counting", started_at=now, expected=len(rows))
    Count.update(**values).where(Count.id == count.id).execute()
    return Count.get_by_id(count.id)


def standing(count: Count) -> dict:
    """What a run counting it keeps: the area, how far it is (no expected quantities), who
    counted and recounted, and the recount still to do, for a count taken up again."""
    numbers = tally(count.id)
    counted, recounted = people(count.id)
    state = {"count": count.id, "title": count.title, "title_said": keep(title_words(count)),
             "expected": count.expected,
             "scanned": numbers["counted"], "extra": numbers["extra"],
             "counters": list(counted), "recounters": list(recounted),
             "area": "this area" if count.scope == "location" else "this count"}
    if count.finished_at is not None:
        found = to_recount(count.id)
        state.update(variances=len(found), recount=bool(found),
                     recounted=sum(line.recounted is not None for _v, line in found))
    return state


def ad_hoc(scope: str, by: Employee, **kw) -> Count:
    """A count started on the spot by a counter (no due date)."""
    return schedule(scope, due_on=None, by=by, **kw)


# -- counting ------------------------------------------------------------------------------
def line(count_id: int, tag: str) -> CountLine | None:
    return CountLine.one(count=count_id, tag=tag)


def found_here(count: Count, tag: str, package: Package | None, item_name: str) -> CountLine:
    """The line for a package found in the count: its expected line, or a new one saying
    where the records put it (call inside a write)."""
    existing = line(count.id, tag)
    if existing is not None:
        return existing
    if package is None:
        place = "not in this store's records"
    elif package.status not in figures.IN_STOCK:
        place = package.status.replace("_", " ")
    else:
        place = f"on {package.location.name}" if package.location_id else "in no place"
    return CountLine.create(count=count.id, tag=tag, package=package, item_name=item_name,
                            unit=package.unit if package else "Each", expected=False,
                            records_place=place)


def found_words(line: CountLine, area: str) -> str:
    """What the counter is told when a tag is scanned (never what the records expect)."""
    short = f"…{line.tag[-6:]}"
    if line.expected:
        return _("Package {tag}: count it.", tag=short)
    if line.package_id is None:
        return _("Tag {tag} is not in this store's records. Count it; it is recorded as found "
                 "here and a manager will look into it.", tag=short)
    return _("By the records, package {tag} is {place}, not in {area}. Count it here; it is "
             "recorded as a variance.", tag=short, place=place_words(line.records_place),
             area=AREA_WORDS.get(area, area))


def tag_rows(found: list, shown: int = SHOWN_TAGS) -> list[str]:
    """Tags to look for or to recount, as screen rows: tag and product, no quantities."""
    rows = [f"{f.tag} · {f.item_name}" for f in found[:shown]]
    return rows + ([_("… and {count} more", count=len(found) - shown)]
                   if len(found) > shown else [])


def record(counted_line: CountLine, quantity: Decimal, how: str, by: Employee,
           at: dt.datetime, recount: bool = False) -> None:
    """Keep a count (or a recount) of one line, with the ledger's figure at that moment."""
    if recount:
        values = dict(recounted=quantity, recounted_by=by, recounted_at=at, recounted_how=how)
    else:
        ledger = None
        if counted_line.package_id is not None:
            ledger = Package.get_by_id(counted_line.package_id).quantity
        values = dict(counted=quantity, counted_by=by, counted_at=at, counted_how=how,
                      ledger=ledger)
    CountLine.update(**values).where(CountLine.id == counted_line.id).execute()


def tally(count_id: int) -> dict:
    """How far a count is: expected packages counted, not expected ones found."""
    counted = dict(CountLine.select(CountLine.expected, fn.COUNT(CountLine.id))
                   .where(CountLine.count == count_id, CountLine.counted.is_null(False))
                   .group_by(CountLine.expected).tuples())
    return {"counted": counted.get(True, 0) + counted.get(1, 0),
            "extra": counted.get(False, 0) + counted.get(0, 0)}


def not_found(count_id: int) -> list[CountLine]:
    """Expected packages not counted yet, by tag (shown as tags to look for, never with
    quantities)."""
    return list(CountLine.select().where(CountLine.count == count_id,
                                         CountLine.expected == True,  # noqa: E712
                                         CountLine.counted.is_null())
                .order_by(CountLine.tag))


def finish(count: Count, at: dt.datetime) -> list[Variance]:
    """The area is done: compare every line's four figures and keep a Variance for each
    package expected and not found, found and not expected, or whose figures disagree."""
    lines = list(CountLine.select().where(CountLine.count == count.id).order_by(CountLine.tag))
    tags = [ln.tag for ln in lines]
    pos, metrc = figures.pos_figures(tags), figures.metrc_figures(tags)
    now_in_ledger = {pid: q for pid, q in Package.select(Package.id, Package.quantity).where(
        Package.id.in_([ln.package_id for ln in lines if ln.counted is None
                        and ln.package_id] or [0])).tuples()}
    made = []
    for ln in lines:
        ledger = ln.ledger if ln.counted is not None else now_in_ledger.get(ln.package_id)
        if ln.counted is None:
            kind = "missing" if ln.expected else None
        elif not ln.expected:
            kind = "extra"
        else:
            kind = "quantity" if figures.disagree(ln.counted, ledger, pos.get(ln.tag),
                                                  metrc.get(ln.tag)) else None
        if kind is None:
            continue
        if ln.counted is None:
            CountLine.update(ledger=ledger).where(CountLine.id == ln.id).execute()
        made.append(Variance.create(
            count=count.id, line=ln.id, tag=ln.tag, package=ln.package_id,
            item_name=ln.item_name, unit=ln.unit, kind=kind, physical=ln.counted,
            ledger=ledger, pos=pos.get(ln.tag), metrc=metrc.get(ln.tag), state="recount",
            found_at=at))
    Count.update(finished_at=at, status="recount" if made else "counting").where(
        Count.id == count.id).execute()
    return made


# -- recount -------------------------------------------------------------------------------
def to_recount(count_id: int) -> list[tuple[Variance, CountLine]]:
    """Variances still waiting for their recount, with their lines, by tag."""
    found = (Variance.select(Variance, CountLine)
             .join(CountLine, on=(Variance.line == CountLine.id))
             .where(Variance.count == count_id, Variance.state == "recount")
             .order_by(Variance.tag))
    return [(v, v.line) for v in found]


def waiting_recount(count_id: int) -> list[Variance]:
    """Variances whose package is not recounted yet, by tag."""
    return [v for v, line in to_recount(count_id) if line.recounted is None]


def recount_verdict(variance: Variance, recounted: Decimal | None) -> str:
    """cleared: the recount agrees with every figure (the first count was wrong);
    confirmed: it does not, or the package is still not found, or was found where the
    records do not put it."""
    if recounted is None or variance.kind == "extra":
        return "confirmed"
    agrees = not figures.disagree(recounted, variance.ledger, variance.pos, variance.metrc)
    return "cleared" if agrees else "confirmed"


def settle_recount(variance: Variance, recounted: Decimal | None) -> str:
    """Keep the recount's verdict on the variance; the recount's figure stands."""
    verdict = recount_verdict(variance, recounted)
    values = {"recount": verdict}
    if recounted is not None:
        values["physical"] = recounted
    Variance.update(**values).where(Variance.id == variance.id).execute()
    return verdict


def close(count: Count, at: dt.datetime) -> dict:
    """Both signatures are in: cleared variances close, confirmed ones go to investigation."""
    cleared = (Variance.update(state="closed", resolution="cleared by recount", closed_at=at)
               .where(Variance.count == count.id, Variance.recount == "cleared").execute())
    confirmed = (Variance.update(state="investigating")
                 .where(Variance.count == count.id, Variance.state == "recount").execute())
    Count.update(status="closed", closed_at=at).where(Count.id == count.id).execute()
    return {"cleared": cleared, "confirmed": confirmed}


def people(count_id: int) -> tuple[dict[int, str], dict[int, str]]:
    """Who counted and who recounted this count: {employee id: name} each."""
    counted, recounted = {}, {}
    for field, into in ((CountLine.counted_by, counted), (CountLine.recounted_by, recounted)):
        for eid, name in (CountLine.select(Employee.id, Employee.name).distinct()
                          .join(Employee, JOIN.INNER, on=(field == Employee.id))
                          .where(CountLine.count == count_id).tuples()):
            into[eid] = name
    return counted, recounted


def slip(count: Count, signers: list[str], closed_at: str) -> dict:
    """The count slip's data: area, who, when, packages counted and variances remaining
    (tags and what kind; the slip carries no expected quantities either)."""
    counted, recounted = people(count.id)
    numbers = tally(count.id)
    remaining = (Variance.select().where(Variance.count == count.id,
                                         Variance.recount != "cleared").order_by(Variance.tag))
    kinds = defaultdict(int)
    rows = []
    for v in remaining:
        kinds[v.kind] += 1
        shelf = (quantity_text(v.physical, v.unit) if v.physical is not None
                 else KIND_WORDS["missing"])
        rows.append({"tag": v.tag, "item": v.item_name, "what": KIND_WORDS[v.kind],
                     "counted": shelf, "counted_said": keep(shelf)})
    return {"title": count.title, "title_said": keep(title_words(count)), "count": count.id,
            "started_at": clock.local(count.started_at).isoformat(timespec="seconds")
            if count.started_at else "",
            "closed_at": clock.local(dt.datetime.fromisoformat(closed_at)).isoformat(
                timespec="seconds"),
            "counters": sorted(counted.values()), "recounters": sorted(recounted.values()),
            "signers": signers, "expected": count.expected, "counted": numbers["counted"],
            "extra": numbers["extra"], "variances": rows}

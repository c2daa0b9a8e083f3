"""The pick queue as the screens show it: every unfinished request in words, most urgent then
oldest first, and the words the pick screens share (quantities, tag endings, kinds of
request); and what the vault has for the floor to ask for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from peewee import fn

from kiosk import clock
from kiosk.db import database
from kiosk.models import Item, Location, Package
from kiosk.models.picks import IN_HAND
from kiosk.words import Known, Number, Phrase, _, joined, kept_forms

# What each kind of request is called; another procedure adds its own (picks.add_task).
KIND_TITLES = {"sale": _("Sale"), "online": _("Online order"), "restock": _("Restock")}
_UNFINISHED_SQL = "('open', 'claimed', 'picked')"
# The kinds another procedure adds (``Known`` finds them by their English on the screens).
OTHER_KINDS = (_("Recall: bring back"),)
# A request's status as a screen says it (the record keeps the key).
STATUS_WORDS = {"open": _("open"), "claimed": _("claimed"), "picked": _("picked"),
                "handed_off": _("handed off"), "unfilled": _("unfilled"),
                "cancelled": _("cancelled")}
MONTHS = (_("Jan"), _("Feb"), _("Mar"), _("Apr"), _("May"), _("Jun"), _("Jul"), _("Aug"),
          _("Sep"), _("Oct"), _("Nov"), _("Dec"))

# What a request, a pick and a run keep in English (the reason a request came back to the
# queue or was closed, why a package taken was set aside): ``Known`` says it again in the
# reader's language.
kept_forms(_("Back in the queue at {time}: {why}"),
           _("{name} stopped picking it ({reason})."), _("{name} stopped picking it."),
           _("{name}'s pick ended without a hand-off."),
           _("{name}'s claim lapsed after {number} idle minutes."),
           _("Nothing could be picked: {reason}."),
           _("The POS cancelled this order: {reason}."),
           _("{tag} was withdrawn: {reason}."), _("on hold ({status}) at the hand-off"),
           _("on hold: {reason}"), _("package {tag}"))


def line_name(line) -> str:
    """A line's item as the request named it; a package tag this store does not know is
    kept in words ("package 1A4…"), said again in the reader's language."""
    return line.name if line.item_id else Known(line.name)


def status_words(status: str) -> Phrase:
    return STATUS_WORDS.get(status) or Known(status.replace("_", " "))


def title(request) -> Phrase:
    return _kind_title(request.kind)


def _kind_title(kind: str) -> Phrase:
    found = KIND_TITLES.get(kind) or kind.replace("_", " ").capitalize()
    return found if isinstance(found, Phrase) else Known(found)


def titled(request) -> Phrase:
    """"Online order W-1": the kind of request and its number."""
    return joined([title(request), request.external_id])


def day(at) -> Phrase | str:
    """A date (or a record's time, on the store's clock) as a pick screen shows it: as
    always in English (2026-05-04), the language's way in another (4 may 2026)."""
    if not at:
        return _("unknown")
    if isinstance(at, dt.datetime):
        at = clock.local(at).date()
    year, month_number, padded = at.isoformat()[:10].split("-")
    return _("{year}-{month_number}-{day}", year=year, month_number=month_number, day=padded,
             month=MONTHS[at.month - 1], day_of_month=str(at.day))


def amount(quantity, unit: str) -> Phrase:
    """A quantity as people say it: "2" of a counted item, "500 g" of a weighed one."""
    if isinstance(quantity, int):  # as SQLite gives a whole quantity back
        number = Number(quantity)
    else:
        value = Decimal(str(quantity)).normalize()
        number = Number(value, f"{value:f}")
    return _("{number} g", number=number) if unit == "Grams" else joined([number])


def quantity_text(quantity, unit: str) -> Phrase:
    """A quantity before an item's name: "2 ×" or "500 g"."""
    return amount(quantity, unit) if unit == "Grams" else joined([amount(quantity, unit), "×"])


def tag_end(tag: str) -> str:
    """The end of a package tag, as a runner reads it off the label."""
    return "…" + tag[-6:]


@dataclass
class Row:
    """One request on a queue screen, with what the screen prints already in words."""

    id: int
    title: str  # "Online order W-1" (a phrase)
    origin: str  # "POS", "Ana Reyes at floor-1"
    urgent: bool
    requested_at: dt.datetime
    status: str
    note: str
    queue_note: str  # English, as the request keeps it (a screen says it with ``Known``)
    lines: list = field(default_factory=list)  # (quantity text, name, problem or "")
    holder: str = ""
    claimed_at: dt.datetime | None = None
    age: str = ""  # set by the screen that shows it, against its clock and target
    over: bool = False
    since_ms: int = 0
    asked: str = ""  # when, on the store's clock


def _moment(value) -> dt.datetime | None:
    """A time column as the driver gives it: text on SQLite, a datetime on PostgreSQL."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


_UNFINISHED_SQL = "('open', 'claimed', 'picked')"


def queue_rows() -> tuple[list[Row], list[Row]]:
    """Every unfinished request: (waiting, in hand), most urgent then oldest first.

    Three plain queries whatever the queue's length, read without the ORM: every open queue
    screen draws this when the queue changes, and with a thousand requests building a model
    per row cost more than the queries."""
    names = dict(database.execute_sql("SELECT id, name FROM employee").fetchall())
    rows: dict[int, Row] = {}
    for (rid, ext, kind, origin, priority, requested_at, status, note, queue_note, holder,
         claimed_at, requested_by, station) in database.execute_sql(
            "SELECT id, external_id, kind, origin, priority, requested_at, status, note, "
            "queue_note, claimed_by_id, claimed_at, requested_by_id, station FROM pick_request "
            f"WHERE status IN {_UNFINISHED_SQL} ORDER BY priority DESC, requested_at, id"):
        title = _kind_title(kind)
        where = ("POS" if origin == "pos" else _("{name} at {station}",
                                                  name=names.get(requested_by, ""),
                                                  station=station)
                 if origin == "floor" else origin)
        rows[rid] = Row(rid, joined([title, ext]), where, priority > 0, _moment(requested_at),
                        status, note, queue_note, holder=names.get(holder, ""),
                        claimed_at=_moment(claimed_at))
    for request_id, quantity, unit, name, item_id in database.execute_sql(
            "SELECT l.request_id, l.quantity, l.unit, l.name, l.item_id FROM pick_line AS l "
            "JOIN pick_request AS r ON r.id = l.request_id "
            f"WHERE r.status IN {_UNFINISHED_SQL} ORDER BY l.request_id, l.number"):
        row = rows.get(request_id)
        if row is not None:
            row.lines.append((quantity_text(quantity, unit), name if item_id else Known(name),
                              "" if item_id else _("not in this store's catalogue")))
    waiting = [r for r in rows.values() if r.status == "open"]
    in_hand = sorted((r for r in rows.values() if r.status in IN_HAND),
                     key=lambda r: r.claimed_at or r.requested_at)
    return waiting, in_hand


def items_in_vault() -> list[tuple[Item, Decimal]]:
    """Items with stock on vault shelves (not on hold), with how much: what the floor can
    ask for, and what the demo POS sells."""
    rows = (Package.select(Package.item, fn.SUM(Package.quantity))
            .join(Location, on=(Package.location == Location.id))
            .where(Location.kind == "vault", Package.status == "active", Package.quantity > 0)
            .group_by(Package.item).tuples())
    have = {item_id: Decimal(str(total)) for item_id, total in rows}
    items = Item.select().where(Item.id.in_(list(have) or [0])).order_by(Item.category, Item.name)
    return [(item, have[item.id]) for item in items]

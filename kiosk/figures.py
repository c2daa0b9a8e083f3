"""The four figures for a package: what is on the shelf (a count), what the kiosk's ledger
says, the POS's last inventory figure, and Metrc's last pulled figure.

Counts and investigations ask here, in bulk (one query per system for a whole area), and the
manager's list of packages whose figures disagree is built here too, from three set queries
over the store's stock rather than one question per package.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN

from kiosk.models import Item, Location, MetrcPackage, Package, PosInventory
from kiosk.words import _

CHUNK = 500  # tags per IN (...) list: well under every database's limit on parameters
IN_STOCK = ("active", "on_hold", "quarantined")


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def pos_figures(tags: list[str]) -> dict[str, Decimal]:
    """The POS's last inventory figure per tag (tags it never reported are absent)."""
    found = {}
    for chunk in _chunks(list(tags)):
        for tag, quantity in (PosInventory.select(PosInventory.tag, PosInventory.quantity)
                              .where(PosInventory.tag.in_(chunk)).tuples()):
            found[tag] = _dec(quantity)
    return found


def metrc_figures(tags: list[str]) -> dict[str, Decimal]:
    """Metrc's last pulled figure per tag, for packages Metrc lists as active or on hold
    (a finished package, or one never pulled, is absent)."""
    found = {}
    for chunk in _chunks(list(tags)):
        for tag, quantity in (MetrcPackage.select(MetrcPackage.tag, MetrcPackage.quantity)
                              .where(MetrcPackage.tag.in_(chunk),
                                     MetrcPackage.state != "inactive").tuples()):
            found[tag] = _dec(quantity)
    return found


def disagree(physical, ledger, pos, metrc) -> bool:
    """True when the figures that are known are not all the same number."""
    known = {Decimal(str(v)).normalize() for v in (physical, ledger, pos, metrc) if v is not None}
    return len(known) > 1


@dataclass(frozen=True)
class Row:
    """One package on the manager's list of figures that disagree."""

    tag: str
    item: str
    place: str
    unit: str
    status: str
    ledger: Decimal
    pos: Decimal | None
    metrc: Decimal | None

    @property
    def size(self) -> Decimal:
        """The largest gap between any two known figures."""
        known = [v for v in (self.ledger, self.pos, self.metrc) if v is not None]
        return max(known) - min(known)


def disagreements(limit: int = 500) -> tuple[list[Row], int, int]:
    """Packages in stock whose ledger, POS and Metrc figures disagree, largest gap first;
    returns (rows up to ``limit``, how many disagree, how many were compared).

    Three queries for the whole store, whatever its size: the ledger with each package's
    item and place, and the POS's and Metrc's figures (each a dict by tag). What the shelves
    hold is a count's business; its variances are listed beside these.
    """
    stock = list(Package.select(Package.tag, Item.name, Location.name, Package.unit,
                                Package.status, Package.quantity)
                 .join(Item).switch(Package).join(Location, JOIN.LEFT_OUTER)
                 .where(Package.status.in_(IN_STOCK)).tuples())
    pos = dict(PosInventory.select(PosInventory.tag, PosInventory.quantity).tuples())
    metrc = dict(MetrcPackage.select(MetrcPackage.tag, MetrcPackage.quantity)
                 .where(MetrcPackage.state != "inactive").tuples())
    rows = []
    for tag, item, place, unit, status, ledger in stock:
        theirs = (pos.get(tag), metrc.get(tag))
        if disagree(None, ledger, *theirs):
            rows.append(Row(tag, item, place or _("no place"), unit, status, _dec(ledger),
                            _dec(theirs[0]), _dec(theirs[1])))
    rows.sort(key=lambda r: (-r.size, r.tag))
    return rows[:limit], len(rows), len(stock)

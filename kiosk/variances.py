"""The questions a variance investigation asks, so ``workflows/variance_investigation.py``
reads as SOP §6: which variances wait, a package's whole history on one screen, Metrc's
adjustment reasons (pulled by the syncer and kept here), and the manager's list of open
variances with their age and size.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from peewee import JOIN

from kiosk import clock
from kiosk.manifests import quantity_text
from kiosk.models import (
    Employee,
    Location,
    Movement,
    OutboxMessage,
    Package,
    Run,
    Transfer,
    TransferPackage,
)
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.models.sync import PosSale, SyncState

REASONS_KEY = "metrc:adjust_reasons"  # SyncState row the syncer fills from Metrc
# A store that reports to no state system still adjusts with a reason from this list.
OWN_REASONS = ({"name": "Entry Error", "requires_note": True},
               {"name": "Incorrect Quantity", "requires_note": False},
               {"name": "Damage (Non-Recoverable)", "requires_note": True},
               {"name": "Theft", "requires_note": True},
               {"name": "Scale Variance", "requires_note": False})
CAUSES = {"data_entry": "Data-entry error", "misscan": "Mis-scan at checkout",
          "wrong_sku": "Wrong SKU sold", "damage": "Damage", "theft": "Theft suspected",
          "vendor_short": "Vendor short", "unknown": "Unknown"}
CHECKS = {"sales": "Sales log", "receiving": "Receiving log",
          "damage": "Damage and return records", "camera": "Camera review"}
OPEN = ("recount", "investigating")
MOVE_WORDS = {"receipt": "Received", "move": "Moved", "adjust": "Adjusted", "sale": "Sold",
              "pick": "Picked", "quarantine": "Quarantined", "release": "Released",
              "correction": "Corrected", "reject": "Rejected"}


def open_variances() -> list[Variance]:
    """Variances not yet resolved, oldest first (the manager's list)."""
    return list(Variance.select(Variance, Count).join(Count)
                .where(Variance.state.in_(OPEN)).order_by(Variance.found_at, Variance.id))


def size(variance: Variance) -> Decimal | None:
    """How far the shelf is from the ledger (negative: less on the shelf)."""
    if variance.ledger is None:
        return None
    physical = variance.physical if variance.physical is not None else Decimal(0)
    return Decimal(str(physical)) - Decimal(str(variance.ledger))


def age(variance: Variance, now: dt.datetime | None = None) -> str:
    """How long it has been open, as a person says it."""
    hours = int(((now or clock.now()) - variance.found_at).total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def waiting(run_id: int) -> list[Variance]:
    """Variances ready for investigation and not taken by another run in progress."""
    busy = {r for (r,) in Run.select(Run.id).where(Run.status == "active",
                                                   Run.workflow == "variance_investigation")
            .tuples()} - {run_id}
    return [v for v in Variance.select().where(Variance.state == "investigating")
            .order_by(Variance.found_at, Variance.id) if v.run_id not in busy]


def investigator(variance: Variance) -> Run | None:
    """The investigation in progress on it, if there is one."""
    if variance.run_id is None:
        return None
    return Run.get_or_none(Run.id == variance.run_id, Run.status == "active")


def counted_by(variance: Variance) -> dict[int, str]:
    """Who counted or recounted this package in the count that found the variance."""
    line = CountLine.get_by_id(variance.line_id)
    people = {}
    for eid in (line.counted_by_id, line.recounted_by_id):
        if eid is not None:
            people[eid] = Employee.get_by_id(eid).name
    return people


def figures_facts(variance: Variance) -> list[tuple[str, str]]:
    """The four figures as the count found them, and what kind of variance it is."""
    def q(value, missing="-"):
        return quantity_text(value, variance.unit) if value is not None else missing

    what = {"missing": "Expected, not found", "extra": "Found, not expected here",
            "quantity": "Figures disagree"}[variance.kind]
    shelf = q(variance.physical, "not found")
    if variance.count.scope == "reconciliation":  # sent by kiosk/reconciliation.py
        what, shelf = variance.line.records_place, q(variance.physical, "not counted")
    return [("Package", f"{variance.tag} · {variance.item_name}"), ("Variance", what),
            ("On the shelf (count)", shelf),
            ("Kiosk ledger", q(variance.ledger)), ("POS", q(variance.pos, "no figure")),
            ("Metrc", q(variance.metrc, "no figure")),
            ("Found", f"{clock.local(variance.found_at):%Y-%m-%d %H:%M}")]


def _when(at: dt.datetime) -> str:
    return f"{clock.local(at):%Y-%m-%d %H:%M}"


def timeline(tag: str) -> list[list[str]]:
    """Everything that happened to a package, oldest first: receipt, moves, sales,
    adjustments, counts, quarantines; each with when (the store's clock), who and where."""
    rows: list[tuple[dt.datetime, list[str]]] = []
    From, To = Location.alias(), Location.alias()
    moves = (Movement.select(Movement, From, To, Employee).join(Package)
             .switch(Movement).join(From, JOIN.LEFT_OUTER, on=(Movement.from_location == From.id))
             .switch(Movement).join(To, JOIN.LEFT_OUTER, on=(Movement.to_location == To.id))
             .switch(Movement).join(Employee, JOIN.LEFT_OUTER, on=(Movement.actor == Employee.id))
             .where(Package.tag == tag).order_by(Movement.id))
    for m in moves:
        where = m.to_location.name if m.to_location_id else ""
        if m.kind == "move" and m.from_location_id:
            where = f"{m.from_location.name} → {where}"
        change = "" if m.quantity == 0 else f" {'+' if m.quantity > 0 else ''}" \
                                              f"{quantity_text(m.quantity)}"
        what = f"{MOVE_WORDS.get(m.kind, m.kind.capitalize())}{change}"
        why = "; ".join(filter(None, [m.reason, m.note]))
        who = m.actor.name if m.actor_id else (m.station or "")
        rows.append((m.at, [_when(m.at), what + (f" ({why})" if why else ""), who, where]))
    for line in (TransferPackage.select(TransferPackage, Transfer).join(Transfer)
                 .where(TransferPackage.tag == tag)):
        t = line.transfer
        rows.append((t.created_at, [_when(t.created_at), f"On manifest {t.manifest_number} from "
                     f"{t.shipper_name}: {quantity_text(line.shipped_quantity, line.shipped_unit)}"
                     " shipped", "Metrc" if t.source == "state" else t.source, ""]))
    for sale in PosSale.select().where(PosSale.tag == tag):
        sold = quantity_text(sale.quantity, sale.unit)
        verb = {"return": "Returned", "void": "Sale voided:"}.get(sale.kind, "Sold")
        rows.append((sale.sold_at, [_when(sale.sold_at), f"{verb} {sold} on receipt "
                                    f"{sale.receipt}", f"POS ({sale.source})", "Sales floor"]))
    for line in (CountLine.select(CountLine, Count).join(Count).where(CountLine.tag == tag)):
        for value, by, at, how, word in ((line.counted, line.counted_by_id, line.counted_at,
                                          line.counted_how, "Counted"),
                                         (line.recounted, line.recounted_by_id,
                                          line.recounted_at, line.recounted_how, "Recounted")):
            if at is not None:
                rows.append((at, [_when(at), f"{word} {quantity_text(value, line.unit)} "
                             f"({how}) in count {line.count.title}",
                             Employee.get_by_id(by).name, line.count.title]))
    for v in Variance.select().where(Variance.tag == tag):
        if v.closed_at is not None:
            rows.append((v.closed_at, [_when(v.closed_at), f"Variance resolved: {v.resolution}"
                         + (f" ({v.resolution_note})" if v.resolution_note else ""), "", ""]))
    for m in (OutboxMessage.select().where(OutboxMessage.ordering_key == tag,
                                           OutboxMessage.kind == "package.adjust")):
        state = "sent" if m.status == "delivered" else m.status
        rows.append((m.created_at, [_when(m.created_at), f"Metrc adjustment {state}: "
                     f"{m.payload.get('quantity')} {m.payload.get('unit', '')} "
                     f"({m.payload.get('reason', '')})", "Syncer", "Metrc"]))
    rows.sort(key=lambda r: r[0])
    return [r for _, r in rows]


def reasons(state_system: str) -> list[dict]:
    """The state's adjustment reasons as last pulled from Metrc ({name, requires_note});
    empty when none was pulled yet. A store without a state system uses its own list."""
    if state_system != "metrc":
        return list(OWN_REASONS)
    row = SyncState.one(key=REASONS_KEY)
    return list(row.value.get("reasons", [])) if row is not None else []


def reason_named(state_system: str, name: str) -> dict | None:
    for reason in reasons(state_system):
        if reason["name"] == name:
            return reason
    return None


def keep_reasons(found: list[dict], at: dt.datetime) -> None:
    """Store Metrc's reasons as pulled (call inside a write; the syncer does)."""
    value = {"reasons": found, "pulled_at": at.isoformat()}
    if not SyncState.update(value=value, updated_at=at).where(
            SyncState.key == REASONS_KEY).execute():
        SyncState.create(key=REASONS_KEY, value=value, updated_at=at)


def reasons_pulled_at() -> dt.datetime | None:
    row = SyncState.one(key=REASONS_KEY)
    return dt.datetime.fromisoformat(row.value["pulled_at"]) if row is not None else None

"""The questions a variance investigation asks, so ``workflows/variance_investigation.py``
reads as SOP §6: which variances wait, a package's whole history on one screen (the shared
``timeline``), Metrc's adjustment reasons (pulled by the syncer and kept here), and the
manager's list of open variances with their age and size.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock
from kiosk.manifests import quantity_text
from kiosk.models import Employee, Run
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.models.sync import SyncState
from kiosk.timeline import package_timeline as timeline  # noqa: F401  (its screens ask here)
from kiosk.words import Known, _

REASONS_KEY = "metrc:adjust_reasons"  # SyncState row the syncer fills from Metrc
# A store that reports to no state system still adjusts with a reason from this list.
OWN_REASONS = ({"name": "Entry Error", "requires_note": True},
               {"name": "Incorrect Quantity", "requires_note": False},
               {"name": "Damage (Non-Recoverable)", "requires_note": True},
               {"name": "Theft", "requires_note": True},
               {"name": "Scale Variance", "requires_note": False})
CAUSES = {"data_entry": _("Data-entry error"), "misscan": _("Mis-scan at checkout"),
          "wrong_sku": _("Wrong SKU sold"), "damage": _("Damage"),
          "theft": _("Theft suspected"), "vendor_short": _("Vendor short"),
          "unknown": _("Unknown")}
# What was checked, as a variance keeps it (in English: ``Known`` says it again).
CHECKS = {"sales": _("Sales log"), "receiving": _("Receiving log"),
          "damage": _("Damage and return records"), "camera": _("Camera review")}
# A variance's state and resolution as the record keeps them.
STATE_WORDS = {"recount": _("recount"), "investigating": _("investigating"),
               "adjusted": _("adjusted"), "closed": _("closed")}
RESOLUTION_WORDS = {"cleared by recount": _("cleared by recount"),
                    "fixed elsewhere": _("fixed elsewhere"), "adjusted": _("adjusted")}
RECOUNT_WORDS = {"cleared": _("cleared"), "confirmed": _("confirmed")}
OPEN = ("recount", "investigating")


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
    if hours >= 24:
        return _("{days} d {hours} h", days=hours // 24, hours=hours % 24)
    return _("{hours} h", hours=hours)


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

    what = {"missing": _("Expected, not found"), "extra": _("Found, not expected here"),
            "quantity": _("Figures disagree")}[variance.kind]
    shelf = q(variance.physical, _("not found"))
    if variance.count.scope == "reconciliation":  # sent by kiosk/reconciliation.py
        what, shelf = Known(variance.line.records_place), q(variance.physical, _("not counted"))
    return [(_("Package"), f"{variance.tag} · {variance.item_name}"), (_("Variance"), what),
            (_("On the shelf (count)"), shelf),
            (_("Kiosk ledger"), q(variance.ledger)), (_("POS"), q(variance.pos, _("no figure"))),
            (_("Metrc"), q(variance.metrc, _("no figure"))),
            (_("Found"), when_words(variance.found_at))]


def when_words(at: dt.datetime):
    """A record's time on the store's clock: '2026-11-23 10:15' in English, as it always
    read; day first in Spanish."""
    local = clock.local(at)
    year, month, day, time = local.strftime("%Y %m %d %H:%M").split()
    return _("{year}-{month}-{day} {time}", year=year, month=month, day=day, time=time)


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

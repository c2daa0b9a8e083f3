"""The demo store's counts, so cycle counts and variances can be tried at once. ``kiosk demo``
adds them to the store ``demo.build`` made (``seed``).

- The figures the POS and Metrc last gave for every package, a few of them off as in any
  store (the POS's sales the ledger has not seen, an adjustment Metrc never got), so the
  manager's list of figures that disagree is not empty and a count finds variances.
- A count of vault shelf A1 due today (its tile is on the counter's home screen) and a spot
  count scheduled for tomorrow.
- A spot count done this morning through the cycle_count workflow itself (Erin counts, Hana
  recounts, both sign), which left variances waiting for investigation.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kiosk import clock, counts, db, engine, workflows
from kiosk.demo import EMPLOYEES, demo_tag
from kiosk.engine import FINISH
from kiosk.models import Employee, Location, MetrcPackage, Package, PosInventory, Run

STATION = "vault-1"
SETTINGS = {"training": True, "state_system": "metrc"}
# Demo package serial: how far the POS and Metrc figures are off the ledger.
POS_OFF = {3: -2, 6: -1, 41: -1, 57: -3}
METRC_OFF = {6: -1, 57: 1, 88: -2}
SPOT = 8  # the morning's spot count takes the demo's first packages (none counted yet)
MISCOUNTED, NOT_FOUND = demo_tag(2), demo_tag(5)


def seed() -> dict:
    """Add the counts and outside figures to a freshly built demo store."""
    now, today = clock.now(), clock.store_date()
    femi = Employee.get(Employee.name == "Femi Adeyemi")
    with db.write():
        for package in Package.select().where(Package.status == "active"):
            serial = int(package.tag[-6:])
            for model, off, extra in ((PosInventory, POS_OFF, {"as_of": now, "source": "demo",
                                                               "received_at": now}),
                                      (MetrcPackage, METRC_OFF, {"state": "active",
                                                                 "pulled_at": now})):
                model.create(tag=package.tag, unit=package.unit,
                             quantity=package.quantity + Decimal(off.get(serial, 0)), **extra)
        counts.schedule("location", location=Location.get(Location.code == "LOC-V-A1"),
                        due_on=today, by=femi)
        counts.schedule("spot", spot_size=10, due_on=today + dt.timedelta(days=1), by=femi)
        spot = counts.schedule("spot", spot_size=SPOT, due_on=today, by=femi)
    _count(spot)
    return {"counts": 3, "pos_off": len(POS_OFF), "metrc_off": len(METRC_OFF)}


def _person(name: str) -> tuple[Employee, str, str]:
    badge, pin = next((b, p) for n, b, p, *_ in EMPLOYEES if n == name)
    return Employee.get(Employee.badge == badge), badge, pin


def _answer(run_id: int, step: str, raw: dict, who: Employee) -> None:
    run = Run.get_by_id(run_id)
    outcome = engine.submit(run_id, step, run.rev, raw, who, STATION, SETTINGS, workflows)
    if not outcome.accepted:
        raise RuntimeError(f"demo count, step {step}: {outcome.message}")


def _one(run_id: int, package: Package, quantity: Decimal, who: Employee, recount: bool):
    prefix = "recount_" if recount else ""
    _answer(run_id, f"{prefix}product", {"value": package.item.gtin}, who)
    _answer(run_id, f"{prefix}tag", {"value": package.tag}, who)
    if counts.weighed(package.unit):
        _answer(run_id, "weight", {"source": "keyed", "value": str(quantity),
                                   "reason": "No scale at the demo station"}, who)
    else:
        _answer(run_id, "units", {"value": str(quantity)}, who)


def _count(spot) -> None:
    """This morning's spot count, through the workflow as people would work it."""
    erin, erin_badge, erin_pin = _person("Erin Walsh")
    hana, hana_badge, hana_pin = _person("Hana Sato")
    flow = workflows.get("cycle_count")
    run = engine.start(flow, erin, STATION, SETTINGS)
    _answer(run.id, "which", {"value": f"count:{spot.id}"}, erin)
    lines = counts.not_found(spot.id)
    for line in lines:
        package = Package.get_by_id(line.package_id)
        if package.tag == NOT_FOUND:
            continue
        off = Decimal(1) if package.tag == MISCOUNTED else Decimal(0)
        _one(run.id, package, package.quantity - off, erin, recount=False)
    _answer(run.id, "product", {"value": FINISH}, erin)
    _answer(run.id, "area_end", {"value": "finish"}, erin)
    _answer(run.id, "recount", {"value": "ok"}, hana)
    for variance, line in counts.to_recount(spot.id):
        if variance.kind != "missing":
            package = Package.get_by_id(line.package_id)
            _one(run.id, package, package.quantity, hana, recount=True)
    _answer(run.id, "recount_product", {"value": FINISH}, hana)
    _answer(run.id, "recount_end", {"value": "finish"}, hana)
    _answer(run.id, "sign", {"badge": erin_badge, "pin": erin_pin}, erin)
    _answer(run.id, "sign", {"badge": hana_badge, "pin": hana_pin}, hana)
    _answer(run.id, "slip", {"value": "skip", "reason": "Built with the demo store"}, hana)

"""A small store and one full day of its records, for the report, evidence and retention
tests: the day before stocks the shelves and leaves a message waiting for Metrc; the day
itself has a delivery (three accepted, one rejected), a two-person vault visit, two moves
by scan, an adjustment, a quarantine, a destruction, a variance found and one resolved, a
POS's sales, and a message Metrc refused. ``DAY`` figures are what its report must say."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from report_helpers import DAY, MANIFEST, at, tag

from kiosk import clock, db, ledger
from kiosk.models import Item, Location, OutboxMessage, Package, PosSale, Run
from kiosk.models.counts import Count, CountLine, Variance
from kiosk.sync import outbox


def _feedback_ok(response) -> None:
    import json

    cue = json.loads(response.headers["HX-Trigger"])["kiosk:feedback"]
    assert cue["tone"] in ("ok", "done"), cue


@pytest.fixture
def store_day(database, make_employee, fixed_clock, kiosk):
    """The store and its day; the clock ends at 18:00 on the store's clock that day."""
    yesterday = DAY - dt.timedelta(days=1)
    fixed_clock.current = at(yesterday, 9)
    people = SimpleNamespace(
        ana=make_employee("Ana Reyes", "1001", "1234", "receiver"),
        ben=make_employee("Ben Okafor", "1002", "2345", "receiver,vault"),
        carla=make_employee("Carla Nguyen", "1003", "3456", "vault,runner"),
        femi=make_employee("Femi Adeyemi", "1006", "6789", "manager,vault"))
    with db.write():
        places = {code: Location.create(code=code, name=name, kind=kind)
                  for code, name, kind in (("LOC-V-A1", "Vault shelf A1", "vault"),
                                           ("LOC-FLOOR", "Sales floor", "sales_floor"),
                                           ("LOC-Q", "Quarantine cage", "quarantine"),
                                           ("LOC-DOCK", "Receiving dock", "receiving"))}
        items = {key: Item.create(name=name, category=category, unit=unit)
                 for key, name, category, unit in (
                     ("jar", "Blue Dream 3.5g Jar", "Flower", "Each"),
                     ("gummies", "Sour Gummies 10 pack", "Edible", "Each"),
                     ("cart", "Live Resin Cart 1g", "Vape", "Each"),
                     ("bulk", "Bulk Flower (grams)", "Flower", "Grams"),
                     ("tincture", "CBD Tincture 30ml", "Tincture", "Each"))}
        # Opening stock, the day before: what, how many, expires how many days after DAY.
        stock = {1: ("jar", 20, 200), 2: ("jar", 20, 200), 3: ("gummies", 12, 200),
                 4: ("cart", 10, 200), 5: ("gummies", 12, 200), 6: ("bulk", 453.6, 200),
                 7: ("tincture", 6, 10), 8: ("tincture", 6, 45)}
        packages = {}
        for n, (key, quantity, days) in stock.items():
            packages[n] = Package.create(
                tag=tag(n), item=items[key], unit=items[key].unit, created_at=clock.now(),
                received_at=clock.now(), expires_on=DAY + dt.timedelta(days=days))
            ledger.receive(packages[n], Decimal(str(quantity)), to_location=places["LOC-V-A1"],
                           reason="opening stock", actor=people.femi)
        # Sold three days before: inside the week of sales velocity, not on the day.
        PosSale.create(source="webhook", receipt="R-0", tag=tag(2), quantity=4,
                       sold_at=at(DAY - dt.timedelta(days=3), 15), received_at=clock.now())
    # The day before: a move whose Metrc message will still wait the next evening, and
    # whose POS message is delivered only the next morning.
    kiosk.login("1003", "3456")
    _move(kiosk, tag(5), "LOC-FLOOR")
    earlier = list(OutboxMessage.select().order_by(OutboxMessage.id))

    # -- the day -------------------------------------------------------------------------
    fixed_clock.current = at(DAY, 9, 30)
    with db.write():
        for n in (9, 10, 11, 12):
            packages[n] = Package.create(tag=tag(n), item=items["cart"], unit="Each",
                                         created_at=clock.now(), expires_on=DAY + dt.timedelta(
                                             days=300))
        for n in (9, 10, 11):
            ledger.receive(packages[n], Decimal(10), to_location=places["LOC-DOCK"],
                           reason=f"received on manifest {MANIFEST}", actor=people.ana)
        ledger.record(packages[12], 0, "reject", to_location=places["LOC-DOCK"],
                      status="rejected", reason=f"rejected on manifest {MANIFEST}",
                      actor=people.ana)
    fixed_clock.current = at(DAY, 10)
    outbox.delivered([m for m in earlier if m.target == "pos"])
    kiosk.login("1002", "2345")
    kiosk.post("/runs", {"workflow": "vault_entry"})
    vault = Run.select().order_by(Run.id.desc()).get()
    kiosk.step(vault.id, "purpose", value="restock")
    kiosk.step(vault.id, "enter", badge="1002", pin="2345")
    _feedback_ok(kiosk.step(vault.id, "enter", badge="1003", pin="3456"))
    kiosk.step(vault.id, "slip", value="print")
    fixed_clock.advance(minutes=42)
    kiosk.login("1003", "3456")
    kiosk.step(vault.id, "exit", badge="1003", pin="3456")
    _feedback_ok(kiosk.step(vault.id, "exit", badge="1002", pin="2345"))
    kiosk.login("1003", "3456")
    _move(kiosk, tag(1), "LOC-FLOOR")
    _move(kiosk, tag(2), "LOC-FLOOR")
    refused = (OutboxMessage.select().where(OutboxMessage.target == "metrc",
                                            OutboxMessage.ordering_key == tag(2)).get())
    outbox.needs_attention(refused, "Metrc refused it: Package 1A4060300000000000000002 was "
                                    "not found at this facility.")
    fixed_clock.current = at(DAY, 12)
    with db.write():
        ledger.record(packages[3], -2, "adjust", reason="Damage (Non-Recoverable)",
                      note="jar dropped at the counter", actor=people.femi)
        ledger.record(packages[4], 0, "quarantine", to_location=places["LOC-Q"],
                      status="quarantined", reason="seal broken", actor=people.femi)
        ledger.record(packages[6], Decimal("-453.6"), "destroy", status="destroyed",
                      reason="mould found", actor=people.femi)
        count = Count.create(title="Vault shelf A1", scope="location",
                             location=places["LOC-V-A1"], due_on=DAY, status="closed",
                             created_at=at(yesterday, 9), started_at=at(DAY, 11),
                             finished_at=at(DAY, 11, 30), closed_at=at(DAY, 11, 45), expected=6)
        line = CountLine.create(count=count, tag=tag(3), package=packages[3],
                                item_name=items["gummies"].name, expected=True, counted=8,
                                counted_by=people.ben, counted_at=at(DAY, 11, 10), ledger=10)
        Variance.create(count=count, line=line, tag=tag(3), package=packages[3],
                        item_name=items["gummies"].name, kind="quantity", physical=8, ledger=10,
                        pos=10, metrc=10, state="investigating", found_at=at(DAY, 11, 30))
        old = Count.create(title="Spot count", scope="spot", status="closed",
                           created_at=at(yesterday, 9), started_at=at(yesterday, 9),
                           closed_at=at(yesterday, 10), expected=1)
        old_line = CountLine.create(count=old, tag=tag(5), package=packages[5], expected=True,
                                    item_name=items["gummies"].name, counted=11, ledger=12)
        Variance.create(count=old, line=old_line, tag=tag(5), package=packages[5],
                        item_name=items["gummies"].name, kind="quantity", physical=11,
                        ledger=12, state="closed", found_at=at(yesterday, 10),
                        resolution="fixed elsewhere", cause="misscan",
                        closed_at=at(DAY, 13))
        for receipt, (n, quantity, hh, mm) in enumerate(((1, 2, 10, 15), (1, 1, 10, 40),
                                                         (2, 3, 11, 5), (1, 2, 14, 20),
                                                         (5, 1, 14, 50)), 1):
            PosSale.create(source="webhook", receipt=f"R-{receipt}", tag=tag(n),
                           quantity=quantity, sold_at=at(DAY, hh, mm), received_at=clock.now())
    fixed_clock.current = at(DAY, 18)
    return SimpleNamespace(day=DAY, people=people, packages=packages, items=items,
                           places=places, vault_run=vault, refused=refused)


def _move(kiosk, package_tag: str, place: str) -> None:
    kiosk.post("/runs", {"workflow": "move_package"})
    run = Run.select().order_by(Run.id.desc()).get()
    kiosk.step(run.id, "package", value=package_tag)
    _feedback_ok(kiosk.step(run.id, "destination", value=place))

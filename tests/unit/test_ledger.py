"""The ledger and the audit chain: quantities are the sum of movements, and tampering shows."""

from decimal import Decimal

from kiosk import db, ledger
from kiosk.models import AuditEntry, Item, Location, Movement, Package


def _package(fixed_clock, qty=10):
    with db.write():
        shelf = Location.create(code="LOC-V-A1", name="Shelf A1", kind="vault")
        floor = Location.create(code="LOC-FLOOR", name="Floor", kind="sales_floor")
        item = Item.create(name="Cart", category="Vape")
        package = Package.create(tag="1A4060300000000000000001", item=item,
                                 created_at=fixed_clock.now())
        ledger.receive(package, qty, to_location=shelf)
    return package, shelf, floor


def test_movements_drive_quantity_and_place(database, fixed_clock):
    package, shelf, floor = _package(fixed_clock)
    with db.write():
        ledger.move(package, floor)
        sale = ledger.record(package, -3, "sale")
        ledger.correct(sale, reason="sale voided", actor=None)
    package = Package.get_by_id(package.id)
    assert package.quantity == Decimal(10) and package.location_id == floor.id
    fix = Movement.select().where(Movement.kind == "correction").get()
    assert fix.corrects_id == sale.id and fix.quantity == Decimal(3)
    assert ledger.verify_quantities() == []


def test_a_cached_quantity_that_disagrees_is_named(database, fixed_clock):
    package, _, _ = _package(fixed_clock)
    Package.update(quantity=Decimal(12)).where(Package.id == package.id).execute()
    problems = ledger.verify_quantities()
    assert problems == [f"Package {package.tag} shows 12 but its movements add up to 10."]


def test_the_audit_chain_links_and_detects_edits(database, fixed_clock):
    with db.write():
        for n in range(5):
            ledger.audit("thing", f"n:{n}", {"n": n})
    assert ledger.verify_chain() == []
    entries = list(AuditEntry.select().order_by(AuditEntry.seq))
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    AuditEntry.update(detail={"n": 99}).where(AuditEntry.seq == 3).execute()
    assert ledger.verify_chain() == ["Audit entry 3 (thing) was altered after it was written."]


def test_the_audit_chain_detects_removed_entries(database, fixed_clock):
    with db.write():
        for n in range(4):
            ledger.audit("thing", f"n:{n}", {"n": n})
    AuditEntry.delete().where(AuditEntry.seq == 2).execute()
    problems = ledger.verify_chain()
    assert "Audit entry 2 is missing (next is 3)." in problems
    AuditEntry.delete().where(AuditEntry.seq == 4).execute()
    assert any("removed from the end" in p for p in ledger.verify_chain())

"""Incoming manifests: what is expected, what was ordered, what the lab said.

The receiving and paper-manifest workflows ask their questions here, so the workflow files
read like the SOP and the queries live in one place: open deliveries, which other open
manifest lists a tag, the purchase-order match, the COA verdict for a package, the
acceptance sheet, and ``load_transfer``, which turns one plain dict into a manifest (the
demo data and tests use it; the syncer writes the same records from Metrc).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, fn

from kiosk import clock, config
from kiosk.models import (
    Item,
    LabResult,
    Location,
    Package,
    PurchaseOrder,
    PurchaseOrderLine,
    Transfer,
    TransferPackage,
)

OPEN = ("incoming", "receiving")
# Below this percentage both label and lab are "trace" (e.g. CBD 0.1 vs 0.2 %), where a
# relative tolerance means nothing; only larger values are compared.
TRACE_PCT = Decimal("1.0")


def _dec(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _time(value) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def quantity_text(value, unit: str = "") -> str:
    """48 Each, 453.6 Grams: a quantity as people write it (no trailing zeros)."""
    if value is None:
        return "-"
    number = Decimal(str(value)).normalize()
    text = f"{number:f}"
    return f"{text} {unit}".strip()


def item_named(name: str, unit: str = "Each") -> Item:
    """The item with this name; created (category Unknown) when the store has never had it."""
    item = Item.get_or_none(Item.name == name)
    if item is None:
        item = Item.create(name=name, category="Unknown", unit=unit or "Each")
    return item


def load_transfer(data: dict) -> Transfer:
    """Create one manifest with its packages, lab results and purchase order; return it.

    Call inside a write transaction. A manifest number already known is returned as it is
    (nothing is added twice). ``data`` keys (times are datetimes or ISO strings, naive UTC):

    - ``manifest_number`` (str, required), ``source`` ("demo", "state" or "paper"; default
      "demo"), ``transfer_id``, ``delivery_id`` (Metrc ids, optional)
    - ``shipper_name``, ``shipper_license``, ``receiver_license``, ``driver_name``,
      ``driver_license``, ``vehicle`` (one line: make, model, plate)
    - ``est_departure``, ``est_arrival``, ``actual_departure``, ``actual_arrival``
    - ``case_count`` (int or None when the manifest does not say)
    - ``packages``: list of {``tag`` (24 characters), ``item`` (item name; created if
      unknown), ``batch``, ``quantity`` (shipped), ``unit``, ``thc_pct``, ``cbd_pct`` (the
      label's declared potency), ``package_id`` (Metrc id, optional)}
    - ``lab_results``: list of {``tag`` or ``batch``, ``test_type`` ("THC", "CBD",
      "Microbials", ...), ``passed`` (bool), ``thc_pct``, ``cbd_pct``, ``coa_ref``,
      ``tested_at``}
    - ``purchase_order``: None or {``number``, ``vendor_name``, ``vendor_license``,
      ``lines``: list of {``item`` (name), ``quantity``, ``unit``, ``unit_cost``}}
    """
    known = Transfer.get_or_none(Transfer.manifest_number == data["manifest_number"])
    if known is not None:
        return known
    now = clock.now()
    transfer = Transfer.create(
        manifest_number=data["manifest_number"], source=data.get("source", "demo"),
        metrc_transfer_id=data.get("transfer_id"), metrc_delivery_id=data.get("delivery_id"),
        shipper_name=data.get("shipper_name", ""), shipper_license=data.get("shipper_license", ""),
        receiver_license=data.get("receiver_license", ""), driver_name=data.get("driver_name", ""),
        driver_license=data.get("driver_license", ""), vehicle=data.get("vehicle", ""),
        est_departure=_time(data.get("est_departure")), est_arrival=_time(data.get("est_arrival")),
        actual_departure=_time(data.get("actual_departure")),
        actual_arrival=_time(data.get("actual_arrival")), case_count=data.get("case_count"),
        status=data.get("status", "incoming"), created_at=now)
    for pkg in data.get("packages", []):
        unit = pkg.get("unit") or "Each"
        item = item_named(pkg["item"], unit) if pkg.get("item") else None
        TransferPackage.create(
            transfer=transfer, tag=pkg["tag"], item=item, item_name=pkg.get("item", ""),
            batch=pkg.get("batch", ""), shipped_quantity=_dec(pkg["quantity"]), shipped_unit=unit,
            label_thc_pct=_dec(pkg.get("thc_pct")), label_cbd_pct=_dec(pkg.get("cbd_pct")),
            metrc_package_id=pkg.get("package_id"))
    for lab in data.get("lab_results", []):
        LabResult.create(
            tag=lab.get("tag"), batch=lab.get("batch", ""), test_type=lab["test_type"],
            passed=bool(lab["passed"]), thc_pct=_dec(lab.get("thc_pct")),
            cbd_pct=_dec(lab.get("cbd_pct")), coa_ref=lab.get("coa_ref", ""),
            tested_at=_time(lab.get("tested_at")), source=data.get("source", "demo"))
    order = data.get("purchase_order")
    if order:
        po = PurchaseOrder.create(number=order["number"], vendor_name=order["vendor_name"],
                                  vendor_license=order.get("vendor_license", ""),
                                  transfer=transfer, created_at=now)
        for line in order.get("lines", []):
            PurchaseOrderLine.create(
                purchase_order=po, item=item_named(line["item"], line.get("unit", "Each")),
                ordered_quantity=_dec(line["quantity"]), unit=line.get("unit", "Each"),
                unit_cost=_dec(line.get("unit_cost", 0)))
    return transfer


def open_deliveries() -> list[Transfer]:
    """Manifests we expect or are receiving, soonest arrival first."""
    return list(Transfer.select().where(Transfer.status.in_(OPEN))
                .order_by(Transfer.est_arrival.is_null(), Transfer.est_arrival, Transfer.id))


def package_counts(transfer_id: int) -> dict:
    """How many packages on the manifest are shipped (unchecked), accepted and rejected."""
    rows = (TransferPackage.select(TransferPackage.state, fn.COUNT(TransferPackage.id))
            .where(TransferPackage.transfer == transfer_id).group_by(TransferPackage.state)
            .tuples())
    counts = {"shipped": 0, "accepted": 0, "rejected": 0}
    counts.update(dict(rows))
    counts["total"] = counts["shipped"] + counts["accepted"] + counts["rejected"]
    counts["checked"] = counts["accepted"] + counts["rejected"]
    return counts


def unchecked(transfer_id: int, limit: int | None = None) -> list[TransferPackage]:
    """Packages on the manifest not yet checked, in manifest order."""
    query = (TransferPackage.select().where(TransferPackage.transfer == transfer_id,
                                            TransferPackage.state == "shipped")
             .order_by(TransferPackage.id))
    return list(query.limit(limit) if limit else query)


def on_manifest(transfer_id: int, tag: str) -> TransferPackage | None:
    """The manifest line for ``tag``, if this manifest lists it."""
    return TransferPackage.get_or_none(TransferPackage.transfer == transfer_id,
                                       TransferPackage.tag == tag)


def other_open_manifest(tag: str, transfer_id: int | None = None) -> Transfer | None:
    """Another open manifest that lists ``tag`` (the delivery it really belongs to)."""
    query = (Transfer.select().join(TransferPackage)
             .where(TransferPackage.tag == tag, Transfer.status.in_(OPEN)))
    if transfer_id is not None:
        query = query.where(Transfer.id != transfer_id)
    return query.first()


def item_for_gtin(gtin: str) -> Item | None:
    """The item whose UPC/GTIN this is."""
    return Item.get_or_none(Item.gtin == gtin)


@dataclass(frozen=True)
class Coa:
    """The COA verdict for one package: ok, failed, missing or potency (off the label)."""

    status: str
    message: str
    ref: str = ""
    thc: Decimal | None = None
    cbd: Decimal | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def lab_results_for(tp: TransferPackage) -> list[LabResult]:
    """The package's own results, else its batch's."""
    rows = list(LabResult.select().where(LabResult.tag == tp.tag).order_by(LabResult.id))
    if not rows and tp.batch:
        rows = list(LabResult.select().where(LabResult.batch == tp.batch).order_by(LabResult.id))
    return rows


def _off(label: Decimal | None, lab: Decimal | None, tolerance_pct: float) -> bool:
    if label is None or lab is None or (label < TRACE_PCT and lab < TRACE_PCT):
        return False
    return abs(label - lab) > abs(lab) * Decimal(str(tolerance_pct)) / 100


def coa_verdict(tp: TransferPackage, tolerance_pct: float) -> Coa:
    """Is there a COA, did every test pass, and is the label's potency within tolerance?"""
    rows = lab_results_for(tp)
    if not rows:
        return Coa("missing", f"No lab results (COA) for this package or batch {tp.batch or '-'}.")
    ref = next((r.coa_ref for r in rows if r.coa_ref), "")
    thc = next((Decimal(str(r.thc_pct)) for r in rows if r.thc_pct is not None), None)
    cbd = next((Decimal(str(r.cbd_pct)) for r in rows if r.cbd_pct is not None), None)
    failed = [r.test_type for r in rows if not r.passed]
    if failed:
        return Coa("failed", f"Lab test failed: {', '.join(failed)}.", ref, thc, cbd)
    label_thc = _dec(tp.label_thc_pct)
    label_cbd = _dec(tp.label_cbd_pct)
    for name, label, lab in (("THC", label_thc, thc), ("CBD", label_cbd, cbd)):
        if _off(label, lab, tolerance_pct):
            return Coa("potency", f"Label says {name} {label.normalize():f}% but the lab found "
                                  f"{lab.normalize():f}% (more than {tolerance_pct:g}% apart).",
                       ref, thc, cbd)
    shown = f"THC {thc.normalize():f}%" if thc is not None else "passed"
    return Coa("ok", f"COA {ref or 'on file'}: all tests passed, {shown}.", ref, thc, cbd)


def purchase_order_for(transfer: Transfer) -> PurchaseOrder | None:
    """The purchase order this delivery fills: linked to it, else the shipper's open one."""
    po = PurchaseOrder.get_or_none(PurchaseOrder.transfer == transfer.id)
    if po is None and transfer.shipper_license:
        po = (PurchaseOrder.select().where(PurchaseOrder.vendor_license == transfer.shipper_license,
                                           PurchaseOrder.status == "open",
                                           PurchaseOrder.transfer.is_null())
              .order_by(PurchaseOrder.created_at).first())
    return po


def po_match(transfer: Transfer) -> tuple[PurchaseOrder | None, list[dict]]:
    """Ordered vs shipped per item, each row flagged ok, short, over, unordered or not shipped."""
    po = purchase_order_for(transfer)
    rows: dict[str, dict] = {}
    if po is not None:
        for line in po.lines.select(PurchaseOrderLine, Item).join(Item):
            row = rows.setdefault(line.item.name, {"item": line.item.name, "ordered": Decimal(0),
                                                   "shipped": Decimal(0), "unit": line.unit})
            row["ordered"] += Decimal(str(line.ordered_quantity))
    # One row per item, summed by the database: a 500-package manifest is a handful of rows.
    shipped = (TransferPackage.select(fn.COALESCE(Item.name, TransferPackage.item_name),
                                      TransferPackage.shipped_unit,
                                      fn.SUM(TransferPackage.shipped_quantity))
               .join(Item, JOIN.LEFT_OUTER).where(TransferPackage.transfer == transfer.id)
               .group_by(fn.COALESCE(Item.name, TransferPackage.item_name),
                         TransferPackage.shipped_unit).tuples())
    for name, unit, total in shipped:
        row = rows.setdefault(name, {"item": name, "ordered": None, "shipped": Decimal(0),
                                     "unit": unit})
        row["shipped"] += Decimal(str(total)).quantize(Decimal("0.0001")).normalize()
    for row in rows.values():
        if row["ordered"] is None:
            row["flag"] = "unordered"
        elif row["shipped"] == 0:
            row["flag"] = "not shipped"
        elif row["shipped"] < row["ordered"]:
            row["flag"] = "short"
        elif row["shipped"] > row["ordered"]:
            row["flag"] = "over"
        else:
            row["flag"] = "ok"
    return po, sorted(rows.values(), key=lambda r: (r["flag"] == "ok", r["item"]))


def acceptance_rows(transfer_id: int) -> list[dict]:
    """Per package: tag, item, shipped, received, unit, state, reason, where it is now."""
    rows = []
    query = (TransferPackage.select(TransferPackage, Package, Location)
             .join(Package, JOIN.LEFT_OUTER, on=(Package.tag == TransferPackage.tag),
                   attr="package")
             .join(Location, JOIN.LEFT_OUTER)
             .where(TransferPackage.transfer == transfer_id).order_by(TransferPackage.id))
    for tp in query:
        package = getattr(tp, "package", None)
        location = package.location.name if package is not None and package.location_id else ""
        rows.append({"tag": tp.tag, "item": tp.item_name,
                     "shipped": quantity_text(tp.shipped_quantity),
                     "received": quantity_text(tp.received_quantity)
                     if tp.received_quantity is not None else "",
                     "unit": tp.shipped_unit, "state": tp.state, "reason": tp.reason,
                     "location": location})
    return rows


def _on_the_dock(transfer_id: int):
    """Decided lines whose package still stands on a receiving dock.

    Every verdict puts the package on the dock; quarantine and putaway take it off. Asking
    the dock (an indexed location) rather than joining every package of the manifest keeps
    this quick however many packages are already placed.
    """
    docks = Location.select(Location.id).where(Location.kind == "receiving")
    docked = Package.select(Package.tag).where(Package.location.in_(docks))
    return (TransferPackage.select()
            .where(TransferPackage.transfer == transfer_id, TransferPackage.tag.in_(docked))
            .order_by(TransferPackage.id))


def to_quarantine(transfer_id: int):
    """Rejected and discrepant (accepted short or over) packages not yet in quarantine.

    A query of manifest lines: use .exists(), .count(), .limit(n) or list().
    """
    return _on_the_dock(transfer_id).where(
        (TransferPackage.state == "rejected") | ((TransferPackage.state == "accepted")
                                                 & (TransferPackage.reason != "")))


def to_put_away(transfer_id: int):
    """Accepted packages without a discrepancy that are not yet on a vault shelf (a query)."""
    return _on_the_dock(transfer_id).where(
        (TransferPackage.state == "accepted") & (TransferPackage.reason == ""))


def vault_shelves_for(item_ids, transfer_id: int) -> dict[int, str]:
    """Where older stock of each item sits in the vault (first shelf by name): for FIFO."""
    this_delivery = TransferPackage.select(TransferPackage.tag).where(
        TransferPackage.transfer == transfer_id)
    rows = (Package.select(Package.item, fn.MIN(Location.name)).join(Location)
            .where(Package.item.in_(list(item_ids)), Location.kind == "vault",
                   Package.status == "active", Package.quantity > 0,
                   Package.tag.not_in(this_delivery))
            .group_by(Package.item).tuples())
    return dict(rows)


def accepted(transfer_id: int) -> list[TransferPackage]:
    """The accepted lines of a manifest, each with its ``package`` and item."""
    return list(TransferPackage.select(TransferPackage, Package, Item)
                .join(Package, on=(Package.tag == TransferPackage.tag), attr="package")
                .join(Item)
                .where(TransferPackage.transfer == transfer_id,
                       TransferPackage.state == "accepted").order_by(TransferPackage.id))


def demo_deliveries(settings: dict | None = None) -> list[dict]:
    """Two realistic incoming manifests for the demo store, as ``load_transfer`` dicts.

    ``settings`` gives our licence (``settings["license"]``; the default licence when None).

    Items come from the demo catalogue by name. Our licence is the receiver. Among them: one
    batch whose microbials test failed, one package with no COA at all, one label whose THC
    is far from the lab's, and a purchase order with a short, an over and an unordered item.
    Times are relative to now, so the deliveries are always "arriving today".
    """
    from kiosk.demo import ITEMS

    catalogue = {name: (unit, thc, cbd) for _cat, _brand, name, unit, thc, cbd, _life in ITEMS}
    now = clock.now().replace(microsecond=0)

    def lines(prefix: str, serial: int, batches: list[tuple]) -> tuple[list, list, int]:
        packages, labs = [], []
        for code, name, count, per_case, options in batches:
            unit, thc, cbd = catalogue[name]
            label_thc = options.get("label_thc", thc)
            batch = f"{code}-{now:%y%m}"
            for _ in range(count):
                serial += 1
                packages.append({"tag": f"{prefix}{serial:015d}", "item": name, "batch": batch,
                                 "quantity": per_case, "unit": unit, "thc_pct": label_thc,
                                 "cbd_pct": cbd, "package_id": 770000 + serial})
            if options.get("no_coa"):
                continue
            tested = now - dt.timedelta(days=12)
            coa = f"COA-{batch}"
            labs += [{"batch": batch, "test_type": "THC", "passed": True, "thc_pct": thc,
                      "coa_ref": coa, "tested_at": tested},
                     {"batch": batch, "test_type": "CBD", "passed": True, "cbd_pct": cbd,
                      "coa_ref": coa, "tested_at": tested}]
            for test in ("Pesticides", "Microbials", "Heavy Metals", "Residual Solvents"):
                passed = not (test == "Microbials" and options.get("fail_micro"))
                labs.append({"batch": batch, "test_type": test, "passed": passed,
                             "coa_ref": coa, "tested_at": tested})
        return packages, labs, serial

    first_packages, first_labs, _ = lines("1A4050100", 5000, [
        ("GC-BD", "Blue Dream 3.5g Jar", 6, 48, {}),
        ("GC-OG", "OG Kush 3.5g Jar", 5, 48, {}),
        ("GC-PR", "Blue Dream Pre-Roll 1g", 6, 100, {}),
        ("VV-GE", "Gelato 3.5g Jar", 4, 24, {"fail_micro": True}),
        ("VV-WC", "Wedding Cake 14g", 3, 12, {"label_thc": 31.0}),
        ("GC-BK", "Bulk Blue Dream (grams)", 2, 453.6, {}),
    ])
    second_packages, second_labs, _ = lines("1A4070200", 7000, [
        ("CN-PE", "Pineapple Express Cart 0.5g", 6, 50, {}),
        ("CN-SC", "Strawberry Cough Cart 1g", 5, 50, {}),
        ("CL-LR", "Live Resin Cart 1g", 4, 25, {}),
        ("CL-DP", "Disposable Pen 0.3g", 4, 40, {}),
        ("SL-WM", "Watermelon Gummies 100mg", 5, 60, {}),
        ("CN-CB", "CBD 1:1 Cart 0.5g", 2, 25, {"no_coa": True}),
    ])
    license = (settings or {}).get("license") or config.DEFAULTS["license"]
    return [
        # Metrc's ids, as a pull from Metrc would give them: the training sandbox serves
        # these deliveries too, so they can be read back after receiving.
        {"manifest_number": "0000205101", "source": "demo", "transfer_id": 205101,
         "delivery_id": 9205101,
         "shipper_name": "Golden Coast Distribution", "shipper_license": "C11-0000222-LIC",
         "receiver_license": license, "driver_name": "Dana Reyes", "driver_license": "D7712345",
         "vehicle": "Ford Transit 8ABC123", "est_departure": now - dt.timedelta(hours=2),
         "est_arrival": now + dt.timedelta(minutes=30), "case_count": 6,
         "packages": first_packages, "lab_results": first_labs,
         "purchase_order": {
             "number": "PO-24017", "vendor_name": "Golden Coast Distribution",
             "vendor_license": "C11-0000222-LIC", "lines": [
                 {"item": "Blue Dream 3.5g Jar", "quantity": 288, "unit_cost": "11.50"},
                 {"item": "OG Kush 3.5g Jar", "quantity": 288, "unit_cost": "12.25"},
                 {"item": "Blue Dream Pre-Roll 1g", "quantity": 500, "unit_cost": "3.10"},
                 {"item": "Gelato 3.5g Jar", "quantity": 96, "unit_cost": "13.00"},
                 {"item": "Bulk Blue Dream (grams)", "quantity": 907.2, "unit": "Grams",
                  "unit_cost": "2.40"}]}},
        {"manifest_number": "0000205102", "source": "demo", "transfer_id": 205102,
         "delivery_id": 9205102,
         "shipper_name": "Cloud Nine Wholesale", "shipper_license": "C11-0000333-LIC",
         "receiver_license": license, "driver_name": "Sam Okafor", "driver_license": "D8823456",
         "vehicle": "Mercedes-Benz Sprinter 7XYZ987", "est_departure": now - dt.timedelta(hours=1),
         "est_arrival": now + dt.timedelta(hours=2), "case_count": 4,
         "packages": second_packages, "lab_results": second_labs,
         "purchase_order": {
             "number": "PO-24018", "vendor_name": "Cloud Nine Wholesale",
             "vendor_license": "C11-0000333-LIC", "lines": [
                 {"item": "Pineapple Express Cart 0.5g", "quantity": 300, "unit_cost": "14.00"},
                 {"item": "Strawberry Cough Cart 1g", "quantity": 250, "unit_cost": "19.00"},
                 {"item": "Live Resin Cart 1g", "quantity": 100, "unit_cost": "22.00"},
                 {"item": "Disposable Pen 0.3g", "quantity": 160, "unit_cost": "9.00"},
                 {"item": "Watermelon Gummies 100mg", "quantity": 300, "unit_cost": "6.50"},
                 {"item": "CBD 1:1 Cart 0.5g", "quantity": 50, "unit_cost": "15.00"}]}},
    ]

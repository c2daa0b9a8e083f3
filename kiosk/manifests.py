"""Incoming manifests: what is expected, what was ordered, what the lab said.

The receiving and paper-manifest workflows ask their questions here, so the workflow files
read like the SOP and the queries live in one place: open deliveries, which other open
manifest lists a tag, the purchase-order match, the COA verdict for a package, the
acceptance sheet, and ``load_transfer``, which turns one plain dict into a manifest (the
demo data and tests use it; the syncer writes the same records from Metrc). ``release``
hands a manifest back to the expected deliveries when its receiving is cancelled.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from peewee import JOIN, fn

from kiosk import clock, ledger
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
from kiosk.words import UNIT_WORDS, Number, _

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
    """48 Each, 453.6 Grams: a quantity as people write it (no trailing zeros), in the
    reader's language where it is shown (``kiosk.words``)."""
    if value is None:
        return "-"
    number = Decimal(str(value)).normalize()
    text = Number(number, f"{number:f}")
    if not unit:
        return text
    return _("{number} {unit}", number=text, unit=UNIT_WORDS.get(unit, unit))


def split_tags(value) -> list[str]:
    """The tags in a manifest's list of source packages (Metrc's ``SourcePackageLabels``:
    commas, semicolons or spaces between them; or a list), upper case, each once, in order."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return list(dict.fromkeys(t for t in re.split(r"[\s,;]+", str(value or "").upper()) if t))


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
      label's declared potency), ``package_id`` (Metrc id, optional), ``source_tags`` (the
      packages it was made from: a list of tags, or one string with commas; optional)}
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
            metrc_package_id=pkg.get("package_id"),
            source_tags=", ".join(split_tags(pkg.get("source_tags"))))
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


def release(transfer_id: int) -> None:
    """The manifest is expected again and its packages undecided (a cancelled receiving:
    the verdicts stay in the run's events and the ledger). The chain records it, since it
    holds each line's verdict."""
    lines = [line for (line,) in TransferPackage.select(TransferPackage.id)
             .where(TransferPackage.transfer == transfer_id).order_by(TransferPackage.id)
             .tuples()]
    ledger.audit("transfer.release", f"transfer:{transfer_id}", {"lines": lines})
    (TransferPackage.update(state="shipped", received_quantity=None, reason="")
     .where(TransferPackage.transfer == transfer_id).execute())
    (Transfer.update(status="incoming", run_id=None, received_at=None)
     .where(Transfer.id == transfer_id).execute())


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


def any_discrepancy(transfer_id: int) -> bool:
    """Was any package rejected, or accepted with a difference (short, over, held)?"""
    return TransferPackage.select().where(
        TransferPackage.transfer == transfer_id,
        (TransferPackage.state == "rejected") | (TransferPackage.reason != "")).exists()


def unchecked(transfer_id: int, limit: int | None = None) -> list[TransferPackage]:
    """Packages on the manifest not yet checked, in manifest order."""
    query = (TransferPackage.select().where(TransferPackage.transfer == transfer_id,
                                            TransferPackage.state == "shipped")
             .order_by(TransferPackage.id))
    return list(query.limit(limit) if limit else query)


def tags(transfer_id: int) -> list[str]:
    """Every package tag on the manifest."""
    return [tag for (tag,) in TransferPackage.select(TransferPackage.tag)
            .where(TransferPackage.transfer == transfer_id).tuples()]


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
        return Coa("missing", _("No lab results (COA) for this package or batch {batch}.",
                                batch=tp.batch or "-"))
    ref = next((r.coa_ref for r in rows if r.coa_ref), "")
    thc = next((Decimal(str(r.thc_pct)) for r in rows if r.thc_pct is not None), None)
    cbd = next((Decimal(str(r.cbd_pct)) for r in rows if r.cbd_pct is not None), None)
    failed = [r.test_type for r in rows if not r.passed]
    if failed:
        return Coa("failed", _("Lab test failed: {tests}.", tests=", ".join(failed)), ref, thc,
                   cbd)
    label_thc = _dec(tp.label_thc_pct)
    label_cbd = _dec(tp.label_cbd_pct)
    for name, label, lab in (("THC", label_thc, thc), ("CBD", label_cbd, cbd)):
        if _off(label, lab, tolerance_pct):
            return Coa("potency", _("Label says {name} {label}% but the lab found {lab}% (more "
                                    "than {tolerance}% apart).", name=name,
                                    label=_percent(label), lab=_percent(lab),
                                    tolerance=Number(tolerance_pct, f"{tolerance_pct:g}")),
                       ref, thc, cbd)
    if thc is not None:
        return Coa("ok", _("COA {ref}: all tests passed, THC {thc}%.", ref=ref or _("on file"),
                           thc=_percent(thc)), ref, thc, cbd)
    return Coa("ok", _("COA {ref}: all tests passed, passed.", ref=ref or _("on file")), ref,
               thc, cbd)


def _percent(value: Decimal) -> Number:
    return Number(value.normalize(), f"{value.normalize():f}")


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


def oldest_stock(item_ids, transfer_id: int) -> dict[int, tuple]:
    """For each item, the vault shelf holding its oldest package in stock, with that
    package's received date and expiry: (shelf, received_at, expires_on). Oldest is the one
    FIFO sells first: the soonest expiry, else the earliest received."""
    this_delivery = TransferPackage.select(TransferPackage.tag).where(
        TransferPackage.transfer == transfer_id)
    rows = (Package.select(Package.item, Location.name, Package.received_at, Package.expires_on)
            .join(Location)
            .where(Package.item.in_(list(item_ids)), Location.kind == "vault",
                   Package.status == "active", Package.quantity > 0,
                   Package.tag.not_in(this_delivery))
            .order_by(Package.item, Package.expires_on.is_null(), Package.expires_on,
                      Package.received_at.is_null(), Package.received_at, Package.id)
            .tuples())
    oldest: dict[int, tuple] = {}
    for item_id, shelf, received, expires in rows:
        oldest.setdefault(item_id, (shelf, received, expires))
    return oldest


def accepted(transfer_id: int) -> list[TransferPackage]:
    """The accepted lines of a manifest, each with its ``package`` and item."""
    return list(TransferPackage.select(TransferPackage, Package, Item)
                .join(Package, on=(Package.tag == TransferPackage.tag), attr="package")
                .join(Item)
                .where(TransferPackage.transfer == transfer_id,
                       TransferPackage.state == "accepted").order_by(TransferPackage.id))

"""Record a paper manifest while the state system is down. SOP §2 "Receiving a shipment
(intake)", step 1 (the driver's paper), revision 1.

State rules allow a local record during an outage, entered into the state system later.
The receiver types the manifest number and the transport details from the driver's paper,
then scans each package's tag, the item's barcode and keys the shipped count, and says
whether a passing COA came with it. Once signed, the manifest is an expected delivery like
any other and is received with "Receive a delivery".
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, manifests
from kiosk.deliveries import manifest_code
from kiosk.engine import FINISH, Offer, Signer, Workflow, confirm, count, scan, sign_off, text
from kiosk.manifests import quantity_text
from kiosk.models import (
    Item,
    LabResult,
    Package,
    PurchaseOrder,
    PurchaseOrderLine,
    Run,
    Transfer,
    TransferPackage,
)
from kiosk.words import UNIT_WORDS, Known, _, n_

RECEIVER_ROLES = ("receiver", "manager")
LICENSE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{3,30}"
SHOWN_ITEMS = 20


def _transfer(run) -> Transfer:
    return Transfer.get_by_id(run.data["transfer"])


def number_is_new(run, scanned):
    """The manifest number is not already known (a draft left by a cancelled run may be reused)."""
    known = Transfer.get_or_none(Transfer.manifest_number == scanned.value)
    if known is None:
        return None
    owner = Run.get_or_none(Run.id == known.run_id) if known.run_id else None
    if known.status == "draft" and (owner is None or owner.status != "active"):
        return None
    if known.status == "draft":
        return _("Manifest {manifest} is being recorded in another run (started by {name}). "
                 "Resume that one from the home screen.", manifest=scanned.value,
                 name=owner.operator.name)
    known_words = dict(manifest=scanned.value, status=Known(known.status),
                       shipper=known.shipper_name or known.shipper_license)
    if known.status not in manifests.OPEN:
        return _("Manifest {manifest} is already known ({status}, from {shipper}). There is "
                 "nothing to record or receive.", **known_words)
    return Offer(_("Manifest {manifest} is already known ({status}, from {shipper}). Receive "
                   "it with Receive a delivery.", **known_words), "receiving",
                 _("Receive a delivery"), manifest_code(known.manifest_number))


def start_draft(run, scanned, ctx):
    """Create the manifest as a draft (not yet an expected delivery)."""
    known = Transfer.get_or_none(Transfer.manifest_number == scanned.value)
    if known is None:
        known = Transfer.create(manifest_number=scanned.value, source="paper", status="draft",
                                receiver_license=ctx.settings.get("license", ""),
                                created_at=ctx.event.at, run_id=run.id)
    else:
        Transfer.update(run_id=run.id).where(Transfer.id == known.id).execute()
    run.data.update(transfer=known.id, manifest=scanned.value)
    ctx.audit("paper_manifest.start", f"transfer:{known.id}", {"manifest": scanned.value})
    ctx.message = _("Paper manifest {manifest} started.", manifest=scanned.value)


def record_shipper(run, licence, ctx):
    """Keep the shipper's licence; its name is filled in when we have dealt with it before."""
    licence = licence.upper()
    name = (PurchaseOrder.select(PurchaseOrder.vendor_name)
            .where(PurchaseOrder.vendor_license == licence).scalar()
            or Transfer.select(Transfer.shipper_name)
            .where(Transfer.shipper_license == licence, Transfer.shipper_name != "").scalar()
            or "")
    Transfer.update(shipper_license=licence, shipper_name=name).where(
        Transfer.id == run.data["transfer"]).execute()
    run.data["shipper_known"] = bool(name)
    ctx.message = (_("Shipper: {name}.", name=name) if name
                   else _("A shipper we have not seen: type its name."))


def shipper_is_known(run):
    """The shipper's name is already known from an order or an earlier delivery."""
    return bool(run.data.get("shipper_known"))


def record_shipper_name(run, name, ctx):
    """Keep the shipper's name as the paper shows it."""
    Transfer.update(shipper_name=name).where(Transfer.id == run.data["transfer"]).execute()


def record_driver(run, name, ctx):
    """Keep the driver's name."""
    Transfer.update(driver_name=name).where(Transfer.id == run.data["transfer"]).execute()


def record_vehicle(run, vehicle, ctx):
    """Keep the vehicle and note the arrival time."""
    Transfer.update(vehicle=vehicle, actual_arrival=ctx.event.at).where(
        Transfer.id == run.data["transfer"]).execute()


def record_cases(run, number, ctx):
    """Keep the case count the paper shows."""
    Transfer.update(case_count=int(number)).where(Transfer.id == run.data["transfer"]).execute()


def entered(run):
    """The manifest so far: its packages, newest first."""
    transfer = _transfer(run)
    lines = list(transfer.packages.order_by(TransferPackage.id.desc()))
    shown = {"progress": n_("{count} package entered", "{count} packages entered", len(lines)),
             "facts": [(_("Manifest"), transfer.manifest_number),
                       (_("Shipper"), f"{transfer.shipper_name} ({transfer.shipper_license})"),
                       (_("Driver"), transfer.driver_name), (_("Vehicle"), transfer.vehicle)]}
    if lines:
        shown["items"] = {"title": _("Entered"), "rows": [
            _("{tag} · {item} · {amount}", tag=tp.tag, item=tp.item_name,
              amount=quantity_text(tp.shipped_quantity, tp.shipped_unit))
            for tp in lines[:SHOWN_ITEMS]]}
    if "tag" in run.data:
        shown["big"] = _("Package {tag}", tag=run.data["tag"])
    return shown


def tag_is_new_here(run, scanned):
    """A state tag, not yet on this paper manifest, another open manifest or in our stock."""
    if scanned == FINISH:
        if not _transfer(run).packages.exists():
            return _("Scan at least one package before finishing.")
        return None
    if scanned.kind != "package_tag":
        return _("That is an item barcode. Scan the package's 24-character state tag first.")
    if manifests.on_manifest(run.data["transfer"], scanned.value) is not None:
        return _("Package {tag} is already on this manifest. Scan the next one.",
                 tag=scanned.value)
    other = manifests.other_open_manifest(scanned.value, run.data["transfer"])
    if other is not None:
        return _("Package {tag} is on manifest {manifest} from {shipper}; receive that "
                 "delivery instead.", tag=scanned.value, manifest=other.manifest_number,
                 shipper=other.shipper_name)
    if Package.get_or_none(Package.tag == scanned.value) is not None:
        return _("Package {tag} is already in this store's stock. Call a manager.",
                 tag=scanned.value)
    return None


def hold_tag(run, scanned, ctx):
    """Keep the tag until its item and count are known."""
    run.data["tag"] = scanned.value
    ctx.message = _("Now scan the item's barcode (UPC) on the package.")


def item_choices(run):
    """Items to tap (those on the shipper's order first), or scan the item's UPC."""
    shown = entered(run)
    licence = _transfer(run).shipper_license
    ordered = (Item.select().join(PurchaseOrderLine, on=(PurchaseOrderLine.item == Item.id))
               .join(PurchaseOrder).where(PurchaseOrder.vendor_license == licence,
                                          Item.gtin.is_null(False)).distinct())
    items = list(ordered) or list(Item.select().where(Item.gtin.is_null(False))
                                  .order_by(Item.name).limit(SHOWN_ITEMS))
    shown["choices"] = {"title": _("Tap the item, or scan its barcode"),
                        "rows": [{"value": i.gtin, "label": i.name} for i in items[:SHOWN_ITEMS]]}
    return shown


def item_is_known(run, scanned):
    """The barcode belongs to an item this store sells."""
    if manifests.item_for_gtin(scanned.gtin) is None:
        return _("No item in this store has barcode {gtin}. Check the label or ask a manager "
                 "to add the item first.", gtin=scanned.gtin)
    return None


def hold_item(run, scanned, ctx):
    """Keep the item until the count is keyed."""
    item = manifests.item_for_gtin(scanned.gtin)
    run.data["item"] = item.id
    ctx.message = _("{item}: key the count the paper shows ({unit}).", item=item.name,
                    unit=UNIT_WORDS.get(item.unit, item.unit))


def item_unit(run):
    """The unit the item is counted in (Each, Grams ...)."""
    return Item.get_by_id(run.data["item"]).unit


def add_package(run, number, ctx):
    """Add the package to the manifest with the shipped count."""
    item = Item.get_by_id(run.data["item"])
    TransferPackage.create(transfer=run.data["transfer"], tag=run.data["tag"], item=item,
                           item_name=item.name, shipped_quantity=Decimal(number),
                           shipped_unit=item.unit)
    ctx.message = _("{item}: {amount}.", item=item.name, amount=quantity_text(number, item.unit))


def record_coa(run, answer, ctx):
    """A passing paper COA is kept as the package's lab result; without one it has none."""
    tag = run.data.pop("tag")
    run.data.pop("item", None)
    if answer["ok"]:
        LabResult.create(tag=tag, test_type="Paper COA (all tests)", passed=True,
                         coa_ref=f"paper, manifest {run.data['manifest']}",
                         tested_at=clock.now(), source="paper")
        ctx.message = _("COA noted. Scan the next package, or finish.")
    else:
        ctx.audit("paper_manifest.no_coa", f"package:{tag}", {"reason": answer["reason"]})
        ctx.message = _("No COA recorded: receiving will reject this package. Scan the next "
                        "one.")
        ctx.tone = "warn"


def publish(run, signers, ctx):
    """Signed: the manifest becomes an expected delivery, ready to receive."""
    transfer = _transfer(run)
    Transfer.update(status="incoming", run_id=None).where(Transfer.id == transfer.id).execute()
    ctx.audit("paper_manifest.recorded", f"transfer:{transfer.id}",
              {"manifest": transfer.manifest_number, "packages": transfer.packages.count()})
    ctx.message = _("Manifest {manifest} is recorded. Receive it now with Receive a delivery; "
                    "it is entered in Metrc when the system is back.",
                    manifest=transfer.manifest_number)


def summary(run):
    """One line for lists of runs."""
    if "manifest" not in run.data:
        return _("Typing the manifest number")
    return _("Paper manifest {manifest}: {count} packages", manifest=run.data["manifest"],
             count=_transfer(run).packages.count())


WORKFLOW = Workflow(
    key="paper_manifest",
    title=_("Paper manifest"),
    sop="SOP §2 Receiving a shipment (state system down)",
    version=1,
    roles=RECEIVER_ROLES,
    description=_("The state system is down: record the driver's paper manifest to receive "
                  "it."),
    summary=summary,
    steps=(
        scan("number", _("Type or scan the manifest number from the driver's paper."),
             expect=("manifest",), guards=(number_is_new,), effect=start_draft),
        text("shipper", _("Type the shipper's licence number."), pattern=LICENSE_PATTERN,
             example="C11-0000222-LIC", effect=record_shipper, show=entered),
        text("shipper_name", _("Type the shipper's name as the paper shows it."),
             skip_if=shipper_is_known, effect=record_shipper_name, show=entered),
        text("driver", _("Type the driver's name."), effect=record_driver, show=entered),
        text("vehicle", _("Type the vehicle: make, model and plate."), effect=record_vehicle,
             show=entered, example="Ford Transit 8ABC123"),
        count("cases", _("How many sealed cases does the paper list?"), unit="cases", whole=True,
              effect=record_cases, show=entered),
        scan("tag", _("Scan the next package's tag."), expect=("package_tag", "gtin", "gs1"),
             guards=(tag_is_new_here,), effect=hold_tag, show=entered, finish="sign",
             finish_label=_("All packages entered")),
        scan("item", _("Scan the item's barcode, or tap the item."), expect=("gtin", "gs1"),
             guards=(item_is_known,), effect=hold_item, show=item_choices),
        count("quantity", _("Key the shipped count from the paper."), unit_for=item_unit,
              effect=add_package, show=entered),
        confirm("coa", _("Did a COA for this batch come with it, showing every test passed?"),
                effect=record_coa, next="tag", show=entered),
        sign_off("sign", _("Sign the paper manifest record."),
                 signers=(Signer(RECEIVER_ROLES, "performed", _("receiver")),), effect=publish,
                 show=entered),
    ),
)

"""Returns to vendor (SOP §5): which vendors a package can go back to, whether a package may
go back to the one chosen (its licence against the manifest it came on), and the return's
record and slip.

Metrc's California collection gives a retailer no call to create an outgoing transfer
(``/transfers/v2`` has external incoming transfers and outgoing templates only), so, as with
receiving, the kiosk prints the exact sheet to enter in Metrc (the RTV slip), records who
entered it and the manifest number Metrc gave it, and the syncer reads the outgoing transfer
back (``sync/return_readback.py``).
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import holds, scans
from kiosk.engine import Offer
from kiosk.manifests import quantity_text
from kiosk.models import Package, ReturnLine, Transfer, TransferPackage, VendorReturn
from kiosk.words import Known, _


def vendors() -> list[tuple[str, str]]:
    """(name, licence) of every vendor that shipped to us, by name."""
    rows = (Transfer.select(Transfer.shipper_name, Transfer.shipper_license)
            .where(Transfer.shipper_license != "").distinct())
    return sorted({(t.shipper_name, t.shipper_license) for t in rows})


def came_on(package: Package) -> tuple[Transfer, TransferPackage] | None:
    """The manifest the package came to us on (the latest, if it came more than once)."""
    line = (TransferPackage.select(TransferPackage, Transfer).join(Transfer)
            .where(TransferPackage.tag == package.tag)
            .order_by(Transfer.id.desc()).first())
    return (line.transfer, line) if line is not None else None


def refusal(package: Package | None, tag: str, licence: str, taken: list[str]) -> str | None:
    """Why this package cannot go back to the vendor with ``licence``; None when it can."""
    if package is None:
        return _("Package {tag} is not in this store's records. Check the tag.", tag=tag)
    if package.tag in taken:
        return _("Package {tag} is already on this return.", tag=package.tag)
    if package.status == "rejected":
        pass  # rejected at receiving: the vendor's in Metrc, waiting in the cage
    elif holds.whole_hold(package) is not None and not holds.in_cage(package):
        return Offer(_("Package {tag} is on hold where it stands ({place}). Only what is in "
                       "the cage goes back: bring it into the cage first.",
                       tag=scans.short(package.tag), place=Known(holds.where(package))),
                     "quarantine", _("Bring it into the cage"), package.tag)
    elif holds.whole_hold(package) is None and holds.part_holds(package):
        return part_refusal(package)
    elif holds.whole_hold(package) is None:
        return Offer(_("Package {tag} is not on hold in the quarantine cage. Only what is in "
                       "the cage goes back: quarantine it first.", tag=scans.short(package.tag)),
                     "quarantine", _("Quarantine it first"), package.tag)
    found = came_on(package)
    if found is None:
        return _("Package {tag} came on no manifest this store has, so its vendor's licence "
                 "cannot be checked. It cannot go back on this return.", tag=package.tag)
    transfer = found[0]
    if transfer.shipper_license != licence:
        return _("Package {tag} came from {shipper} ({shipper_licence}) on manifest "
                 "{manifest}, not from this vendor ({licence}). It goes back to the vendor it "
                 "came from.", tag=package.tag, shipper=transfer.shipper_name,
                 shipper_licence=transfer.shipper_license,
                 manifest=transfer.manifest_number, licence=licence)
    return None


def part_refusal(package: Package) -> Offer:
    """Part of a package is held and the rest is in stock: what can be done with it. A
    transfer in Metrc carries whole packages and a retailer cannot split one there, so only
    the whole package can go back; the held units alone can be destroyed or released."""
    held = quantity_text(holds.parts_held(package), package.unit)
    rest = quantity_text(package.quantity, package.unit)
    return Offer(
        _("Only {held} of package {tag} is on hold; {rest} of it is still in stock on {place}. "
          "Metrc sends a whole package on a transfer and cannot split one, so part of a "
          "package cannot go back to its vendor. To return it, quarantine the rest of it too "
          "(all of it), then return the whole package. Or destroy the held units, or release "
          "them back into the package.", held=held, tag=scans.short(package.tag), rest=rest,
          place=Known(holds.where(package))),
        "quarantine", _("Quarantine the rest of it"), package.tag,
        also=(("destroy", _("Destroy the held units")),
              ("release", _("Release the held units"))))


def units_going_back(package: Package) -> Decimal:
    """Every unit of a package going back: its stock and the units held apart from it."""
    return Decimal(str(package.quantity)) + holds.parts_held(package)


def number(made: VendorReturn) -> str:
    return f"RTV-{made.id}"


def slip(made: VendorReturn, released_by: str, witnessed_by: str) -> dict:
    """The RTV slip: for the driver to sign, and the exact sheet to enter in Metrc."""
    lines = list(ReturnLine.select().where(ReturnLine.vendor_return == made.id)
                 .order_by(ReturnLine.id))
    return {"number": number(made), "at": made.created_at.isoformat(),
            "vendor": made.vendor_name, "license": made.vendor_license, "reason": made.reason,
            "released_by": released_by, "witnessed_by": witnessed_by,
            "packages": [{"tag": line.tag, "item": line.item_name,
                          "quantity": f"{line.quantity.normalize():f}", "unit": line.unit,
                          "manifest": line.manifest_number} for line in lines]}

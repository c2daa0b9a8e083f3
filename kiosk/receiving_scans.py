"""What receiving takes from the scanner: the checks on a scanned manifest, package tag or
location. Each is a step guard, ``(run, scanned) -> message or None``: the message says what
was scanned, why it is not taken, and what to do instead. The receiving workflow
(``kiosk/workflows/receiving.py``) names them in its steps.
"""

from __future__ import annotations

from kiosk import clock, manifests
from kiosk.deliveries import other_run
from kiosk.dock import NOT_RECEIVED
from kiosk.engine import FINISH, Offer
from kiosk.manifests import quantity_text
from kiosk.models import Location, Package, Transfer, TransferPackage
from kiosk.words import Known, _


def delivery_is_expected(run, scanned):
    """The manifest is expected, not received, voided or being received in another run."""
    transfer = Transfer.get_or_none(Transfer.manifest_number == scanned.value)
    if transfer is None or transfer.status == "draft":
        return Offer(_("Manifest {number} is not an expected delivery. Check the number on the "
                       "driver's paper; if the state system is down, record it with Paper "
                       "manifest.", number=scanned.value), "paper_manifest", _("Paper manifest"),
                     "" if transfer is not None else scanned.value)
    if transfer.status == "received":
        if transfer.received_at:
            at = clock.local(transfer.received_at)
            return _("Manifest {number} was already received on {day} at {time}. Do not receive "
                     "it twice.", number=scanned.value, day=at.strftime("%Y-%m-%d"),
                     time=at.strftime("%H:%M"))
        return _("Manifest {number} was already received. Do not receive it twice.",
                 number=scanned.value)
    if transfer.status == "cancelled":
        return _("Manifest {number} was voided by the shipper. Do not receive it; call a "
                 "manager.", number=scanned.value)
    other = other_run(transfer)
    if other is not None and other.id != run.id and other.status == "active":
        return _("Manifest {number} is already being received (started by {name} at {time}). "
                 "Resume that delivery from the home screen.", number=scanned.value,
                 name=other.operator.name, time=clock.local(other.started_at).strftime("%H:%M"))
    return None


def a_tag_not_an_item_barcode(run, scanned):
    """A package's state tag, not the item's UPC."""
    if scanned == FINISH or scanned.kind == "package_tag":
        return None
    item = manifests.item_for_gtin(scanned.gtin) if scanned.gtin else None
    what = _("the item barcode of {item}", item=item.name) if item else _("an item barcode (UPC)")
    return _("That is {what}, not a package tag. Scan the package's 24-character state tag.",
             what=what)


def tag_on_this_manifest(run, scanned):
    """The tag is on this manifest (if not, say which open manifest it belongs to)."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    if manifests.on_manifest(run.data["transfer"], scanned.value) is not None:
        return None
    other = manifests.other_open_manifest(scanned.value, run.data["transfer"])
    if other is not None:
        return _("Package {tag} is not on this manifest; it belongs to manifest {number} from "
                 "{shipper}. Set it aside for that delivery.", tag=scanned.value,
                 number=other.manifest_number, shipper=other.shipper_name)
    return _("Package {tag} is not on manifest {number}. Set it aside and call a manager; it "
             "must not go into stock.", tag=scanned.value, number=run.data["manifest"])


def tag_not_checked_yet(run, scanned):
    """The package has not been checked already in this delivery."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    line = manifests.on_manifest(run.data["transfer"], scanned.value)
    if line.state == "shipped":
        return None
    result = (_("accepted, {quantity}",
                quantity=quantity_text(line.received_quantity, line.shipped_unit))
              if line.state == "accepted" else _("rejected: {reason}",
                                                 reason=Known(line.reason)))
    return _("Package {tag} was already checked ({result}). Scan the next one; to change it, "
             "use the review before signing.", tag=scanned.value, result=result)


def tag_not_already_in_stock(run, scanned):
    """The tag is not one of the store's packages (a cancelled receiving's do not count)."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    package = Package.get_or_none(Package.tag == scanned.value)
    if package is None or package.status == NOT_RECEIVED:
        return None
    where = package.location.name if package.location_id else _("no location")
    return _("Package {tag} is already in this store's stock ({where}). A tag cannot arrive "
             "twice: set it aside and call a manager.", tag=scanned.value, where=where)


def waiting_to_put_away(run, scanned):
    """The package is one of this delivery's accepted packages not yet on a shelf."""
    if scanned.kind != "package_tag":
        return a_tag_not_an_item_barcode(run, scanned)
    if manifests.to_put_away(run.data["transfer"]).where(
            TransferPackage.tag == scanned.value).exists():
        return None
    line = manifests.on_manifest(run.data["transfer"], scanned.value)
    if line is None:
        return tag_on_this_manifest(run, scanned)
    if line.state == "rejected" or line.reason:
        return _("Package {tag} goes to quarantine, not to a shelf.", tag=scanned.value)
    return _("Package {tag} is already put away. Scan one still on the list.", tag=scanned.value)


def tag_already_checked(run, scanned):
    """To change a result, the package must be on this manifest and checked."""
    if scanned == FINISH:
        return None
    if scanned.kind != "package_tag":
        return a_tag_not_an_item_barcode(run, scanned)
    return tag_on_this_manifest(run, scanned)


def _not_a(scanned, kind: str, label, wrong) -> str | None:
    location = Location.get_or_none(Location.code == scanned.value)
    if location is None or not location.active:
        return _("{code} is not a location in this store. Scan {label}.", code=scanned.value,
                 label=label)
    return None if location.kind == kind else wrong(location.name)


def is_quarantine_location(run, scanned):
    """The label scanned is a quarantine location."""
    return _not_a(scanned, "quarantine", _("the quarantine cage's label"),
                  lambda name: _("{place} is not a quarantine location. Scan the quarantine "
                                 "cage's label.", place=name))


def is_vault_shelf(run, scanned):
    """The label scanned is a vault location."""
    return _not_a(scanned, "vault", _("a vault shelf label"),
                  lambda name: _("{place} is not a vault location. New stock goes on a vault "
                                 "shelf first; scan a vault shelf label.", place=name))

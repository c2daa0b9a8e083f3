"""Move a package: restock and putaway by scan. SOP §4 "Fulfilment: pick queue and restock"
(restock from the floor works the same way), revision 1.

Scan the package's tag, then the label of the place it is going. Each move is a ledger
movement and is reported to the state system (package location) and the POS.
"""

from __future__ import annotations

from kiosk import clock, holds
from kiosk.engine import FINISH, Offer, Refuse, Workflow, scan
from kiosk.models import Location, Package
from kiosk.words import Known, _, n_

MOVER_ROLES = ("vault", "runner", "receiver", "manager")
# Quarantine has its own procedure (reason, hold, label); a plain move never goes there.
MOVABLE_TO = ("vault", "sales_floor", "tote")


def package_can_move(run, scanned):
    """The tag is one of our packages and is in stock, not held (finishing needs no check)."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if package is None:
        return _("Package {tag} is not in this store's stock. Check the tag.", tag=scanned.value)
    if package.status == "quarantined" and not holds.in_cage(package):
        return Offer(_("Package {tag} is on hold (a recall); it can't be moved except into the "
                       "quarantine cage.", tag=scanned.value), "quarantine",
                     _("Bring it into the cage"), package.tag)
    if package.status == "quarantined":
        return Offer(_("Package {tag} is on hold in quarantine; it can't be moved. To put it "
                       "back in stock, release it (a manager signs).", tag=scanned.value),
                     "release", _("Release it from quarantine"), package.tag)
    if package.status == "rejected":
        return Offer(_("Package {tag} was rejected at receiving: it is still the vendor's in "
                       "Metrc, so it can't be moved into stock. It goes back to its vendor.",
                       tag=scanned.value), "return_to_vendor", _("Return it to its vendor"))
    if package.status != "active":
        return _("Package {tag} is {status}; it can't be moved.", tag=scanned.value,
                 status=Known(package.status.replace("_", " ")))
    return None


def remember_package(run, scanned, ctx):
    """Keep the tag for the next scan and show where it is now."""
    package = Package.one(tag=scanned.value)
    run.data["tag"] = package.tag
    run.data["from"] = package.location.name if package.location else "nowhere yet"
    ctx.message = _("{item}: now scan where it goes (it is on {place}).", item=package.item.name,
                    place=Known(run.data["from"]))


def destination_is_valid(run, scanned):
    """The location exists, is in use, is a shelf, floor or tote, and is not where it is."""
    location = Location.one(code=scanned.value)
    if location is None or not location.active:
        return _("{code} is not a location in this store. Scan a shelf label.",
                 code=scanned.value)
    if location.kind == "quarantine":
        return Offer(_("{place} is the quarantine cage: a package goes there with a reason and "
                       "a quarantine label.", place=location.name), "quarantine",
                     _("Quarantine this package"), run.data["tag"])
    if location.kind not in MOVABLE_TO:
        return _("{place} is a {kind} location; packages are moved to a vault shelf, the sales "
                 "floor or a tote.", place=location.name,
                 kind=Known(location.kind.replace("_", " ")))
    package = Package.one(tag=run.data["tag"])
    if package.location_id == location.id:
        return _("Package {tag} is already on {place}.", tag=package.tag, place=location.name)
    return None


def move_package(run, scanned, ctx):
    """Record the move and tell the state system and the POS."""
    package = Package.one(tag=run.data["tag"])
    if package.status != "active":
        raise Refuse(_("Package {tag} was put on hold meanwhile; it can't be moved.",
                       tag=package.tag))
    location = Location.one(code=scanned.value)
    ctx.movement(package, 0, "move", to_location=location, reason="restock")
    ctx.outbox("metrc", "package.location", {"tag": package.tag, "location_name": location.name,
                                             "date": clock.store_date(ctx.event.at).isoformat()},
               ordering_key=package.tag)
    ctx.outbox("pos", "stock.moved", {"tag": package.tag, "location": location.name},
               ordering_key=package.tag)
    run.data["moved"] = run.data.get("moved", 0) + 1
    run.data.pop("tag", None)
    ctx.message = _("Moved {tag} to {place}. Scan the next package.", tag=package.tag[-6:],
                    place=location.name)


def progress(run):
    """How many packages this run has moved."""
    moved = run.data.get("moved", 0)
    facts = []
    if "tag" in run.data:
        facts = [(_("Package"), run.data["tag"]), (_("Now on"), Known(run.data["from"]))]
    return {"progress": n_("{count} package moved", "{count} packages moved", moved),
            "facts": facts}


def summary(run):
    """One line for lists of runs."""
    return _("{count} moved", count=run.data.get("moved", 0))


WORKFLOW = Workflow(
    key="move_package",
    title=_("Move packages"),
    sop="SOP §4 Fulfilment: restock",
    version=1,
    roles=MOVER_ROLES,
    description=_("Restock or put away: scan a package, then the shelf, floor or tote it goes "
                  "to."),
    summary=summary,
    steps=(
        scan("package", _("Scan the package tag."), expect=("package_tag",),
             guards=(package_can_move,), effect=remember_package, show=progress,
             finish="__end__", finish_label=_("Finish moving")),
        scan("destination", _("Scan the label of the place it goes."), expect=("location",),
             guards=(destination_is_valid,), effect=move_package, next="package", show=progress),
    ),
)

"""Move a package: restock and putaway by scan. SOP §4 "Fulfilment: pick queue and restock"
(restock from the floor works the same way), revision 1.

Scan the package's tag, then the label of the place it is going. Each move is a ledger
movement and is reported to the state system (package location) and the POS.
"""

from __future__ import annotations

from kiosk import clock, holds
from kiosk.engine import FINISH, Offer, Refuse, Workflow, scan
from kiosk.models import Location, Package

MOVER_ROLES = ("vault", "runner", "receiver", "manager")
# Quarantine has its own procedure (reason, hold, label); a plain move never goes there.
MOVABLE_TO = ("vault", "sales_floor", "tote")


def package_can_move(run, scanned):
    """The tag is one of our packages and is in stock, not held (finishing needs no check)."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if package is None:
        return f"Package {scanned.value} is not in this store's stock. Check the tag."
    if package.status == "quarantined" and not holds.in_cage(package):
        return Offer(f"Package {scanned.value} is on hold (a recall); it can't be moved except "
                     "into the quarantine cage.", "quarantine", "Bring it into the cage",
                     package.tag)
    if package.status == "quarantined":
        return Offer(f"Package {scanned.value} is on hold in quarantine; it can't be moved. "
                     "To put it back in stock, release it (a manager signs).", "release",
                     "Release it from quarantine", package.tag)
    if package.status == "rejected":
        return Offer(f"Package {scanned.value} was rejected at receiving: it is still the "
                     "vendor's in Metrc, so it can't be moved into stock. It goes back to its "
                     "vendor.", "return_to_vendor", "Return it to its vendor")
    if package.status != "active":
        return f"Package {scanned.value} is {package.status.replace('_', ' ')}; it can't be moved."
    return None


def remember_package(run, scanned, ctx):
    """Keep the tag for the next scan and show where it is now."""
    package = Package.one(tag=scanned.value)
    run.data["tag"] = package.tag
    run.data["from"] = package.location.name if package.location else "nowhere yet"
    ctx.message = f"{package.item.name}: now scan where it goes (it is on {run.data['from']})."


def destination_is_valid(run, scanned):
    """The location exists, is in use, is a shelf, floor or tote, and is not where it is."""
    location = Location.one(code=scanned.value)
    if location is None or not location.active:
        return f"{scanned.value} is not a location in this store. Scan a shelf label."
    if location.kind == "quarantine":
        return Offer(f"{location.name} is the quarantine cage: a package goes there with a "
                     "reason and a quarantine label.", "quarantine", "Quarantine this package",
                     run.data["tag"])
    if location.kind not in MOVABLE_TO:
        return (f"{location.name} is a {location.kind.replace('_', ' ')} location; packages "
                "are moved to a vault shelf, the sales floor or a tote.")
    package = Package.one(tag=run.data["tag"])
    if package.location_id == location.id:
        return f"Package {package.tag} is already on {location.name}."
    return None


def move_package(run, scanned, ctx):
    """Record the move and tell the state system and the POS."""
    package = Package.one(tag=run.data["tag"])
    if package.status != "active":
        raise Refuse(f"Package {package.tag} was put on hold meanwhile; it can't be moved.")
    location = Location.one(code=scanned.value)
    ctx.movement(package, 0, "move", to_location=location, reason="restock")
    ctx.outbox("metrc", "package.location", {"tag": package.tag, "location_name": location.name,
                                             "date": clock.store_date(ctx.event.at).isoformat()},
               ordering_key=package.tag)
    ctx.outbox("pos", "stock.moved", {"tag": package.tag, "location": location.name},
               ordering_key=package.tag)
    run.data["moved"] = run.data.get("moved", 0) + 1
    run.data.pop("tag", None)
    ctx.message = f"Moved {package.tag[-6:]} to {location.name}. Scan the next package."


def progress(run):
    """How many packages this run has moved."""
    moved = run.data.get("moved", 0)
    facts = []
    if "tag" in run.data:
        facts = [("Package", run.data["tag"]), ("Now on", run.data["from"])]
    return {"progress": f"{moved} package{'s' if moved != 1 else ''} moved", "facts": facts}


def summary(run):
    """One line for lists of runs."""
    return f"{run.data.get('moved', 0)} moved"


WORKFLOW = Workflow(
    key="move_package",
    title="Move packages",
    sop="SOP §4 Fulfilment: restock",
    version=1,
    roles=MOVER_ROLES,
    description="Restock or put away: scan a package, then the shelf, floor or tote it goes to.",
    summary=summary,
    steps=(
        scan("package", "Scan the package tag.", expect=("package_tag",),
             guards=(package_can_move,), effect=remember_package, show=progress,
             finish="__end__", finish_label="Finish moving"),
        scan("destination", "Scan the label of the place it goes.", expect=("location",),
             guards=(destination_is_valid,), effect=move_package, next="package", show=progress),
    ),
)

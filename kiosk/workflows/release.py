"""Release a package from quarantine. SOP §5 "Quarantine, returns and return-to-vendor",
step 4 (back to stock, with a second signature), revision 1.

Scan the held package (its quarantine label's barcode is its tag), choose why it may be sold
again, scan the shelf or floor it goes back to, and a manager signs: never the person who put
it on hold, nor the one releasing it. The signature is the step that releases it: the package
is sellable again where it was put, the POS hears of the release and Metrc of its place and a
note, and a package label prints to replace the quarantine label. A part of a package that
was held goes back into the package, wherever it is.
"""

from __future__ import annotations

from kiosk import holds, scans
from kiosk.engine import Offer, Option, Refuse, Signer, Workflow, choose, scan, sign_off, text
from kiosk.manifests import quantity_text
from kiosk.models import Employee, Location, Package, PackageHold
from kiosk.words import Known, _

STARTER_ROLES = ("runner", "vault", "receiver", "manager")
# Kept in English on the record; a screen says them again in the reader's language (Known).
REASONS = {"inspected": _("Inspected: nothing wrong with it"),
           "lab_passed": _("Lab retest passed"),
           "resolved": _("Discrepancy resolved"),
           "resaleable": _("Customer return is resaleable"),
           "recall_lifted": _("The recall was lifted"),
           "other": _("Other")}


def _hold(run) -> PackageHold:
    return PackageHold.get_by_id(run.data["hold"])


def package_is_held(run, scanned):
    """The package has a hold that a release can end."""
    package = Package.one(tag=scanned.value)
    if package is None:
        return _("Package {tag} is not in this store's stock. Check the tag.", tag=scanned.value)
    held = holds.open_holds(package)
    if package.status == "rejected" and all(h.reason == "rejected" for h in held):
        return Offer(_("Package {tag} was rejected at receiving: it is not ours in Metrc and "
                       "cannot go back to stock. It goes back to its vendor.",
                       tag=scans.short(package.tag)),
                     "return_to_vendor", _("Return it to its vendor"))
    if not held:
        return _("Package {tag} is not on hold; there is nothing to release.",
                 tag=scans.short(package.tag))
    return None


def take_package(run, scanned, ctx):
    """The package in hand; its only hold is taken at once, several are chosen from."""
    package = Package.one(tag=scanned.value)
    held = [holds.kept(h) for h in holds.open_holds(package) if h.reason != "rejected"]
    run.data.update(tag=package.tag, holds=[h.id for h in held], hold=held[0].id)
    ctx.message = _("{item}: on hold for {age}.", item=package.item.name,
                    age=holds.age(held[0].held_at))


def one_hold(run):
    """The package has one hold to release."""
    return len(run.data.get("holds", [])) <= 1


def hold_choices(run):
    """Each open hold of the package: what is held, and why."""
    return [Option(f"hold:{h.id}", _("{amount}: {reason}", amount=quantity_text(h.quantity, h.unit),
                                      reason=Known(h.reason_text)) if h.whole
                   else _("{amount} (part): {reason}", amount=quantity_text(h.quantity, h.unit),
                          reason=Known(h.reason_text)))
            for h in PackageHold.select().where(PackageHold.id.in_(run.data["holds"]))]


def record_which(run, option, ctx):
    """The hold this release ends."""
    run.data["hold"] = int(option.value.split(":")[1])


def reason_choices(run):
    """Why it may be sold again (a recall's hold only once the recall is lifted); 'other'
    asks for the words."""
    codes = (("recall_lifted", "other") if _hold(run).recall_id is not None
             else tuple(c for c in REASONS if c != "recall_lifted"))
    return [Option(c, REASONS[c], next="note" if c == "other" else "shelf") for c in codes]


def record_reason(run, option, ctx):
    """Keep the reason (the words come next for 'other')."""
    run.data.update(reason=REASONS[option.value], other=option.value == "other")


def record_note(run, note, ctx):
    """The reason in the releaser's words."""
    run.data["reason"] = note


def part_hold(run):
    """Held units go back into their package, wherever it is: no shelf to scan."""
    return not _hold(run).whole


def is_a_stock_place(run, scanned):
    """The label scanned is a vault shelf or the sales floor, in use."""
    place = Location.one(code=scanned.value)
    if place is None or not place.active:
        return _("{code} is not a location in this store. Scan a shelf label.",
                 code=scanned.value)
    if place.kind not in holds.STOCK_PLACES:
        return _("{place} is not a stock location. Put the package on a vault shelf or the "
                 "sales floor and scan its label.", place=place.name)
    return None


def record_shelf(run, scanned, ctx):
    """Where it goes back."""
    place = Location.one(code=scanned.value)
    run.data.update(shelf=place.code, shelf_name=place.name)
    ctx.message = _("It goes back to {place}. A manager signs to release it.",
                    place=place.name)


def not_who_held_it(run, value):
    """The approving manager is neither the person who held it nor the one releasing it."""
    signer, held = value["employee"], _hold(run)
    if signer.id == held.held_by_id:
        return _("{name} put this package on hold and can't approve its release. Another "
                 "manager must sign.", name=signer.name)
    if signer.id == run.operator_id:
        return _("{name} is releasing this package; the release needs a second person. "
                 "Another manager must sign.", name=signer.name)
    return None


def release_it(run, signers, ctx):
    """Signed: sellable again, the POS and Metrc told, a package label printing."""
    held = _hold(run)
    if held.status != "held":
        raise Refuse(_("This hold was ended meanwhile ({status}); nothing was released.",
                       status=Known(held.status)))
    shelf = Location.one(code=run.data["shelf"]) if held.whole else None
    holds.release(ctx, held, shelf, run.data["reason"], signers[0])
    package = Package.one(id=held.package_id)
    place = shelf.name if shelf is not None else Known(holds.where(package))
    ctx.message = _("Released: {tag} is sellable again on {place}. Put the new package label "
                    "on it in place of the quarantine label.", tag=package.tag, place=place)


def facts(run):
    """The held package and what its release will be."""
    held = _hold(run)
    package = Package.one(id=held.package_id)
    who = Employee.get_by_id(held.held_by_id).name if held.held_by_id else _("receiving")
    amount = quantity_text(held.quantity, held.unit)
    shown = [(_("Package"), package.tag), (_("Item"), package.item.name),
             (_("Held"), amount if held.whole
              else _("{amount} (part of the package)", amount=amount)),
             (_("Why it was held"), Known(held.reason_text)),
             (_("Held by"), _("{who}, {age} ago", who=who, age=holds.age(held.held_at)))]
    if run.data.get("reason"):
        shown.append((_("Why it is released"), Known(run.data["reason"])))
    if run.data.get("shelf_name"):
        shown.append((_("Goes back to"), run.data["shelf_name"]))
    return {"facts": shown}


def summary(run):
    """One line for lists of runs."""
    return (_("Releasing {tag}", tag=run.data["tag"]) if "tag" in run.data
            else _("Scanning the package"))


WORKFLOW = Workflow(
    key="release",
    title=_("Release from quarantine"),
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=STARTER_ROLES,
    description=_("Put a held package back in stock, with a manager's signature."),
    summary=summary,
    steps=(
        scan("package", _("Scan the held package (its quarantine label)."),
             expect=("package_tag",), guards=(package_is_held,), effect=take_package),
        choose("which", _("Which hold is released?"), (), options_for=hold_choices,
               effect=record_which, skip_if=one_hold, show=facts),
        choose("reason", _("Why may it be sold again?"), (), options_for=reason_choices,
               effect=record_reason, show=facts),
        text("note", _("Say why it may be sold again."), max_length=200, effect=record_note,
             next="shelf", show=facts),
        scan("shelf", _("Put it back on a vault shelf or the sales floor, then scan its label."),
             expect=("location",), guards=(is_a_stock_place,), effect=record_shelf,
             skip_if=part_hold, show=facts),
        sign_off("sign", _("A manager approves the release (not the person who held it)."),
                 signers=(Signer(("manager",), "approved", _("manager")),),
                 guards=(not_who_held_it,), effect=release_it, show=facts),
    ),
)

"""Destroy a package. SOP §5 "Quarantine, returns and return-to-vendor" (destruction),
revision 1.

Only a package held in the quarantine cage can be destroyed. Scan it, weigh the waste on the
scale (or type the weight and say why, and it is kept as typed), choose how it is destroyed
(the state's methods), what non-cannabis waste it was mixed with where the method needs one,
and Metrc's adjustment reason with a note. Two people sign: the one who destroys it and a
witness. The signatures are the step that does it all: the package (or its held units)
leaves the ledger, the hold ends as destroyed, Metrc is told an adjustment to zero with the
reason and then that the package is finished, the POS removes it, and the destruction log
slip prints for the waste record.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import holds, scans, variances
from kiosk.engine import (
    Back,
    Offer,
    Option,
    Refuse,
    Signer,
    Workflow,
    choose,
    print_step,
    scan,
    sign_off,
    text,
    weigh,
)
from kiosk.manifests import quantity_text
from kiosk.models import Destruction, Package, PackageHold
from kiosk.words import Known, _

DESTROYER_ROLES = ("vault", "manager")
# California (DCC, 4 CCR §17223): cannabis waste is made unusable and unrecognizable, by
# grinding and mixing it with at least as much non-cannabis waste, before it is composted,
# hauled or taken to a permitted facility. code -> (words, needs the mix noted); the words
# are kept in English on the record and said again in the reader's language (Known).
METHODS = {"grind_mix": (_("Ground and mixed 50:50 with non-cannabis waste"), True),
           "compost": (_("Mixed with non-cannabis waste and composted on site"), True),
           "hauler": (_("Handed to a licensed waste hauler (mixed on collection)"), False),
           "incinerate": (_("Taken to a permitted incineration facility"), False)}


def _hold(run) -> PackageHold:
    return PackageHold.get_by_id(run.data["hold"])


def package_is_in_the_cage(run, scanned):
    """Only a package held in the cage can be destroyed; anything else names the way in."""
    package = Package.one(tag=scanned.value)
    if package is None:
        return _("Package {tag} is not in this store's stock. Check the tag.", tag=scanned.value)
    held = [h for h in holds.open_holds(package) if h.reason != "rejected"]
    if not held:
        if package.status == "rejected":
            return Offer(_("Package {tag} was rejected at receiving: it is still the vendor's "
                           "in Metrc, so it goes back to them.", tag=scans.short(package.tag)),
                         "return_to_vendor", _("Return it to its vendor"))
        return Offer(_("Package {tag} is not on hold in the quarantine cage. Nothing can be "
                       "destroyed that is not in the cage.", tag=scans.short(package.tag)),
                     "quarantine", _("Quarantine it first"), package.tag)
    whole = next((h for h in held if h.whole), None)
    if whole is not None and not holds.in_cage(package):
        return Offer(_("Package {tag} is on hold where it stands ({place}). Bring it into the "
                       "cage first.", tag=scans.short(package.tag),
                       place=Known(holds.where(package))),
                     "quarantine", _("Bring it into the cage"), package.tag)
    return None


def take_package(run, scanned, ctx):
    """The hold destroyed: the whole package if it is held whole, else its held units."""
    package = Package.one(tag=scanned.value)
    held = [h for h in holds.open_holds(package) if h.reason != "rejected"]
    chosen = holds.kept(next((h for h in held if h.whole), held[0]))
    run.data.update(tag=package.tag, hold=chosen.id,
                    state_system=ctx.settings.get("state_system", "metrc"))
    amount = _amount(chosen, package)
    if chosen.whole and holds.part_holds(package):
        ctx.message = _("{amount} of {item} to destroy (with {apart} held apart from it: those "
                        "too) ({reason}). Weigh the waste.",
                        amount=quantity_text(amount, chosen.unit), item=package.item.name,
                        apart=quantity_text(holds.parts_held(package), chosen.unit),
                        reason=Known(chosen.reason_text))
    else:
        ctx.message = _("{amount} of {item} to destroy ({reason}). Weigh the waste.",
                        amount=quantity_text(amount, chosen.unit), item=package.item.name,
                        reason=Known(chosen.reason_text))


def _amount(held: PackageHold, package: Package) -> Decimal:
    """What is destroyed: a held part, or the whole package with every unit held apart from
    it (Metrc adjusts the package to zero and finishes it, so nothing of it may stay)."""
    if not held.whole:
        return Decimal(str(held.quantity))
    return Decimal(str(package.quantity)) + holds.parts_held(package)


def record_weight(run, weight, ctx):
    """The waste's weight; a typed one keeps its reason and is marked as typed."""
    run.data.update(weight=f"{weight['weight']:f}", weight_unit=weight["unit"],
                    keyed=weight["keyed"], keyed_reason=weight.get("reason", ""))


def method_choices(run):
    """The state's methods; those that mix it with other waste ask what with."""
    return [Option(code, words, next="mixed" if mix else "reason")
            for code, (words, mix) in METHODS.items()]


def record_method(run, option, ctx):
    """Keep the method in words, as the log slip prints it."""
    run.data.update(method=METHODS[option.value][0], mixed="")


def record_mix(run, words, ctx):
    """Keep what it was mixed with, and how much."""
    run.data["mixed"] = words


def reason_choices(run):
    """Metrc's adjustment reasons as last pulled (the destruction ones first)."""
    found = variances.reasons(run.data["state_system"])
    found.sort(key=lambda r: ("waste" not in r["name"].lower()
                              and "destr" not in r["name"].lower(), r["name"]))
    if not found:
        return [Option("none", _("Metrc's reasons are not pulled yet: cancel and try later"))]
    return [Option(r["name"], r["name"]) for r in found]


def record_reason(run, option, ctx):
    """Keep Metrc's reason (there is none to keep before the syncer pulls them)."""
    if option.value == "none":
        raise Refuse(_("Metrc's adjustment reasons have not been pulled yet (the syncer pulls "
                       "them when Metrc answers). Cancel, and destroy it when they are here."))
    run.data["reason"] = option.value


def record_note(run, note, ctx):
    """The note Metrc keeps with the adjustment."""
    run.data["note"] = note


def destroy_it(run, signers, ctx):
    """Signed by both: out of the ledger, the hold ended, Metrc and the POS told, the log."""
    held = _hold(run)
    if held.status != "held":
        raise Refuse(_("This hold was ended meanwhile ({status}); nothing was destroyed.",
                       status=Known(held.status)))
    package = Package.one(id=held.package_id)
    performer, witness = signers[0], signers[1]
    amount = _amount(held, package)
    parts = holds.part_holds(package) if held.whole else []
    day = holds.today(ctx)
    note = run.data["note"]
    if held.whole:  # units held apart already left the package's stock
        ctx.movement(package, -Decimal(str(package.quantity)), "destroy", status="destroyed",
                     reason=run.data["reason"], note=note)
    else:  # the held units already left the package's stock; the record says where they went
        ctx.movement(package, 0, "destroy", reason=run.data["reason"],
                     note=f"{quantity_text(amount, held.unit)} held: {note}")
    for ended in [held] + parts:
        holds.close(ctx, ended, "destroyed", _("{method}; witnessed by {name}",
                                               method=run.data["method"], name=witness.name))
    Destruction.create(
        run_id=run.id, package=package, tag=package.tag, item_name=package.item.name,
        quantity=amount, unit=held.unit, weight=Decimal(run.data["weight"]),
        weight_unit=run.data["weight_unit"], keyed=run.data["keyed"],
        keyed_reason=run.data["keyed_reason"], method=run.data["method"],
        mixed_with=run.data.get("mixed", ""), reason=run.data["reason"], reason_note=note,
        performed_by=performer, witnessed_by=witness, hold=held, at=ctx.event.at)
    ctx.outbox("metrc", "package.adjust", {"tag": package.tag, "quantity": str(-amount),
                                           "unit": held.unit, "reason": run.data["reason"],
                                           "note": note, "date": day}, ordering_key=package.tag)
    if held.whole:
        ctx.outbox("metrc", "package.finish", {"tag": package.tag, "date": day},
                   ordering_key=package.tag)
    ctx.outbox("pos", "stock.adjusted", {"tag": package.tag, "quantity": str(-amount),
                                         "new_quantity": str(package.quantity),
                                         "unit": held.unit, "reason": run.data["reason"]},
               ordering_key=package.tag)
    ctx.audit("destroy", f"package:{package.tag}",
              {"hold": held.id, "quantity": str(amount), "weight": run.data["weight"],
               "keyed": run.data["keyed"], "performer": performer.id, "witness": witness.id})
    run.data.update(performer=performer.name, witness=witness.name, amount=str(amount),
                    unit=held.unit, item=package.item.name)
    ctx.message = _("Destroyed {amount} of {tag}; Metrc and the POS are told. Print the "
                    "destruction log.", amount=quantity_text(amount, held.unit), tag=package.tag)


def log_slip(run):
    """The destruction log slip for the waste record."""
    return [{"device": "receipt", "layout": "destruction_log", "data": {
        "tag": run.data["tag"], "item": run.data["item"], "quantity": run.data["amount"],
        "unit": run.data["unit"], "weight": run.data["weight"],
        "weight_unit": run.data["weight_unit"], "keyed": run.data["keyed"],
        "keyed_reason": run.data["keyed_reason"], "method": run.data["method"],
        "mixed_with": run.data.get("mixed", ""), "reason": run.data["reason"],
        "note": run.data["note"], "at": run.finished_at.isoformat() if run.finished_at
        else "", "performed_by": run.data["performer"], "witnessed_by": run.data["witness"]}}]


def facts(run):
    """The package and what is chosen for its destruction so far."""
    held = _hold(run)
    package = Package.one(id=held.package_id)
    amount = quantity_text(_amount(held, package), held.unit)
    shown = [(_("Package"), package.tag), (_("Item"), package.item.name),
             (_("To destroy"), amount if held.whole
              else _("{amount} (the held part)", amount=amount)),
             (_("Why it was held"), Known(held.reason_text))]
    if run.data.get("weight"):
        weight = quantity_text(Decimal(run.data["weight"]), run.data["weight_unit"])
        shown.append((_("Weight"), _("{weight} (typed)", weight=weight)
                      if run.data.get("keyed") else weight))
    for key, label in (("method", _("Method")), ("mixed", _("Mixed with")),
                       ("reason", _("Reason")), ("note", _("Note"))):
        if run.data.get(key):
            shown.append((label, Known(run.data[key]) if key == "method" else run.data[key]))
    return {"facts": shown}


def summary(run):
    """One line for lists of runs."""
    return (_("Destroying {tag}", tag=run.data["tag"]) if "tag" in run.data
            else _("Scanning the package"))


WORKFLOW = Workflow(
    key="destroy",
    title=_("Destroy a package"),
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=DESTROYER_ROLES,
    description=_("Destroy a package from the cage, weighed and witnessed, with the log slip."),
    summary=summary,
    steps=(
        scan("package", _("Scan the package from the cage (its quarantine label)."),
             expect=("package_tag",), guards=(package_is_in_the_cage,), effect=take_package),
        weigh("weight", _("Put the waste on the scale and take the reading."), unit="g",
              effect=record_weight, show=facts),
        choose("method", _("How is it destroyed?"), (), options_for=method_choices,
               effect=record_method, show=facts, back=Back("weight", _("Back: the weight"))),
        text("mixed", _("What non-cannabis waste is it mixed with, and how much?"),
             max_length=120, effect=record_mix, next="reason", show=facts),
        choose("reason", _("Metrc's reason for the adjustment"), (), options_for=reason_choices,
               effect=record_reason, show=facts, back=Back("method", _("Back: the method"))),
        text("note", _("A note for Metrc (why it is destroyed)."), max_length=200,
             effect=record_note, show=facts),
        sign_off("sign", _("The person destroying it and a witness: badge and PIN each."),
                 signers=(Signer(DESTROYER_ROLES, "performed", _("person destroying it")),
                          Signer(DESTROYER_ROLES, "witnessed", _("witness"))),
                 effect=destroy_it, show=facts),
        print_step("slip", _("Print the destruction log."), jobs=log_slip),
    ),
)

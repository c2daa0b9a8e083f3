"""Quarantine packages. SOP §5 "Quarantine, returns and return-to-vendor", steps 1 to 3,
revision 1.

Anyone who handles stock (runners, vault staff, receivers, managers) at any screen: scan a
package, choose why it comes out of stock (damaged, expired, recalled, a customer return with
the sale it came back from when known, discrepant, suspected tampering, a failed or missing
lab result, or another reason in words), say whether all of it or only part of it is held,
put it in the quarantine cage and scan the cage's label. That scan is the one step that does
everything (``holds.hold``): the package goes on hold (never sellable, never pickable) and
into the cage, its quarantine label prints (the reason in full), and the POS (hold) and
Metrc (its place and a note with the reason) are told. Then the next package, or Done.

A package a recall put on hold where it stood is brought in the same way: scan it, then the
cage. What can leave the cage, and how, is the release, return-to-vendor and destroy
procedures'.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import holds, recalls, scans
from kiosk.engine import FINISH, Back, Offer, Option, Refuse, Workflow, choose, count, scan, text
from kiosk.manifests import quantity_text
from kiosk.models import Location, Package
from kiosk.models.sync import PosSale
from kiosk.words import Known, _, n_

HOLDER_ROLES = ("runner", "vault", "receiver", "manager")
GONE = ("destroyed", "returned", "not_received", "empty")
AFTER_REASON = {"customer_return": "sale", "other": "note"}
SALES_SHOWN = 4  # a customer return offers the package's latest sales to tap
STEP_WORDS = {"reason": _("choose why it is held"),
              "sale": _("say which sale it came back from"),
              "receipt": _("type the receipt"), "note": _("say what is wrong"),
              "quantity": _("say how much of it is held"), "part": _("count the units held"),
              "cage": _("put it in the cage and scan the cage label")}


def _package(run) -> Package:
    return Package.one(tag=run.data["tag"])


def package_can_be_held(run, scanned):
    """The tag is one of our packages, in stock, and not already in the cage."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if package is None:
        return _("Package {tag} is not in this store's stock. Check the tag.", tag=scanned.value)
    if package.status in GONE:
        return _("Package {tag} is {status}: it is no longer in stock, so there is nothing to "
                 "hold.", tag=scanned.value, status=Known(package.status.replace("_", " ")))
    held = holds.whole_hold(package)
    if held is not None and holds.in_cage(package):
        return _("Package {tag} is already on hold in {place}: {reason}.",
                 tag=scans.short(package.tag), place=Known(holds.where(package)),
                 reason=Known(held.reason_text))
    if package.status == "rejected":
        return Offer(_("Package {tag} was rejected at receiving; it is in {place}, not in stock. "
                       "It goes back to its vendor.", tag=scans.short(package.tag),
                       place=Known(holds.where(package))),
                     "return_to_vendor", _("Return it to its vendor"))
    if held is None and Decimal(str(package.quantity)) <= 0:
        return _("Package {tag} has nothing left in stock to hold.", tag=scans.short(package.tag))
    return None


def take_package(run, scanned, ctx):
    """Hold this package in hand; a package a recall already holds only needs the cage."""
    package = Package.one(tag=scanned.value)
    held = holds.whole_hold(package)
    run.data.update(tag=package.tag, bring=held is not None)
    if held is not None:
        ctx.message = _("{item} is on hold where it stood ({reason}). Put it in the quarantine "
                        "cage and scan the cage's label.", item=package.item.name,
                        reason=Known(held.reason_text))
    else:
        ctx.message = _("{item}: why does it come out of stock?", item=package.item.name)


def after_package(run, scanned):
    """A package already held goes straight to the cage; any other needs a reason."""
    return "cage" if run.data.get("bring") else "reason"


def in_hand(run, step):
    """A scan while a package is being held: finish that one first."""
    if run.data.get("tag") and step.id in STEP_WORDS:
        return _("finish package {tag} first: {what}", tag=scans.short(run.data["tag"]),
                 what=STEP_WORDS[step.id])
    return None


def record_reason(run, option, ctx):
    """Keep the reason; the next screens ask what only some reasons need."""
    run.data.update(reason=option.value, reason_words=holds.REASONS[option.value][0],
                    sale="", note="")


def sale_choices(run):
    """The package's latest sales on the POS, to tap; or type the receipt; or not known."""
    sales = (PosSale.select().where(PosSale.tag == run.data["tag"])
             .order_by(PosSale.sold_at.desc()).limit(SALES_SHOWN))
    options = [Option(f"sale:{s.receipt}",
                      _("Receipt {receipt} · {quantity} sold {day}", receipt=s.receipt,
                        quantity=quantity_text(s.quantity, s.unit),
                        day=holds.day_words(s.sold_at)), next="quantity")
               for s in sales]
    return options + [Option("type", _("Another receipt: type it"), next="receipt"),
                      Option("unknown", _("The sale is not known"), next="quantity")]


def record_sale(run, option, ctx):
    """Keep the sale it came back from, when tapped."""
    if option.value.startswith("sale:"):
        run.data["sale"] = option.value.split(":", 1)[1]


def record_receipt(run, receipt, ctx):
    """Keep the receipt typed."""
    run.data["sale"] = receipt


def record_note(run, note, ctx):
    """Keep the words: they are the reason, printed whole on the label."""
    run.data["note"] = note


def quantity_choices(run):
    """All of it, or only part (a package of more than one unit)."""
    package = _package(run)
    amount = quantity_text(package.quantity, package.unit)
    apart = holds.parts_held(package)
    words = (_("All the rest of it: {amount} ({held} already held)", amount=amount,
               held=quantity_text(apart, package.unit)) if apart
             else _("All of it: {amount}", amount=amount))
    options = [Option("all", words, next="cage")]
    if Decimal(str(package.quantity)) > 1 or package.unit != "Each":
        options.append(Option("part", _("Only part of it"), next="part"))
    return options


def record_quantity(run, option, ctx):
    """All of it: nothing more to count."""
    run.data["part"] = None


def part_fits(run, number):
    """Part means more than nothing and less than all, in whole units for 'Each'."""
    package = _package(run)
    if number <= 0:
        return _("Enter how many units are held (more than zero).")
    if number >= Decimal(str(package.quantity)):
        return _("The package holds {quantity}: that is all of it. Go back and choose 'All of "
                 "it'.", quantity=quantity_text(package.quantity, package.unit))
    if package.unit == "Each" and number != number.to_integral_value():
        return _("This package is counted in whole units (Each). Enter a whole number.")
    return None


def record_part(run, number, ctx):
    """Keep how many units are held."""
    run.data["part"] = str(number)


def is_the_cage(run, scanned):
    """The label scanned is a quarantine location in use."""
    place = Location.one(code=scanned.value)
    if place is None or not place.active:
        return _("{code} is not a location in this store. Scan the cage's label.",
                 code=scanned.value)
    if place.kind != holds.CAGE:
        return _("{place} is not the quarantine cage. Put the package in the cage and scan the "
                 "cage's label.", place=place.name)
    return None


def _reason_text(run) -> str:
    words = run.data["reason_words"]
    if run.data["reason"] == "other":
        return run.data["note"]
    if run.data.get("sale"):
        return f"{words} (sale {run.data['sale']})"
    return words


def put_in_cage(run, scanned, ctx):
    """The one step that holds it: ledger, hold, label, the POS and Metrc, together."""
    package = _package(run)
    cage = Location.one(code=scanned.value)
    if run.data.get("bring"):
        if holds.whole_hold(package) is None:
            raise Refuse(_("Package {tag} was taken off hold meanwhile; scan it again to hold "
                           "it.", tag=scans.short(package.tag)))
        holds.bring_in(ctx, package, cage)
        recalls.brought_in(ctx, package)
        ctx.message = _("{tag} is in {place}. Scan the next package, or Done.", tag=package.tag,
                        place=cage.name)
    else:
        if package.status != "active":
            raise Refuse(_("Package {tag} is {status} now: someone changed it meanwhile. Scan it "
                           "again.", tag=scans.short(package.tag), status=Known(package.status)))
        part = Decimal(run.data["part"]) if run.data.get("part") else None
        if part is not None and part >= Decimal(str(package.quantity)):
            raise Refuse(_("The package has less than that now. Go back and count again."))
        reason = _reason_text(run)
        holds.hold(ctx, package, run.data["reason"], reason, part=part, cage=cage,
                   sale_ref=run.data.get("sale", ""))
        held = _("{quantity} of {tag}", quantity=quantity_text(part, package.unit),
                 tag=package.tag) if part else package.tag
        ctx.message = _("{held} is on hold in {place}: {reason}. Its label is printing. Scan the "
                        "next package, or Done.", held=held, place=cage.name,
                        reason=Known(reason))
    run.data.setdefault("held", []).append([package.tag, package.item.name,
                                            _reason_text(run) if "reason" in run.data
                                            else "brought in"])
    for key in ("tag", "bring", "reason", "reason_words", "sale", "note", "part"):
        run.data.pop(key, None)


# What holding part of a package means, said before anyone chooses it: a retailer cannot
# split a package in Metrc, so the part is only a record here, at the POS and in a note.
PART_WORDS = _(
    "Part of a package: Metrc tracks the whole tag and a store cannot split it there. The "
    "held units leave this package's sellable stock here and at the POS; Metrc keeps the "
    "whole package, with a note saying how many units are held and why. Later the held units "
    "can be released (back into the package) or destroyed (Metrc adjusts the package by that "
    "many). They cannot go back to the vendor on their own: a return sends the whole package, "
    "so to return it, hold all of it.")


def package_facts(run):
    """The package in hand, and what is chosen for it so far."""
    package = _package(run)
    facts = [(_("Package"), package.tag), (_("Item"), package.item.name),
             (_("Batch"), package.batch or "-"),
             (_("In stock"), quantity_text(package.quantity, package.unit)),
             (_("Where"), Known(holds.where(package)))]
    apart = holds.parts_held(package)
    if apart:
        facts.append((_("Already held apart"), quantity_text(apart, package.unit)))
    if run.data.get("reason"):
        facts.append((_("Reason"), Known(_reason_text(run))))
    if run.data.get("part"):
        facts.append((_("Held"), quantity_text(Decimal(run.data["part"]), package.unit)))
    return {"facts": facts}


def quantity_facts(run):
    """The package, and what holding part of it means in Metrc."""
    shown = package_facts(run)
    shown["warnings"] = [PART_WORDS]
    return shown


def progress(run):
    """What this run has held so far."""
    held = run.data.get("held", [])
    shown = {"progress": n_("{count} package held", "{count} packages held", len(held))}
    if held:
        shown["items"] = {"title": _("Held in this run"),
                          "rows": [_("…{tag} {item}: {why}", tag=tag[-6:], item=item,
                                     why=Known(why)) for tag, item, why in held]}
    return shown


def summary(run):
    """One line for lists of runs."""
    return _("{count} held", count=len(run.data.get("held", [])))


WORKFLOW = Workflow(
    key="quarantine",
    title=_("Quarantine packages"),
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=HOLDER_ROLES,
    description=_("Take a package out of stock: a reason, the cage, a label. Or bring in a "
                  "recalled one."),
    summary=summary,
    in_hand=in_hand,
    steps=(
        scan("package", _("Scan the package to quarantine."), expect=("package_tag",),
             guards=(package_can_be_held,), effect=take_package, next=after_package,
             show=progress, finish="__end__", finish_label=_("Done")),
        # A customer return asks for its sale; "other" for the words; the rest, how much.
        choose("reason", _("Why does it come out of stock?"),
               tuple(Option(code, Known(holds.REASONS[code][0]),
                            next=AFTER_REASON.get(code, "quantity"))
                     for code in holds.CHOSEN_REASONS),
               effect=record_reason, show=package_facts,
               back=Back("package", _("Back: not this package"), forget=("tag", "bring"))),
        choose("sale", _("Which sale did it come back from?"), (), options_for=sale_choices,
               effect=record_sale, show=package_facts,
               back=Back("reason", _("Back: the reason"))),
        text("receipt", _("Type the receipt number of the sale."), max_length=40,
             effect=record_receipt, next="quantity", show=package_facts),
        text("note", _("Say what is wrong. It is printed whole on the label."), max_length=200,
             effect=record_note, next="quantity", show=package_facts),
        choose("quantity", _("Is all of it held, or only part?"), (),
               options_for=quantity_choices, effect=record_quantity, show=quantity_facts,
               back=Back("reason", _("Back: the reason"))),
        count("part", _("How many units are held?"), guards=(part_fits,), effect=record_part,
              show=quantity_facts, back=Back("quantity", _("Back: all or part"))),
        scan("cage", _("Put it in the quarantine cage, then scan the cage's label."),
             expect=("location",), guards=(is_the_cage,), effect=put_in_cage, next="package",
             show=package_facts),
    ),
)

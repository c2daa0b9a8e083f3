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

HOLDER_ROLES = ("runner", "vault", "receiver", "manager")
GONE = ("destroyed", "returned", "not_received", "empty")
AFTER_REASON = {"customer_return": "sale", "other": "note"}
SALES_SHOWN = 4  # a customer return offers the package's latest sales to tap
STEP_WORDS = {"reason": "choose why it is held", "sale": "say which sale it came back from",
              "receipt": "type the receipt", "note": "say what is wrong",
              "quantity": "say how much of it is held", "part": "count the units held",
              "cage": "put it in the cage and scan the cage label"}


def _package(run) -> Package:
    return Package.one(tag=run.data["tag"])


def package_can_be_held(run, scanned):
    """The tag is one of our packages, in stock, and not already in the cage."""
    if scanned == FINISH:
        return None
    package = Package.one(tag=scanned.value)
    if package is None:
        return f"Package {scanned.value} is not in this store's stock. Check the tag."
    if package.status in GONE:
        return (f"Package {scanned.value} is {package.status.replace('_', ' ')}: it is no "
                "longer in stock, so there is nothing to hold.")
    held = holds.whole_hold(package)
    if held is not None and holds.in_cage(package):
        return (f"Package {scans.short(package.tag)} is already on hold in "
                f"{holds.where(package)}: {held.reason_text}.")
    if package.status == "rejected":
        return Offer(f"Package {scans.short(package.tag)} was rejected at receiving; it is in "
                     f"{holds.where(package)}, not in stock. It goes back to its vendor.",
                     "return_to_vendor", "Return it to its vendor")
    if held is None and Decimal(str(package.quantity)) <= 0:
        return f"Package {scans.short(package.tag)} has nothing left in stock to hold."
    return None


def take_package(run, scanned, ctx):
    """Hold this package in hand; a package a recall already holds only needs the cage."""
    package = Package.one(tag=scanned.value)
    held = holds.whole_hold(package)
    run.data.update(tag=package.tag, bring=held is not None)
    if held is not None:
        ctx.message = (f"{package.item.name} is on hold where it stood ({held.reason_text}). "
                       "Put it in the quarantine cage and scan the cage's label.")
    else:
        ctx.message = f"{package.item.name}: why does it come out of stock?"


def after_package(run, scanned):
    """A package already held goes straight to the cage; any other needs a reason."""
    return "cage" if run.data.get("bring") else "reason"


def in_hand(run, step):
    """A scan while a package is being held: finish that one first."""
    if run.data.get("tag") and step.id in STEP_WORDS:
        return f"finish package {scans.short(run.data['tag'])} first: {STEP_WORDS[step.id]}"
    return None


def record_reason(run, option, ctx):
    """Keep the reason; the next screens ask what only some reasons need."""
    run.data.update(reason=option.value, reason_words=holds.REASONS[option.value][0],
                    sale="", note="")


def sale_choices(run):
    """The package's latest sales on the POS, to tap; or type the receipt; or not known."""
    sales = (PosSale.select().where(PosSale.tag == run.data["tag"])
             .order_by(PosSale.sold_at.desc()).limit(SALES_SHOWN))
    options = [Option(f"sale:{s.receipt}", f"Receipt {s.receipt} · "
                                           f"{quantity_text(s.quantity, s.unit)} sold "
                                           f"{s.sold_at:%Y-%m-%d}", next="quantity")
               for s in sales]
    return options + [Option("type", "Another receipt: type it", next="receipt"),
                      Option("unknown", "The sale is not known", next="quantity")]


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
    words = (f"All the rest of it: {amount} ({quantity_text(apart, package.unit)} already "
             "held)") if apart else f"All of it: {amount}"
    options = [Option("all", words, next="cage")]
    if Decimal(str(package.quantity)) > 1 or package.unit != "Each":
        options.append(Option("part", "Only part of it", next="part"))
    return options


def record_quantity(run, option, ctx):
    """All of it: nothing more to count."""
    run.data["part"] = None


def part_fits(run, number):
    """Part means more than nothing and less than all, in whole units for 'Each'."""
    package = _package(run)
    if number <= 0:
        return "Enter how many units are held (more than zero)."
    if number >= Decimal(str(package.quantity)):
        return (f"The package holds {quantity_text(package.quantity, package.unit)}: that is "
                "all of it. Go back and choose 'All of it'.")
    if package.unit == "Each" and number != number.to_integral_value():
        return "This package is counted in whole units (Each). Enter a whole number."
    return None


def record_part(run, number, ctx):
    """Keep how many units are held."""
    run.data["part"] = str(number)


def is_the_cage(run, scanned):
    """The label scanned is a quarantine location in use."""
    place = Location.one(code=scanned.value)
    if place is None or not place.active:
        return f"{scanned.value} is not a location in this store. Scan the cage's label."
    if place.kind != holds.CAGE:
        return (f"{place.name} is not the quarantine cage. Put the package in the cage and "
                "scan the cage's label.")
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
            raise Refuse(f"Package {scans.short(package.tag)} was taken off hold meanwhile; "
                         "scan it again to hold it.")
        holds.bring_in(ctx, package, cage)
        recalls.brought_in(ctx, package)
        ctx.message = f"{package.tag} is in {cage.name}. Scan the next package, or Done."
    else:
        if package.status != "active":
            raise Refuse(f"Package {scans.short(package.tag)} is {package.status} now: "
                         "someone changed it meanwhile. Scan it again.")
        part = Decimal(run.data["part"]) if run.data.get("part") else None
        if part is not None and part >= Decimal(str(package.quantity)):
            raise Refuse("The package has less than that now. Go back and count again.")
        reason = _reason_text(run)
        holds.hold(ctx, package, run.data["reason"], reason, part=part, cage=cage,
                   sale_ref=run.data.get("sale", ""))
        held = f"{quantity_text(part, package.unit)} of {package.tag}" if part else package.tag
        ctx.message = (f"{held} is on hold in {cage.name}: {reason}. Its label is printing. "
                       "Scan the next package, or Done.")
    run.data.setdefault("held", []).append([package.tag, package.item.name,
                                            _reason_text(run) if "reason" in run.data
                                            else "brought in"])
    for key in ("tag", "bring", "reason", "reason_words", "sale", "note", "part"):
        run.data.pop(key, None)


# What holding part of a package means, said before anyone chooses it: a retailer cannot
# split a package in Metrc, so the part is only a record here, at the POS and in a note.
PART_WORDS = (
    "Part of a package: Metrc tracks the whole tag and a store cannot split it there. The "
    "held units leave this package's sellable stock here and at the POS; Metrc keeps the "
    "whole package, with a note saying how many units are held and why. Later the held units "
    "can be released (back into the package) or destroyed (Metrc adjusts the package by that "
    "many). They cannot go back to the vendor on their own: a return sends the whole package, "
    "so to return it, hold all of it.")


def package_facts(run):
    """The package in hand, and what is chosen for it so far."""
    package = _package(run)
    facts = [("Package", package.tag), ("Item", package.item.name),
             ("Batch", package.batch or "-"),
             ("In stock", quantity_text(package.quantity, package.unit)),
             ("Where", holds.where(package))]
    apart = holds.parts_held(package)
    if apart:
        facts.append(("Already held apart", quantity_text(apart, package.unit)))
    if run.data.get("reason"):
        facts.append(("Reason", _reason_text(run)))
    if run.data.get("part"):
        facts.append(("Held", quantity_text(Decimal(run.data["part"]), package.unit)))
    return {"facts": facts}


def quantity_facts(run):
    """The package, and what holding part of it means in Metrc."""
    shown = package_facts(run)
    shown["warnings"] = [PART_WORDS]
    return shown


def progress(run):
    """What this run has held so far."""
    held = run.data.get("held", [])
    shown = {"progress": f"{len(held)} package{'s' if len(held) != 1 else ''} held"}
    if held:
        shown["items"] = {"title": "Held in this run",
                          "rows": [f"…{tag[-6:]} {item}: {why}" for tag, item, why in held]}
    return shown


def summary(run):
    """One line for lists of runs."""
    return f"{len(run.data.get('held', []))} held"


WORKFLOW = Workflow(
    key="quarantine",
    title="Quarantine packages",
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=HOLDER_ROLES,
    description="Take a package out of stock: a reason, the cage, a label. Or bring in a "
                "recalled one.",
    summary=summary,
    in_hand=in_hand,
    steps=(
        scan("package", "Scan the package to quarantine.", expect=("package_tag",),
             guards=(package_can_be_held,), effect=take_package, next=after_package,
             show=progress, finish="__end__", finish_label="Done"),
        # A customer return asks for its sale; "other" for the words; the rest, how much.
        choose("reason", "Why does it come out of stock?",
               tuple(Option(code, holds.REASONS[code][0], next=AFTER_REASON.get(code, "quantity"))
                     for code in holds.CHOSEN_REASONS),
               effect=record_reason, show=package_facts,
               back=Back("package", "Back: not this package", forget=("tag", "bring"))),
        choose("sale", "Which sale did it come back from?", (), options_for=sale_choices,
               effect=record_sale, show=package_facts, back=Back("reason", "Back: the reason")),
        text("receipt", "Type the receipt number of the sale.", max_length=40,
             effect=record_receipt, next="quantity", show=package_facts),
        text("note", "Say what is wrong. It is printed whole on the label.", max_length=200,
             effect=record_note, next="quantity", show=package_facts),
        choose("quantity", "Is all of it held, or only part?", (), options_for=quantity_choices,
               effect=record_quantity, show=quantity_facts,
               back=Back("reason", "Back: the reason")),
        count("part", "How many units are held?", guards=(part_fits,), effect=record_part,
              show=quantity_facts, back=Back("quantity", "Back: all or part")),
        scan("cage", "Put it in the quarantine cage, then scan the cage's label.",
             expect=("location",), guards=(is_the_cage,), effect=put_in_cage, next="package",
             show=package_facts),
    ),
)

"""Return to vendor. SOP §5 "Quarantine, returns and return-to-vendor", steps 5 and 6,
revision 1.

Choose the vendor, scan each package going back (from the cage; each one's licence is
checked against the manifest it came on), say why, and two people sign: the one releasing
the packages and a witness. The signatures are the step in which the packages leave our
stock: the ledger, the holds ended as returned, the POS told, and Metrc a note on each
package. Metrc has no call for a retailer's outgoing transfer, so the RTV slip (the
driver signs it) is also the exact sheet to enter in Metrc; whoever enters it types the
manifest number Metrc gave it, and the syncer reads that transfer back.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import holds, returns
from kiosk.engine import (
    FINISH,
    Option,
    Refuse,
    Signer,
    Workflow,
    choose,
    print_step,
    scan,
    sign_off,
    text,
)
from kiosk.manifests import quantity_text
from kiosk.models import Package, ReturnLine, VendorReturn
from kiosk.words import _

RETURN_ROLES = ("vault", "receiver", "manager")
MANIFEST_PATTERN = r"[0-9]{6,12}"


def vendor_choices(run):
    """Every vendor that shipped to us, with its licence."""
    return [Option(f"{licence}", f"{name} · {licence}") for name, licence in returns.vendors()]


def record_vendor(run, option, ctx):
    """Keep the vendor and its licence, as the manifests have them."""
    name = dict((lic, n) for n, lic in returns.vendors())[option.value]
    run.data.update(vendor=name, license=option.value, lines=[])


def package_may_go_back(run, scanned):
    """From the cage, and it came from this vendor (licence checked on its manifest)."""
    if scanned == FINISH:
        return None if run.data["lines"] else _("Scan at least one package going back first.")
    return returns.refusal(Package.one(tag=scanned.value), scanned.value, run.data["license"],
                           [line["tag"] for line in run.data["lines"]])


def take_package(run, scanned, ctx):
    """The whole package goes on the return: Metrc sends whole packages, so units of it held
    apart (a part quarantined earlier) go back with it."""
    package = Package.one(tag=scanned.value)
    transfer, line = returns.came_on(package)
    amount = returns.units_going_back(package)
    run.data["lines"].append({"tag": package.tag, "item": package.item.name,
                              "quantity": f"{amount.normalize():f}", "unit": package.unit,
                              "manifest": transfer.manifest_number,
                              "rejected": package.status == "rejected"})
    apart = holds.parts_held(package)
    if apart:
        ctx.message = _("{item}: {amount} goes back (with {apart} held apart from it: bring "
                        "those too). Scan the next package, or No more packages.",
                        item=package.item.name, amount=quantity_text(amount, package.unit),
                        apart=quantity_text(apart, package.unit))
    else:
        ctx.message = _("{item}: {amount} goes back. Scan the next package, or No more "
                        "packages.", item=package.item.name,
                        amount=quantity_text(amount, package.unit))


def record_reason(run, words, ctx):
    """Why the packages go back (on the slip and each package's Metrc note)."""
    run.data["reason"] = words


def send_back(run, signers, ctx):
    """Signed by both: the packages leave our stock, with the POS and Metrc told."""
    released, witness = signers
    made = VendorReturn.create(vendor_name=run.data["vendor"], vendor_license=run.data["license"],
                               reason=run.data["reason"], run_id=run.id, created_at=ctx.event.at,
                               created_by=released)
    day = holds.today(ctx)
    for line in run.data["lines"]:
        package = Package.one(tag=line["tag"])
        refused = returns.refusal(package, line["tag"], run.data["license"], [])
        if refused:
            raise Refuse(_("{refused} Nothing was returned; go back and take it off.",
                           refused=getattr(refused, "said", refused)))
        held = holds.whole_hold(package)
        parts = holds.part_holds(package)
        amount = returns.units_going_back(package)
        in_stock = Decimal(str(package.quantity))
        apart = (f" (and {quantity_text(amount - in_stock, package.unit)} held apart from it)"
                 if parts else "")
        # The ledger holds the package's stock; units held apart already left it.
        ctx.movement(package, -in_stock, "return", status="returned",
                     reason=f"Returned to {run.data['vendor']} ({returns.number(made)})",
                     note=run.data["reason"] + apart)
        for ended in ([holds.kept(held)] if held is not None else []) + parts:
            holds.close(ctx, ended, "returned",
                        _("{rtv} to {vendor}; witness {name}", rtv=returns.number(made),
                          vendor=run.data["vendor"], name=witness.name))
        ReturnLine.create(vendor_return=made, package=package, tag=package.tag,
                          item_name=line["item"], quantity=amount, unit=package.unit,
                          manifest_number=line["manifest"], rejected=line["rejected"])
        ctx.outbox("pos", "stock.adjusted", {"tag": package.tag, "quantity": str(-amount),
                                             "new_quantity": "0", "unit": package.unit,
                                             "reason": f"Returned to vendor: "
                                                       f"{run.data['reason']}"},
                   ordering_key=package.tag)
        ctx.outbox("metrc", "package.note", {"tag": package.tag, "note": (
            f"Returned to {run.data['vendor']} ({run.data['license']}) on {day}, "
            f"{returns.number(made)}: {run.data['reason']}")}, ordering_key=package.tag)
    ctx.audit("return_to_vendor", f"return:{made.id}",
              {"vendor": run.data["license"], "packages": len(run.data["lines"]),
               "released": released.id, "witness": witness.id})
    run.data.update(vendor_return=made.id, released_by=released.name, witness=witness.name)
    ctx.message = _("{count} package(s) left our stock for {vendor} ({number}). Print the RTV "
                    "slip.", count=len(run.data["lines"]), vendor=run.data["vendor"],
                    number=returns.number(made))


def rtv_slip(run):
    """The RTV slip: the driver signs it; it is also the sheet to enter in Metrc."""
    made = VendorReturn.get_by_id(run.data["vendor_return"])
    return [{"device": "receipt", "layout": "rtv_slip",
             "data": returns.slip(made, run.data["released_by"], run.data["witness"])}]


def record_manifest(run, number, ctx):
    """Who entered the return in Metrc, and the manifest number Metrc gave it; the syncer
    reads that outgoing transfer back."""
    made = VendorReturn.get_by_id(run.data["vendor_return"])
    (VendorReturn.update(metrc_manifest=number, metrc_entered_by=ctx.actor,
                         metrc_entered_at=ctx.event.at)
     .where(VendorReturn.id == made.id).execute())
    ctx.outbox("metrc", "transfer.returned", {
        "manifest_number": number, "return": returns.number(made),
        "recipient_license": made.vendor_license,
        "packages": [{"tag": line["tag"], "quantity": line["quantity"], "unit": line["unit"]}
                     for line in run.data["lines"]]}, ordering_key=f"rtv-{made.id}")
    ctx.audit("return_to_vendor.metrc", f"return:{made.id}", {"manifest": number})
    ctx.message = _("Manifest {manifest} recorded for {number}; the syncer reads it back from "
                    "Metrc and flags anything that differs.", manifest=number,
                    number=returns.number(made))


def facts(run):
    """The vendor and the packages going back so far."""
    shown = {"facts": [(_("Vendor"),
                        f"{run.data.get('vendor', '')} · {run.data.get('license', '')}"),
                       (_("Packages"), str(len(run.data.get("lines", []))))]}
    if run.data.get("reason"):
        shown["facts"].append((_("Reason"), run.data["reason"]))
    if run.data.get("lines"):
        shown["items"] = {"title": _("Going back"), "rows": [
            _("…{tag} {item}: {amount}", tag=line["tag"][-6:], item=line["item"],
              amount=quantity_text(Decimal(line["quantity"]), line["unit"]))
            for line in run.data["lines"]]}
    return shown


def summary(run):
    """One line for lists of runs."""
    return (_("Return to {vendor}", vendor=run.data["vendor"]) if run.data.get("vendor")
            else _("Return to a vendor"))


WORKFLOW = Workflow(
    key="return_to_vendor",
    title=_("Return to vendor"),
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=RETURN_ROLES,
    description=_("Send packages from the cage back to their vendor, signed by two, with "
                  "the RTV slip and the sheet for Metrc."),
    summary=summary,
    steps=(
        choose("vendor", _("Which vendor takes the packages back?"), (),
               options_for=vendor_choices, effect=record_vendor),
        scan("package", _("Scan each package going back (from the cage)."), expect=("package_tag",),
             guards=(package_may_go_back,), effect=take_package, next="package", show=facts,
             finish="reason", finish_label=_("No more packages")),
        text("reason", _("Why do they go back?"), max_length=200, effect=record_reason, show=facts),
        sign_off("sign", _("The person releasing the packages and a witness: badge and PIN "
                            "each."),
                 signers=(Signer(RETURN_ROLES, "performed", _("person releasing them")),
                          Signer(RETURN_ROLES, "witnessed", _("witness"))),
                 effect=send_back, show=facts),
        print_step("slip", _("Print the RTV slip; the driver signs it."), jobs=rtv_slip),
        text("manifest", _("Enter the return in Metrc from the slip (Transfers, Outgoing), then "
                           "type the manifest number Metrc gave it."), pattern=MANIFEST_PATTERN,
             example="0000412345", max_length=12, effect=record_manifest, show=facts),
    ),
)

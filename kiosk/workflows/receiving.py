"""Receive a delivery. SOP §2 "Receiving a shipment (intake)", revision 1.

Choose the delivery, check the transport details and our purchase order, count the sealed
cases, then check every package: scan its tag, look at its condition, count it against the
manifest, and let the kiosk check its COA. Each package is accepted, accepted short (or
over) with the count, or rejected with a reason; until it is decided, Back changes what
was chosen for it. Rejected and discrepant packages go to the quarantine cage with a label;
accepted ones are put away on a vault shelf. Any package can be looked at again before the
receiver signs (a second person witnesses when the store's rule says so). The kiosk then
prints the receiving slip, which is also the acceptance sheet to enter in Metrc (its API
cannot accept a transfer), and records who entered it.

Stock changes when a package is decided (receipt into the receiving dock), quarantined and
put away. The POS hears of the new stock at sign-off; Metrc hears of locations and notes
once someone confirms the acceptance was entered there. A delivery can be paused (log out)
and resumed by another receiver; every step stays in the name of whoever did it.
Cancelling the run undoes it (its stock reversed, the manifest expected again) unless the
POS or Metrc already has some of it; then it says what remains to do.

What the screens show is in ``kiosk/deliveries.py``; the stock, in ``kiosk/dock.py``.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, deliveries, dock, ledger, manifests, scans, verdicts
from kiosk import receiving_scans as checks
from kiosk.deliveries import quantity_text, transfer_of
from kiosk.engine import (
    Back,
    Option,
    Signer,
    Workflow,
    choose,
    confirm,
    count,
    instruct,
    print_step,
    scan,
    sign_off,
)
from kiosk.models import Location, Package, Transfer, TransferPackage
from kiosk.verdicts import CONDITIONS, REASONS, decision_options
from kiosk.words import _, n_

RECEIVER_ROLES = ("receiver", "manager")
WITNESS_ROLES = ("receiver", "manager", "vault")

# The steps that check the package in hand, and what each asks for (for a stray scan).
PACKAGE_STEPS = {"condition": _("choose its condition"), "units": _("count its units"),
                 "decide": _("accept or reject it"), "reason": _("choose why it is rejected")}


def _line(run) -> TransferPackage:
    return manifests.on_manifest(run.data["transfer"], run.data["tag"])


def _note_actor(run, ctx) -> None:
    """Keep who has worked on the delivery, in order; a change of person is a handover."""
    people = run.data.setdefault("people", [])
    if not people or people[-1][0] != ctx.actor.id:
        if people:
            ctx.audit("receiving.handover", f"run:{run.id}",
                      {"from": people[-1][0], "to": ctx.actor.id,
                       "manifest": run.data.get("manifest")})
        people.append([ctx.actor.id, ctx.actor.name])


def open_delivery(run, scanned, ctx):
    """Claim the manifest for this run and pin the store's rules for it."""
    transfer = Transfer.get(Transfer.manifest_number == scanned.value)
    Transfer.update(status="receiving", run_id=run.id).where(Transfer.id == transfer.id).execute()
    run.data.update(transfer=transfer.id, manifest=transfer.manifest_number,
                    tolerance=ctx.settings.get("potency_tolerance_pct", 10.0),
                    witness_rule=ctx.settings.get("witness_receiving", "discrepancy"),
                    our_license=ctx.settings.get("license", ""))
    _note_actor(run, ctx)
    ctx.audit("receiving.open", f"transfer:{transfer.id}", {"manifest": transfer.manifest_number})
    ctx.message = _("Manifest {number} from {shipper}.", number=transfer.manifest_number,
                    shipper=transfer.shipper_name)


def licences_match(run, answer):
    """When the details are confirmed: the manifest is addressed to our licence, from a licensee."""
    if not answer["ok"]:
        return None
    problem = deliveries.licence_problem(transfer_of(run), run.data["our_license"])
    return _("{problem} Press 'No, something is wrong' and call a manager.",
             problem=problem) if problem else None


def record_transport(run, answer, ctx):
    """Record the arrival time, or the problem that stops the delivery."""
    t = transfer_of(run)
    if answer["ok"]:
        if t.actual_arrival is None:
            Transfer.update(actual_arrival=ctx.event.at).where(Transfer.id == t.id).execute()
        ctx.audit("receiving.transport_ok", f"transfer:{t.id}", {})
        return
    run.data["stopped"] = answer["reason"]
    ctx.message = _("Delivery stopped. A manager must sign before the driver leaves.")
    ctx.tone = "warn"


def after_transport(run, answer):
    """Details right: the purchase order; a problem: a manager stops the delivery."""
    return "order" if answer["ok"] else "stopped"


def record_order_match(run, _value, ctx):
    """Keep the purchase-order differences on the receiving record."""
    po, rows = manifests.po_match(transfer_of(run))
    flagged = {r["item"]: r["flag"] for r in rows if r["flag"] != "ok"}
    run.data.update(po=po.number if po else "", po_flags=len(flagged),
                    unordered=sorted(k for k, v in flagged.items() if v == "unordered"))
    ctx.audit("receiving.po_match", f"run:{run.id}", {"po": run.data["po"], "flags": flagged})


def record_cases(run, number, ctx):
    """Compare the case count with the manifest; a difference is kept as a discrepancy."""
    expected = transfer_of(run).case_count
    run.data["cases"] = int(number)
    run.data["case_mismatch"] = expected is not None and int(number) != expected
    if run.data["case_mismatch"]:
        ctx.audit("receiving.case_mismatch", f"run:{run.id}",
                  {"expected": expected, "counted": int(number)})
        ctx.message = _("{counted} cases counted but the manifest says {expected}. This is "
                        "recorded; check every package carefully.", counted=int(number),
                        expected=expected)
        ctx.tone = "warn"
    else:
        ctx.message = _("Cases counted. Now check each package.")


def _hold(run, line: TransferPackage) -> None:
    """Keep the manifest line and its COA verdict with the run while the package is checked."""
    run.data.update(held=deliveries.held_line(line, float(run.data.get("tolerance", 10.0))),
                    tag=line.tag)
    run.data.pop("condition", None)
    run.data.pop("counted", None)


def take_package(run, scanned, ctx):
    """Start checking this package; say what the manifest and the lab say about it."""
    _note_actor(run, ctx)
    line = manifests.on_manifest(run.data["transfer"], scanned.value)
    _hold(run, line)
    run.data["reopen"] = False
    ctx.message = _("{item}: {quantity} shipped. Check its condition.", item=line.item_name,
                    quantity=quantity_text(line.shipped_quantity, line.shipped_unit))


def package_in_hand(run, step):
    """A scan that came while a package is being checked was not taken: finish that one."""
    if step.id in PACKAGE_STEPS and run.data.get("tag"):
        return _("finish package {tag} first — {what}", tag=scans.short(run.data["tag"]),
                 what=PACKAGE_STEPS[step.id])
    if step.id == "missing":
        return _("to check a package that turned up, tap 'Go back and scan them' first")
    return None


def back_to_the_tag(run):
    """Back to the scan that chose this package (the review's, when changing a result)."""
    return "review" if run.data.get("reopen") else "package"


def record_condition(run, option, ctx):
    """Keep the condition for the decision."""
    run.data["condition"] = option.value
    ctx.message = _("Now count the units.") if option.value == "intact" else \
        _("{condition} recorded. Count what is there, then reject it.", condition=option.label)
    ctx.tone = "" if option.value == "intact" else "warn"


def held_unit(run):
    """The unit the package in hand is counted in (its manifest's: Each, Grams ...)."""
    return run.data["held"]["unit"]


def record_count(run, number, ctx):
    """Keep the count for the decision."""
    run.data["counted"] = str(number)
    shipped = Decimal(run.data["held"]["shipped"])
    ctx.message = (_("Noted: the count matches the manifest.") if number == shipped else
                   _("Noted: {counted} counted, {shipped} shipped.",
                     counted=quantity_text(number), shipped=quantity_text(shipped)))
    ctx.tone = "" if number == shipped else "warn"


def decide(run, option, ctx):
    """Record the verdict: a receipt into the dock for what is accepted; a correction if changed."""
    if option.value == "reject":
        return  # the next screen asks why
    _note_actor(run, ctx)
    line = _line(run)
    code = option.value.split(":", 1)[-1]
    if code in ("accept", "short", "over"):
        counted = Decimal(run.data["counted"])
        got, sent = quantity_text(counted), quantity_text(line.shipped_quantity)
        reason = {"accept": "", "short": _("Short: {got} of {sent} received", got=got, sent=sent),
                  "over": _("Over: {got} received, {sent} shipped", got=got, sent=sent)}[code]
        values = dict(state="accepted", received_quantity=counted, reason=reason)
        received = quantity_text(counted, line.shipped_unit)
        ctx.message = (_("Received {quantity} (short); it goes to quarantine.", quantity=received)
                       if code == "short" else
                       _("Received {quantity} (over); it goes to quarantine.", quantity=received)
                       if code == "over" else _("Received {quantity}.", quantity=received))
        ctx.tone = "warn" if reason else ""
    else:
        reason = verdicts.reason_words(run, line, code)
        values = dict(state="rejected", received_quantity=None, reason=reason)
        ctx.message = _("Package {tag} is rejected ({reason}); it goes to quarantine.",
                        tag=line.tag, reason=verdicts.trimmed(reason))
        ctx.tone = "warn"
    changed = dock.record_verdict(ctx, line, run.data["held"], run.data["manifest"],
                                  values["received_quantity"], reason)
    TransferPackage.update(**values).where(TransferPackage.id == line.id).execute()
    received = values["received_quantity"]
    ctx.audit("receiving.verdict", f"package:{line.tag}",
              {"manifest": run.data["manifest"], "state": values["state"], "line": line.id,
               "received": None if received is None else ledger.quantity_text(received),
               "reason": values["reason"], "counted": run.data["counted"],
               "condition": run.data.get("condition"), "correction": changed})
    run.data.pop("tag", None)
    run.data.pop("held", None)


def after_decision(run, option):
    """The next package; when all are checked (or after a change), on to quarantine and putaway."""
    if option.value == "reject":
        return "reason"
    if not run.data.get("reopen") and manifests.package_counts(run.data["transfer"])["shipped"]:
        return "package"
    run.data["reopen"] = False  # the change is made; saved with this step
    return "missing"


def reject_with_reason(run, option, ctx):
    """Reject for the reason chosen."""
    decide(run, Option(f"reject:{option.value}", option.label), ctx)


def no_package_is_missing(run):
    """Every package on the manifest was checked."""
    return manifests.package_counts(run.data["transfer"])["shipped"] == 0


def mark_missing(run, option, ctx):
    """Reject every unscanned package as not in the delivery."""
    if option.value != "not_delivered":
        return
    for line in manifests.unchecked(run.data["transfer"]):
        _hold(run, line)
        run.data.update(counted="0", condition="intact")
        decide(run, Option("reject:not_delivered", REASONS["not_delivered"]), ctx)
    run.data.pop("condition", None)
    run.data.pop("counted", None)
    ctx.message = _("The missing packages are recorded as rejected: not in the delivery.")


def nothing_to_quarantine(run):
    """No rejected or discrepant package is waiting to go to quarantine."""
    return not manifests.to_quarantine(run.data["transfer"]).exists()


def quarantine_packages(run, scanned, ctx):
    """Move each waiting package into quarantine and print its quarantine label."""
    _note_actor(run, ctx)
    cage = Location.get(Location.code == scanned.value)
    lines = list(manifests.to_quarantine(run.data["transfer"]))
    for line in lines:
        package = Package.get(Package.tag == line.tag)
        status = "rejected" if line.state == "rejected" else "quarantined"
        ctx.movement(package, 0, "quarantine", to_location=cage, status=status,
                     reason=line.reason[:250])
        ctx.print_job("label", "quarantine_label",
                      {"tag": line.tag, "item": line.item_name, "reason": line.reason,
                       "date": clock.store_date(ctx.event.at).isoformat(), "who": ctx.actor.name})
    ctx.message = n_("{count} package moved to {place}; their labels are printing.",
                     "{count} packages moved to {place}; their labels are printing.",
                     len(lines), place=cage.name)


def nothing_to_put_away(run):
    """Every accepted package is on a vault shelf."""
    return not manifests.to_put_away(run.data["transfer"]).exists()


def remember_putaway(run, scanned, ctx):
    """Hold the tag until its shelf is scanned."""
    run.data["put"] = scanned.value
    ctx.message = _("Now scan the vault shelf it goes on.")


def no_package_in_hand(run):
    """No package was scanned for putaway."""
    return "put" not in run.data


def put_away(run, scanned, ctx):
    """Move the package onto the shelf."""
    _note_actor(run, ctx)
    shelf = Location.get(Location.code == scanned.value)
    package = Package.get(Package.tag == run.data.pop("put"))
    ctx.movement(package, 0, "move", to_location=shelf, reason="putaway")
    ctx.message = _("{tag} is on {shelf}.", tag=package.tag, shelf=shelf.name)


def reopen(run, scanned, ctx):
    """Check this package again; its new verdict will supersede the old one."""
    _note_actor(run, ctx)
    _hold(run, manifests.on_manifest(run.data["transfer"], scanned.value))
    run.data["reopen"] = True
    ctx.message = _("Check the package again: condition, count, decision.")


def no_witness_needed(run):
    """The store's rule (always, on any discrepancy, or never) does not ask for a witness."""
    rule = run.data.get("witness_rule", "discrepancy")
    if rule != "discrepancy":
        return rule == "never"
    return not (manifests.any_discrepancy(run.data["transfer"]) or run.data.get("po_flags")
                or run.data.get("case_mismatch"))


def _complete(run, ctx):
    """Signed: the manifest is received and the POS hears of the new stock (holds included)."""
    transfer = transfer_of(run)
    Transfer.update(status="received", received_at=ctx.event.at).where(
        Transfer.id == transfer.id).execute()
    for kind, payload, key in deliveries.pos_messages(transfer.id):
        ctx.outbox("pos", kind, payload, ordering_key=key)
    ctx.audit("receiving.signed", f"transfer:{transfer.id}", {"manifest": transfer.manifest_number})
    ctx.message = _("Signed. The delivery is received; print the slip and enter it in Metrc.")


def signed_by_receiver(run, signers, ctx):
    """The receiver signed; without a witness to wait for, the delivery is received."""
    run.data.update(receiver=signers[0].name, receiver_id=signers[0].id)
    if no_witness_needed(run):
        _complete(run, ctx)


def witness_is_someone_else(run, value):
    """The witness is not the person who signed as receiver."""
    if value["employee"].id == run.data.get("receiver_id"):
        return _("{name} signed as receiver. A different person must witness.",
                 name=value["employee"].name)
    return None


def signed_by_witness(run, signers, ctx):
    """The witness signed: the delivery is received."""
    run.data["witness"] = signers[0].name
    _complete(run, ctx)


def nothing_accepted(run):
    """No package was accepted, so there is nothing to label."""
    return manifests.package_counts(run.data["transfer"])["accepted"] == 0


def record_metrc_entry(run, answer, ctx):
    """Entered in Metrc: tell the syncer to read it back, and send locations and notes."""
    if not answer["ok"]:
        ctx.audit("receiving.metrc_pending", f"run:{run.id}", {"reason": answer["reason"]})
        ctx.message = _("Noted. The delivery waits here until someone enters it in Metrc.")
        ctx.tone = "warn"
        return
    transfer = transfer_of(run)
    for kind, payload, key in deliveries.metrc_messages(
            transfer, clock.store_date(ctx.event.at).isoformat()):
        ctx.outbox("metrc", kind, payload, ordering_key=key)
    run.data["metrc_entered_by"] = ctx.actor.name
    ctx.audit("receiving.metrc_entered", f"transfer:{transfer.id}",
              {"manifest": transfer.manifest_number, "by": ctx.actor.id})
    ctx.message = _("Recorded: {name} entered manifest {number} in Metrc.", name=ctx.actor.name,
                    number=transfer.manifest_number)


def after_metrc(run, answer):
    """Entered: done. Not yet: the delivery waits at this step."""
    return "__end__" if answer["ok"] else "metrc"


def stop_delivery(run, signers, ctx):
    """A manager confirms the delivery is refused at the door; it stays unreceived."""
    transfer = transfer_of(run)
    Transfer.update(status="incoming", run_id=None).where(Transfer.id == transfer.id).execute()
    ctx.audit("receiving.stopped", f"transfer:{transfer.id}",
              {"reason": run.data.get("stopped", ""), "manager": signers[0].id})
    ctx.message = _("Delivery {number} refused: {reason}.", number=transfer.manifest_number,
                    reason=run.data.get("stopped", ""))
    ctx.tone = "warn"


def undo_delivery(run, ctx):
    """Cancelled: reverse the run's stock and free the manifest; if the POS or Metrc already
    has any of it, undo nothing and say what remains to do."""
    transfer = transfer_of(run) if "transfer" in run.data else None
    if transfer is None or transfer.run_id != run.id:
        return  # no manifest chosen yet, or another run holds it now
    manifest = transfer.manifest_number
    keys = [*manifests.tags(transfer.id), manifest]
    delivered, unsure = dock.told_outside(run.id, keys)
    if delivered or unsure:
        for job in deliveries.receiving_slip(run):
            ctx.print_job(job["device"], job["layout"], job["data"])
        ctx.audit("receiving.cancel_kept", f"transfer:{transfer.id}",
                  {"delivered": [m.id for m in delivered], "unsure": [m.id for m in unsure]})
        ctx.message = deliveries.kept_note(transfer, delivered, unsure)
        return
    withdrawn = dock.withdraw_unsent(run.id, keys, ctx, f"Receiving of manifest {manifest} "
                                                        "was cancelled before this was sent.")
    packages = dock.reverse(run.id, ctx, manifest)
    manifests.release(transfer.id)
    ctx.audit("receiving.cancel_undone", f"transfer:{transfer.id}",
              {"reversed": [p.tag for p in packages], "withdrawn": withdrawn})
    ctx.message = deliveries.undone_note(manifest, packages, withdrawn)


WORKFLOW = Workflow(
    key="receiving",
    title=_("Receive a delivery"),
    sop="SOP §2 Receiving a shipment (intake)",
    version=1,
    roles=RECEIVER_ROLES,
    description=_("Check a delivery package by package against its manifest, order and COAs."),
    summary=deliveries.summary,
    in_hand=package_in_hand,
    on_cancel=undo_delivery,
    steps=(
        scan("delivery", _("Which delivery? Scan the manifest barcode or tap the delivery."),
             expect=("manifest",), guards=(checks.delivery_is_expected,), effect=open_delivery,
             show=deliveries.expected_deliveries),
        confirm("transport", _("Check the transport details against the driver's paper and ID."),
                guards=(licences_match,), effect=record_transport, next=after_transport,
                show=deliveries.transport_facts),
        instruct("order", _("Compare the delivery with our purchase order."),
                 effect=record_order_match, show=deliveries.order_table),
        count("cases", _("Count the sealed cases."), unit="cases", whole=True,
              effect=record_cases, show=deliveries.case_facts),
        scan("package", _("Scan the next package's tag."), expect=("package_tag", "gtin", "gs1"),
             guards=(checks.a_tag_not_an_item_barcode, checks.tag_on_this_manifest,
                     checks.tag_not_checked_yet, checks.tag_not_already_in_stock),
             effect=take_package, show=deliveries.progress, finish="missing",
             finish_label=_("No more packages")),
        choose("condition", _("Look at the package. What condition is it in?"), CONDITIONS,
               effect=record_condition, show=deliveries.package_facts,
               back=Back(back_to_the_tag, _("Back: not this package"),
                         forget=("tag", "held", "condition", "counted", "reopen"))),
        count("units", _("Count the units in the package (grams for bulk)."),
              unit_for=held_unit, effect=record_count, show=deliveries.package_facts,
              back=Back("condition", _("Back: change the condition"),
                        forget=("condition", "counted"))),
        choose("decide", _("Accept or reject this package?"), (), options_for=decision_options,
               effect=decide, next=after_decision, show=deliveries.package_facts,
               back=Back("units", _("Change count"), forget=("counted",))),
        choose("reason", _("Why is it rejected?"),
               tuple(Option(code, text) for code, text in REASONS.items()),
               effect=reject_with_reason, next=after_decision, show=deliveries.package_facts,
               back=Back("decide", _("Back to accept or reject")), detour=True),
        choose("missing", _("Some packages were never scanned. Are they really not here?"),
               (Option("not_delivered", _("They are not here: reject them"), danger=True),
                Option("back", _("Go back and scan them"), next="package")),
               skip_if=no_package_is_missing, effect=mark_missing, show=deliveries.missing_facts),
        scan("quarantine", _("Put these packages in the quarantine cage, then scan its label."),
             expect=("location",), guards=(checks.is_quarantine_location,),
             effect=quarantine_packages, skip_if=nothing_to_quarantine,
             show=deliveries.quarantine_list),
        scan("putaway", _("Put away: scan an accepted package."),
             expect=("package_tag", "gtin", "gs1"), guards=(checks.waiting_to_put_away,),
             effect=remember_putaway, skip_if=nothing_to_put_away, show=deliveries.putaway_list),
        scan("shelf", _("Scan the vault shelf you put it on."), expect=("location",),
             guards=(checks.is_vault_shelf,), effect=put_away, next="putaway",
             skip_if=no_package_in_hand, show=deliveries.putaway_list),
        scan("review", _("Check the sheet. To change a package, scan it; otherwise finish."),
             expect=("package_tag", "gtin", "gs1"), guards=(checks.tag_already_checked,),
             effect=reopen, next="condition", show=deliveries.sheet, finish="sign",
             finish_label=_("All correct: sign")),
        sign_off("sign", _("Receiver: sign the delivery."),
                 signers=(Signer(RECEIVER_ROLES, "performed", _("receiver")),),
                 effect=signed_by_receiver, show=deliveries.sheet),
        sign_off("witness", _("A second person witnesses the delivery."),
                 signers=(Signer(WITNESS_ROLES, "witnessed", _("witness")),),
                 guards=(witness_is_someone_else,), skip_if=no_witness_needed,
                 effect=signed_by_witness, show=deliveries.sheet),
        print_step("slip", _("Print the receiving slip (the acceptance sheet for Metrc)."),
                   jobs=deliveries.receiving_slip),
        print_step("labels", _("Print a label for each accepted package."),
                   jobs=deliveries.package_labels, optional=True, skip_if=nothing_accepted),
        confirm("metrc", _("Enter this acceptance in Metrc. Is it entered, exactly as below?"),
                help=_("In Metrc: Transfers → Incoming → Receive this manifest; enter each "
                       "package's result and received quantity from the sheet."),
                effect=record_metrc_entry, next=after_metrc, show=deliveries.sheet),
        sign_off("stopped", _("A manager confirms the delivery is stopped."),
                 signers=(Signer(("manager",), "approved", _("manager")),),
                 effect=stop_delivery, next="__end__", show=deliveries.transport_facts,
                 detour=True),
    ),
)

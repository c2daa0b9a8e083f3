"""Receive a delivery. SOP §2 "Receiving a shipment (intake)", revision 1.

Choose the delivery, check the transport details and our purchase order, count the sealed
cases, then check every package: scan its tag, look at its condition, count it against the
manifest, and let the kiosk check its COA. Each package is accepted, accepted short (or
over) with the count, or rejected with a reason. Rejected and discrepant packages go to the
quarantine cage with a label; accepted ones are put away on a vault shelf. Any package can
be looked at again before the receiver signs (a second person witnesses when the store's
rule says so). The kiosk then prints the receiving slip, which is also the acceptance sheet
to enter in Metrc (its API cannot accept a transfer), and records who entered it.

Stock changes when a package is decided (receipt into the receiving dock), quarantined and
put away. The POS hears of the new stock at sign-off; Metrc hears of locations and notes
once someone confirms the acceptance was entered there. A delivery can be paused (log out)
and resumed by another receiver; every step stays in the name of whoever did it.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, manifests
from kiosk.engine import (
    FINISH,
    Option,
    Refuse,
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
from kiosk.manifests import quantity_text
from kiosk.models import (
    Location,
    Movement,
    Package,
    Run,
    Transfer,
    TransferPackage,
)

RECEIVER_ROLES = ("receiver", "manager")
WITNESS_ROLES = ("receiver", "manager", "vault")
SHOWN_TAGS = 12  # how many still-to-check tags the screen lists; the rest are counted

CONDITIONS = (
    Option("intact", "Intact, seal unbroken"),
    Option("damaged", "Damaged", danger=True),
    Option("tampered", "Tampered or seal broken", danger=True),
)

REASONS = {
    "damaged": "Damaged",
    "tampered": "Tampered or seal broken",
    "coa_failed": "Lab test failed",
    "coa_missing": "No COA",
    "potency": "Potency does not match the label",
    "count": "Count does not match the manifest",
    "unordered": "Not on our purchase order",
    "wrong_item": "Wrong item or label",
    "expired": "Expired or too close to expiry",
    "not_delivered": "Not in the delivery",
}


def _transfer(run) -> Transfer:
    return Transfer.get_by_id(run.data["transfer"])


def _line(run) -> TransferPackage:
    return manifests.on_manifest(run.data["transfer"], run.data["tag"])


def _tolerance(run) -> float:
    return float(run.data.get("tolerance", 10.0))


def _note_actor(run, ctx) -> None:
    """Keep who has worked on the delivery, in order; a change of person is a handover."""
    people = run.data.setdefault("people", [])
    if not people or people[-1][0] != ctx.actor.id:
        if people:
            ctx.audit("receiving.handover", f"run:{run.id}",
                      {"from": people[-1][0], "to": ctx.actor.id,
                       "manifest": run.data.get("manifest")})
        people.append([ctx.actor.id, ctx.actor.name])


def _manifest_code(number: str) -> str:
    """What a tap sends for a manifest: the same text its barcode would."""
    return f"MAN-{number}" if number.isdigit() and 4 <= len(number) <= 12 else number


def expected_deliveries(run):
    """The deliveries we expect today, as buttons (or scan the manifest's barcode)."""
    rows = []
    for transfer in manifests.open_deliveries():
        counts = manifests.package_counts(transfer.id)
        due = (f"{clock.local(transfer.est_arrival):%H:%M}" if transfer.est_arrival
               else "no time given")
        state = "being received" if transfer.status == "receiving" else f"due {due}"
        rows.append({"value": _manifest_code(transfer.manifest_number),
                     "label": f"{transfer.manifest_number} · {transfer.shipper_name}",
                     "detail": f"{counts['total']} packages, {state}"})
    if not rows:
        return {"warnings": ["No deliveries are expected. If the state system is down, record "
                             "the driver's paper manifest first (Paper manifest)."]}
    return {"choices": {"title": "Expected deliveries (tap one, or scan the manifest)",
                        "rows": rows}}


def delivery_is_expected(run, scanned):
    """The manifest is expected, not received, voided or being received in another run."""
    transfer = Transfer.get_or_none(Transfer.manifest_number == scanned.value)
    if transfer is None or transfer.status == "draft":
        return (f"Manifest {scanned.value} is not an expected delivery. Check the number on the "
                "driver's paper; if the state system is down, record it with Paper manifest.")
    if transfer.status == "received":
        when = (f" on {clock.local(transfer.received_at):%Y-%m-%d at %H:%M}"
                if transfer.received_at else "")
        return f"Manifest {scanned.value} was already received{when}. Do not receive it twice."
    if transfer.status == "cancelled":
        return (f"Manifest {scanned.value} was voided by the shipper. Do not receive it; "
                "call a manager.")
    other = Run.get_or_none(Run.id == transfer.run_id) if transfer.run_id else None
    if other is not None and other.id != run.id and other.status == "active":
        return (f"Manifest {scanned.value} is already being received (started by "
                f"{other.operator.name} at {clock.local(other.started_at):%H:%M}). Resume that "
                "delivery from the home screen.")
    return None


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
    ctx.message = f"Manifest {transfer.manifest_number} from {transfer.shipper_name}."


def transport_facts(run):
    """The transport details to check against the driver's paper and ID."""
    t = _transfer(run)

    def when(value):
        return f"{clock.local(value):%Y-%m-%d %H:%M}" if value else "not given"

    warnings = []
    if t.receiver_license != run.data["our_license"]:
        warnings.append(f"This manifest is addressed to licence {t.receiver_license or '(none)'}, "
                        f"not ours ({run.data['our_license']}). Stop and call a manager.")
    if not t.shipper_license:
        warnings.append("The manifest has no shipper licence. Stop and call a manager.")
    return {"facts": [("Manifest", t.manifest_number),
                      ("Shipper", f"{t.shipper_name} ({t.shipper_license or 'no licence'})"),
                      ("Receiver licence", t.receiver_license or "(none)"),
                      ("Our licence", run.data["our_license"]),
                      ("Driver", f"{t.driver_name or 'not given'} "
                                 f"({t.driver_license or 'no licence number'})"),
                      ("Vehicle", t.vehicle or "not given"),
                      ("Departed", when(t.actual_departure or t.est_departure)),
                      ("Expected", when(t.est_arrival)),
                      ("Arrived", when(t.actual_arrival) if t.actual_arrival else "now")],
            "warnings": warnings}


def licences_match(run, answer):
    """When the details are confirmed: the manifest is addressed to our licence, from a licensee."""
    if not answer["ok"]:
        return None
    t = _transfer(run)
    if t.receiver_license != run.data["our_license"]:
        return (f"This manifest is for licence {t.receiver_license or '(none)'}, not ours "
                f"({run.data['our_license']}). Press 'No, something is wrong' and call a manager.")
    if not t.shipper_license:
        return ("The manifest has no shipper licence. Press 'No, something is wrong' and "
                "call a manager.")
    return None


def record_transport(run, answer, ctx):
    """Record the arrival time, or the problem that stops the delivery."""
    t = _transfer(run)
    if answer["ok"]:
        if t.actual_arrival is None:
            Transfer.update(actual_arrival=ctx.event.at).where(Transfer.id == t.id).execute()
        ctx.audit("receiving.transport_ok", f"transfer:{t.id}", {})
        return
    run.data["stopped"] = answer["reason"]
    ctx.message = "Delivery stopped. A manager must sign before the driver leaves."


def after_transport(run, answer):
    """Details right: the purchase order; a problem: a manager stops the delivery."""
    return "order" if answer["ok"] else "stopped"


def order_table(run):
    """Ordered vs shipped per item; shorts, overs and unordered items are flagged."""
    po, rows = manifests.po_match(_transfer(run))
    words = {"ok": "matches", "short": "SHORT", "over": "OVER", "unordered": "NOT ORDERED",
             "not shipped": "NOT SHIPPED"}
    table = {"title": f"Purchase order {po.number}" if po else "No purchase order",
             "columns": ["Item", "Ordered", "Shipped", "Check"],
             "rows": [[r["item"], quantity_text(r["ordered"], r["unit"]) if r["ordered"] is not
                       None else "-", quantity_text(r["shipped"], r["unit"]), words[r["flag"]]]
                      for r in rows]}
    flagged = [r for r in rows if r["flag"] != "ok"]
    warnings = [] if po else ["There is no open purchase order from this shipper: every item "
                              "is unordered. A manager should know before you accept any."]
    progress = (f"{len(flagged)} item{'s' if len(flagged) != 1 else ''} differ from the order"
                if flagged else "Everything shipped matches the order")
    return {"progress": progress, "table": table, "warnings": warnings}


def record_order_match(run, _value, ctx):
    """Keep the purchase-order differences on the receiving record."""
    po, rows = manifests.po_match(_transfer(run))
    flagged = {r["item"]: r["flag"] for r in rows if r["flag"] != "ok"}
    run.data["po"] = po.number if po else ""
    run.data["po_flags"] = len(flagged)
    run.data["unordered"] = sorted(k for k, v in flagged.items() if v == "unordered")
    ctx.audit("receiving.po_match", f"run:{run.id}", {"po": run.data["po"], "flags": flagged})


def case_facts(run):
    """What the manifest says about cases."""
    cases = _transfer(run).case_count
    return {"big": f"Manifest: {cases} sealed case{'s' if cases != 1 else ''}" if cases
            else "The manifest does not say how many cases; count them for the record."}


def record_cases(run, number, ctx):
    """Compare the case count with the manifest; a difference is kept as a discrepancy."""
    expected = _transfer(run).case_count
    run.data["cases"] = int(number)
    run.data["case_mismatch"] = expected is not None and int(number) != expected
    if run.data["case_mismatch"]:
        ctx.audit("receiving.case_mismatch", f"run:{run.id}",
                  {"expected": expected, "counted": int(number)})
        ctx.message = (f"{int(number)} cases counted but the manifest says {expected}. This is "
                       "recorded; check every package carefully.")
    else:
        ctx.message = "Cases counted. Now check each package."


def progress(run):
    """'37 of 112 checked, 2 rejected' and the tags still to check."""
    counts = manifests.package_counts(run.data["transfer"])
    line = f"{counts['checked']} of {counts['total']} checked, {counts['rejected']} rejected"
    left = manifests.unchecked(run.data["transfer"], SHOWN_TAGS + 1)
    rows = [f"{tp.tag} · {tp.item_name} · {quantity_text(tp.shipped_quantity, tp.shipped_unit)}"
            for tp in left[:SHOWN_TAGS]]
    if counts["shipped"] > SHOWN_TAGS:
        rows.append(f"… and {counts['shipped'] - SHOWN_TAGS} more")
    shown = {"progress": line}
    if rows:
        shown["items"] = {"title": f"Still to check ({counts['shipped']})", "rows": rows}
    return shown


def a_tag_not_an_item_barcode(run, scanned):
    """A package's state tag, not the item's UPC."""
    if scanned == FINISH or scanned.kind == "package_tag":
        return None
    item = manifests.item_for_gtin(scanned.gtin) if scanned.gtin else None
    what = f"the item barcode of {item.name}" if item else "an item barcode (UPC)"
    return f"That is {what}, not a package tag. Scan the package's 24-character state tag."


def tag_on_this_manifest(run, scanned):
    """The tag is on this manifest (if not, say which open manifest it belongs to)."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    if manifests.on_manifest(run.data["transfer"], scanned.value) is not None:
        return None
    other = manifests.other_open_manifest(scanned.value, run.data["transfer"])
    if other is not None:
        return (f"Package {scanned.value} is not on this manifest; it belongs to manifest "
                f"{other.manifest_number} from {other.shipper_name}. Set it aside for that "
                "delivery.")
    return (f"Package {scanned.value} is not on manifest {run.data['manifest']}. Set it aside "
            "and call a manager; it must not go into stock.")


def tag_not_checked_yet(run, scanned):
    """The package has not been checked already in this delivery."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    line = manifests.on_manifest(run.data["transfer"], scanned.value)
    if line.state == "shipped":
        return None
    result = (f"accepted, {quantity_text(line.received_quantity, line.shipped_unit)}"
              if line.state == "accepted" else f"rejected: {line.reason}")
    return (f"Package {scanned.value} was already checked ({result}). Scan the next one; to "
            "change it, use the review before signing.")


def tag_not_already_in_stock(run, scanned):
    """The tag is not one of the store's packages from before this delivery."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    package = Package.get_or_none(Package.tag == scanned.value)
    if package is None:
        return None
    where = package.location.name if package.location_id else "no location"
    return (f"Package {scanned.value} is already in this store's stock ({where}). A tag "
            "cannot arrive twice: set it aside and call a manager.")


def _hold(run, line: TransferPackage) -> None:
    """Keep the manifest line and its COA verdict with the run while the package is checked.

    The next three screens and the decision read them from here: the COA is judged once,
    with the tolerance pinned when the delivery was opened, and each screen stays quick.
    """
    coa = manifests.coa_verdict(line, _tolerance(run))
    run.data["held"] = {
        "item": line.item_name, "batch": line.batch, "shipped": str(line.shipped_quantity),
        "unit": line.shipped_unit, "coa": coa.status, "coa_message": coa.message,
        "thc": None if coa.thc is None else str(coa.thc),
        "cbd": None if coa.cbd is None else str(coa.cbd)}
    run.data["tag"] = line.tag
    run.data.pop("condition", None)
    run.data.pop("counted", None)


def take_package(run, scanned, ctx):
    """Start checking this package; say what the manifest and the lab say about it."""
    _note_actor(run, ctx)
    line = manifests.on_manifest(run.data["transfer"], scanned.value)
    _hold(run, line)
    run.data["reopen"] = False
    ctx.message = (f"{line.item_name}: {quantity_text(line.shipped_quantity, line.shipped_unit)} "
                   "shipped. Check its condition.")


def package_facts(run):
    """The package being checked: manifest line, COA verdict, and what was found so far."""
    held = run.data["held"]
    facts = [("Tag", run.data["tag"]), ("Item", held["item"]), ("Batch", held["batch"] or "-"),
             ("Shipped", quantity_text(held["shipped"], held["unit"])),
             ("COA", held["coa_message"])]
    if "condition" in run.data:
        facts.append(("Condition", dict((o.value, o.label) for o in CONDITIONS)
                      [run.data["condition"]]))
    if "counted" in run.data:
        facts.append(("Counted", quantity_text(run.data["counted"], held["unit"])))
    warnings = [] if held["coa"] == "ok" else [held["coa_message"]]
    if held["item"] in run.data.get("unordered", []):
        warnings.append(f"{held['item']} is not on our purchase order.")
    if run.data.get("reopen"):
        warnings.append("You are changing this package's result; the earlier one is kept.")
    shown = {"facts": facts, "warnings": warnings}
    if not run.data.get("reopen"):
        counts = manifests.package_counts(run.data["transfer"])
        shown["progress"] = (f"{counts['checked']} of {counts['total']} checked, "
                             f"{counts['rejected']} rejected")
    return shown


def record_condition(run, option, ctx):
    """Keep the condition for the decision."""
    run.data["condition"] = option.value
    ctx.message = "Now count the units." if option.value == "intact" else \
        f"{option.label} recorded. Count what is there, then reject it."


def held_unit(run):
    """The unit the package in hand is counted in (its manifest's: Each, Grams ...)."""
    return run.data["held"]["unit"]


def record_count(run, number, ctx):
    """Keep the count for the decision."""
    run.data["counted"] = str(number)
    shipped = Decimal(run.data["held"]["shipped"])
    if number == shipped:
        ctx.message = "Noted: the count matches the manifest."
    else:
        ctx.message = (f"Noted: {quantity_text(number)} counted, {quantity_text(shipped)} "
                       "shipped.")


def _problems(run) -> list[str]:
    """Reason codes that forbid accepting the package."""
    found = []
    if run.data.get("condition") in ("damaged", "tampered"):
        found.append(run.data["condition"])
    found += {"failed": ["coa_failed"], "missing": ["coa_missing"],
              "potency": ["potency"]}.get(run.data["held"]["coa"], [])
    if Decimal(run.data["counted"]) == 0:
        found.append("not_delivered")
    return found


def decision_options(run):
    """Accept (short or over with the count) when nothing forbids it; reject with each reason."""
    held = run.data["held"]
    counted = Decimal(run.data["counted"])
    shipped = Decimal(held["shipped"])
    unit = held["unit"]
    problems = _problems(run)
    options = []
    if not problems:
        if counted == shipped:
            options.append(Option("accept", f"Accept {quantity_text(counted, unit)}"))
        elif counted < shipped:
            options.append(Option("short", f"Accept short: {quantity_text(counted)} of "
                                           f"{quantity_text(shipped, unit)}"))
        else:
            extra = quantity_text(counted - shipped)
            options.append(Option("over", f"Accept {quantity_text(counted, unit)} "
                                          f"({extra} more than shipped)"))
    if counted != shipped and "not_delivered" not in problems:
        problems.append("count")
    if held["item"] in run.data.get("unordered", []):
        problems.append("unordered")
    options += [Option(f"reject:{code}", f"Reject: {REASONS[code]}", danger=True)
                for code in problems]
    options.append(Option("reject", "Reject for another reason…", next="reason", danger=True))
    return options


def _dock() -> Location:
    dock = Location.get_or_none(Location.kind == "receiving", Location.active == True)  # noqa: E712
    if dock is None:
        raise Refuse("This store has no receiving dock location. A manager must add one first.")
    return dock


def _package_for(line: TransferPackage, run) -> tuple[Package, bool]:
    """The package record for the manifest line (made on its first verdict); is it new?"""
    package = Package.get_or_none(Package.tag == line.tag)
    if package is not None:
        return package, False
    item = line.item_id or manifests.item_named(line.item_name or "Unknown item",
                                                line.shipped_unit)
    held = run.data["held"]
    package = Package.create(tag=line.tag, item=item, batch=line.batch, unit=line.shipped_unit,
                             thc_pct=held["thc"] or line.label_thc_pct,
                             cbd_pct=held["cbd"] or line.label_cbd_pct, status="rejected",
                             created_at=clock.now(), received_at=clock.now())
    return package, True


def _reason(run, line, code: str) -> str:
    """The words kept for a rejection: the kiosk's own finding when it has one."""
    held = run.data["held"]
    found = {"coa_failed": "failed", "coa_missing": "missing", "potency": "potency"}
    if found.get(code) == held["coa"]:
        return held["coa_message"]
    if code == "count" and Decimal(run.data["counted"]) != Decimal(held["shipped"]):
        return (f"Count does not match: {quantity_text(run.data['counted'])} counted, "
                f"{quantity_text(line.shipped_quantity)} shipped")
    return REASONS[code]


def decide(run, option, ctx):
    """Record the verdict: a receipt into the dock for what is accepted; a correction if changed."""
    if option.value == "reject":
        return  # the next screen asks why
    _note_actor(run, ctx)
    line = _line(run)
    package, new = _package_for(line, run)
    dock = _dock()
    earlier = None if new else (Movement.select().where(Movement.package == package,
                                                        Movement.kind.in_(("receipt", "reject")))
                                .order_by(Movement.id.desc()).first())
    if earlier is not None:
        # A changed verdict is a new event pointing at the old one; stock is reversed, not edited.
        ctx.supersede(earlier.step_event_id)
        if earlier.quantity:
            ctx.movement(package, -Decimal(str(earlier.quantity)), "correction", corrects=earlier,
                         to_location=dock, reason="receiving verdict changed")
    manifest = run.data["manifest"]
    code = option.value.split(":", 1)[1] if ":" in option.value else option.value
    if code in ("accept", "short", "over"):
        counted = Decimal(run.data["counted"])
        shipped = Decimal(str(line.shipped_quantity))
        got, sent = quantity_text(counted), quantity_text(shipped)
        reason = {"accept": "", "short": f"Short: {got} of {sent} received",
                  "over": f"Over: {got} received, {sent} shipped"}[code]
        ctx.movement(package, counted, "receipt", to_location=dock, status="active",
                     reason=f"received on manifest {manifest}", note=reason)
        if package.received_at is None:
            Package.update(received_at=ctx.event.at).where(Package.id == package.id).execute()
        values = dict(state="accepted", received_quantity=counted, reason=reason)
        ctx.message = f"Received {quantity_text(counted, line.shipped_unit)}" + \
            (f" ({reason.split(':')[0].lower()}); it goes to quarantine." if reason else ".")
    else:
        reason = _reason(run, line, code)
        ctx.movement(package, 0, "reject", to_location=dock, status="rejected",
                     reason=f"rejected on manifest {manifest}", note=reason)
        values = dict(state="rejected", received_quantity=None, reason=reason)
        ctx.message = f"Package {line.tag} is rejected ({reason.rstrip('.')}); it goes to " \
                      "quarantine."
    TransferPackage.update(**values).where(TransferPackage.id == line.id).execute()
    ctx.audit("receiving.verdict", f"package:{line.tag}",
              {"manifest": manifest, "state": values["state"], "reason": values["reason"],
               "counted": run.data["counted"], "condition": run.data.get("condition"),
               "correction": earlier is not None})
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


def missing_facts(run):
    """The packages never scanned."""
    left = manifests.unchecked(run.data["transfer"])
    return {"items": {"title": f"Not scanned ({len(left)})",
                      "rows": [f"{tp.tag} · {tp.item_name}" for tp in left]}}


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
    ctx.message = "The missing packages are recorded as rejected: not in the delivery."


def nothing_to_quarantine(run):
    """No rejected or discrepant package is waiting to go to quarantine."""
    return not manifests.to_quarantine(run.data["transfer"]).exists()


def quarantine_list(run):
    """What goes into the quarantine cage now."""
    lines = list(manifests.to_quarantine(run.data["transfer"]))
    return {"big": f"{len(lines)} package{'s' if len(lines) != 1 else ''} to quarantine",
            "items": {"title": "Put these in the quarantine cage",
                      "rows": [f"{tp.tag} · {tp.item_name} · {tp.reason}" for tp in lines]}}


def is_quarantine_location(run, scanned):
    """The label scanned is a quarantine location."""
    location = Location.get_or_none(Location.code == scanned.value)
    if location is None or not location.active:
        return f"{scanned.value} is not a location in this store. Scan the quarantine cage's label."
    if location.kind != "quarantine":
        return f"{location.name} is not a quarantine location. Scan the quarantine cage's label."
    return None


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
    ctx.message = f"{len(lines)} package{'s' if len(lines) != 1 else ''} moved to {cage.name}; " \
                  "their labels are printing."


def nothing_to_put_away(run):
    """Every accepted package is on a vault shelf."""
    return not manifests.to_put_away(run.data["transfer"]).exists()


def putaway_list(run):
    """The accepted packages still to put away, and where the same item already is (FIFO)."""
    waiting = manifests.to_put_away(run.data["transfer"])
    left = waiting.count()
    lines = list(waiting.limit(SHOWN_TAGS))
    shelves = manifests.vault_shelves_for({tp.item_id for tp in lines}, run.data["transfer"])
    rows = [f"{tp.tag} · {tp.item_name}" + (f" (older stock on {shelves[tp.item_id]})"
                                             if tp.item_id in shelves else "") for tp in lines]
    if left > SHOWN_TAGS:
        rows.append(f"… and {left - SHOWN_TAGS} more")
    shown = {"progress": f"{left} still to put away",
             "items": {"title": "Put away (scan the package, then the shelf)", "rows": rows}}
    if run.data.get("put"):
        shown["facts"] = [("Package", run.data["put"])]
    return shown


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
        return f"Package {scanned.value} goes to quarantine, not to a shelf."
    return f"Package {scanned.value} is already put away. Scan one still on the list."


def remember_putaway(run, scanned, ctx):
    """Hold the tag until its shelf is scanned."""
    run.data["put"] = scanned.value
    ctx.message = "Now scan the vault shelf it goes on."


def is_vault_shelf(run, scanned):
    """The label scanned is a vault location."""
    location = Location.get_or_none(Location.code == scanned.value)
    if location is None or not location.active:
        return f"{scanned.value} is not a location in this store. Scan a vault shelf label."
    if location.kind != "vault":
        return (f"{location.name} is not a vault location. New stock goes on a vault shelf "
                "first; scan a vault shelf label.")
    return None


def no_package_in_hand(run):
    """No package was scanned for putaway."""
    return "put" not in run.data


def put_away(run, scanned, ctx):
    """Move the package onto the shelf."""
    _note_actor(run, ctx)
    shelf = Location.get(Location.code == scanned.value)
    package = Package.get(Package.tag == run.data.pop("put"))
    ctx.movement(package, 0, "move", to_location=shelf, reason="putaway")
    ctx.message = f"{package.tag} is on {shelf.name}."


def sheet(run):
    """The acceptance sheet: every package's result, as it will be entered in Metrc."""
    counts = manifests.package_counts(run.data["transfer"])
    rows = [[r["tag"], r["item"], f"{r['shipped']} → {r['received'] or '-'} {r['unit']}",
             " · ".join(filter(None, [r["state"].upper(), r["reason"], r["location"]]))]
            for r in manifests.acceptance_rows(run.data["transfer"])]
    return {"progress": f"{counts['checked']} of {counts['total']} checked, "
                        f"{counts['accepted']} accepted, {counts['rejected']} rejected",
            "table": {"title": f"Acceptance sheet: manifest {run.data['manifest']}",
                      "columns": ["Tag", "Item", "Shipped → received", "Result · reason · now on"],
                      "rows": rows}}


def tag_already_checked(run, scanned):
    """To change a result, the package must be on this manifest and checked."""
    if scanned == FINISH:
        return None
    if scanned.kind != "package_tag":
        return a_tag_not_an_item_barcode(run, scanned)
    return tag_on_this_manifest(run, scanned)


def reopen(run, scanned, ctx):
    """Check this package again; its new verdict will supersede the old one."""
    _note_actor(run, ctx)
    _hold(run, manifests.on_manifest(run.data["transfer"], scanned.value))
    run.data["reopen"] = True
    ctx.message = "Check the package again: condition, count, decision."


def has_discrepancy(run) -> bool:
    """Anything rejected, short, over or unordered, or a case count that does not match."""
    counts = manifests.package_counts(run.data["transfer"])
    differing = (TransferPackage.select().where(TransferPackage.transfer == run.data["transfer"],
                                                TransferPackage.reason != "").exists())
    return bool(counts["rejected"] or differing or run.data.get("po_flags")
                or run.data.get("case_mismatch"))


def no_witness_needed(run):
    """The store's rule (always, on any discrepancy, or never) does not ask for a witness."""
    rule = run.data.get("witness_rule", "discrepancy")
    return rule == "never" or (rule == "discrepancy" and not has_discrepancy(run))


def _complete(run, ctx):
    """Signed: the manifest is received and the POS hears of the new stock (holds included)."""
    transfer = _transfer(run)
    Transfer.update(status="received", received_at=ctx.event.at).where(
        Transfer.id == transfer.id).execute()
    for row in manifests.acceptance_rows(transfer.id):
        if row["state"] != "accepted":
            continue
        ctx.outbox("pos", "stock.received",
                   {"tag": row["tag"], "item": row["item"], "quantity": row["received"],
                    "unit": row["unit"], "location": row["location"]}, ordering_key=row["tag"])
        if row["reason"]:
            ctx.outbox("pos", "stock.hold", {"tag": row["tag"], "reason": row["reason"]},
                       ordering_key=row["tag"])
    ctx.audit("receiving.signed", f"transfer:{transfer.id}", {"manifest": transfer.manifest_number})
    ctx.message = "Signed. The delivery is received; print the slip and enter it in Metrc."


def signed_by_receiver(run, signers, ctx):
    """The receiver signed; without a witness to wait for, the delivery is received."""
    run.data.update(receiver=signers[0].name, receiver_id=signers[0].id)
    if no_witness_needed(run):
        _complete(run, ctx)


def witness_is_someone_else(run, value):
    """The witness is not the person who signed as receiver."""
    if value["employee"].id == run.data.get("receiver_id"):
        return f"{value['employee'].name} signed as receiver. A different person must witness."
    return None


def signed_by_witness(run, signers, ctx):
    """The witness signed: the delivery is received."""
    run.data["witness"] = signers[0].name
    _complete(run, ctx)


def receiving_slip(run):
    """The receiving slip, which is also the acceptance sheet for Metrc."""
    transfer = _transfer(run)
    rows = manifests.acceptance_rows(transfer.id)
    counts = manifests.package_counts(transfer.id)
    return [{"device": "receipt", "layout": "receiving_slip", "data": {
        "manifest": transfer.manifest_number, "shipper": transfer.shipper_name,
        "shipper_license": transfer.shipper_license,
        "received_at": clock.local(transfer.received_at).isoformat(timespec="seconds")
        if transfer.received_at else "",
        "receiver": run.data.get("receiver", ""), "witness": run.data.get("witness", ""),
        "packages": rows,
        "totals": {"packages": counts["total"], "accepted": counts["accepted"],
                   "rejected": counts["rejected"], "cases": run.data.get("cases", "")}}}]


def nothing_accepted(run):
    """No package was accepted, so there is nothing to label."""
    return manifests.package_counts(run.data["transfer"])["accepted"] == 0


def package_labels(run):
    """A shelf label for every accepted package (stores that relabel on receipt)."""
    jobs = []
    for line in manifests.accepted(run.data["transfer"]):
        p = line.package
        jobs.append({"device": "label", "layout": "package_label", "data": {
            "tag": p.tag, "item": p.item.name, "brand": p.item.brand, "batch": p.batch,
            "received": clock.store_date(p.received_at).isoformat() if p.received_at else "",
            "expires": p.expires_on.isoformat() if p.expires_on else "",
            "thc": str(p.thc_pct) if p.thc_pct is not None else "",
            "cbd": str(p.cbd_pct) if p.cbd_pct is not None else "",
            "unit": p.unit, "quantity": str(p.quantity)}})
    return jobs


def record_metrc_entry(run, answer, ctx):
    """Entered in Metrc: tell the syncer to read it back, and send locations and notes."""
    if not answer["ok"]:
        ctx.audit("receiving.metrc_pending", f"run:{run.id}", {"reason": answer["reason"]})
        ctx.message = "Noted. The delivery waits here until someone enters it in Metrc."
        return
    transfer = _transfer(run)
    rows = manifests.acceptance_rows(transfer.id)
    ctx.outbox("metrc", "transfer.received", {
        "manifest_number": transfer.manifest_number, "transfer_id": transfer.metrc_transfer_id,
        "packages": [{"tag": r["tag"], "state": r["state"],
                      "received_quantity": r["received"] or None, "unit": r["unit"],
                      "reason": r["reason"]} for r in rows]},
        ordering_key=transfer.manifest_number)
    today = clock.store_date(ctx.event.at).isoformat()
    for r in rows:
        if r["state"] != "accepted":
            continue  # a rejected package goes back to the shipper; it is not ours in Metrc
        ctx.outbox("metrc", "package.location",
                   {"tag": r["tag"], "location_name": r["location"], "date": today},
                   ordering_key=r["tag"])
        if r["reason"]:
            ctx.outbox("metrc", "package.note",
                       {"tag": r["tag"], "note": f"{r['reason']}; held in quarantine "
                                                 f"(manifest {transfer.manifest_number})"},
                       ordering_key=r["tag"])
    run.data["metrc_entered_by"] = ctx.actor.name
    ctx.audit("receiving.metrc_entered", f"transfer:{transfer.id}",
              {"manifest": transfer.manifest_number, "by": ctx.actor.id})
    ctx.message = (f"Recorded: {ctx.actor.name} entered manifest {transfer.manifest_number} "
                   "in Metrc.")


def after_metrc(run, answer):
    """Entered: done. Not yet: the delivery waits at this step."""
    return "__end__" if answer["ok"] else "metrc"


def stop_delivery(run, signers, ctx):
    """A manager confirms the delivery is refused at the door; it stays unreceived."""
    transfer = _transfer(run)
    Transfer.update(status="incoming", run_id=None).where(Transfer.id == transfer.id).execute()
    ctx.audit("receiving.stopped", f"transfer:{transfer.id}",
              {"reason": run.data.get("stopped", ""), "manager": signers[0].id})
    ctx.message = f"Delivery {transfer.manifest_number} refused: {run.data.get('stopped', '')}."


def summary(run):
    """One line for lists of runs."""
    if "transfer" not in run.data:
        return "Choosing the delivery"
    if run.data.get("stopped"):
        return f"Manifest {run.data['manifest']}: stopped ({run.data['stopped']})"
    counts = manifests.package_counts(run.data["transfer"])
    names = ", ".join(name for _id, name in run.data.get("people", []))
    return (f"Manifest {run.data['manifest']}: {counts['checked']} of {counts['total']} "
            f"checked, {counts['rejected']} rejected ({names})")


WORKFLOW = Workflow(
    key="receiving",
    title="Receive a delivery",
    sop="SOP §2 Receiving a shipment (intake)",
    version=1,
    roles=RECEIVER_ROLES,
    description="Check a delivery package by package against its manifest, order and COAs.",
    summary=summary,
    steps=(
        scan("delivery", "Which delivery? Scan the manifest barcode or tap the delivery.",
             expect=("manifest",), guards=(delivery_is_expected,), effect=open_delivery,
             show=expected_deliveries),
        confirm("transport", "Check the transport details against the driver's paper and ID.",
                guards=(licences_match,), effect=record_transport, next=after_transport,
                show=transport_facts),
        instruct("order", "Compare the delivery with our purchase order.",
                 effect=record_order_match, show=order_table),
        count("cases", "Count the sealed cases.", unit="cases", whole=True,
              effect=record_cases, show=case_facts),
        scan("package", "Scan the next package's tag.", expect=("package_tag", "gtin", "gs1"),
             guards=(a_tag_not_an_item_barcode, tag_on_this_manifest, tag_not_checked_yet,
                     tag_not_already_in_stock),
             effect=take_package, show=progress, finish="missing",
             finish_label="No more packages"),
        choose("condition", "Look at the package. What condition is it in?", CONDITIONS,
               effect=record_condition, show=package_facts),
        count("units", "Count the units in the package (grams for bulk).",
              unit_for=held_unit, effect=record_count, show=package_facts),
        choose("decide", "Accept or reject this package?", (), options_for=decision_options,
               effect=decide, next=after_decision, show=package_facts),
        choose("reason", "Why is it rejected?",
               tuple(Option(code, text) for code, text in REASONS.items()),
               effect=reject_with_reason, next=after_decision, show=package_facts),
        choose("missing", "Some packages were never scanned. Are they really not here?",
               (Option("not_delivered", "They are not here: reject them", danger=True),
                Option("back", "Go back and scan them", next="package")),
               skip_if=no_package_is_missing, effect=mark_missing, show=missing_facts),
        scan("quarantine", "Put these packages in the quarantine cage, then scan its label.",
             expect=("location",), guards=(is_quarantine_location,),
             effect=quarantine_packages, skip_if=nothing_to_quarantine, show=quarantine_list),
        scan("putaway", "Put away: scan an accepted package.",
             expect=("package_tag", "gtin", "gs1"), guards=(waiting_to_put_away,),
             effect=remember_putaway, skip_if=nothing_to_put_away, show=putaway_list),
        scan("shelf", "Scan the vault shelf you put it on.", expect=("location",),
             guards=(is_vault_shelf,), effect=put_away, next="putaway",
             skip_if=no_package_in_hand, show=putaway_list),
        scan("review", "Check the sheet. To change a package, scan it; otherwise finish.",
             expect=("package_tag", "gtin", "gs1"), guards=(tag_already_checked,),
             effect=reopen, next="condition", show=sheet, finish="sign",
             finish_label="All correct: sign"),
        sign_off("sign", "Receiver: sign the delivery.",
                 signers=(Signer(RECEIVER_ROLES, "performed", "receiver"),),
                 effect=signed_by_receiver, show=sheet),
        sign_off("witness", "A second person witnesses the delivery.",
                 signers=(Signer(WITNESS_ROLES, "witnessed", "witness"),),
                 guards=(witness_is_someone_else,), skip_if=no_witness_needed,
                 effect=signed_by_witness, show=sheet),
        print_step("slip", "Print the receiving slip (the acceptance sheet for Metrc).",
                   jobs=receiving_slip),
        print_step("labels", "Print a label for each accepted package.", jobs=package_labels,
                   optional=True, skip_if=nothing_accepted),
        confirm("metrc", "Enter this acceptance in Metrc. Is it entered, exactly as below?",
                help="In Metrc: Transfers → Incoming → Receive this manifest; enter each "
                     "package's result and received quantity from the sheet.",
                effect=record_metrc_entry, next=after_metrc, show=sheet),
        sign_off("stopped", "A manager confirms the delivery is stopped.",
                 signers=(Signer(("manager",), "approved", "manager"),),
                 effect=stop_delivery, next="__end__", show=transport_facts),
    ),
)

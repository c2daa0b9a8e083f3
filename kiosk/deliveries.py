"""A delivery as the receiving screens, slips and messages present it.

The receiving workflow (``kiosk/workflows/receiving.py``) says what is checked and decided;
this module says what each of its screens shows (the expected deliveries, transport facts,
the order table, progress, the package in hand, the quarantine and putaway lists, the
acceptance sheet), what its slip and labels carry, and what the POS and Metrc are told.
Each ``show`` function takes the run and returns the dict the step screen draws.
"""

from __future__ import annotations

from kiosk import clock, dock, manifests, scans
from kiosk.manifests import quantity_text
from kiosk.models import Run, Transfer
from kiosk.verdicts import CONDITIONS
from kiosk.words import UNIT_WORDS, Known, _, joined, keep, n_, restore

SHOWN_TAGS = 12  # how many tags a list shows; the rest are counted


def transfer_of(run) -> Transfer:
    """The manifest this run receives."""
    return Transfer.get_by_id(run.data["transfer"])


def manifest_code(number: str) -> str:
    """What a tap sends for a manifest: the same text its barcode would."""
    return f"MAN-{number}" if number.isdigit() and 4 <= len(number) <= 12 else number


def expected_deliveries(run):
    """The deliveries we expect today, as buttons (or scan the manifest's barcode)."""
    rows = []
    for transfer in manifests.open_deliveries():
        counts = manifests.package_counts(transfer.id)
        due = (f"{clock.local(transfer.est_arrival):%H:%M}" if transfer.est_arrival
               else _("no time given"))
        state = (_("being received") if transfer.status == "receiving" else
                 _("due {time}", time=due))
        rows.append({"value": manifest_code(transfer.manifest_number),
                     "label": f"{transfer.manifest_number} · {transfer.shipper_name}",
                     "detail": _("{count} packages, {state}", count=counts["total"],
                                 state=state)})
    if not rows:
        return {"warnings": [_("No deliveries are expected. If the state system is down, record "
                               "the driver's paper manifest first (Paper manifest).")],
                "offers": [{"workflow": "paper_manifest", "label": _("Paper manifest"),
                            "tag": ""}]}
    return {"choices": {"title": _("Expected deliveries (tap one, or scan the manifest)"),
                        "rows": rows}}


def licence_problem(transfer: Transfer, ours: str) -> str:
    """Why this manifest is not ours to receive ('' when it is): addressed to another
    licence, or from a shipper without one."""
    if transfer.receiver_license != ours:
        return _("This manifest is addressed to licence {licence}, not ours ({ours}).",
                 licence=transfer.receiver_license or _("(none)"), ours=ours)
    if not transfer.shipper_license:
        return _("The manifest has no shipper licence.")
    return ""


def transport_facts(run):
    """The transport details to check against the driver's paper and ID."""
    t = transfer_of(run)

    def when(value):
        return f"{clock.local(value):%Y-%m-%d %H:%M}" if value else _("not given")

    problem = licence_problem(t, run.data["our_license"])
    warnings = [_("{problem} Stop and call a manager.", problem=problem)] if problem else []
    return {"facts": [(_("Manifest"), t.manifest_number),
                      (_("Shipper"), _("{name} ({licence})", name=t.shipper_name,
                                       licence=t.shipper_license or _("no licence"))),
                      (_("Receiver licence"), t.receiver_license or _("(none)")),
                      (_("Our licence"), run.data["our_license"]),
                      (_("Driver"), _("{name} ({licence})", name=t.driver_name or _("not given"),
                                      licence=t.driver_license or _("no licence number"))),
                      (_("Vehicle"), t.vehicle or _("not given")),
                      (_("Departed"), when(t.actual_departure or t.est_departure)),
                      (_("Expected"), when(t.est_arrival)),
                      (_("Arrived"), when(t.actual_arrival) if t.actual_arrival else _("now"))],
            "warnings": warnings}


def order_table(run):
    """Ordered vs shipped per item; shorts, overs and unordered items are flagged."""
    po, rows = manifests.po_match(transfer_of(run))
    words = {"ok": _("matches"), "short": _("SHORT"), "over": _("OVER"),
             "unordered": _("NOT ORDERED"), "not shipped": _("NOT SHIPPED")}
    table = {"title": _("Purchase order {number}", number=po.number) if po else
             _("No purchase order"),
             "columns": [_("Item"), _("Ordered"), _("Shipped"), _("Check")],
             "rows": [[r["item"], quantity_text(r["ordered"], r["unit"]) if r["ordered"] is not
                       None else "-", quantity_text(r["shipped"], r["unit"]), words[r["flag"]]]
                      for r in rows]}
    flagged = [r for r in rows if r["flag"] != "ok"]
    warnings = [] if po else [_("There is no open purchase order from this shipper: every item "
                                "is unordered. A manager should know before you accept any.")]
    progress = (n_("{count} item differ from the order", "{count} items differ from the order",
                   len(flagged))
                if flagged else _("Everything shipped matches the order"))
    return {"progress": progress, "table": table, "warnings": warnings}


def case_facts(run):
    """What the manifest says about cases."""
    cases = transfer_of(run).case_count
    return {"big": n_("Manifest: {count} sealed case", "Manifest: {count} sealed cases", cases)
            if cases else _("The manifest does not say how many cases; count them for the "
                            "record.")}


def checked_line(transfer_id: int) -> str:
    """'37 of 112 checked, 2 rejected'."""
    counts = manifests.package_counts(transfer_id)
    return _("{checked} of {total} checked, {rejected} rejected", checked=counts["checked"],
             total=counts["total"], rejected=counts["rejected"])


def progress(run):
    """'37 of 112 checked, 2 rejected' and the tags still to check."""
    counts = manifests.package_counts(run.data["transfer"])
    left = manifests.unchecked(run.data["transfer"], SHOWN_TAGS + 1)
    rows = [joined([tp.tag, tp.item_name, quantity_text(tp.shipped_quantity, tp.shipped_unit)],
                   " · ") for tp in left[:SHOWN_TAGS]]
    if counts["shipped"] > SHOWN_TAGS:
        rows.append(_("… and {count} more", count=counts["shipped"] - SHOWN_TAGS))
    shown = {"progress": checked_line(run.data["transfer"])}
    if rows:
        shown["items"] = {"title": _("Still to check ({count})", count=counts["shipped"]),
                          "rows": rows}
    return shown


def held_line(line, tolerance_pct: float) -> dict:
    """What the package screens and the verdict need of a manifest line, the COA judged once
    (with the tolerance pinned when the delivery was opened) so each screen stays quick."""
    coa = manifests.coa_verdict(line, tolerance_pct)
    return {"item": line.item_name, "batch": line.batch, "shipped": str(line.shipped_quantity),
            "unit": line.shipped_unit, "coa": coa.status, "coa_message": coa.message,
            "coa_said": keep(coa.message),
            "thc": None if coa.thc is None else str(coa.thc),
            "cbd": None if coa.cbd is None else str(coa.cbd)}


def package_facts(run) -> dict:
    """The package being checked: manifest line, COA verdict, and what was found so far."""
    held = run.data["held"]
    coa = restore(held.get("coa_said", held["coa_message"]))
    facts = [(_("Tag"), run.data["tag"]), (_("Item"), held["item"]),
             (_("Batch"), held["batch"] or "-"),
             (_("Shipped"), quantity_text(held["shipped"], held["unit"])),
             (_("COA"), coa)]
    if "condition" in run.data:
        facts.append((_("Condition"),
                      {o.value: o.label for o in CONDITIONS}[run.data["condition"]]))
    if "counted" in run.data:
        facts.append((_("Counted"), quantity_text(run.data["counted"], held["unit"])))
    warnings = [] if held["coa"] == "ok" else [coa]
    if held["item"] in run.data.get("unordered", []):
        warnings.append(_("{item} is not on our purchase order.", item=held["item"]))
    if run.data.get("reopen"):
        warnings.append(_("You are changing this package's result; the earlier one is kept."))
    shown = {"facts": facts, "warnings": warnings}
    if not run.data.get("reopen"):
        shown["progress"] = checked_line(run.data["transfer"])
    return shown


def missing_facts(run):
    """The packages never scanned."""
    left = manifests.unchecked(run.data["transfer"])
    return {"items": {"title": _("Not scanned ({count})", count=len(left)),
                      "rows": [f"{tp.tag} · {tp.item_name}" for tp in left]}}


def quarantine_list(run):
    """What goes into the quarantine cage now."""
    lines = list(manifests.to_quarantine(run.data["transfer"]))
    return {"big": n_("{count} package to quarantine", "{count} packages to quarantine",
                      len(lines)),
            "items": {"title": _("Put these in the quarantine cage"),
                      "rows": [joined([tp.tag, tp.item_name, Known(tp.reason)], " · ")
                               for tp in lines]}}


def putaway_list(run):
    """The accepted packages still to put away, and the shelf holding each item's oldest
    stock (FIFO: the new package goes behind it)."""
    waiting = manifests.to_put_away(run.data["transfer"])
    left = waiting.count()
    lines = list(waiting.limit(SHOWN_TAGS))
    oldest = manifests.oldest_stock({tp.item_id for tp in lines}, run.data["transfer"])
    rows = []
    for tp in lines:
        row = f"{tp.tag} · {tp.item_name}"
        if tp.item_id in oldest:
            shelf, received, expires = oldest[tp.item_id]
            dates = joined([_(", received {day}", day=clock.store_date(received).isoformat())
                            if received else "",
                            _(", expires {day}", day=expires.isoformat()) if expires else ""],
                           "")
            row = _("{row} (oldest stock on {shelf}{dates})", row=row, shelf=shelf, dates=dates)
        rows.append(row)
    if left > SHOWN_TAGS:
        rows.append(_("… and {count} more", count=left - SHOWN_TAGS))
    shown = {"progress": _("{count} still to put away", count=left),
             "items": {"title": _("Put away (scan the package, then the shelf)"), "rows": rows}}
    if run.data.get("put"):
        shown["facts"] = [(_("Package"), run.data["put"])]
    return shown


def sheet(run):
    """The acceptance sheet: every package's result, as it will be entered in Metrc."""
    counts = manifests.package_counts(run.data["transfer"])
    rows = [[r["tag"], r["item"],
             _("{shipped} → {received} {unit}", shipped=r["shipped"],
               received=r["received"] or "-", unit=UNIT_WORDS.get(r["unit"], r["unit"])),
             joined([STATES.get(r["state"], r["state"].upper()), Known(r["reason"]),
                     r["location"]], " · ")]
            for r in manifests.acceptance_rows(run.data["transfer"])]
    return {"progress": _("{checked} of {total} checked, {accepted} accepted, {rejected} "
                          "rejected", checked=counts["checked"], total=counts["total"],
                          accepted=counts["accepted"], rejected=counts["rejected"]),
            "table": {"title": _("Acceptance sheet: manifest {number}",
                                 number=run.data["manifest"]),
                      "columns": [_("Tag"), _("Item"), _("Shipped → received"),
                                  _("Result · reason · now on")],
                      "rows": rows}}


# A package's result on the sheet (records keep the key).
STATES = {"accepted": _("ACCEPTED"), "rejected": _("REJECTED"), "shipped": _("SHIPPED")}


def receiving_slip(run):
    """The receiving slip, which is also the acceptance sheet for Metrc."""
    transfer = transfer_of(run)
    counts = manifests.package_counts(transfer.id)
    return [{"device": "receipt", "layout": "receiving_slip", "data": {
        "manifest": transfer.manifest_number, "shipper": transfer.shipper_name,
        "shipper_license": transfer.shipper_license,
        "received_at": clock.local(transfer.received_at).isoformat(timespec="seconds")
        if transfer.received_at else "",
        "receiver": run.data.get("receiver", ""), "witness": run.data.get("witness", ""),
        "packages": manifests.acceptance_rows(transfer.id),
        "totals": {"packages": counts["total"], "accepted": counts["accepted"],
                   "rejected": counts["rejected"], "cases": run.data.get("cases", "")}}}]


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


def pos_messages(transfer_id: int) -> list[tuple[str, dict, str]]:
    """What the POS hears at signing, as (kind, payload, ordering key): the new stock, and a
    hold on each package accepted with a discrepancy."""
    messages = []
    for row in manifests.acceptance_rows(transfer_id):
        if row["state"] != "accepted":
            continue
        messages.append(("stock.received", {"tag": row["tag"], "item": row["item"],
                                            "quantity": row["received"], "unit": row["unit"],
                                            "location": row["location"]}, row["tag"]))
        if row["reason"]:
            messages.append(("stock.hold", {"tag": row["tag"], "reason": row["reason"]},
                             row["tag"]))
    return messages


def metrc_messages(transfer: Transfer, today: str) -> list[tuple[str, dict, str]]:
    """What Metrc is told once the acceptance is entered there, as (kind, payload, ordering
    key): read the transfer back, then each accepted package's location (and a note on a
    held one). A rejected package goes back to the shipper; it is not ours in Metrc."""
    rows = manifests.acceptance_rows(transfer.id)
    messages = [("transfer.received", {
        "manifest_number": transfer.manifest_number, "transfer_id": transfer.metrc_transfer_id,
        "packages": [{"tag": r["tag"], "state": r["state"],
                      "received_quantity": r["received"] or None, "unit": r["unit"],
                      "reason": r["reason"]} for r in rows]}, transfer.manifest_number)]
    for r in rows:
        if r["state"] != "accepted":
            continue
        messages.append(("package.location",
                         {"tag": r["tag"], "location_name": r["location"], "date": today},
                         r["tag"]))
        if r["reason"]:
            messages.append(("package.note",
                             {"tag": r["tag"], "note": f"{r['reason']}; held in quarantine "
                                                       f"(manifest {transfer.manifest_number})"},
                             r["tag"]))
    return messages


def summary(run):
    """One line for lists of runs."""
    if "transfer" not in run.data:
        return _("Choosing the delivery")
    if run.data.get("stopped"):
        return _("Manifest {number}: stopped ({reason})", number=run.data["manifest"],
                 reason=run.data["stopped"])
    names = ", ".join(name for _id, name in run.data.get("people", []))
    return _("Manifest {number}: {checked} ({names})", number=run.data["manifest"],
             checked=checked_line(run.data["transfer"]), names=names)


def other_run(transfer: Transfer) -> Run | None:
    """The run the manifest is claimed by, if any."""
    return Run.get_or_none(Run.id == transfer.run_id) if transfer.run_id else None


TARGETS = {"pos": "the POS", "metrc": "Metrc", "biotrack": "BioTrack"}


def _tags(tags: list[str], shown: int = 6) -> str:
    listed = ", ".join(scans.short(t) for t in tags[:shown])
    return listed + (f" and {len(tags) - shown} more" if len(tags) > shown else "")


def undone_note(manifest: str, packages, withdrawn: int) -> str:
    """What a cancel undid: the manifest is expected again, its stock reversed."""
    note = f"Manifest {manifest} is back among the expected deliveries. "
    if packages:
        n = len(packages)
        stay = "it stays where it is" if n == 1 else "they stay where they are"
        note += (f"The stock of its {n} checked package{'s' if n != 1 else ''} is reversed (the "
                 f"record keeps both); {stay} ({dock.where_they_are(packages)}) until the "
                 "delivery is received again.")
    else:
        note += "Nothing of it had gone into stock."
    if withdrawn:
        note += (f" {withdrawn} message{'s' if withdrawn != 1 else ''} not yet sent to the POS "
                 f"{'were' if withdrawn != 1 else 'was'} withdrawn.")
    return note


def kept_note(transfer: Transfer, delivered: list, unsure: list) -> str:
    """Why a cancel undid nothing, and what a person must do now."""
    told = sorted({m.payload.get("tag") or m.payload.get("manifest_number", "")
                   for m in delivered + unsure} - {""})
    systems = " and ".join(sorted({TARGETS.get(m.target, m.target) for m in delivered + unsure}))
    one = len(unsure) == 1
    unsure_words = (f" ({len(unsure)} of these sendings {'was' if one else 'were'} cut off: "
                    f"{systems} may or may not have {'it' if one else 'them'})" if unsure else "")
    stock = [line.package for line in manifests.accepted(transfer.id)]
    where = f" ({dock.where_they_are(stock)})" if stock else ""
    return (f"Nothing was undone: {systems} already has manifest {transfer.manifest_number} as "
            f"received ({_tags(told)}){unsure_words}. The manifest stays "
            f"{transfer.status} and its stock stays{where}. Enter the acceptance in Metrc from "
            "the receiving slip, which is printing now: this run will not ask again.")

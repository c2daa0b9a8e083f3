"""Variance investigation and adjustment. SOP §6 "Variance investigation and adjustment",
revision 1.

Take one variance a count left. Read the package's whole history on one screen. Record what
was checked (sales log, receiving log, damage and return records, camera review with its
reference) and the root cause with a note; "theft suspected" flags the variance for the
manager's incident follow-up. Resolve it: either an adjustment, with the state's reason
(Metrc's list; some reasons need a note), the quantity and unit, or "no adjustment: fixed
elsewhere" with where. The investigator and a manager sign; never the same person, and
whoever counted the package cannot approve its variance. An adjustment is a ledger movement
and messages to Metrc (package adjustment) and the POS (stock adjusted), all in the
signature's transaction.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, variances
from kiosk.engine import (
    Offer,
    Option,
    Refuse,
    Signer,
    Workflow,
    choose,
    count,
    instruct,
    sign_off,
    text,
)
from kiosk.manifests import quantity_text
from kiosk.models import Package, Variance

INVESTIGATOR_ROLES = ("manager", "counter")


def _variance(run) -> Variance:
    return Variance.get_by_id(run.data["variance"])


def variance_choices(run):
    """The variances waiting for an investigation, oldest first."""
    options = []
    for v in variances.waiting(run.id):
        gap = variances.size(v)
        size = f"{'+' if gap > 0 else ''}{quantity_text(gap, v.unit)}" if gap is not None else ""
        options.append(Option(f"variance:{v.id}", f"…{v.tag[-6:]} {v.item_name} · "
                                                  f"{dict(variances.figures_facts(v))['Variance']}"
                                                  f"{' · ' + size if size else ''}"))
    return options


def take_variance(run, option, ctx):
    """This run investigates the variance (another screen's investigation is not taken)."""
    chosen = Variance.get_by_id(int(option.value.split(":")[1]))
    other = variances.investigator(chosen)
    if other is not None and other.id != run.id:
        raise Refuse(f"{other.operator.name} is investigating this variance already. Resume "
                     "that investigation instead.")
    if chosen.state != "investigating":
        raise Refuse(f"This variance is {chosen.state}; there is nothing to investigate.")
    Variance.update(run_id=run.id).where(Variance.id == chosen.id).execute()
    package = Package.one(id=chosen.package_id) if chosen.package_id else None
    run.data.update(variance=chosen.id, tag=chosen.tag,
                    status=package.status if package else "unknown",
                    state_system=ctx.settings.get("state_system", "metrc"))
    ctx.audit("variance.investigate", f"variance:{chosen.id}", {"tag": chosen.tag})
    ctx.message = f"Investigating {chosen.tag}. Read its history."


def facts(run):
    """The variance's four figures and what is recorded so far."""
    v = _variance(run)
    shown = {"facts": variances.figures_facts(v)}
    recorded = [f"{c['what']}{': ' + c['ref'] if c.get('ref') else ''} ({c['by']})"
                for c in v.checks]
    if v.cause:
        recorded.append(f"Cause: {variances.CAUSES[v.cause]} ({v.cause_note or 'no note yet'})")
    if recorded:
        shown["items"] = {"title": "Recorded so far", "rows": recorded}
    if run.data.get("status") not in ("active", "unknown"):
        shown["warnings"] = [f"This package is {run.data['status'].replace('_', ' ')}, not in "
                             "active stock. Any adjustment is recorded against a held package."]
    return shown


def history(run):
    """The package's whole history on one screen, with the figures."""
    shown = facts(run)
    shown["table"] = {"title": f"History of {run.data['tag']}",
                      "columns": ["When", "What", "Who", "Where"],
                      "rows": variances.timeline(run.data["tag"])}
    return shown


def check_choices(run):
    """The checks not recorded yet, and 'that is all'."""
    done = {c["what"] for c in _variance(run).checks}
    options = [Option(key, f"I checked the {label.lower()}") for key, label in
               variances.CHECKS.items() if label not in done]
    return options + [Option("done", "That is everything I checked")]


def at_least_one_check(run, option):
    """Something must have been checked before the cause is chosen."""
    if option.value == "done" and not _variance(run).checks:
        return "Record at least one thing you checked (tap it) before you go on."
    return None


def _keep_check(run, what: str, ctx, ref: str = "") -> None:
    v = _variance(run)
    checks = v.checks + [{"what": what, "ref": ref, "by": ctx.actor.name,
                          "at": ctx.event.at.isoformat(timespec="seconds")}]
    Variance.update(checks=checks).where(Variance.id == v.id).execute()
    ctx.audit("variance.check", f"variance:{v.id}", {"what": what, "ref": ref})


def record_check(run, option, ctx):
    """Keep what was checked, by whom and when (the camera review asks for its reference)."""
    if option.value not in ("done", "camera"):
        _keep_check(run, variances.CHECKS[option.value], ctx)
        ctx.message = f"{variances.CHECKS[option.value]} checked. Anything else?"


def after_check(run, option):
    """The camera review's reference next; another check; or the cause once done."""
    return {"done": "cause", "camera": "camera"}.get(option.value, "checks")


def record_camera(run, reference, ctx):
    """Keep the camera review with its reference."""
    _keep_check(run, variances.CHECKS["camera"], ctx, ref=reference)
    ctx.message = "Camera review recorded. Anything else?"


def record_cause(run, option, ctx):
    """Keep the root cause; theft suspected flags the variance for the manager."""
    v = _variance(run)
    incident = option.value == "theft"
    Variance.update(cause=option.value, incident=incident | v.incident).where(
        Variance.id == v.id).execute()
    ctx.audit("variance.cause", f"variance:{v.id}", {"cause": option.value})
    if incident:
        ctx.audit("variance.incident", f"variance:{v.id}", {"tag": v.tag})
        ctx.tone = "warn"
        ctx.message = "Theft suspected: the manager's incident follow-up list shows it now."


def record_cause_note(run, note, ctx):
    """Keep what was found, in the investigator's words."""
    Variance.update(cause_note=note).where(Variance.id == run.data["variance"]).execute()


def adjustable(run, option):
    """Only a package in this store's records can be adjusted, and not one held in the
    quarantine cage: what leaves the cage does so by release or destruction, signed."""
    if option.value == "adjust" and _variance(run).package_id is None:
        return (f"Tag {run.data['tag']} is not in this store's records, so there is nothing "
                "to adjust. Choose no adjustment and say where it was resolved.")
    if option.value == "adjust" and \
            Package.get_by_id(_variance(run).package_id).status == "quarantined":
        return Offer(f"Package {run.data['tag']} is on hold in quarantine: a count does not "
                     "change its stock. It leaves the cage by release (a manager signs, then "
                     "count it again) or by destruction (weighed and witnessed).", "destroy",
                     "Destroy it from the cage", run.data["tag"])
    if option.value == "adjust" and not variances.reasons(run.data["state_system"]):
        return ("Metrc's adjustment reasons have not been pulled yet (the syncer pulls them "
                "when Metrc answers). Try again later, or choose no adjustment.")
    return None


def record_where(run, where, ctx):
    """No adjustment: keep where it was fixed."""
    run.data.update(resolution="fixed elsewhere", where=where)


def reason_choices(run):
    """Metrc's adjustment reasons as last pulled (those that need a note say so)."""
    return [Option(r["name"], r["name"] + (" (needs a note)" if r["requires_note"] else ""))
            for r in variances.reasons(run.data["state_system"])]


def record_reason(run, option, ctx):
    """Keep the state's reason for the adjustment."""
    reason = variances.reason_named(run.data["state_system"], option.value)
    run.data.update(resolution="adjusted", reason=option.value,
                    needs_note=reason["requires_note"], reason_note="")


def no_note_needed(run):
    """The reason does not need a note for Metrc."""
    return not run.data.get("needs_note")


def record_reason_note(run, note, ctx):
    """Keep the note Metrc gets with the adjustment."""
    run.data["reason_note"] = note


def package_active(run):
    """The package is in active stock (not on hold or quarantined)."""
    return run.data.get("status") == "active"


def amount_choices(run):
    """To the counted figure, or another amount."""
    v, gap = _variance(run), variances.size(_variance(run))
    options = []
    if gap:
        verb = "Remove" if gap < 0 else "Add"
        options.append(Option("match", f"{verb} {quantity_text(abs(gap), v.unit)}: the ledger "
                                       f"becomes the counted {quantity_text(v.physical or 0)}",
                              next="sign"))
    return options + [Option("other", "Another amount…")]


def record_amount(run, option, ctx):
    """The adjustment that brings the ledger to the count."""
    if option.value == "match":
        run.data["adjustment"] = str(variances.size(_variance(run)))


def amount_facts(run):
    """The figures, and the unit the adjustment is in."""
    shown = facts(run)
    shown["facts"] = shown["facts"] + [("Adjust in", _variance(run).unit)]
    return shown


def above_zero(run, number):
    """An adjustment changes something."""
    return None if number > 0 else "Enter how much to adjust by (more than zero)."


def record_magnitude(run, number, ctx):
    """Keep how much; the next step says which way."""
    run.data["magnitude"] = str(number)


def not_below_zero(run, option):
    """Removing stock cannot take the package below zero."""
    if option.value != "remove":
        return None
    package = Package.get_by_id(_variance(run).package_id)
    if Decimal(run.data["magnitude"]) > package.quantity:
        return (f"The ledger holds {quantity_text(package.quantity, package.unit)}: it can't "
                f"lose {quantity_text(run.data['magnitude'], package.unit)}.")
    return None


def record_direction(run, option, ctx):
    """Remove or add the amount."""
    sign = -1 if option.value == "remove" else 1
    run.data["adjustment"] = str(sign * Decimal(run.data["magnitude"]))


def approver_did_not_count(run, value):
    """Whoever counted or recounted the package cannot approve its variance."""
    if value["signer"].meaning != "approved":
        return None
    counters = variances.counted_by(_variance(run))
    if value["employee"].id in counters:
        return (f"{value['employee'].name} counted this package and can't approve its variance. "
                "Another manager must approve.")
    return None


def resolution_facts(run):
    """What is being signed."""
    shown = facts(run)
    if run.data.get("resolution") == "adjusted":
        v = _variance(run)
        shown["facts"] = shown["facts"] + [
            ("Adjustment", f"{quantity_text(run.data['adjustment'], v.unit)}"),
            ("Reason", run.data["reason"]), ("Note for Metrc", run.data.get("reason_note") or "-")]
    else:
        shown["facts"] = shown["facts"] + [("No adjustment", run.data.get("where", ""))]
    return shown


def _adjust(run, v: Variance, ctx) -> None:
    reason = variances.reason_named(run.data["state_system"], run.data["reason"])
    note = run.data.get("reason_note", "")
    if reason is None or (reason["requires_note"] and not note.strip()):
        raise Refuse(f"Metrc needs a note for '{run.data['reason']}'. Go back and choose the "
                     "reason again, then write the note.")
    package = Package.get_by_id(v.package_id)
    change = Decimal(run.data["adjustment"])
    ctx.movement(package, change, "adjust", reason=run.data["reason"], note=note)
    day = clock.store_date(ctx.event.at).isoformat()
    ctx.outbox("metrc", "package.adjust", {"tag": v.tag, "quantity": str(change),
                                           "unit": package.unit, "reason": run.data["reason"],
                                           "note": note, "date": day}, ordering_key=v.tag)
    ctx.outbox("pos", "stock.adjusted", {"tag": v.tag, "quantity": str(change),
                                         "new_quantity": str(package.quantity),
                                         "unit": package.unit, "reason": run.data["reason"]},
               ordering_key=v.tag)
    held = "" if package.status == "active" else f" (package {package.status.replace('_', ' ')})"
    Variance.update(state="adjusted", resolution="adjusted", adjustment=change,
                    adjustment_reason=run.data["reason"], resolution_note=note + held,
                    closed_at=ctx.event.at).where(Variance.id == v.id).execute()
    ctx.message = (f"Adjusted {v.tag} by {quantity_text(change, package.unit)}{held}; Metrc and "
                   "the POS are told.")


def resolve(run, signers, ctx):
    """Both signed: adjust (ledger, Metrc, POS) or close as fixed elsewhere."""
    v = _variance(run)
    if v.state != "investigating":
        raise Refuse(f"This variance is already {v.state}.")
    if run.data["resolution"] == "adjusted":
        _adjust(run, v, ctx)
    else:
        Variance.update(state="closed", resolution="fixed elsewhere",
                        resolution_note=run.data["where"], closed_at=ctx.event.at).where(
            Variance.id == v.id).execute()
        ctx.message = f"Closed without adjustment: {run.data['where']}."
    ctx.audit("variance.resolve", f"variance:{v.id}",
              {"resolution": run.data["resolution"], "signers": [s.id for s in signers],
               "adjustment": run.data.get("adjustment")})


def summary(run):
    """One line for lists of runs."""
    return f"Variance on {run.data['tag']}" if "tag" in run.data else "Choosing a variance"


WORKFLOW = Workflow(
    key="variance_investigation",
    title="Investigate a variance",
    sop="SOP §6 Variance investigation and adjustment",
    version=1,
    roles=INVESTIGATOR_ROLES,
    description="Find out why a count differs, then adjust it or say where it was fixed.",
    summary=summary,
    steps=(
        choose("variance", "Which variance?", (), options_for=variance_choices,
               effect=take_variance),
        instruct("history", "Read the package's history.", show=history),
        choose("checks", "What did you check? Tap each as you check it.", (),
               options_for=check_choices, guards=(at_least_one_check,), effect=record_check,
               next=after_check, show=facts),
        text("camera", "Camera review: type the clip or incident reference.", max_length=60,
             effect=record_camera, next="checks", show=facts),
        choose("cause", "What was the root cause?",
               tuple(Option(k, label, danger=k == "theft") for k, label in
                     variances.CAUSES.items()), effect=record_cause, show=facts),
        text("cause_note", "Note what you found.", max_length=200, effect=record_cause_note,
             show=facts),
        choose("resolution", "How is it resolved?",
               (Option("adjust", "Adjust the stock", next="reason"),
                Option("elsewhere", "No adjustment: it was fixed elsewhere", next="where")),
               guards=(adjustable,), show=facts),
        text("where", "Where was it fixed? (for example: POS count corrected)", max_length=120,
             effect=record_where, next="sign", show=facts),
        choose("reason", "The state's reason for the adjustment:", (),
               options_for=reason_choices, effect=record_reason, show=facts),
        text("reason_note", "Metrc needs a note for this reason: what happened?",
             max_length=200, effect=record_reason_note, skip_if=no_note_needed, show=facts),
        choose("held", "This package is not in active stock. Adjust it anyway?",
               (Option("yes", "Yes: adjust the held package"),
                Option("no", "No: choose another resolution", next="resolution")),
               skip_if=package_active, show=facts),
        choose("amount", "Adjust by how much?", (), options_for=amount_choices,
               effect=record_amount, show=amount_facts),
        count("other_amount", "How much? (the amount only; the next step asks which way)",
              guards=(above_zero,), effect=record_magnitude, show=amount_facts),
        choose("direction", "Remove or add it?",
               (Option("remove", "Remove it (less is on the shelf)"),
                Option("add", "Add it (more is on the shelf)")),
               guards=(not_below_zero,), effect=record_direction, show=amount_facts),
        sign_off("sign", "Sign the resolution: the investigator, then a manager.",
                 signers=(Signer(INVESTIGATOR_ROLES, "performed", "investigator"),
                          Signer(("manager",), "approved", "manager")),
                 guards=(approver_did_not_count,), effect=resolve, show=resolution_facts),
    ),
)

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
from kiosk.words import UNIT_WORDS, Known, _, joined

INVESTIGATOR_ROLES = ("manager", "counter")


def _variance(run) -> Variance:
    return Variance.get_by_id(run.data["variance"])


def variance_choices(run):
    """The variances waiting for an investigation, oldest first."""
    options = []
    for v in variances.waiting(run.id):
        gap = variances.size(v)
        size = (joined(["+" if gap > 0 else "", quantity_text(gap, v.unit)], "")
                if gap is not None else "")
        what = dict(variances.figures_facts(v))["Variance"]
        options.append(Option(f"variance:{v.id}",
                              joined([f"…{v.tag[-6:]} {v.item_name}", what, size], " · ")))
    return options


def take_variance(run, option, ctx):
    """This run investigates the variance (another screen's investigation is not taken)."""
    chosen = Variance.get_by_id(int(option.value.split(":")[1]))
    other = variances.investigator(chosen)
    if other is not None and other.id != run.id:
        raise Refuse(_("{name} is investigating this variance already. Resume that "
                       "investigation instead.", name=other.operator.name))
    if chosen.state != "investigating":
        raise Refuse(_("This variance is {state}; there is nothing to investigate.",
                       state=variances.STATE_WORDS.get(chosen.state, chosen.state)))
    Variance.update(run_id=run.id).where(Variance.id == chosen.id).execute()
    package = Package.one(id=chosen.package_id) if chosen.package_id else None
    run.data.update(variance=chosen.id, tag=chosen.tag,
                    status=package.status if package else "unknown",
                    state_system=ctx.settings.get("state_system", "metrc"))
    ctx.audit("variance.investigate", f"variance:{chosen.id}", {"tag": chosen.tag})
    ctx.message = _("Investigating {tag}. Read its history.", tag=chosen.tag)


def facts(run):
    """The variance's four figures and what is recorded so far."""
    v = _variance(run)
    shown = {"facts": variances.figures_facts(v)}
    recorded = [_("{what}: {ref} ({name})", what=Known(c["what"]), ref=c["ref"], name=c["by"])
                if c.get("ref") else _("{what} ({name})", what=Known(c["what"]), name=c["by"])
                for c in v.checks]
    if v.cause:
        recorded.append(_("Cause: {cause} ({note})", cause=variances.CAUSES[v.cause],
                          note=v.cause_note or _("no note yet")))
    if recorded:
        shown["items"] = {"title": _("Recorded so far"), "rows": recorded}
    if run.data.get("status") not in ("active", "unknown"):
        shown["warnings"] = [_("This package is {status}, not in active stock. Any adjustment "
                               "is recorded against a held package.",
                               status=Known(run.data["status"].replace("_", " ")))]
    return shown


def history(run):
    """The package's whole history on one screen, with the figures."""
    shown = facts(run)
    shown["table"] = {"title": _("History of {tag}", tag=run.data["tag"]),
                      "columns": [_("When"), _("What"), _("Who"), _("Where")],
                      "rows": variances.timeline(run.data["tag"])}
    return shown


CHECKED = {"sales": _("I checked the sales log"), "receiving": _("I checked the receiving log"),
           "damage": _("I checked the damage and return records"),
           "camera": _("I checked the camera review")}


def check_choices(run):
    """The checks not recorded yet, and 'that is all'."""
    done = {c["what"] for c in _variance(run).checks}
    options = [Option(key, CHECKED[key]) for key, label in variances.CHECKS.items()
               if label not in done]
    return options + [Option("done", _("That is everything I checked"))]


def at_least_one_check(run, option):
    """Something must have been checked before the cause is chosen."""
    if option.value == "done" and not _variance(run).checks:
        return _("Record at least one thing you checked (tap it) before you go on.")
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
        ctx.message = _("{what} checked. Anything else?", what=variances.CHECKS[option.value])


def after_check(run, option):
    """The camera review's reference next; another check; or the cause once done."""
    return {"done": "cause", "camera": "camera"}.get(option.value, "checks")


def record_camera(run, reference, ctx):
    """Keep the camera review with its reference."""
    _keep_check(run, variances.CHECKS["camera"], ctx, ref=reference)
    ctx.message = _("Camera review recorded. Anything else?")


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
        ctx.message = _("Theft suspected: the manager's incident follow-up list shows it now.")


def record_cause_note(run, note, ctx):
    """Keep what was found, in the investigator's words."""
    Variance.update(cause_note=note).where(Variance.id == run.data["variance"]).execute()


def adjustable(run, option):
    """Only a package in this store's records can be adjusted, and not one held in the
    quarantine cage: what leaves the cage does so by release or destruction, signed."""
    if option.value == "adjust" and _variance(run).package_id is None:
        return _("Tag {tag} is not in this store's records, so there is nothing to adjust. "
                 "Choose no adjustment and say where it was resolved.", tag=run.data["tag"])
    if option.value == "adjust" and \
            Package.get_by_id(_variance(run).package_id).status == "quarantined":
        return Offer(_("Package {tag} is on hold in quarantine: a count does not change its "
                       "stock. It leaves the cage by release (a manager signs, then count it "
                       "again) or by destruction (weighed and witnessed).", tag=run.data["tag"]),
                     "destroy", _("Destroy it from the cage"), run.data["tag"])
    if option.value == "adjust" and not variances.reasons(run.data["state_system"]):
        return _("Metrc's adjustment reasons have not been pulled yet (the syncer pulls them "
                 "when Metrc answers). Try again later, or choose no adjustment.")
    return None


def record_where(run, where, ctx):
    """No adjustment: keep where it was fixed."""
    run.data.update(resolution="fixed elsewhere", where=where)


def reason_choices(run):
    """Metrc's adjustment reasons as last pulled (those that need a note say so)."""
    return [Option(r["name"], _("{reason} (needs a note)", reason=r["name"])
                   if r["requires_note"] else r["name"])
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
        said = {"quantity": quantity_text(abs(gap), v.unit),
                "counted": quantity_text(v.physical or 0)}
        label = (_("Remove {quantity}: the ledger becomes the counted {counted}", **said)
                 if gap < 0 else
                 _("Add {quantity}: the ledger becomes the counted {counted}", **said))
        options.append(Option("match", label, next="sign"))
    return options + [Option("other", _("Another amount…"))]


def record_amount(run, option, ctx):
    """The adjustment that brings the ledger to the count."""
    if option.value == "match":
        run.data["adjustment"] = str(variances.size(_variance(run)))


def amount_facts(run):
    """The figures, and the unit the adjustment is in."""
    shown = facts(run)
    unit = _variance(run).unit
    shown["facts"] = shown["facts"] + [(_("Adjust in"), UNIT_WORDS.get(unit, unit))]
    return shown


def above_zero(run, number):
    """An adjustment changes something."""
    return None if number > 0 else _("Enter how much to adjust by (more than zero).")


def record_magnitude(run, number, ctx):
    """Keep how much; the next step says which way."""
    run.data["magnitude"] = str(number)


def not_below_zero(run, option):
    """Removing stock cannot take the package below zero."""
    if option.value != "remove":
        return None
    package = Package.get_by_id(_variance(run).package_id)
    if Decimal(run.data["magnitude"]) > package.quantity:
        return _("The ledger holds {quantity}: it can't lose {amount}.",
                 quantity=quantity_text(package.quantity, package.unit),
                 amount=quantity_text(run.data["magnitude"], package.unit))
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
        return _("{name} counted this package and can't approve its variance. Another manager "
                 "must approve.", name=value["employee"].name)
    return None


def resolution_facts(run):
    """What is being signed."""
    shown = facts(run)
    if run.data.get("resolution") == "adjusted":
        v = _variance(run)
        shown["facts"] = shown["facts"] + [
            (_("Adjustment"), quantity_text(run.data["adjustment"], v.unit)),
            (_("Reason"), run.data["reason"]),
            (_("Note for Metrc"), run.data.get("reason_note") or "-")]
    else:
        shown["facts"] = shown["facts"] + [(_("No adjustment"), run.data.get("where", ""))]
    return shown


def _adjust(run, v: Variance, ctx) -> None:
    reason = variances.reason_named(run.data["state_system"], run.data["reason"])
    note = run.data.get("reason_note", "")
    if reason is None or (reason["requires_note"] and not note.strip()):
        raise Refuse(_("Metrc needs a note for '{reason}'. Go back and choose the reason "
                       "again, then write the note.", reason=run.data["reason"]))
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
    status = package.status.replace("_", " ")
    held = "" if package.status == "active" else f" (package {status})"
    Variance.update(state="adjusted", resolution="adjusted", adjustment=change,
                    adjustment_reason=run.data["reason"], resolution_note=note + held,
                    closed_at=ctx.event.at).where(Variance.id == v.id).execute()
    said = {"tag": v.tag, "quantity": quantity_text(change, package.unit)}
    ctx.message = (_("Adjusted {tag} by {quantity}; Metrc and the POS are told.", **said)
                   if package.status == "active" else
                   _("Adjusted {tag} by {quantity} (package {status}); Metrc and the POS are "
                     "told.", status=Known(status), **said))


def resolve(run, signers, ctx):
    """Both signed: adjust (ledger, Metrc, POS) or close as fixed elsewhere."""
    v = _variance(run)
    if v.state != "investigating":
        raise Refuse(_("This variance is already {state}.",
                       state=variances.STATE_WORDS.get(v.state, v.state)))
    if run.data["resolution"] == "adjusted":
        _adjust(run, v, ctx)
    else:
        Variance.update(state="closed", resolution="fixed elsewhere",
                        resolution_note=run.data["where"], closed_at=ctx.event.at).where(
            Variance.id == v.id).execute()
        ctx.message = _("Closed without adjustment: {where}.", where=run.data["where"])
    ctx.audit("variance.resolve", f"variance:{v.id}",
              {"resolution": run.data["resolution"], "signers": [s.id for s in signers],
               "adjustment": run.data.get("adjustment")})


def summary(run):
    """One line for lists of runs."""
    return (_("Variance on {tag}", tag=run.data["tag"]) if "tag" in run.data
            else _("Choosing a variance"))


WORKFLOW = Workflow(
    key="variance_investigation",
    title=_("Investigate a variance"),
    sop="SOP §6 Variance investigation and adjustment",
    version=1,
    roles=INVESTIGATOR_ROLES,
    description=_("Find out why a count differs, then adjust it or say where it was fixed."),
    summary=summary,
    steps=(
        choose("variance", _("Which variance?"), (), options_for=variance_choices,
               effect=take_variance),
        instruct("history", _("Read the package's history."), show=history),
        choose("checks", _("What did you check? Tap each as you check it."), (),
               options_for=check_choices, guards=(at_least_one_check,), effect=record_check,
               next=after_check, show=facts),
        text("camera", _("Camera review: type the clip or incident reference."), max_length=60,
             effect=record_camera, next="checks", show=facts),
        choose("cause", _("What was the root cause?"),
               tuple(Option(k, label, danger=k == "theft") for k, label in
                     variances.CAUSES.items()), effect=record_cause, show=facts),
        text("cause_note", _("Note what you found."), max_length=200, effect=record_cause_note,
             show=facts),
        choose("resolution", _("How is it resolved?"),
               (Option("adjust", _("Adjust the stock"), next="reason"),
                Option("elsewhere", _("No adjustment: it was fixed elsewhere"), next="where")),
               guards=(adjustable,), show=facts),
        text("where", _("Where was it fixed? (for example: POS count corrected)"), max_length=120,
             effect=record_where, next="sign", show=facts),
        choose("reason", _("The state's reason for the adjustment:"), (),
               options_for=reason_choices, effect=record_reason, show=facts),
        text("reason_note", _("Metrc needs a note for this reason: what happened?"),
             max_length=200, effect=record_reason_note, skip_if=no_note_needed, show=facts),
        choose("held", _("This package is not in active stock. Adjust it anyway?"),
               (Option("yes", _("Yes: adjust the held package")),
                Option("no", _("No: choose another resolution"), next="resolution")),
               skip_if=package_active, show=facts),
        choose("amount", _("Adjust by how much?"), (), options_for=amount_choices,
               effect=record_amount, show=amount_facts),
        count("other_amount", _("How much? (the amount only; the next step asks which way)"),
              guards=(above_zero,), effect=record_magnitude, show=amount_facts),
        choose("direction", _("Remove or add it?"),
               (Option("remove", _("Remove it (less is on the shelf)")),
                Option("add", _("Add it (more is on the shelf)"))),
               guards=(not_below_zero,), effect=record_direction, show=amount_facts),
        sign_off("sign", _("Sign the resolution: the investigator, then a manager."),
                 signers=(Signer(INVESTIGATOR_ROLES, "performed", _("investigator")),
                          Signer(("manager",), "approved", _("manager"))),
                 guards=(approver_did_not_count,), effect=resolve, show=resolution_facts),
    ),
)

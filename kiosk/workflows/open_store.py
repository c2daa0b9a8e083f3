"""Opening reconciliation. SOP §7.1 "Opening and closing reconciliation", revision 1.

Before the store opens, the opening manager proves that yesterday's sales in the POS are
the sales Metrc was told about, package by package: every sold tag decremented in both.
The kiosk shows how fresh each side's figures are (the syncer pulls both; the manager can
ask for a fresh pull), then compares them line by line by tag. Each difference (sold but
not reported, reported but not sold, quantities that differ, a void or a return Metrc never
heard of) is settled one by one: corrected (the kiosk sends Metrc the receipt to add, fix or
void), explained (a reason and a note), or escalated to an investigation (a variance, SOP
§6). Then the day's spot count is scheduled (SOP §3: counted blind from the Cycle count
tile, recounted by a second person where it differs). The opening manager signs last.

The queries are in ``kiosk/reconciliation.py``, the corrections in ``kiosk/receipt_fixes.py``;
the spot count is ``kiosk/counts.py``'s.
"""

from __future__ import annotations

import datetime as dt

from kiosk import clock, counts
from kiosk import receipt_fixes as fixes
from kiosk import reconciliation as recon
from kiosk.engine import (
    Option,
    Refuse,
    Signer,
    Workflow,
    choose,
    instruct,
    sign_off,
    text,
)
from kiosk.models import Count
from kiosk.models.reconciliation import DayCheck, DayDifference
from kiosk.reconciliation import day_words, when_words
from kiosk.words import Known, _, joined, n_

MANAGER = ("manager",)
SOLD_WORDS = {"sale": _("sold"), "return": _("returned"), "void": _("voided")}
SALES_REASONS = (
    Option("by_hand", _("Reported by hand in Metrc")),
    Option("test", _("Test or training sale")),
    Option("exchange", _("Exchange: another package went out")),
    Option("late", _("POS reported it after the pull")),
    Option("other", _("Other (say in the note)")),
)
COUNT_REASONS = (
    Option("miscount", _("Miscounted: the right figure is in the note")),
    Option("unrung", _("Sold but not rung up yet")),
    Option("damaged", _("Damaged, set aside for destruction")),
    Option("elsewhere", _("Found in another place")),
    Option("other", _("Other (say in the note)")),
)


def _day(run) -> dt.date:
    return dt.date.fromisoformat(run.data["day"]) if "day" in run.data else (
        clock.store_date() - dt.timedelta(days=1))


def _check(run) -> DayCheck | None:
    return DayCheck.get_or_none(DayCheck.run_id == run.id)


def _current(run) -> DayDifference | None:
    return recon.unsettled(run.data["check"]) if "check" in run.data else None


def _when(at):
    return when_words(at)


# -- 1. the figures --------------------------------------------------------------------------
def figures_facts(run):
    """Both sides' figures for the day, and how fresh they are."""
    day = _day(run)
    fresh = recon.freshness(day)
    seen = recon.day_figures(day)
    facts = [(_("Day"), day_words(day, long=True)),
             (_("POS"), _("{sales}; pulled {when}", sales=recon.sales_words(seen),
                          when=_when(fresh["pos"]["at"])) if fresh["pos"]["pulled"]
              else _("{sales}; sent by the POS or imported", sales=recon.sales_words(seen))),
             (_("Metrc"), _("{receipts}; pulled {when}", receipts=recon.receipt_words(seen),
                            when=_when(fresh["metrc"]["at"])))]
    warnings = []
    for side in ("metrc", "pos"):
        state = fresh[side]
        if state["error"]:
            warnings.append(
                _("Metrc: the last pull failed: {error}", error=state["error"])
                if side == "metrc" else
                _("The POS: the last pull failed: {error}", error=state["error"]))
        if state["pulled"] and not state["covered"]:
            warnings.append(
                _("Metrc's figures do not yet cover all of {day}.", day=day_words(day))
                if side == "metrc" else
                _("The POS's figures do not yet cover all of {day}.", day=day_words(day)))
    if fresh["asked"]:
        warnings.append(_("A fresh pull was asked for at {when}; the syncer has not made it "
                          "yet. Tap 'Check again' in a moment.", when=_when(fresh["asked"])))
    done = recon.signed_check(day, "open")
    if done is not None:
        warnings.append(_("{day} was reconciled already, signed by {name} at {when}: "
                          "comparing again makes a new record.", day=day_words(day),
                          name=done.signed_by.name, when=_when(done.signed_at)))
    return {"facts": facts, "warnings": warnings}


def figure_choices(run):
    """Compare now, or ask the syncer for both sides again first."""
    asked = recon.freshness(_day(run))["asked"]
    return (Option("compare", _("Compare them now")),
            Option("pull", _("Check again") if asked else _("Pull both again first"),
                   next="figures"))


def compare_or_pull(run, option, ctx):
    """Compare the day's sales tag by tag, or ask the syncer to pull both sides now."""
    day = clock.store_date(ctx.event.at) - dt.timedelta(days=1)
    run.data["day"] = day.isoformat()
    if option.value == "pull":
        if not recon.freshness(day)["asked"]:
            recon.ask_for_pull(day, ctx.actor.name, ctx.event.at)
        ctx.message = _("Asked the syncer for both sides' figures; they arrive within a "
                        "minute.")
        return
    fresh = recon.freshness(day)
    reports = ctx.settings.get("state_system") == "metrc"
    if reports and not fresh["metrc"]["covered"]:
        raise Refuse(_("Metrc's receipts for {day} are not all in yet (last pull: {when}). "
                       "Tap 'Pull both again first'.", day=day_words(day),
                       when=_when(fresh["metrc"]["at"])))
    if str(ctx.settings.get("pos", "")).startswith("dutchie+") and not fresh["pos"]["covered"]:
        raise Refuse(_("The POS's sales of {day} are not all in yet (last pull: {when}). "
                       "Tap 'Pull both again first'.", day=day_words(day),
                       when=_when(fresh["pos"]["at"])))
    check = recon.begin(run.id, "open", day, ctx.actor, ctx.event.at)
    found = recon.compare(day) if reports else []
    recon.keep_differences(check, found, ctx.event.at)
    DayCheck.update(figures={**recon.day_figures(day), "differences": len(found),
                             "compared_with_metrc": reports}).where(
        DayCheck.id == check.id).execute()
    run.data.update(check=check.id, count_size=int(ctx.settings.get("recon_count_packages", 10)))
    ctx.audit("reconcile.compare", f"day:{day}", {"check": check.id, "differences": len(found)})
    ctx.message = (n_("{count} difference to settle.", "{count} differences to settle.",
                      len(found))
                   if found else _("The POS and Metrc agree on every package."))


# -- 2. each difference ------------------------------------------------------------------------
def nothing_to_settle(run):
    """Every difference found so far is settled."""
    return _current(run) is None


def difference_facts(run):
    """The difference in hand: the package, both figures, the receipts behind them."""
    difference = _current(run)
    done, found = recon.tally(run.data["check"])
    unit = difference.unit
    facts = [(_("Package"), f"{difference.tag} · {difference.item_name}"),
             (_("What"), recon.KIND_WORDS[difference.kind])]
    if difference.kind == "count":
        facts += [(_("Counted"), recon.amount_text(difference.counted, unit)),
                  (_("The books"), recon.amount_text(difference.expected, unit))]
    else:
        sold = [_("{receipt}: {how} {amount} at {time}", receipt=str(r), how=SOLD_WORDS[k],
                  amount=recon.amount_text(n, unit), time=t)
                for r, k, n, t in difference.detail.get("pos", [])]
        told = [(_("{receipt} (POS {number}): {amount} (voided)", receipt=str(i),
                   number=str(e), amount=recon.amount_text(n, unit)) if v else
                 _("{receipt} (POS {number}): {amount}", receipt=str(i), number=str(e),
                   amount=recon.amount_text(n, unit))) if e else
                (_("{receipt} (no POS number): {amount} (voided)", receipt=str(i),
                   amount=recon.amount_text(n, unit)) if v else
                 _("{receipt} (no POS number): {amount}", receipt=str(i),
                   amount=recon.amount_text(n, unit)))
                for i, e, n, v in difference.detail.get("metrc", [])]
        facts += [(_("POS sold"), recon.amount_text(difference.pos, unit)),
                  (_("Metrc sold"), recon.amount_text(difference.metrc, unit)),
                  (_("POS receipts"), joined(sold, ", ") if sold else _("none")),
                  (_("Metrc receipts"), joined(told, ", ") if told else _("none"))]
    return {"progress": _("Difference {number} of {total}", number=done + 1, total=found),
            "facts": facts}


def settle_choices(run):
    """Correct Metrc (when the receipts show how), explain it, or escalate it."""
    difference = _current(run)
    options = []
    if difference is not None and difference.kind != "count":
        ops = fixes.plan(difference)
        if ops:
            options.append(Option("correct", Known(fixes.plan_words(difference, ops)),
                                  next="difference"))
    return options + [Option("explain", _("Explain it"), next="reason"),
                      Option("escalate", _("Escalate to an investigation"),
                             next="difference")]


def settle(run, option, ctx):
    """Send the correction or record the escalation; an explanation is asked next."""
    difference = _current(run)
    if option.value == "explain":
        run.data["explaining"] = difference.id
        return
    if option.value == "correct":
        ops = fixes.plan(difference)
        if not ops:
            raise Refuse(_("Metrc's receipts changed meanwhile; look at this one again."))
        keys = fixes.send_plan(difference, ops, ctx)
        recon.settle(difference, "corrected", ctx.actor, ctx.event.at,
                     reason=fixes.plan_words(difference, ops), messages=keys)
        ctx.message = _("{plan}: queued for Metrc.", plan=Known(fixes.plan_words(difference,
                                                                                   ops)))
    else:
        variance = recon.escalate(difference, ctx.actor, ctx.event.at)
        recon.settle(difference, "escalated", ctx.actor, ctx.event.at,
                     reason=_("Sent to investigation"))
        ctx.message = _("Package …{tag} waits for an investigation (variance {variance}).",
                        tag=difference.tag[-6:], variance=str(variance.id))
    ctx.audit(f"reconcile.{option.value}", f"difference:{difference.id}",
              {"tag": difference.tag, "kind": difference.kind})


def not_explaining(run):
    """No difference is being explained."""
    return "explaining" not in run.data


def reason_choices(run):
    """The reasons that fit a sales difference, or a count difference."""
    difference = DayDifference.get_by_id(run.data["explaining"])
    return COUNT_REASONS if difference.kind == "count" else SALES_REASONS


def keep_reason(run, option, ctx):
    """Keep the reason for the note that follows."""
    run.data["reason"] = option.label


def no_reason_yet(run):
    """No reason has been chosen."""
    return "reason" not in run.data


def explain(run, note, ctx):
    """The explanation is written down: reason, note, who and when."""
    difference = DayDifference.get_by_id(run.data.pop("explaining"))
    reason = run.data.pop("reason")
    recon.settle(difference, "explained", ctx.actor, ctx.event.at, reason=reason, note=note)
    ctx.audit("reconcile.explain", f"difference:{difference.id}",
              {"tag": difference.tag, "reason": reason, "note": note})
    ctx.message = _("Explained: {reason}.", reason=Known(reason))


# -- 3. the spot count -------------------------------------------------------------------------
def _spot_due(today) -> Count | None:
    """A spot count already due today (scheduled by someone else, or by an earlier run)."""
    return next((c for c in counts.due(today) if c.scope == "spot" and c.due_on == today),
                None)


def spot_scheduled(run):
    """Today's spot count is scheduled."""
    return "spot_count" in run.data


def spot_facts(run):
    """What the spot count will take; who counts it and where."""
    due = _spot_due(clock.store_date())
    if due is not None:
        return {"facts": [(_("Already scheduled"), _("{title}, due today",
                                                     title=Known(due.title)))]}
    size = run.data.get("count_size", 10)
    return {"facts": [(_("Spot count"), n_(
        "{count} package: the best sellers of the last 30 days and those not counted lately",
        "{count} packages: the best sellers of the last 30 days and those not counted lately",
        size))],
            "items": {"title": _("Who counts it"), "rows": [
                _("A counter or a manager, blind, from the Cycle count tile; a second person "
                  "recounts what differs (SOP §3).")]}}


def schedule_spot(run, value, ctx):
    """Today's spot count is scheduled (or the one already due is taken as it)."""
    today = clock.store_date(ctx.event.at)
    due = _spot_due(today)
    if due is None:
        due = counts.schedule("spot", due_on=today, by=ctx.actor,
                              spot_size=run.data.get("count_size", 10),
                              note=f"Opening reconciliation of {_day(run):%a %d %b}")
        ctx.audit("count.schedule", f"count:{due.id}", {"title": due.title, "by": "open_store"})
    run.data["spot_count"] = due.id
    ctx.message = _("{title} is due today: take it from the Cycle count tile.",
                    title=Known(due.title))


# -- 4. the signature -----------------------------------------------------------------------------
def everything_settled(run, value):
    """Every difference is settled and every package counted."""
    if "check" not in run.data:
        return _("Compare the figures first.")
    if _current(run) is not None:
        return _("A difference is not settled yet.")
    if "spot_count" not in run.data:
        return _("Schedule today's spot count first.")
    return None


def sign(run, signers, ctx):
    """The opening manager signs the day's reconciliation."""
    check = recon.check_of(run)
    DayCheck.update(status="signed", signed_by=signers[0], signed_at=ctx.event.at).where(
        DayCheck.id == check.id).execute()
    done, found = recon.tally(check.id)
    ctx.audit("reconcile.sign", f"day:{check.day}", {"check": check.id, "kind": "open",
                                                     "differences": found})
    ctx.message = _("{day} is reconciled, signed by {name}.", day=day_words(check.day),
                    name=signers[0].name)


def sign_facts(run):
    """What is being signed."""
    check = recon.check_of(run)
    done, found = recon.tally(check.id)
    spot = Count.get_by_id(run.data["spot_count"])
    return {"facts": [(_("Day"), day_words(check.day, long=True)),
                      (_("Differences settled"), _("{done} of {total}", done=done,
                                                   total=found)),
                      (_("Spot count"), _("{title}: {status}", title=Known(spot.title),
                                          status=counts.STATUS_WORDS.get(spot.status,
                                                                        spot.status)))]}


def cancelled(run, ctx):
    """The day's check is marked cancelled; corrections already queued for Metrc stay
    queued (they are on the sync screen)."""
    check = _check(run)
    if check is not None:
        DayCheck.update(status="cancelled").where(DayCheck.id == check.id).execute()
        sent = sum(len(d.messages) for d in check.differences)
        if sent:
            ctx.message = n_("{count} correction already queued for Metrc stays queued: see "
                             "the sync screen.",
                             "{count} corrections already queued for Metrc stay queued: see "
                             "the sync screen.", sent)


def summary(run):
    """One line for lists of runs."""
    if "check" not in run.data:
        return _("Comparing {day}", day=day_words(_day(run)))
    done, found = recon.tally(run.data["check"])
    return _("{day}: {done} of {total} settled", day=day_words(_day(run)), done=done,
             total=found)


WORKFLOW = Workflow(
    key="open_store",
    title=_("Opening reconciliation"),
    sop="SOP §7.1 Opening reconciliation",
    version=1,
    roles=MANAGER,
    description=_("Yesterday's POS sales against Metrc's receipts, tag by tag; today's spot "
                  "count."),
    summary=summary,
    on_cancel=cancelled,
    steps=(
        choose("figures", _("Yesterday's sales: the POS against Metrc."), (),
               options_for=figure_choices, effect=compare_or_pull, show=figures_facts),
        choose("difference", _("Settle this difference."), (), options_for=settle_choices,
               effect=settle, skip_if=nothing_to_settle, show=difference_facts),
        choose("reason", _("Why do the figures differ?"), (), options_for=reason_choices,
               effect=keep_reason, next="note", skip_if=not_explaining, show=difference_facts),
        text("note", _("Write a note: what you checked and found."), max_length=200,
             effect=explain, next="difference", skip_if=no_reason_yet, show=difference_facts),
        instruct("spot", _("Schedule today's spot count."), effect=schedule_spot,
                 skip_if=spot_scheduled, show=spot_facts),
        sign_off("sign", _("Opening manager: sign the day's reconciliation."),
                 (Signer(MANAGER, "approved", _("opening manager")),),
                 guards=(everything_settled,), effect=sign, show=sign_facts),
    ),
)

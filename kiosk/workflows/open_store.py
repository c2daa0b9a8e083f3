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

MANAGER = ("manager",)
SOLD_WORDS = {"sale": "sold", "return": "returned", "void": "voided"}
SALES_REASONS = (
    Option("by_hand", "Reported by hand in Metrc"),
    Option("test", "Test or training sale"),
    Option("exchange", "Exchange: another package went out"),
    Option("late", "POS reported it after the pull"),
    Option("other", "Other (say in the note)"),
)
COUNT_REASONS = (
    Option("miscount", "Miscounted: the right figure is in the note"),
    Option("unrung", "Sold but not rung up yet"),
    Option("damaged", "Damaged, set aside for destruction"),
    Option("elsewhere", "Found in another place"),
    Option("other", "Other (say in the note)"),
)


def _day(run) -> dt.date:
    return dt.date.fromisoformat(run.data["day"]) if "day" in run.data else (
        clock.store_date() - dt.timedelta(days=1))


def _check(run) -> DayCheck | None:
    return DayCheck.get_or_none(DayCheck.run_id == run.id)


def _current(run) -> DayDifference | None:
    return recon.unsettled(run.data["check"]) if "check" in run.data else None


def _when(at) -> str:
    return f"{clock.local(at):%H:%M on %a %d %b}" if at else "never"


# -- 1. the figures --------------------------------------------------------------------------
def figures_facts(run):
    """Both sides' figures for the day, and how fresh they are."""
    day = _day(run)
    fresh = recon.freshness(day)
    seen = recon.day_figures(day)
    facts = [("Day", f"{day:%A %d %B %Y}"),
             ("POS", recon.sales_words(seen) + (
                 f"; pulled {_when(fresh['pos']['at'])}" if fresh["pos"]["pulled"]
                 else "; sent by the POS or imported")),
             ("Metrc", f"{recon.receipt_words(seen)}; pulled {_when(fresh['metrc']['at'])}")]
    warnings = []
    for side, name in (("metrc", "Metrc"), ("pos", "The POS")):
        state = fresh[side]
        if state["error"]:
            warnings.append(f"{name}: the last pull failed: {state['error']}")
        if state["pulled"] and not state["covered"]:
            warnings.append(f"{name}'s figures do not yet cover all of {day:%a %d %b}.")
    if fresh["asked"]:
        warnings.append(f"A fresh pull was asked for at {_when(fresh['asked'])}; the syncer "
                        "has not made it yet. Tap 'Check again' in a moment.")
    done = recon.signed_check(day, "open")
    if done is not None:
        warnings.append(f"{day:%a %d %b} was reconciled already, signed by "
                        f"{done.signed_by.name} at {_when(done.signed_at)}: comparing again "
                        "makes a new record.")
    return {"facts": facts, "warnings": warnings}


def figure_choices(run):
    """Compare now, or ask the syncer for both sides again first."""
    asked = recon.freshness(_day(run))["asked"]
    return (Option("compare", "Compare them now"),
            Option("pull", "Check again" if asked else "Pull both again first", next="figures"))


def compare_or_pull(run, option, ctx):
    """Compare the day's sales tag by tag, or ask the syncer to pull both sides now."""
    day = clock.store_date(ctx.event.at) - dt.timedelta(days=1)
    run.data["day"] = day.isoformat()
    if option.value == "pull":
        if not recon.freshness(day)["asked"]:
            recon.ask_for_pull(day, ctx.actor.name, ctx.event.at)
        ctx.message = "Asked the syncer for both sides' figures; they arrive within a minute."
        return
    fresh = recon.freshness(day)
    reports = ctx.settings.get("state_system") == "metrc"
    if reports and not fresh["metrc"]["covered"]:
        raise Refuse(f"Metrc's receipts for {day:%a %d %b} are not all in yet (last pull: "
                     f"{_when(fresh['metrc']['at'])}). Tap 'Pull both again first'.")
    if str(ctx.settings.get("pos", "")).startswith("dutchie+") and not fresh["pos"]["covered"]:
        raise Refuse(f"The POS's sales of {day:%a %d %b} are not all in yet (last pull: "
                     f"{_when(fresh['pos']['at'])}). Tap 'Pull both again first'.")
    check = recon.begin(run.id, "open", day, ctx.actor, ctx.event.at)
    found = recon.compare(day) if reports else []
    recon.keep_differences(check, found, ctx.event.at)
    DayCheck.update(figures={**recon.day_figures(day), "differences": len(found),
                             "compared_with_metrc": reports}).where(
        DayCheck.id == check.id).execute()
    run.data.update(check=check.id, count_size=int(ctx.settings.get("recon_count_packages", 10)))
    ctx.audit("reconcile.compare", f"day:{day}", {"check": check.id, "differences": len(found)})
    ctx.message = (f"{len(found)} difference{'s' if len(found) != 1 else ''} to settle."
                   if found else "The POS and Metrc agree on every package.")


# -- 2. each difference ------------------------------------------------------------------------
def nothing_to_settle(run):
    """Every difference found so far is settled."""
    return _current(run) is None


def difference_facts(run):
    """The difference in hand: the package, both figures, the receipts behind them."""
    difference = _current(run)
    done, found = recon.tally(run.data["check"])
    unit = difference.unit
    facts = [("Package", f"{difference.tag} · {difference.item_name}"),
             ("What", recon.KIND_WORDS[difference.kind])]
    if difference.kind == "count":
        facts += [("Counted", recon.amount_text(difference.counted, unit)),
                  ("The books", recon.amount_text(difference.expected, unit))]
    else:
        facts += [("POS sold", recon.amount_text(difference.pos, unit)),
                  ("Metrc sold", recon.amount_text(difference.metrc, unit)),
                  ("POS receipts", ", ".join(
                      f"{r}: {SOLD_WORDS[k]} {recon.amount_text(n, unit)} at {t}"
                      for r, k, n, t in difference.detail.get("pos", [])) or "none"),
                  ("Metrc receipts", ", ".join(
                      f"{i} ({'POS ' + e if e else 'no POS number'}): "
                      f"{recon.amount_text(n, unit)}" + (" (voided)" if v else "")
                      for i, e, n, v in difference.detail.get("metrc", [])) or "none")]
    return {"progress": f"Difference {done + 1} of {found}", "facts": facts}


def settle_choices(run):
    """Correct Metrc (when the receipts show how), explain it, or escalate it."""
    difference = _current(run)
    options = []
    if difference is not None and difference.kind != "count":
        ops = fixes.plan(difference)
        if ops:
            options.append(Option("correct", fixes.plan_words(difference, ops),
                                  next="difference"))
    return options + [Option("explain", "Explain it", next="reason"),
                      Option("escalate", "Escalate to an investigation", next="difference")]


def settle(run, option, ctx):
    """Send the correction or record the escalation; an explanation is asked next."""
    difference = _current(run)
    if option.value == "explain":
        run.data["explaining"] = difference.id
        return
    if option.value == "correct":
        ops = fixes.plan(difference)
        if not ops:
            raise Refuse("Metrc's receipts changed meanwhile; look at this one again.")
        keys = fixes.send_plan(difference, ops, ctx)
        recon.settle(difference, "corrected", ctx.actor, ctx.event.at,
                     reason=fixes.plan_words(difference, ops), messages=keys)
        ctx.message = f"{fixes.plan_words(difference, ops)}: queued for Metrc."
    else:
        variance = recon.escalate(difference, ctx.actor, ctx.event.at)
        recon.settle(difference, "escalated", ctx.actor, ctx.event.at,
                     reason="Sent to investigation")
        ctx.message = (f"Package …{difference.tag[-6:]} waits for an investigation (variance "
                       f"{variance.id}).")
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
    ctx.message = f"Explained: {reason}."


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
        return {"facts": [("Already scheduled", f"{due.title}, due today")]}
    size = run.data.get("count_size", 10)
    return {"facts": [("Spot count", f"{size} packages: the best sellers of the last 30 days "
                                     "and those not counted lately")],
            "items": {"title": "Who counts it", "rows": [
                "A counter or a manager, blind, from the Cycle count tile; a second person "
                "recounts what differs (SOP §3)."]}}


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
    ctx.message = f"{due.title} is due today: take it from the Cycle count tile."


# -- 4. the signature -----------------------------------------------------------------------------
def everything_settled(run, value):
    """Every difference is settled and every package counted."""
    if "check" not in run.data:
        return "Compare the figures first."
    if _current(run) is not None:
        return "A difference is not settled yet."
    if "spot_count" not in run.data:
        return "Schedule today's spot count first."
    return None


def sign(run, signers, ctx):
    """The opening manager signs the day's reconciliation."""
    check = recon.check_of(run)
    DayCheck.update(status="signed", signed_by=signers[0], signed_at=ctx.event.at).where(
        DayCheck.id == check.id).execute()
    done, found = recon.tally(check.id)
    ctx.audit("reconcile.sign", f"day:{check.day}", {"check": check.id, "kind": "open",
                                                     "differences": found})
    ctx.message = f"{check.day:%a %d %b} is reconciled, signed by {signers[0].name}."


def sign_facts(run):
    """What is being signed."""
    check = recon.check_of(run)
    done, found = recon.tally(check.id)
    spot = Count.get_by_id(run.data["spot_count"])
    return {"facts": [("Day", f"{check.day:%A %d %B %Y}"), ("Differences settled",
                                                            f"{done} of {found}"),
                      ("Spot count", f"{spot.title}: {spot.status}")]}


def cancelled(run, ctx):
    """The day's check is marked cancelled; corrections already queued for Metrc stay
    queued (they are on the sync screen)."""
    check = _check(run)
    if check is not None:
        DayCheck.update(status="cancelled").where(DayCheck.id == check.id).execute()
        sent = sum(len(d.messages) for d in check.differences)
        if sent:
            ctx.message = (f"{sent} correction{'s' if sent != 1 else ''} already queued for "
                           "Metrc stay queued: see the sync screen.")


def summary(run):
    """One line for lists of runs."""
    if "check" not in run.data:
        return f"Comparing {_day(run):%a %d %b}"
    done, found = recon.tally(run.data["check"])
    return f"{_day(run):%a %d %b}: {done} of {found} settled"


WORKFLOW = Workflow(
    key="open_store",
    title="Opening reconciliation",
    sop="SOP §7.1 Opening reconciliation",
    version=1,
    roles=MANAGER,
    description="Yesterday's POS sales against Metrc's receipts, tag by tag; today's spot "
                "count.",
    summary=summary,
    on_cancel=cancelled,
    steps=(
        choose("figures", "Yesterday's sales: the POS against Metrc.", (),
               options_for=figure_choices, effect=compare_or_pull, show=figures_facts),
        choose("difference", "Settle this difference.", (), options_for=settle_choices,
               effect=settle, skip_if=nothing_to_settle, show=difference_facts),
        choose("reason", "Why do the figures differ?", (), options_for=reason_choices,
               effect=keep_reason, next="note", skip_if=not_explaining, show=difference_facts),
        text("note", "Write a note: what you checked and found.", max_length=200,
             effect=explain, next="difference", skip_if=no_reason_yet, show=difference_facts),
        instruct("spot", "Schedule today's spot count.", effect=schedule_spot,
                 skip_if=spot_scheduled, show=spot_facts),
        sign_off("sign", "Opening manager: sign the day's reconciliation.",
                 (Signer(MANAGER, "approved", "opening manager"),),
                 guards=(everything_settled,), effect=sign, show=sign_facts),
    ),
)

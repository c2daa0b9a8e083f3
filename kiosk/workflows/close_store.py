"""Closing reconciliation. SOP §7.2 "Opening and closing reconciliation", revision 1.

At closing, the closing manager proves that today's sales match what is on the shelves, and
that nothing owed to the state or the POS is left unsaid. The kiosk lists today's best
sellers for a blind closing count and compares each count with the books (the ledger less
what the POS sold since the package came in); a count off the books is settled as at opening
(corrected in the count's note, explained, or escalated). Then the investigations still
open, and every message still waiting for Metrc or the POS, oldest first, with how long it
has waited against the state's 24-hour deadline: each must be delivered or explained (a
reason and a note) before the day can close. The closing manager signs last; the signature
is refused while any message waits unexplained or any visitor is still signed in. The
signature queues the day's report, which the syncer then keeps as a PDF (SOP §7.3).

Differences and counts are settled with the same steps as opening (``open_store.py``); the
questions are in ``kiosk/reconciliation.py``, ``kiosk/day_counts.py`` and
``kiosk/day_close.py``.
"""

from __future__ import annotations

from decimal import Decimal

from kiosk import clock, closing_pdf, day_close, day_counts, variances, visitors
from kiosk import reconciliation as recon
from kiosk.engine import (
    Back,
    Option,
    Signer,
    Workflow,
    choose,
    count,
    instruct,
    scan,
    sign_off,
    text,
)
from kiosk.models import OutboxMessage
from kiosk.models.reconciliation import DayCheck
from kiosk.reconciliation import day_time_words, day_words
from kiosk.words import UNIT_WORDS, Known, _, n_
from kiosk.workflows.open_store import (
    COUNT_REASONS,
    difference_facts,
    explain,
    keep_reason,
    no_reason_yet,
    not_explaining,
    nothing_to_settle,
    settle,
    settle_choices,
)

MANAGER = ("manager",)
WAIT_REASONS = (
    Option("outage", _("The state system is down; the outage is reported")),
    Option("by_hand", _("Entered by hand in Metrc; resolve it tomorrow")),
    Option("refused", _("Refused; being fixed with Metrc support")),
    Option("pos", _("The POS is down or being set up")),
    Option("other", _("Other (say in the note)")),
)


def _sellers(run) -> list[str]:
    today, size = clock.store_date(), run.data.get("count_size", 10)
    tags = recon.best_sellers(today, size)
    return tags[:size]


# -- 1. today's sales and the closing count ---------------------------------------------------
def sales_facts(run):
    """Today's sales so far and the packages the closing count takes (no quantities)."""
    today = clock.store_date()
    seen = recon.day_figures(today)
    size = run.data.get("count_size")
    return {"facts": [(_("Day"), day_words(today, long=True)),
                      (_("POS today"), recon.sales_words(seen))],
            "items": {"title": _("To count (the {size} best sellers)", size=size) if size
                      else _("To count"),
                      "rows": [f"…{t[-6:]}" for t in _sellers(run)]}}


def begin_close(run, value, ctx):
    """Open the day's closing check and fix the closing count's packages."""
    today = clock.store_date(ctx.event.at)
    run.data.update(count_size=int(ctx.settings.get("recon_count_packages", 10)),
                    targets=day_close.targets(ctx.settings),
                    deadline=int(ctx.settings.get("sync_deadline_hours", 24)),
                    day=today.isoformat())
    check = recon.begin(run.id, "close", today, ctx.actor, ctx.event.at)
    planned = day_counts.plan(check, _sellers(run))
    DayCheck.update(figures=recon.day_figures(today)).where(DayCheck.id == check.id).execute()
    run.data.update(check=check.id, counting=planned)
    ctx.audit("reconcile.close_begin", f"day:{today}", {"check": check.id, "count": planned})
    ctx.message = (n_("Count {count} package: scan each tag, then key in what is there.",
                      "Count {count} packages: scan each tag, then key in what is there.",
                      planned) if planned else _("Nothing sold today: no count."))


def close_reasons(run):
    """A closing difference is a count: the count's reasons."""
    return COUNT_REASONS


def all_counted(run):
    """Every package on the count is counted."""
    return "counting" in run.data and not day_counts.uncounted(run.data["check"])


def on_the_count(run, scanned):
    """The tag is on the count and not counted yet."""
    if scanned == "__finish__":
        return None
    entry = day_counts.line(run.data["check"], scanned.value)
    if entry is None:
        return _("Package {tag} is not on this count. Scan one on the list.",
                 tag=scanned.value)
    if entry.counted is not None:
        return _("Package …{tag} is already counted.", tag=scanned.value[-6:])
    return None


def hold_package(run, scanned, ctx):
    """This package is counted next."""
    run.data["in_hand"] = scanned.value


def count_progress(run):
    """How many are counted, and the package in hand."""
    done, total = day_counts.progress(run.data["check"])
    shown = {"progress": _("{done} of {total} counted", done=done, total=total),
             "items": {"title": _("Still to count"),
                       "rows": [f"{c.item_name} · …{c.tag[-6:]} · {c.place}"
                                for c in day_counts.uncounted(run.data["check"])]}}
    if "in_hand" in run.data:
        entry = day_counts.line(run.data["check"], run.data["in_hand"])
        shown["facts"] = [(_("Package"), f"{entry.tag} · {entry.item_name}"),
                          (_("Unit"), UNIT_WORDS.get(entry.unit, entry.unit))]
    return shown


def nothing_in_hand(run):
    """No package was scanned for counting."""
    return "in_hand" not in run.data


def keep_count(run, number, ctx):
    """The package's count; off the books, it is a difference to settle now."""
    entry = day_counts.line(run.data["check"], run.data.pop("in_hand"))
    found = day_counts.record(entry, number, ctx.actor, ctx.event.at)
    ctx.message = (_("Counted {amount}: that is not what the books say. Settle it now.",
                     amount=recon.amount_text(number, entry.unit)) if found
                   else _("Counted. Scan the next one."))


def count_missing(run, option, ctx):
    """The packages not found are counted as none there (or the counter goes back)."""
    if option.value == "none":
        for entry in day_counts.uncounted(run.data["check"]):
            day_counts.record(entry, 0, ctx.actor, ctx.event.at)


# -- 2. what is still open ------------------------------------------------------------------
def investigations(run):
    """The variances still open (to recount or to investigate), oldest first."""
    rows = [_("…{tag} {item} · {count} · {state} · open {age}", tag=v.tag[-6:],
              item=v.item_name, count=Known(v.count.title),
              state=variances.STATE_WORDS.get(v.state, v.state), age=Known(variances.age(v)))
            for v in variances.open_variances()]
    return {"items": {"title": _("Open variances ({count})", count=len(rows)),
                      "rows": rows or [_("None open.")]}}


def seen_investigations(run, value, ctx):
    """The closing manager has seen what stays open."""
    run.data["investigations_seen"] = len(variances.open_variances())


def investigations_seen(run):
    """The open investigations were looked at."""
    return "investigations_seen" in run.data


# -- 3. every message still waiting --------------------------------------------------------------
def _waiting(run) -> list[OutboxMessage]:
    return day_close.unexplained(run.data["check"], run.data["targets"])


def all_explained(run):
    """No message waits unexplained."""
    return "check" not in run.data or not _waiting(run)


def message_facts(run):
    """The oldest message not explained: what, for whom, how long it has waited."""
    left = _waiting(run)
    message = left[0]
    waited, past = day_close.waited(message, run.data["deadline"])
    explained = len(day_close.explained(run.data["check"]))
    shown = {"progress": _("{waiting} waiting unexplained · {explained} explained",
                           waiting=len(left), explained=explained),
             "facts": [(_("Message"), day_close.describe(message)),
                       (_("Queued"), day_time_words(message.created_at)),
                       (_("Waited"), waited),
                       (_("State"), day_close.STATE_WORDS.get(message.status,
                                                              message.status)),
                       (_("Last error"), message.last_error or _("none"))]}
    if past:
        shown["warnings"] = [_("Past the state's deadline: report it, and explain it here.")]
    return shown


def message_choices(run):
    """Explain the message, or look again (it may have been delivered meanwhile)."""
    return (Option("explain", _("Explain it"), next="wait_reason"),
            Option("again", _("Check again"), next="waiting"))


def take_message(run, option, ctx):
    """Keep which message is being explained."""
    if option.value == "explain":
        run.data["message"] = _waiting(run)[0].id


def no_message_in_hand(run):
    """No waiting message is being explained."""
    return "message" not in run.data


def message_in_hand(run):
    """The message being explained."""
    message = OutboxMessage.get_by_id(run.data["message"])
    waited, _past = day_close.waited(message, run.data["deadline"])
    return {"facts": [(_("Message"), day_close.describe(message)), (_("Waited"), waited),
                      (_("Last error"), message.last_error or _("none"))]}


def keep_wait_reason(run, option, ctx):
    """Keep the reason for the note that follows."""
    run.data["wait_reason"] = option.label


def no_wait_reason(run):
    """No reason has been chosen for the message."""
    return "wait_reason" not in run.data


def explain_message(run, note, ctx):
    """The explanation of the waiting message is written down, and audited."""
    message_id, reason = run.data.pop("message"), run.data.pop("wait_reason")
    day_close.explain(recon.check_of(run), message_id, reason, note, ctx.actor, ctx.event.at)
    ctx.audit("sync.explain", f"outbox:{message_id}", {"reason": reason, "note": note,
                                                        "check": run.data["check"]})
    ctx.message = _("Explained: {reason}.", reason=Known(reason))


# -- 4. the signature ---------------------------------------------------------------------------
def nothing_left(run, value):
    """No message waits unexplained, no visitor is inside; every count is in and every
    difference settled."""
    if "check" not in run.data:
        return _("Start with today's sales.")
    left = _waiting(run)
    if left:
        return n_("{count} message still waits unexplained (the oldest: {oldest}). Go back "
                  "to the waiting messages and explain each before closing.",
                  "{count} messages still wait unexplained (the oldest: {oldest}). Go back "
                  "to the waiting messages and explain each before closing.",
                  len(left), oldest=day_close.describe(left[0]))
    inside = visitors.inside_now()
    if inside:
        who = ", ".join(visitors.who(v) for v in inside[:3]) + (" …" if len(inside) > 3
                                                                 else "")
        return n_("{count} visitor is still signed in: {who}. Sign them out (scan their "
                  "badge, or Visitors inside now on the home screen) or resolve them, then "
                  "sign here.",
                  "{count} visitors are still signed in: {who}. Sign them out (scan their "
                  "badge, or Visitors inside now on the home screen) or resolve them, then "
                  "sign here.", len(inside), who=who)
    if recon.unsettled(run.data["check"]) is not None:
        return _("A count difference is not settled yet.")
    if day_counts.uncounted(run.data["check"]):
        return _("The closing count is not finished.")
    return None


def close_facts(run):
    """What the closing manager signs."""
    check = recon.check_of(run)
    counted, total = day_counts.progress(check.id)
    done, found = recon.tally(check.id)
    others = day_close.not_sent_anywhere(run.data["targets"])
    facts = [(_("Day"), day_words(check.day, long=True)),
             (_("Closing count"), _("{counted} of {total} counted; {found} off the books",
                                    counted=counted, total=total, found=found)),
             (_("Waiting messages explained"), str(len(day_close.explained(check.id)))),
             (_("Open variances"), str(len(variances.open_variances()))),
             (_("Visitors inside"), ", ".join(visitors.who(v) for v in visitors.inside_now())
              or _("none"))]
    facts += [(_("Not sent ({system})", system=day_close.TARGET_WORDS.get(t, t)),
               n_("{count} message: this store does not send to it",
                  "{count} messages: this store does not send to it", n))
              for t, n in sorted(others.items())]
    return {"facts": facts}


def sign(run, signers, ctx):
    """The closing manager signs the day closed, and the day's report is queued to be kept
    as a PDF (SOP §7.3)."""
    check = recon.check_of(run)
    waiting = day_close.waiting(run.data["targets"])
    DayCheck.update(status="signed", signed_by=signers[0], signed_at=ctx.event.at,
                    figures={**check.figures, "waiting_explained": len(waiting),
                             "variances_open": len(variances.open_variances())}).where(
        DayCheck.id == check.id).execute()
    ctx.audit("reconcile.sign", f"day:{check.day}", {"check": check.id, "kind": "close",
                                                     "waiting": [m.id for m in waiting]})
    # The report is kept at close, but its PDF takes seconds: the signature only queues it.
    closing_pdf.queue(check, signers[0], ctx.station, ctx.event.at)
    ctx.message = _("{day} is closed, signed by {name}. The day's report is being kept as "
                    "a PDF (Manager screens → End-of-day report).", day=day_words(check.day),
                    name=signers[0].name)


def cancelled(run, ctx):
    """The day's closing check is marked cancelled."""
    DayCheck.update(status="cancelled").where(DayCheck.run_id == run.id).execute()


def summary(run):
    """One line for lists of runs."""
    if "check" not in run.data:
        return _("Starting")
    counted, total = day_counts.progress(run.data["check"])
    return _("{done} of {total} counted", done=counted, total=total)


WORKFLOW = Workflow(
    key="close_store",
    title=_("Closing reconciliation"),
    sop="SOP §7.2 Closing reconciliation",
    version=1,
    roles=MANAGER,
    description=_("Today's sales against the closing count; every waiting message delivered "
                  "or explained."),
    summary=summary,
    on_cancel=cancelled,
    steps=(
        instruct("sales", _("Today's sales: count the best sellers."), effect=begin_close,
                 show=sales_facts),
        choose("difference", _("Settle this difference."), (), options_for=settle_choices,
               effect=settle, skip_if=nothing_to_settle, show=difference_facts),
        choose("reason", _("Why does the count differ?"), (), options_for=close_reasons,
               effect=keep_reason, next="note", skip_if=not_explaining, show=difference_facts),
        text("note", _("Write a note: what you checked and found."), max_length=200,
             effect=explain, next="difference", skip_if=no_reason_yet, show=difference_facts),
        scan("count_scan", _("Scan a package on the list."), expect=("package_tag",),
             guards=(on_the_count,), effect=hold_package, skip_if=all_counted,
             show=count_progress, finish="count_missing",
             finish_label=_("The rest are not here")),
        count("count_units", _("How many are there?"), effect=keep_count, next="difference",
              maximum=Decimal(1_000_000),
              skip_if=nothing_in_hand, show=count_progress),
        choose("count_missing",
               _("Some packages were not counted. Are they really not here?"),
               (Option("none", _("Count them as none here"), next="difference", danger=True),
                Option("back", _("Go back and scan them"), next="count_scan")),
               effect=count_missing, skip_if=all_counted, show=count_progress),
        instruct("investigations", _("These variances stay open overnight."),
                 effect=seen_investigations, skip_if=investigations_seen, show=investigations),
        choose("waiting", _("This message has not reached its system yet."), (),
               options_for=message_choices, effect=take_message, skip_if=all_explained,
               show=message_facts),
        choose("wait_reason", _("Why is it still waiting?"), WAIT_REASONS,
               effect=keep_wait_reason, next="wait_note", skip_if=no_message_in_hand,
               show=message_in_hand),
        text("wait_note", _("Write a note: what is being done about it."), max_length=200,
             effect=explain_message, next="waiting", skip_if=no_wait_reason,
             show=message_in_hand),
        sign_off("sign", _("Closing manager: sign the day closed."),
                 (Signer(MANAGER, "approved", _("closing manager")),),
                 guards=(nothing_left,), effect=sign, show=close_facts,
                 back=Back("waiting", _("Back to the waiting messages"))),
    ),
)

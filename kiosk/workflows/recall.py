"""A recall. SOP §5 "Quarantine, returns and return-to-vendor" (a recall notice), revision 1.

A manager enters what is recalled (a batch or lot number, a source package tag or a lab test
batch, each scanned or typed, or an item chosen from those in stock) and the notice it came
in. A source package's recall finds the packages made from it (as their manifests listed it
when they were received); a lab test batch's finds those received with that COA. The kiosk
finds every package of it in the store, wherever it is (vault shelves, the sales floor,
packages taken for an open pick, the cage itself), and shows how many, where, and how each
matched. Confirming is the one step that holds them all (``recalls.hold_all``): never
sellable, never pickable, the POS and Metrc told, a quarantine label for each; a package a
runner has taken for a pick is withdrawn from it, and each one on the sales floor gets a
pick-back task in the live queue. The recall's own screen follows them until every one is in
the cage.
"""

from __future__ import annotations

from kiosk import recalls
from kiosk.engine import Back, Option, Refuse, Workflow, choose, text
from kiosk.models import Recall
from kiosk.words import Known, _, joined, n_

KIND_OPTIONS = (Option("batch", _("A batch or lot number"), next="value"),
                Option("item", _("An item"), next="item"),
                Option("source", _("A source package tag"), next="source"),
                Option("lab", _("A lab test batch (COA)"), next="lab"))
BACK_TO_KIND = _("Back: what the recall names")
TAG_PATTERN = r"[A-Za-z0-9]{24}"


def record_kind(run, option, ctx):
    """Keep what the recall names: a batch, an item, a source package or a lab test batch."""
    run.data.update(kind=option.value, value="")


def item_choices(run):
    """Items with a package in the store."""
    return [Option(f"item:{item.id}", item.name, next="notice")
            for item in recalls.items_in_stock()]


def record_item(run, option, ctx):
    """Keep the item recalled."""
    run.data["value"] = option.value.split(":", 1)[1]


def batch_is_here(run, value):
    """The store has a package of this batch."""
    if not recalls.matching("batch", value).exists():
        return _("No package in the store has batch {batch}. Check the number on the notice "
                 "(letters and digits as printed).", batch=value)
    return None


def record_batch(run, value, ctx):
    """Keep the batch as the notice prints it."""
    run.data["value"] = value.strip()


def source_is_here(run, value):
    """The store has a package made from this source package, or the package itself."""
    if not recalls.matching("source", value).exists():
        return _("No package in the store was made from source package {tag}, and none has "
                 "that tag. Check the tag on the notice (24 letters and digits).",
                 tag=value.strip().upper())
    return None


def lab_batch_is_here(run, value):
    """The store has a package received with this lab test batch (COA)."""
    if not recalls.matching("lab", value).exists():
        return _("No package in the store was received with lab test batch (COA) {batch}. "
                 "Check the number on the notice against the COA.", batch=value.strip().upper())
    return None


def record_upper(run, value, ctx):
    """Keep the tag or the COA as the store keeps them (upper case)."""
    run.data["value"] = value.strip().upper()


def record_notice(run, notice, ctx):
    """Keep who issued the recall and why: it goes on every hold and label."""
    run.data["notice"] = notice


def found_facts(run):
    """How many packages the recall names, and where they are."""
    kind = run.data["kind"]
    found = recalls.find(kind, run.data["value"])
    facts = [(_("Recall"), recalls.describe(kind, run.data["value"])),
             (_("Notice"), run.data.get("notice", "")), (_("Packages found"), str(len(found)))]
    facts += [(joined(["  ", place], ""), str(n)) for place, n in recalls.places(found)]
    facts += [(_("Matched: {how}", how=how), str(n)) for how, n in recalls.matched_by(found)]
    shown = {"facts": facts}
    missing = recalls.not_on_record(kind)
    if missing and kind == "source":
        shown["warnings"] = [n_(
            "{count} package in the store has no source packages on record (opening stock, or "
            "a manifest that did not list it): this recall cannot find it. Check it against "
            "the notice by hand, and quarantine it if it matches.",
            "{count} packages in the store have no source packages on record (opening stock, "
            "or a manifest that did not list it): this recall cannot find them. Check them "
            "against the notice by hand, and quarantine any that match.", missing)]
    elif missing:
        shown["warnings"] = [n_(
            "{count} package in the store has no lab test batch (COA) on record (opening "
            "stock, or a manifest that did not list it): this recall cannot find it. Check it "
            "against the notice by hand, and quarantine it if it matches.",
            "{count} packages in the store have no lab test batch (COA) on record (opening "
            "stock, or a manifest that did not list it): this recall cannot find them. Check "
            "them against the notice by hand, and quarantine any that match.", missing)]
    return shown


def hold_choice(run):
    """One button, with the count on it."""
    n = len(recalls.find(run.data["kind"], run.data["value"]))
    return [Option("hold", n_("Hold all {count} package now", "Hold all {count} packages now", n))]


def hold_them(run, option, ctx):
    """The one step: every package of the recall on hold, labelled, out of the pick queue."""
    kind, value = run.data["kind"], run.data["value"]
    found = recalls.find(kind, value)
    if not found:
        raise Refuse(_("No package of this recall is in the store any more; nothing to "
                       "hold."))
    description = recalls.describe(kind, value)
    recall = Recall.create(kind=kind, value=value, item=int(value) if kind == "item" else None,
                           description=description, notice=run.data.get("notice", ""),
                           started_at=ctx.event.at, started_by=ctx.actor, run_id=run.id)
    # Kept in English on each hold and label; said again in the reader's language (Known).
    words = (_("Recalled: {description} ({notice})", description=description,
               notice=run.data["notice"]) if run.data.get("notice")
             else _("Recalled: {description}", description=description))
    done = recalls.hold_all(ctx, recall, found, words)
    recalls.finish_if_all_in(recall, ctx.event.at)
    ctx.audit("recall", f"recall:{recall.id}", {"kind": kind, "value": value, **done})
    run.data["recall"] = recall.id
    said = [_("{description}: {held} package(s) put on hold", description=Known(description),
              held=done["held"])]
    if done["already"]:
        said.append(_(", {count} already held", count=done["already"]))
    if done["picks"]:
        said.append(_(", {count} withdrawn from open picks", count=done["picks"]))
    if done["tasks"]:
        said.append(_(", {count} pick-back task(s) in the queue", count=done["tasks"]))
    said.append(_(". Their quarantine labels are printing. Bring each one into the cage."))
    ctx.message = joined(said, "")


def summary(run):
    """One line for lists of runs."""
    return _("Recall {value}", value=run.data["value"]) if run.data.get("value") else _("Recall")


WORKFLOW = Workflow(
    key="recall",
    title=_("Recall"),
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=("manager",),
    description=_("Hold every package of a recalled batch, item, source package or lab test "
                  "batch, wherever it is."),
    summary=summary,
    steps=(
        choose("kind", _("What does the recall name?"), KIND_OPTIONS, effect=record_kind),
        text("value", _("Scan or type the batch or lot number on the notice."), max_length=60,
             guards=(batch_is_here,), effect=record_batch, next="notice",
             back=Back("kind", BACK_TO_KIND)),
        choose("item", _("Which item is recalled?"), (), options_for=item_choices,
               effect=record_item, back=Back("kind", BACK_TO_KIND)),
        text("source", _("Scan or type the source package tag on the notice."), max_length=24,
             pattern=TAG_PATTERN, example="1A4060300000000000000001", guards=(source_is_here,),
             effect=record_upper, next="notice",
             back=Back("kind", BACK_TO_KIND)),
        text("lab", _("Scan or type the lab test batch (the COA number) on the notice."),
             max_length=60, guards=(lab_batch_is_here,), effect=record_upper, next="notice",
             back=Back("kind", BACK_TO_KIND)),
        text("notice", _("Who issued the recall, and why (from the notice)?"), max_length=200,
             effect=record_notice, show=found_facts),
        choose("hold", _("Put every one of these packages on hold now?"), (),
               options_for=hold_choice, effect=hold_them, show=found_facts,
               back=Back("kind", _("Back: start again"), forget=("value", "notice"))),
    ),
)

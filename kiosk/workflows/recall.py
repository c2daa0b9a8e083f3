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

KIND_OPTIONS = (Option("batch", "A batch or lot number", next="value"),
                Option("item", "An item", next="item"),
                Option("source", "A source package tag", next="source"),
                Option("lab", "A lab test batch (COA)", next="lab"))
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
        return (f"No package in the store has batch {value}. Check the number on the notice "
                "(letters and digits as printed).")
    return None


def record_batch(run, value, ctx):
    """Keep the batch as the notice prints it."""
    run.data["value"] = value.strip()


def source_is_here(run, value):
    """The store has a package made from this source package, or the package itself."""
    if not recalls.matching("source", value).exists():
        return (f"No package in the store was made from source package {value.strip().upper()}, "
                "and none has that tag. Check the tag on the notice (24 letters and digits).")
    return None


def lab_batch_is_here(run, value):
    """The store has a package received with this lab test batch (COA)."""
    if not recalls.matching("lab", value).exists():
        return (f"No package in the store was received with lab test batch (COA) "
                f"{value.strip().upper()}. Check the number on the notice against the COA.")
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
    facts = [("Recall", recalls.describe(kind, run.data["value"])),
             ("Notice", run.data.get("notice", "")), ("Packages found", str(len(found)))]
    facts += [(f"  {place}", str(n)) for place, n in recalls.places(found)]
    facts += [("Matched: " + how, str(n)) for how, n in recalls.matched_by(found)]
    shown = {"facts": facts}
    missing = recalls.not_on_record(kind)
    if missing:
        what = "source packages" if kind == "source" else "lab test batch (COA)"
        shown["warnings"] = [
            f"{missing} package{'s' if missing != 1 else ''} in the store "
            f"{'have' if missing != 1 else 'has'} no {what} on record (opening stock, or a "
            "manifest that did not list it): this recall cannot find them. Check them against "
            "the notice by hand, and quarantine any that match."]
    return shown


def hold_choice(run):
    """One button, with the count on it."""
    n = len(recalls.find(run.data["kind"], run.data["value"]))
    return [Option("hold", f"Hold all {n} package{'s' if n != 1 else ''} now")]


def hold_them(run, option, ctx):
    """The one step: every package of the recall on hold, labelled, out of the pick queue."""
    kind, value = run.data["kind"], run.data["value"]
    found = recalls.find(kind, value)
    if not found:
        raise Refuse("No package of this recall is in the store any more; nothing to hold.")
    description = recalls.describe(kind, value)
    recall = Recall.create(kind=kind, value=value, item=int(value) if kind == "item" else None,
                           description=description, notice=run.data.get("notice", ""),
                           started_at=ctx.event.at, started_by=ctx.actor, run_id=run.id)
    words = f"Recalled: {description}" + (f" ({run.data['notice']})"
                                          if run.data.get("notice") else "")
    done = recalls.hold_all(ctx, recall, found, words)
    recalls.finish_if_all_in(recall, ctx.event.at)
    ctx.audit("recall", f"recall:{recall.id}", {"kind": kind, "value": value, **done})
    run.data["recall"] = recall.id
    ctx.message = (f"{description}: {done['held']} package(s) put on hold"
                   + (f", {done['already']} already held" if done["already"] else "")
                   + (f", {done['picks']} withdrawn from open picks" if done["picks"] else "")
                   + (f", {done['tasks']} pick-back task(s) in the queue" if done["tasks"]
                      else "")
                   + ". Their quarantine labels are printing. Bring each one into the cage.")


def summary(run):
    """One line for lists of runs."""
    return f"Recall {run.data.get('value', '')}".strip()


WORKFLOW = Workflow(
    key="recall",
    title="Recall",
    sop="SOP §5 Quarantine, returns and return-to-vendor",
    version=1,
    roles=("manager",),
    description="Hold every package of a recalled batch, item, source package or lab test "
                "batch, wherever it is.",
    summary=summary,
    steps=(
        choose("kind", "What does the recall name?", KIND_OPTIONS, effect=record_kind),
        text("value", "Scan or type the batch or lot number on the notice.", max_length=60,
             guards=(batch_is_here,), effect=record_batch, next="notice",
             back=Back("kind", "Back: what the recall names")),
        choose("item", "Which item is recalled?", (), options_for=item_choices,
               effect=record_item, back=Back("kind", "Back: what the recall names")),
        text("source", "Scan or type the source package tag on the notice.", max_length=24,
             pattern=TAG_PATTERN, example="1A4060300000000000000001", guards=(source_is_here,),
             effect=record_upper, next="notice",
             back=Back("kind", "Back: what the recall names")),
        text("lab", "Scan or type the lab test batch (the COA number) on the notice.",
             max_length=60, guards=(lab_batch_is_here,), effect=record_upper, next="notice",
             back=Back("kind", "Back: what the recall names")),
        text("notice", "Who issued the recall, and why (from the notice)?", max_length=200,
             effect=record_notice, show=found_facts),
        choose("hold", "Put every one of these packages on hold now?", (),
               options_for=hold_choice, effect=hold_them, show=found_facts,
               back=Back("kind", "Back: start again", forget=("value", "notice"))),
    ),
)

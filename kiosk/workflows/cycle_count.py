"""Cycle count, blind and two-point. SOP §3 "Cycle count (blind, two-point)", revision 1.

Choose the count that is due (or count a place or a category now). For each package scan the
product barcode (UPC) and then its state tag: both must be the same product. Enter the units
on the keypad, or weigh it when it is sold by weight. The counter never sees what the records
expect, only how many of the area's packages are scanned. Finishing the area lists the tags
not found yet, to look for. Then the kiosk compares each package's count with the ledger, the
POS and Metrc; every difference is a variance. A different person recounts each variance,
blind (whoever counted the area cannot); the recount stands. The counter and a recounter or a
manager sign, and the count slip prints. What is left goes to investigation (SOP §6).
"""

from __future__ import annotations

from kiosk import clock, counts
from kiosk.engine import (
    FINISH,
    Option,
    Refuse,
    Signer,
    Workflow,
    choose,
    count,
    instruct,
    print_step,
    scan,
    sign_off,
    weigh,
)
from kiosk.manifests import item_for_gtin, quantity_text
from kiosk.models import Count, Employee, Location, Package
from kiosk.words import UNIT_WORDS, _, joined, n_, restore

COUNT_ROLES = ("counter", "manager")
PLACES = counts.COUNTED_PLACES + ("quarantine",)
PRODUCT = ("gtin", "gs1", "package_tag")


def _count(run) -> Count:
    return Count.get_by_id(run.data["count"])


def _title(run):
    """The count's title in the reader's language (a run from before kept only its English)."""
    return restore(run.data["title_said"]) if "title_said" in run.data else run.data["title"]


def _short(tag: str) -> str:
    return f"…{tag[-6:]}"


def count_choices(run):
    """The counts due today or overdue, then: count a place now, or a category now."""
    options = []
    for due in counts.due(clock.store_date()):
        other = counts.active_run(due)
        if other is not None and other.id != run.id:
            continue  # being counted at another screen: resumed there, not started twice
        title = counts.title_words(due)
        label = (_("{title} · due today", title=title) if due.due_on == clock.store_date()
                 else _("{title} · due since {day}", title=title,
                        day=counts.day_words(due.due_on)))
        options.append(Option(f"count:{due.id}", label, next=counts.stage(due)))
    return options + [Option("place", _("Count a place now (scan its label)"), next="place"),
                      Option("category", _("Count a category now"), next="category")]


def _begin(run, chosen: Count, ctx) -> None:
    other = counts.active_run(chosen)
    if other is not None and other.id != run.id:
        raise Refuse(_("{title} is being counted by {name} (started {time}). Resume it there.",
                       title=counts.title_words(chosen), name=other.operator.name,
                       time=clock.local(other.started_at).strftime("%H:%M")))
    chosen = counts.begin(chosen, run.id, ctx.event.at)
    run.data.update(counts.standing(chosen))  # a count taken up again carries on as it stood
    ctx.audit("count.begin", f"count:{chosen.id}", {"title": chosen.title})
    ctx.message = n_("Counting {title}: {count} package. Scan a product barcode, then its tag.",
                     "Counting {title}: {count} packages. Scan a product barcode, then its tag.",
                     chosen.expected, title=counts.title_words(chosen))


def take_count(run, option, ctx):
    """Start (or carry on with) the count chosen; the place and category buttons ask next."""
    if option.value.startswith("count:"):
        _begin(run, Count.get_by_id(int(option.value.split(":")[1])), ctx)


def a_count_is_chosen(run):
    """A scheduled count was chosen, so no place or category is asked for."""
    return "count" in run.data


def countable_place(run, scanned):
    """The label is a shelf, the sales floor or the quarantine cage of this store."""
    place = Location.one(code=scanned.value)
    if place is None or not place.active:
        return _("{code} is not a place in this store. Scan a shelf label.", code=scanned.value)
    if place.kind not in PLACES:
        return _("{place} is not a place stock is counted in. Scan a shelf label.",
                 place=place.name)
    return None


def count_place(run, scanned, ctx):
    """Count this place now."""
    place = Location.one(code=scanned.value)
    _begin(run, counts.ad_hoc("location", ctx.actor, location=place), ctx)


def category_options(run):
    """The categories the store has in stock."""
    return [Option(f"category:{name}", name) for name in counts.categories()]


def count_category(run, option, ctx):
    """Count this category now, wherever it is in the vault and on the floor."""
    category = option.value.split(":", 1)[1]
    _begin(run, counts.ad_hoc("category", ctx.actor, category=category), ctx)


def progress(run):
    """'41 of 60 scanned in this area' (never what is expected of any package)."""
    line = _("{scanned} of {expected} scanned in {area}", scanned=run.data["scanned"],
             expected=run.data["expected"],
             area=counts.AREA_WORDS.get(run.data["area"], run.data["area"]))
    if run.data.get("extra"):
        line = joined([line, n_("{count} found that was not expected",
                                "{count} found that were not expected", run.data["extra"])],
                      "; ")
    shown = {"progress": line}
    if run.data.get("held"):
        shown["facts"] = [(_("Product"), run.data["held"]["item"])] + (
            [(_("Tag"), run.data["tag"])] if run.data.get("tag") else [])
    return shown


def a_product_barcode(run, scanned):
    """The product barcode comes first; only a product without one is counted by its tag."""
    if scanned == FINISH:
        return None
    if scanned.kind == "package_tag":
        package = Package.one(tag=scanned.value)
        if package is None or package.item.gtin:
            return _("Scan the product barcode (UPC) first, then the package's tag.")
        return None
    if item_for_gtin(scanned.gtin) is None:
        return _("{code} is not the barcode of a product this store carries. Scan the product "
                 "barcode on the package, or set the package aside for a manager.",
                 code=scanned.value)
    return None


def _hold(run, item) -> None:
    run.data["held"] = {"item": item.name, "item_id": item.id, "gtin": item.gtin}
    run.data.pop("tag", None)


def hold_product(run, scanned, ctx):
    """Keep the product until its tag is scanned (a product without a barcode: its tag)."""
    if run.data.get("recount"):
        _not_the_counter(run, ctx)
    if scanned.kind == "package_tag":
        package = Package.one(tag=scanned.value)
        _hold(run, package.item)
        _take(run, scanned.value, ctx)
        return
    _hold(run, item_for_gtin(scanned.gtin))
    ctx.message = _("{item}: now scan its package tag.", item=run.data["held"]["item"])


def _tag_step(run) -> str:
    return "recount_tag" if run.data.get("recount") else "tag"


def after_product(run, scanned):
    """A tag already taken goes to its quantity; otherwise the tag is next."""
    return _quantity_step(run) if run.data.get("tag") else _tag_step(run)


def same_product(run, scanned):
    """The tag belongs to the product scanned (another product barcode starts over)."""
    if scanned.kind != "package_tag":
        return a_product_barcode(run, scanned)
    package = Package.one(tag=scanned.value)
    held = run.data["held"]
    if package is not None and package.item.gtin != held["gtin"]:
        return _("That tag is {tag_item}, but the barcode scanned was {item}. Scan the barcode "
                 "and the tag of the same package.", tag_item=package.item.name,
                 item=held["item"])
    return None


def not_counted_twice(run, scanned):
    """The package has not been counted already in this count."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    seen = counts.line(run.data["count"], scanned.value)
    if seen is None or seen.counted is None:
        return None
    who = Employee.get_by_id(seen.counted_by_id).name
    return _("Package {tag} was already counted here at {time} by {name}. It is not counted "
             "twice: scan the next product barcode.", tag=_short(scanned.value),
             time=clock.local(seen.counted_at).strftime("%H:%M"), name=who)


def _take(run, tag: str, ctx) -> None:
    line = counts.found_here(_count(run), tag, Package.one(tag=tag), run.data["held"]["item"])
    run.data.update(tag=tag, unit=line.unit)
    ctx.message = counts.found_words(line, run.data["area"])
    ctx.tone = "" if line.expected else "warn"  # found where it should not be: recorded


def take_tag(run, scanned, ctx):
    """Take the package; another product barcode replaces the product held."""
    if scanned.kind != "package_tag":
        hold_product(run, scanned, ctx)
    elif run.data.get("recount"):
        _not_the_counter(run, ctx)
        _take(run, scanned.value, ctx)
        ctx.tone, ctx.message = "", _("Package {tag}: recount it.", tag=_short(scanned.value))
    else:
        _take(run, scanned.value, ctx)


def _quantity_step(run) -> str:
    return "weight" if counts.weighed(run.data["unit"]) else "units"


def after_tag(run, scanned):
    """Units on the keypad, or the scale for a product sold by weight."""
    return _quantity_step(run) if scanned.kind == "package_tag" else _tag_step(run)


def next_package(run, _value):
    """Back to the next product barcode (of the count, or of the recount)."""
    return "recount_product" if run.data.get("recount") else "product"


def package_facts(run):
    """The package being counted (its tag and product; no expected quantity)."""
    return {"facts": [(_("Tag"), run.data["tag"]), (_("Product"), run.data["held"]["item"]),
                      (_("Counted in"), UNIT_WORDS.get(run.data["unit"], run.data["unit"]))],
            "progress": progress(run)["progress"]}


def whole_units(run, number):
    """A package counted in Each is counted in whole units."""
    if run.data["unit"] == "Each" and number != number.to_integral_value():
        return _("Count whole units: this package is counted in Each.")
    return None


def _counted(run, ctx, quantity, how: str, recount: bool = False) -> None:
    line = counts.line(run.data["count"], run.data["tag"])
    counts.record(line, quantity, how, ctx.actor, ctx.event.at, recount=recount)
    people = run.data.setdefault("recounters" if recount else "counters", [])
    if ctx.actor.id not in people:
        people.append(ctx.actor.id)
    if recount:
        run.data["recounted"] = run.data.get("recounted", 0) + 1
        ctx.message = _("Recounted {tag}: {quantity}.", tag=_short(line.tag),
                        quantity=quantity_text(quantity, line.unit))
    else:
        run.data["scanned" if line.expected else "extra"] += 1
        ctx.message = _("{quantity} counted. {progress}. Scan the next product barcode.",
                        quantity=quantity_text(quantity, line.unit),
                        progress=progress(run)["progress"])
    run.data.pop("held", None)
    run.data.pop("tag", None)


def record_units(run, number, ctx):
    """Keep the count of units."""
    _counted(run, ctx, number, "keypad", recount=run.data.get("recount", False))


def record_weight(run, weight, ctx):
    """Keep the weight in the package's unit, with the reading as the scale gave it."""
    quantity = counts.in_package_unit(weight["weight"], weight["unit"], run.data["unit"])
    if quantity is None:
        raise Refuse(_("The scale reads in {unit}, which can't be turned into {package_unit}. "
                       "Set the scale to grams and weigh it again.", unit=weight["unit"],
                       package_unit=UNIT_WORDS.get(run.data["unit"], run.data["unit"])))
    how = (f"typed weight ({weight['reason']})" if weight["keyed"]
           else f"scale {weight['weight']:f} {weight['unit']}")
    _counted(run, ctx, quantity, how, recount=run.data.get("recount", False))
    if weight["keyed"]:
        ctx.tone = "warn"
        ctx.message = joined([ctx.message,
                              _("The weight is recorded as typed, with your reason.")])


def not_found_list(run):
    """The tags not found yet, to look for (no quantities)."""
    missing = counts.not_found(run.data["count"])
    shown = progress(run)
    if missing:
        shown["items"] = {"title": _("Not found yet ({count}): look for these",
                                     count=len(missing)),
                          "rows": counts.tag_rows(missing)}
    return shown


def finish_area(run, option, ctx):
    """Compare every package's four figures; each difference is a variance to recount."""
    if option.value != "finish":
        return
    found = counts.finish(_count(run), ctx.event.at)
    run.data.update(variances=len(found), recount=bool(found), recounted=0)
    ctx.audit("count.finish", f"count:{run.data['count']}", {"variances": len(found)})
    ctx.message = (n_("Area finished. {count} package needs a recount by a different person.",
                      "Area finished. {count} packages need a recount by a different person.",
                      len(found))
                   if found else
                   _("Area finished with nothing to recount. Sign to close the count."))


def after_area(run, option):
    """Variances: a recount by someone else; none: the signatures."""
    return "recount" if run.data.get("variances") else "sign"


def nothing_to_recount(run):
    """The count found no variance."""
    return not run.data.get("variances")


def _not_the_counter(run, ctx) -> None:
    if ctx.actor.id in run.data.get("counters", []):
        raise Refuse(_("{name} counted this area and can't recount it. Log out; a different "
                       "counter or a manager logs in here and recounts.", name=ctx.actor.name))


def recount_list(run):
    """The packages to recount, by tag (blind: no figures)."""
    waiting = counts.waiting_recount(run.data["count"])
    counters = ", ".join(Employee.get_by_id(i).name for i in run.data.get("counters", []))
    return {"progress": _("{done} of {total} recounted", done=run.data.get("recounted", 0),
                          total=run.data["variances"]),
            "warnings": [_("Recount by a different person: {names} may not.",
                           names=counters or _("the counter"))],
            "items": {"title": _("To recount ({count})", count=len(waiting)),
                      "rows": counts.tag_rows(waiting)}}


def recounter_arrives(run, _value, ctx):
    """The recount starts with someone who did not count the area."""
    _not_the_counter(run, ctx)
    ctx.message = _("{name} recounts. Scan a product barcode, then its tag.",
                    name=ctx.actor.name)


def one_to_recount(run, scanned):
    """The tag is one of this count's packages waiting for a recount, not recounted yet."""
    if scanned == FINISH or scanned.kind != "package_tag":
        return None
    waiting = {v.tag: ln for v, ln in counts.to_recount(run.data["count"])}
    if scanned.value not in waiting:
        return _("Package {tag} does not need a recount. Recount only the list.",
                 tag=_short(scanned.value))
    if waiting[scanned.value].recounted is not None:
        return _("Package {tag} is already recounted. Scan the next one.",
                 tag=_short(scanned.value))
    return None


def recounted_all(run, option):
    """To finish, every package found is recounted (one still not found is confirmed)."""
    if option.value != "finish":
        return None
    left = [v.tag for v in counts.waiting_recount(run.data["count"]) if v.kind != "missing"]
    if left:
        return _("Recount these first: {tags}.", tags=", ".join(_short(t) for t in left))
    return None


def end_recount(run, option, ctx):
    """The recount stands: a recount that agrees with every figure clears the variance."""
    _not_the_counter(run, ctx)
    if option.value != "finish":
        return
    verdicts = [counts.settle_recount(v, ln.recounted)
                for v, ln in counts.to_recount(run.data["count"])]
    ctx.audit("count.recount", f"count:{run.data['count']}",
              {"cleared": verdicts.count("cleared"), "confirmed": verdicts.count("confirmed")})
    ctx.message = _("Recount done. Now the two signatures.")


def signer_may_close(run, value):
    """The counter signs first; then someone who recounted, or a manager."""
    person = value["employee"]
    if value["signer"].label == "counter":
        if person.id not in run.data.get("counters", []):
            return _("{name} did not count this area: someone who counted it signs first.",
                     name=person.name)
        return None
    if person.id not in run.data.get("recounters", []) and not person.has_any(("manager",)):
        return _("{name} did not recount this area and is not a manager.", name=person.name)
    return None


def close_count(run, signers, ctx):
    """Closed: cleared variances close; the others go to investigation."""
    result = counts.close(_count(run), ctx.event.at)
    run.data.update(signers=[s.name for s in signers], closed_at=ctx.event.at.isoformat())
    ctx.audit("count.close", f"count:{run.data['count']}", result)
    ctx.message = n_("Count closed. {count} variance goes to investigation.",
                     "Count closed. {count} variances go to investigation.", result["confirmed"])


def closing_facts(run):
    """What is being signed: the area and how far it got (no expected figures)."""
    return {"progress": progress(run)["progress"],
            "facts": [(_("Count"), counts.title_words(_count(run))),
                      (_("Variances"), str(run.data.get("variances", 0))),
                      (_("Recounted"), str(run.data.get("recounted", 0)))]}


def count_slip(run):
    """The count slip: area, who, when, packages counted, variances remaining."""
    return [{"device": "receipt", "layout": "count_slip",
             "data": counts.slip(_count(run), run.data["signers"], run.data["closed_at"])}]


def keep_count_open(run, ctx):
    """A cancelled count keeps what was counted; it carries on from its tile."""
    if "count" in run.data:
        ctx.message = _("What was counted in {title} is kept; the count carries on from its "
                        "tile on the home screen.", title=_title(run))


def summary(run):
    """One line for lists of runs."""
    if "count" not in run.data:
        return _("Choosing the count")
    return _("{title}: {progress}", title=_title(run), progress=progress(run)["progress"])


RECOUNT_SIGNERS = (Signer(COUNT_ROLES, "performed", _("counter")),
                   Signer(COUNT_ROLES, "approved", _("recounter or manager")))

WORKFLOW = Workflow(
    key="cycle_count",
    title=_("Cycle count"),
    sop="SOP §3 Cycle count (blind, two-point)",
    version=1,
    roles=COUNT_ROLES,
    description=_("Count a shelf, a category or a spot list blind: barcode, tag, quantity."),
    summary=summary,
    on_cancel=keep_count_open,
    steps=(
        choose("which", _("Which count?"), (), options_for=count_choices, effect=take_count),
        scan("place", _("Scan the label of the place you count."), expect=("location",),
             guards=(countable_place,), effect=count_place, next="product",
             skip_if=a_count_is_chosen),
        choose("category", _("Which category?"), (), options_for=category_options,
               effect=count_category, next="product", skip_if=a_count_is_chosen),
        scan("product", _("Scan the product barcode (UPC)."), expect=PRODUCT,
             guards=(a_product_barcode, not_counted_twice), effect=hold_product, next=after_product,
             show=progress, finish="area_end", finish_label=_("Finish this area")),
        scan("tag", _("Now scan the same package's state tag."), expect=PRODUCT,
             guards=(same_product, not_counted_twice), effect=take_tag, next=after_tag,
             show=progress),
        count("units", _("How many units are in the package?"), guards=(whole_units,),
              effect=record_units, next=next_package, show=package_facts),
        weigh("weight", _("Put the package on the scale and take the reading."), unit="g",
              effect=record_weight, next=next_package, show=package_facts),
        choose("area_end", _("Finish counting this area?"),
               (Option("finish", _("Finish the area")),
                Option("look", _("Go back and look for what is not found"), next="product")),
               effect=finish_area, next=after_area, show=not_found_list),
        instruct("recount", _("A different person recounts: log in here, then press Done."),
                 effect=recounter_arrives, skip_if=nothing_to_recount, show=recount_list),
        scan("recount_product", _("Recount: scan the product barcode (UPC)."), expect=PRODUCT,
             guards=(a_product_barcode, one_to_recount), effect=hold_product,
             next=after_product,
             show=recount_list, finish="recount_end", finish_label=_("Finish the recount")),
        scan("recount_tag", _("Now scan the same package's state tag."), expect=PRODUCT,
             guards=(same_product, one_to_recount), effect=take_tag, next=after_tag,
             show=recount_list),
        choose("recount_end", _("Finish the recount?"),
               (Option("finish", _("Finish the recount")),
                Option("look", _("Go back: more to recount"), next="recount_product")),
               guards=(recounted_all,), effect=end_recount, next="sign", show=recount_list),
        sign_off("sign", _("Close the count: the counter signs, then a recounter or a manager."),
                 signers=RECOUNT_SIGNERS, guards=(signer_may_close,), effect=close_count,
                 show=closing_facts),
        print_step("slip", _("Print the count slip."), jobs=count_slip, optional=True),
    ),
)
